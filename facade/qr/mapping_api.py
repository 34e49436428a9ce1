"""A CPO's own QR mapping API (seed §5.6.9 option 1): POST {qr_data, scanned_at, app_id} with its API key, within a
short deadline; whatever happens becomes a CompleteQrMapping request for the core (which falls back when it failed)."""

from __future__ import annotations

import json
import logging
import time

import httpx

from facade.metrics import QR_MAPPING_API_CALLS, QR_MAPPING_API_DURATION
from facade.peers.url_policy import UrlNotAllowed, check_url
from ocpihub.qr.v1 import qr_pb2
from ocpihub.qr.v1 import qr_service_pb2 as rpc

log = logging.getLogger(__name__)


async def ask(
    http: httpx.AsyncClient, call: rpc.MappingApiCall, body: dict[str, str], *, sandbox: bool
) -> rpc.CompleteQrMappingRequest:
    """Asks the CPO's API; its latency and outcome are counted per CPO (the seed's p95 500 ms, 99.9 % available)."""
    party = f"{call.cpo.country_code}/{call.cpo.party_id}"
    start = time.perf_counter()
    done = await _ask(http, call, body, sandbox=sandbox)
    if done.failure.startswith(_REFUSED):
        outcome = "refused"  # never called: no latency to count
    else:
        QR_MAPPING_API_DURATION.labels(party).observe(time.perf_counter() - start)
        outcome = (
            "timeout" if done.timed_out else "not_found" if done.not_found else "error" if done.failure else "answered"
        )
    QR_MAPPING_API_CALLS.labels(party, outcome).inc()
    return done


_REFUSED = "its URL is not allowed"


async def _ask(
    http: httpx.AsyncClient, call: rpc.MappingApiCall, body: dict[str, str], *, sandbox: bool
) -> rpc.CompleteQrMappingRequest:
    done = rpc.CompleteQrMappingRequest(qr_data=body["qr_data"], cpo=call.cpo)
    try:
        check_url(call.url, sandbox=sandbox)
        answer = await http.post(
            call.url,
            json=body,
            headers={"Authorization": f"Bearer {call.api_key}"},
            timeout=call.deadline.ToTimedelta().total_seconds(),
            follow_redirects=False,
        )
    except UrlNotAllowed as exc:
        done.failure = f"{_REFUSED}: {exc}"
        return done
    except httpx.TimeoutException:
        done.failure, done.timed_out = "timed out", True
        return done
    except httpx.TransportError as exc:
        done.failure = f"cannot connect: {type(exc).__name__}"
        return done
    try:
        document = json.loads(answer.content)
    except (ValueError, RecursionError):  # not JSON, or nested absurdly deep
        document = None
    if not isinstance(document, dict):
        done.failure = f"HTTP {answer.status_code}, not JSON"
    elif document.get("error_code") == "QR_NOT_FOUND":
        done.not_found = True
    elif document.get("status") == "success" and isinstance(document.get("data"), dict):
        done.answer.CopyFrom(_code(document["data"]))
    else:
        done.failure = f"HTTP {answer.status_code}: {document.get('error_code') or 'no data'}"
    if done.failure:
        log.info("QR API of %s/%s failed: %s", call.cpo.country_code, call.cpo.party_id, done.failure)
    return done


def _code(data: dict[str, object]) -> qr_pb2.QrCode:
    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    return qr_pb2.QrCode(
        target=qr_pb2.QrTarget(
            country_code=text("country_code"),
            party_id=text("party_id"),
            location_id=text("location_id"),
            evse_uid=text("evse_uid"),
            connector_id=text("connector_id"),
        ),
        location_name=text("location_name"),
        connector_type=text("connector_type"),
    )
