"""The operator's denylist (`hubctl denylist`): address ranges refused before any token is looked at.

Each facade holds the whole list in memory and reloads it whenever the core announces a change to who may call
(CredentialsService.WatchAuthChanges, which a trigger on the denied_networks table feeds): an added range is refused
by every replica within moments. While that watch is down, the list is reloaded every few seconds instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging

from litestar.status_codes import HTTP_403_FORBIDDEN

from facade.ocpi.auth_cache import AuthCache
from facade.ocpi.errors import OcpiError
from facade.ocpi.status import OcpiStatus
from hubclient import HubClient, HubError

log = logging.getLogger(__name__)

_UNWATCHED_RELOAD_SECONDS = 2.0
_WATCHED_RELOAD_SECONDS = 60.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressDenied(OcpiError):
    def __init__(self, address: str) -> None:
        super().__init__(
            OcpiStatus.CLIENT_ERROR, f"requests from {address} are refused by the Hub's operator", HTTP_403_FORBIDDEN
        )


class Denylist:
    def __init__(self) -> None:
        self._networks: tuple[Network, ...] = ()

    def check(self, address: str | None) -> None:
        """Raises AddressDenied when `address` lies in a denied range."""
        if not self._networks or not address:
            return
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return
        if any(ip in network for network in self._networks):
            raise AddressDenied(address)

    async def reload(self, hub: HubClient) -> None:
        denied = await hub.list_denied_networks()
        self._networks = tuple(ipaddress.ip_network(d.network) for d in denied)

    async def follow(self, hub: HubClient, changes: AuthCache) -> None:
        """Runs until cancelled: reloads on every announced change, and often while changes cannot be heard."""
        while True:
            changes.changed.clear()  # before the reload: a change announced during it triggers another
            try:
                await self.reload(hub)
            except HubError as exc:
                log.warning("cannot load the denylist (%s); keeping the last one", exc.code.name)
            wait = _WATCHED_RELOAD_SECONDS if changes.watching else _UNWATCHED_RELOAD_SECONDS
            # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation that arrives as the event is set
            # (the auth watch sets it when it stops), and this loop would then outlive its facade.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await changes.changed.wait()
