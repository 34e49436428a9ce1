"""hubctl finds the operator's certificate that `make run` wrote under .hub/pki, with no flag or variable."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path

import asyncpg


async def hubctl_in(directory: Path, core_address: str, *args: str) -> tuple[int, str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hubctl", "--core", core_address, *args,
        cwd=directory, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_hubctl_run_inside_a_checkout_uses_its_operator_certificate(
    core_address: str, db: asyncpg.Pool, pki_dir: Path, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    shutil.copytree(pki_dir, checkout / ".hub" / "pki")
    (checkout / "deep" / "inside").mkdir(parents=True)
    code, stdout, stderr = await hubctl_in(checkout / "deep" / "inside", core_address, "party", "list", "--json")
    assert (code, stderr) == (0, "")
    assert json.loads(stdout) == []


async def test_without_a_certificate_hubctl_cannot_reach_the_core(
    core_address: str, db: asyncpg.Pool, tmp_path: Path
) -> None:
    code, _, stderr = await hubctl_in(tmp_path, core_address, "party", "list")
    assert code == 1
    assert "cannot reach the Hub core" in stderr
