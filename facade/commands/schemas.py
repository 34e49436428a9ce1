"""Wire shapes of the commands module (OCPI 2.2.1 mod_commands.asciidoc, HUB-DIGEST §3.6).

Ids are the CPO's (location, EVSE, connector, session) or the eMSP's (reservation): CiString(36), as in mod_commands.
"""

from __future__ import annotations

import typing
from typing import Literal

from facade.locations.schemas import CiString36, DisplayText, OcpiStruct, Url
from facade.ocpi.datetime import OcpiDateTime
from facade.tokens.schemas import Token

CommandType = Literal["START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR"]
COMMAND_TYPES: tuple[str, ...] = typing.get_args(CommandType)
CommandResponseType = Literal["NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"]
CommandResultType = Literal[
    "ACCEPTED",
    "CANCELED_RESERVATION",
    "EVSE_OCCUPIED",
    "EVSE_INOPERATIVE",
    "FAILED",
    "NOT_SUPPORTED",
    "REJECTED",
    "TIMEOUT",
    "UNKNOWN_RESERVATION",
]


class StartSession(OcpiStruct, kw_only=True):
    response_url: Url
    token: Token
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class StopSession(OcpiStruct, kw_only=True):
    response_url: Url
    session_id: CiString36


class ReserveNow(OcpiStruct, kw_only=True):
    _datetimes = ("expiry_date",)
    response_url: Url
    token: Token
    expiry_date: OcpiDateTime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class CancelReservation(OcpiStruct, kw_only=True):
    response_url: Url
    reservation_id: CiString36


class UnlockConnector(OcpiStruct, kw_only=True):
    response_url: Url
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


COMMAND_SHAPES: dict[str, type[OcpiStruct]] = {
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "RESERVE_NOW": ReserveNow,
    "CANCEL_RESERVATION": CancelReservation,
    "UNLOCK_CONNECTOR": UnlockConnector,
}


class CommandResult(OcpiStruct, kw_only=True):
    result: CommandResultType
    message: list[DisplayText] | None = None
