"""`make reference-cpo`: the reference CPO (simulators.cpo) on 127.0.0.1:9100, registered with a sandbox Hub.

TOKEN_A comes from --token-a or HUB_REFERENCE_CPO_TOKEN_A; without one, the CPO invites itself as VN/REF through the
core with the operator certificate `make run` wrote under .hub/pki (simulators.invitation).
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

from hubclient import HubError, HubUnavailable
from simulators import cpo_network as net
from simulators import invitation, loopback
from simulators.cpo import ReferenceCpo
from simulators.hub_link import HubLink, HubRefused

log = logging.getLogger("reference-cpo")


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
            await invitation.wait_for_hub(http, args.hub_url.rstrip("/"))
            token_a = args.token_a or await invitation.invite(
                args.core, net.COUNTRY_CODE, net.PARTY_ID, "CPO", cpo.name
            )
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
