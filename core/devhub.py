"""`make run`: the whole Hub in the foreground — database, core and facade — with nothing installed by hand.

Without HUB_DATABASE_URL it starts an embedded PostgreSQL 16 (the `pgserver` wheel) whose data lives in
$HUB_DATA_DIR/pg (default .hub/pg). When run as root, pgserver runs PostgreSQL as an unprivileged `pgserver` user
and hands that directory to it, which is why the data sits in a directory of its own. Without HUB_TOKEN_KEYS, a
sandbox Hub keeps a generated key in $HUB_DATA_DIR/token.key (production refuses to start without one).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from core import pki
from hubclient import ClientTls, HubClient, HubError

log = logging.getLogger("devhub")


def _embedded_database(data_dir: Path) -> str:
    import pgserver

    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    log.info("embedded PostgreSQL 16 running with data in %s", data_dir / "pg")
    uri: str = server.get_uri()
    return uri


def _token_keys(data_dir: Path) -> str:
    key_file = data_dir / "token.key"
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
        log.info("generated a token encryption key in %s", key_file)
    return key_file.read_text().strip()


def _local_pki(data_dir: Path, env: dict[str, str]) -> None:
    """A local CA and certificates under $HUB_DATA_DIR/pki (made once): the core serves mutual TLS, the facade
    presents the facade's pair, and hubctl run from this checkout finds the operator's."""
    directory = data_dir / "pki"
    if not (directory / "ca.crt").exists():
        pki.init(directory)
        log.info("made a local CA and the core's certificates in %s", directory)
    env.setdefault("HUB_GRPC_TLS_CERT_FILE", str(directory / "core.crt"))
    env.setdefault("HUB_GRPC_TLS_KEY_FILE", str(directory / "core.key"))
    env.setdefault("HUB_GRPC_CLIENT_CA_FILE", str(directory / "ca.crt"))
    env.setdefault("HUB_CLIENT_CERT_FILE", str(directory / "facade.crt"))
    env.setdefault("HUB_CLIENT_KEY_FILE", str(directory / "facade.key"))
    env.setdefault("HUB_CLIENT_CA_FILE", str(directory / "ca.crt"))


async def _wait_for_core(address: str, process: asyncio.subprocess.Process, tls: ClientTls | None) -> None:
    async with HubClient(address, timeout=1.0, tls=tls) as hub:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit(f"the core exited with code {process.returncode} while starting")
            try:
                if await hub.health():
                    return
            except HubError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the core did not become healthy within 30 s")


async def _simulated_emsp(env: dict[str, str]) -> asyncio.subprocess.Process | None:
    """Sandbox and staging: the simulated eMSP <HUB_COUNTRY_CODE>/SIM (simulators.simulated_emsp) beside the Hub,
    registered like any party with the operator's certificate. Not vital: if it fails, the Hub keeps running."""
    if env["HUB_ENV"] not in ("sandbox", "staging") or env.get("HUB_SIM_EMSP", "1").lower() in ("0", "false", "no"):
        return None
    pki_dir = Path(env["HUB_CLIENT_CA_FILE"]).parent
    operator = {
        "HUB_CLIENT_CERT_FILE": str(pki_dir / "operator.crt"),
        "HUB_CLIENT_KEY_FILE": str(pki_dir / "operator.key"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.simulated_emsp", env={**env, **operator}
    )


async def _run(env: dict[str, str]) -> int:
    core = await asyncio.create_subprocess_exec(sys.executable, "-m", "core", env=env)
    await _wait_for_core(env["HUB_CORE_ADDRESS"], core, ClientTls.from_env(env))
    facade = await asyncio.create_subprocess_exec(sys.executable, "-m", "facade", env=env)
    simulator = await _simulated_emsp(env)
    public_url = env["HUB_PUBLIC_URL"]
    log.info(
        "Hub up: OCPI versions at %s/ocpi/versions, readiness at %s/ready; invite a party with "
        '`hubctl party invite --country-code VN --party-id ABC --role CPO --name "ABC Charging"`. Ctrl-C stops.',
        public_url,
        public_url,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children = [core, facade]
    waits = [asyncio.create_task(child.wait()) for child in children]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*waits, stopper], return_when=asyncio.FIRST_COMPLETED)
    exited = [child for child in children if child.returncode is not None]
    for child in children:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    await asyncio.gather(*waits)
    stopper.cancel()
    if simulator is not None:
        if simulator.returncode is None:
            simulator.send_signal(signal.SIGTERM)
        await simulator.wait()
    if exited and not stop.is_set():
        log.error("a Hub process exited (code %s); stopped the others", exited[0].returncode)
        return 1
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl command line at INFO
    env = dict(os.environ)
    env.setdefault("HUB_ENV", "sandbox")
    data_dir = Path(env.get("HUB_DATA_DIR", ".hub")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not env.get("HUB_DATABASE_URL"):
        env["HUB_DATABASE_URL"] = _embedded_database(data_dir)
    if not env.get("HUB_TOKEN_KEYS"):
        if env["HUB_ENV"] == "production":
            raise SystemExit("HUB_TOKEN_KEYS must be set in production (Fernet keys, comma-separated, newest first)")
        env["HUB_TOKEN_KEYS"] = _token_keys(data_dir)
    if env["HUB_ENV"] != "production":
        _local_pki(data_dir, env)
    env.setdefault("HUB_GRPC_PORT", "50051")
    env.setdefault("HUB_CORE_ADDRESS", f"127.0.0.1:{env['HUB_GRPC_PORT']}")
    # The facade serves HTTPS when given a certificate (facade/tls.py); advertise the scheme it really serves.
    tls = bool(env.get("HUB_TLS_CERT_FILE")) or env.get("HUB_TLS_SELF_SIGNED", "").lower() in ("1", "true", "yes")
    scheme = "https" if tls else "http"
    if env["HUB_ENV"] == "production" and not env.get("HUB_PUBLIC_URL"):
        raise SystemExit("HUB_PUBLIC_URL must be set in production: the https address parties reach the Hub at")
    env.setdefault("HUB_PUBLIC_URL", f"{scheme}://127.0.0.1:{env.get('HUB_HTTP_PORT', '8080')}")
    return asyncio.run(_run(env))


if __name__ == "__main__":
    sys.exit(main())
