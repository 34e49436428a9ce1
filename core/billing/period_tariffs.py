"""The tariffs a session's or CDR's charging periods are priced with, read from the Hub's store (tariff_choice decides;
this module only gathers what it needs: named tariffs, the connector's tariff_ids, the token's charging preference)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.billing.tariff_choice import Candidate, PeriodChoice, choose, per_period, wanted_type
from core.tariffs.repository import TariffRepository
from core.tokens.repository import TokenRepository, type_name
from ocpihub.locations.v1 import locations_pb2
from ocpihub.sessions.v1 import sessions_pb2
from ocpihub.tariffs.v1 import tariffs_pb2
from ocpihub.tokens.v1 import tokens_pb2
from ocpihub.types.v1 import types_pb2


async def choose_period_tariffs(
    conn: asyncpg.Connection,
    owner: tuple[str, str],
    periods: Sequence[sessions_pb2.ChargingPeriod],
    token: sessions_pb2.CdrToken,
    location: locations_pb2.Location | None,
    evse_uid: str,
    connector_id: str,
    start: datetime,
    carried: Sequence[tariffs_pb2.Tariff] = (),
) -> PeriodChoice:
    """`owner` is the CPO (country_code, party_id); `carried` the tariffs embedded in a CDR (they win over stored
    copies of the same id)."""
    tariffs = TariffRepository(conn)
    embedded = {t.id.upper(): t for t in carried}
    found: dict[str, Candidate | None] = {}
    # Tariffs the CPO addressed to other eMSPs (OCPI-to) are theirs: never chosen for this session by type.
    others: set[str] = set()
    emsp = f"{token.country_code}/{token.party_id}".upper()

    async def lookup(tariff_id: str) -> Candidate | None:
        key = tariff_id.upper()
        if key not in found:
            if key in embedded:
                found[key] = Candidate(embedded[key], embedded=True)
            elif (stored := await tariffs.get_with_audience(*owner, tariff_id)) is None:
                found[key] = None
            else:
                tariff, audience = stored
                found[key] = Candidate(tariff, directed=audience is not None and emsp in audience)
                if audience is not None and emsp not in audience:
                    others.add(key)
        return found[key]

    for period in periods:
        if period.tariff_id:
            await lookup(period.tariff_id)
    regular = tariffs_pb2.TARIFF_TYPE_REGULAR
    by_type: tuple[Candidate | None, str, tariffs_pb2.TariffType.ValueType] = (None, "", regular)
    if any(not period.tariff_id for period in periods):
        candidates = []
        for tariff_id in dict.fromkeys(i.upper() for i in _connector_tariff_ids(location, evse_uid, connector_id)):
            candidate = await lookup(tariff_id)
            if candidate is not None and tariff_id not in others:
                candidates.append(candidate)
        if not candidates:
            candidates = [Candidate(t, embedded=True) for t in carried]
        wanted = wanted_type(token.type, await _profile(conn, token))
        chosen, note = choose(candidates, wanted, start)
        by_type = (chosen, note, wanted)
    return per_period(periods, lambda tariff_id: found.get(tariff_id.upper()), lambda: by_type)


def _connector_tariff_ids(location: locations_pb2.Location | None, evse_uid: str, connector_id: str) -> list[str]:
    if location is None:
        return []
    evse = next((e for e in location.evses if e.uid.upper() == evse_uid.upper()), None)
    connector = next((c for c in evse.connectors if c.id.upper() == connector_id.upper()), None) if evse else None
    return list(connector.tariff_ids) if connector is not None else []


async def _profile(conn: asyncpg.Connection, token: sessions_pb2.CdrToken) -> tokens_pb2.ProfileType.ValueType:
    """The driver's charging preference as the Hub knows it: the token's default_profile_type."""
    if token.type in (types_pb2.TOKEN_TYPE_UNSPECIFIED, types_pb2.TOKEN_TYPE_AD_HOC_USER) or not token.uid:
        return tokens_pb2.PROFILE_TYPE_UNSPECIFIED
    stored = await TokenRepository(conn).get(
        token.country_code.upper(), token.party_id.upper(), token.uid, type_name(token.type)
    )
    return stored.default_profile_type if stored is not None else tokens_pb2.PROFILE_TYPE_UNSPECIFIED
