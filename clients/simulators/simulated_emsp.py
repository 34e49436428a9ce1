"""The simulated eMSP <HUB_COUNTRY_CODE>/SIM as a process: `make run` (core.devhub) starts it beside the core and
the facade in sandbox and staging, on 127.0.0.1:$HUB_SIM_EMSP_PORT (9101). It invites itself through the core with
the operator certificate (simulators.invitation), registers like any party and pushes its test tokens."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

import httpx

from hubclient import HubError
from simulators import emsp, invitation, loopback
from simulators.emsp import SimulatedEmsp
from simulators.hub_link import HubLink, HubRefused

log = logging.getLogger("simulated-emsp")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulators.simulated_emsp", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("HUB_SIM_EMSP_PORT", "9101")))
    parser.add_argument("--hub-url", default=os.environ.get("HUB_PUBLIC_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--core", default=os.environ.get("HUB_CORE_ADDRESS", "127.0.0.1:50051"))
    parser.add_argument("--country-code", default=os.environ.get("HUB_COUNTRY_CODE", "VN").upper())
    return parser


async def run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    sock = loopback.bind_loopback(args.port)
    hub_url = args.hub_url.rstrip("/")
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as http:
        link = HubLink(http, f"{hub_url}/ocpi/versions", args.country_code, emsp.PARTY_ID)
        sim = SimulatedEmsp(link, base_url=loopback.url_of(sock))
        async with loopback.serve(sim.app(), sock):
            await invitation.wait_for_hub(http, hub_url)
            token_a = await invitation.invite(args.core, args.country_code, emsp.PARTY_ID, "EMSP", sim.name)
            await sim.start(token_a)
            log.info(
                "simulated eMSP %s/%s registered at %s, serving %s/ocpi/versions; test tokens %s",
                args.country_code,
                emsp.PARTY_ID,
                hub_url,
                sim.base_url,
                ", ".join(sim.tokens),
            )
            await stop.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except HubError as exc:
        print(f"error: the core at {args.core} did not invite {args.country_code}/SIM: {exc}", file=sys.stderr)
    except (HubRefused, httpx.HTTPError) as exc:
        print(f"error: registering with the Hub at {args.hub_url} failed: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
