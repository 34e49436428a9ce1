"""Issue 16, point 9: a CPO's mapping API and registry answer only codes in its own namespace. A prefix is required,
and may not equal, start, or start with another CPO's, nor cover another CPO's registry codes; an empty prefix
stored before this rule claims nothing, so other CPOs' registries keep resolving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from hubclient import HubError
from ocpihub.qr.v1 import qr_service_pb2 as qr_rpc
from ocpihub.types.v1 import types_pb2
from simulators import loopback
from simulators.qr_api import QrApiSimulator
from tests.e2e import samples
from tests.e2e.conftest import Hub, Network
from tests.e2e.test_qr_resolve import CPA, LOC1, api_data, error_of, registry_csv, resolve

CPB = types_pb2.PartyRef(country_code="VN", party_id="CPB", role="CPO")


@pytest.fixture
async def located(hub_http: Hub, network: Network) -> Network:
    answer = await hub_http.http.put(LOC1, json=samples.location(), headers=network.cpo_headers())
    assert answer.json()["status_code"] == 1000
    return network


@pytest.fixture
async def cpb_api() -> AsyncIterator[QrApiSimulator]:
    """VN/CPB's mapping API: it would answer every code with a connector of its own, if asked."""
    sim = QrApiSimulator(api_key="cpb-key")
    sock = loopback.bind_loopback()
    sim.base_url = loopback.url_of(sock)
    async with loopback.serve(sim.app(), sock):
        yield sim


async def import_registry(hub_http: Hub, cpo: types_pb2.PartyRef, *rows: tuple[str, ...]) -> Any:
    return await hub_http.core.import_qr_registry(
        qr_rpc.ImportQrRegistryRequest(cpo=cpo, format=qr_rpc.REGISTRY_FORMAT_CSV, content=registry_csv(*rows))
    )


async def set_api(hub_http: Hub, cpo: types_pb2.PartyRef, sim: QrApiSimulator, prefix: str) -> None:
    await hub_http.core.set_qr_mapping_api(
        qr_rpc.SetQrMappingApiRequest(cpo=cpo, url=sim.url, api_key=sim.api_key, code_prefix=prefix)
    )


async def refused_prefix(hub_http: Hub, cpo: types_pb2.PartyRef, sim: QrApiSimulator, prefix: str) -> str:
    with pytest.raises(HubError) as refused:
        await set_api(hub_http, cpo, sim, prefix)
    assert refused.value.field_violations and refused.value.field_violations[0][0] == "code_prefix"
    return refused.value.field_violations[0][1]


async def test_an_empty_prefix_is_refused_and_other_registries_keep_resolving(
    hub_http: Hub, located: Network, cpb_api: QrApiSimulator
) -> None:
    imported = await import_registry(hub_http, CPA, ("CPA-0001", "VN", "CPA", "LOC1", "LOC1-E1", "1", "", "", ""))
    assert imported.imported == 1
    assert "required" in await refused_prefix(hub_http, CPB, cpb_api, "")
    assert "required" in await refused_prefix(hub_http, CPB, cpb_api, "  ")

    answer = await resolve(hub_http, located, "CPA-0001")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["data"]["evse_uid"] == "LOC1-E1"
    assert cpb_api.received == []


async def test_an_empty_prefix_stored_before_claims_nothing(
    hub_http: Hub, located: Network, cpb_api: QrApiSimulator, db: asyncpg.Pool
) -> None:
    """A Hub upgraded with such a row in qr_sources: CPB's API is asked about no code, CPA's registry answers."""
    await import_registry(hub_http, CPA, ("CPA-0001", "VN", "CPA", "LOC1", "LOC1-E1", "1", "", "", ""))
    await set_api(hub_http, CPB, cpb_api, "CPB-")
    await db.execute("UPDATE qr_sources SET api_code_prefix = '' WHERE party_id = 'CPB'")
    # Asked, CPB's API would say it knows no CPA-0001 (QR_NOT_FOUND), and answer CPA-9999.
    cpb_api.codes["CPA-9999"] = api_data(evse_uid="LOC1-E2")

    answer = await resolve(hub_http, located, "CPA-0001")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["data"]["evse_uid"] == "LOC1-E1"
    assert error_of(await resolve(hub_http, located, "CPA-9999")) == (404, "QR_NOT_FOUND")
    assert cpb_api.received == []


async def test_prefixes_do_not_overlap(hub_http: Hub, located: Network, cpb_api: QrApiSimulator) -> None:
    cpa_api = QrApiSimulator()
    sock = loopback.bind_loopback()
    cpa_api.base_url = loopback.url_of(sock)
    async with loopback.serve(cpa_api.app(), sock):
        await set_api(hub_http, CPA, cpa_api, "CPA-")
        for prefix in ("CPA-", "CP", "CPA-B-"):
            assert "'CPA-', the code prefix of VN/CPA" in await refused_prefix(hub_http, CPB, cpb_api, prefix)
        await set_api(hub_http, CPB, cpb_api, "CPB-")
        await set_api(hub_http, CPA, cpa_api, "CPA-")  # its own prefix again: no conflict with itself

        cpa_api.codes["CPA-7"] = api_data()
        cpb_api.codes["CPA-7"] = cpb_api.codes["CPB-7"] = api_data(evse_uid="LOC1-E2")
        assert (await resolve(hub_http, located, "CPA-7")).json()["data"]["evse_uid"] == "LOC1-E1"
        # CPB's API is asked about CPB's codes only, and may answer only with CPB's connectors.
        assert [body["qr_data"] for _, body in cpb_api.received] == []
        assert error_of(await resolve(hub_http, located, "CPB-7")) == (504, "API_TIMEOUT")
        assert [body["qr_data"] for _, body in cpb_api.received] == ["CPB-7"]


async def test_registries_and_prefixes_stay_apart(hub_http: Hub, located: Network, cpb_api: QrApiSimulator) -> None:
    await import_registry(hub_http, CPA, ("OLD-1", "VN", "CPA", "LOC1", "LOC1-E1", "1", "", "", ""))
    assert "'OLD-1', a code in the registry of VN/CPA" in await refused_prefix(hub_http, CPB, cpb_api, "OLD")
    await set_api(hub_http, CPB, cpb_api, "CPB-")

    refused = await import_registry(
        hub_http,
        CPA,
        ("OLD-1", "VN", "CPA", "LOC1", "LOC1-E1", "1", "", "", ""),
        ("CPB-42", "VN", "CPA", "LOC1", "LOC1-E2", "1", "", "", ""),
    )
    assert refused.imported == 0
    assert [(p.row, p.qr_code) for p in refused.problems] == [(2, "CPB-42")]
    assert "code prefix of VN/CPB" in refused.problems[0].problem
    assert (await resolve(hub_http, located, "OLD-1")).json()["data"]["evse_uid"] == "LOC1-E1"
