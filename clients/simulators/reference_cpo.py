"""`make reference-cpo`: the reference CPO (simulators.cpo) on 127.0.0.1:9100, registered with a sandbox Hub.

TOKEN_A comes from --token-a or HUB_REFERENCE_CPO_TOKEN_A; without one, the CPO invites itself as VN/REF through the
core with the operator certificate `make run` wrote under .hub/pki (as hubctl finds it), which only an operator's
machine has. A party VN/REF left over from an earlier run is unregistered and invited again: the CPO keeps no state
between runs, so its old credentials are gone anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

import httpx

from hubclient import HubClient, HubError, HubUnavailable
from hubctl.cli import client_tls
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from simulators import cpo_network as net
from simulators import loopback
from simulators.cpo import ReferenceCpo
from simulators.hub_link import HubLink, HubRefused

log = logging.getLogger("reference-cpo")


async def invite_self(core_address: str, name: str) -> str:
    """TOKEN_A for VN/REF from the core, as an operator: a new sandbox invitation, or a fresh one for a party that
    registered before (unregistered first)."""
    async with HubClient(core_address, tls=client_tls()) as hub:
        try:
            response = await hub.invite_party(
                rpc.InvitePartyRequest(
                    country_code=net.COUNTRY_CODE,
                    party_id=net.PARTY_ID,
                    role=pb.ROLE_CPO,
                    display_name=name,
                    environment=pb.ENVIRONMENT_SANDBOX,
                )
            )
            return response.token_a
        except HubError as exc:
            if exc.code.name != "ALREADY_EXISTS":
                raise
        request = rpc.ListPartiesRequest(country_code=net.COUNTRY_CODE, role=pb.ROLE_CPO)
        [party] = [p async for p in hub.list_parties(request) if p.party_id == net.PARTY_ID]
        if party.state not in (pb.PARTY_STATE_INVITED, pb.PARTY_STATE_UNREGISTERED):
            await hub.unregister_party(party.name)
        rotated = await hub.rotate_invite(rpc.RotateInviteRequest(name=party.name))
        return rotated.token_a


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulators.reference_cpo", description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--hub-url", default=os.environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--token-a", default=os.environ.get("HUB_REFERENCE_CPO_TOKEN_A", ""))
    parser.add_argument("--core", default=os.environ.get("HUB_CORE_ADDRESS", "127.0.0.1:50051"))
    parser.add_argument("--meter-interval", type=float, default=5.0, help="seconds between session updates")
    return parser


async def run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sock = loopback.bind_loopback(args.port)
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as http:
        link = HubLink(http, f"{args.hub_url.rstrip('/')}/ocpi/versions", net.COUNTRY_CODE, net.PARTY_ID)
        cpo = ReferenceCpo(link, base_url=loopback.url_of(sock), meter_interval=args.meter_interval)
        async with loopback.serve(cpo.app(), sock):
            token_a = args.token_a or await invite_self(args.core, cpo.name)
            await cpo.start(token_a)
            log.info(
                "reference CPO %s/%s registered at %s, serving %s/ocpi/versions; %d locations and tariff %s pushed",
                net.COUNTRY_CODE,
                net.PARTY_ID,
                args.hub_url,
                cpo.base_url,
                len(cpo.locations),
                net.TARIFF_ID,
            )
            await stop.wait()
            await cpo.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except HubUnavailable as exc:
        print(
            f"error: no TOKEN_A given and the core at {args.core} cannot be reached ({exc.message}); start the Hub"
            " with `make run`, or pass --token-a / HUB_REFERENCE_CPO_TOKEN_A",
            file=sys.stderr,
        )
    except HubError as exc:
        print(f"error: the core refused to invite {net.COUNTRY_CODE}/{net.PARTY_ID}: {exc}", file=sys.stderr)
    except (HubRefused, httpx.HTTPError) as exc:
        print(f"error: registering with the Hub at {args.hub_url} failed: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
