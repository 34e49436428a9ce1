"""The Hub rotates the credentials it issued (OCPI 2.2.1 credentials, the Hub as client): it PUTs its Credentials
object, carrying a new TOKEN_C, to the party's credentials endpoint with the party's token (TOKEN_B), and reports
the party's answer (its Credentials, possibly with a new token of its own) to the core.

One loop per facade process, like the still-alive checks: the core hands each due rotation to one replica. A 405
means the party thinks it is not registered with the Hub; like every failure it is retried later and shown to
operators in `hubctl party show`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

import msgspec

from facade.credentials.schemas import Credentials
from facade.credentials.translate import hub_credentials
from facade.peers.client import PeerClient, PeerTimeout, PeerUnreachable
from facade.settings import Settings
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_service_pb2 as rpc

log = logging.getLogger(__name__)

_DETAIL_CHARS = 200


class RotationRefused(Exception):
    """The party did not accept the Hub's new credentials; the message says why (never a token)."""


class CredentialsRotator:
    def __init__(self, hub: HubClient, peers: PeerClient, settings: Settings, *, interval: float, batch: int = 4):
        self._hub = hub
        self._peers = peers
        self._settings = settings
        # How often to ask the core for due rotations when the last claim left none waiting.
        self._interval = interval
        self._batch = batch
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stop(): claim due rotations, make them, report each outcome (one in flight is finished)."""
        while not self._stopping.is_set():
            try:
                rotations = await self._hub.claim_token_rotations(self._batch)
            except HubError as exc:
                log.warning("cannot claim credentials rotations: %s", exc)
                rotations = []
            if rotations:
                await asyncio.gather(*(self.rotate(rotation) for rotation in rotations))
            if len(rotations) < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def rotate(self, rotation: rpc.TokenRotation) -> None:
        try:
            answer = await self._put(rotation)
            accepted, token_b, detail = True, answer.token, ""
        except RotationRefused as exc:
            accepted, token_b, detail = False, "", str(exc)
        try:
            await self._hub.report_token_rotation(
                rotation.platform, rotation.token_c, accepted=accepted, token_b=token_b, detail=detail
            )
        except HubError as exc:
            # The claim runs out and the rotation is made again; the token sent meanwhile expires on its own.
            log.warning("cannot report the credentials rotation of %s: %s", rotation.platform, exc)
            return
        if accepted:
            log.info("%s took the Hub's new credentials", rotation.platform)
        else:
            log.warning("%s did not take the Hub's new credentials: %s", rotation.platform, detail)

    async def _put(self, rotation: rpc.TokenRotation) -> Credentials:
        body = json.dumps(hub_credentials(self._settings, rotation.token_c)).encode()
        ids = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        try:
            answer = await self._peers.send(
                "PUT",
                rotation.credentials_url,
                rotation.token,
                encode=rotation.encode_auth_token,
                headers=ids,
                body=body,
            )
        except (PeerTimeout, PeerUnreachable) as exc:
            raise RotationRefused(str(exc)) from None
        where = f"PUT {rotation.credentials_url}"
        if answer.status_code == 405:
            raise RotationRefused(f"{where} answered HTTP 405: the party considers itself not registered with the Hub")
        try:
            envelope = json.loads(answer.content)
        except ValueError:
            raise RotationRefused(f"{where} answered HTTP {answer.status_code} without OCPI JSON") from None
        if not isinstance(envelope, dict):
            raise RotationRefused(f"{where} answered HTTP {answer.status_code} without an OCPI envelope")
        status = envelope.get("status_code")
        if answer.status_code != 200 or status != 1000:
            message = str(envelope.get("status_message") or "")[:_DETAIL_CHARS]
            raise RotationRefused(f"{where} answered HTTP {answer.status_code}, OCPI {status} {message}".rstrip())
        try:
            return msgspec.convert(envelope.get("data"), Credentials)
        except msgspec.ValidationError as exc:
            raise RotationRefused(f"{where} answered credentials that are not valid: {exc}") from None
