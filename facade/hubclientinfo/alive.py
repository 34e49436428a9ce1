"""Still-alive checks (HUB-DIGEST §2.1): platforms silent for a quiet period get a GET on their versions URL with
their TOKEN_B; the core turns the outcome into OFFLINE / CONNECTED ClientInfo pushes.

One loop per facade process. Any number of replicas may run it: the core hands each due check to one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from facade.peers.client import PeerCallError, PeerClient
from facade.peers.url_policy import UrlNotAllowed
from hubclient import HubClient, HubError
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc

log = logging.getLogger(__name__)


class AliveChecker:
    def __init__(
        self,
        hub: HubClient,
        peers: PeerClient,
        *,
        quiet_period: timedelta,
        interval: float,
        concurrency: int = 8,
    ) -> None:
        self._hub = hub
        self._peers = peers
        self._quiet_period = quiet_period
        # How often to ask the core for due checks when the last claim left none waiting.
        self._interval = interval
        # Checks in flight at once (each bounded by the peer timeout); also the size of one claim.
        self._concurrency = concurrency
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stop(): claim due checks, run them, report each outcome. A check in flight is finished, not cut
        short, so its claim is never wasted."""
        while not self._stopping.is_set():
            try:
                checks = await self._hub.claim_alive_checks(self._quiet_period, self._concurrency)
            except HubError as exc:
                log.warning("cannot claim still-alive checks: %s", exc)
                checks = []
            if checks:
                await asyncio.gather(*(self._check(check) for check in checks))
            if len(checks) < self._concurrency:  # a full claim means more may be due: claim again at once
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def _check(self, check: rpc.AliveCheck) -> None:
        try:
            await self._peers.get(
                check.versions_url,
                check.token,
                sandbox=check.environment == pb.ENVIRONMENT_SANDBOX,
                encode=check.encode_auth_token,
            )
            reachable, detail = True, "versions answered"
        except (PeerCallError, UrlNotAllowed) as exc:
            reachable, detail = False, str(exc)
        try:
            await self._hub.report_alive_check(check.platform, reachable=reachable, detail=detail)
        except HubError as exc:
            # The platform is simply checked again after the next quiet period.
            log.warning("cannot report the still-alive check of %s: %s", check.platform, exc)
