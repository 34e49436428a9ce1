"""Hypothesis strategies for bad requests: valid OCPI bodies with one thing broken, bytes that are not JSON at all, odd
path segments, junk query strings and headers that lie.

Most requests are close to valid (the right caller, the right shape with a few fields broken) so they get past
authentication and parsing into the code behind it; the rest are plain garbage for the front door.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.e2e import samples
from tests.fuzz.endpoints import Endpoint

# --- JSON values ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Raw:
    """JSON text written as is: numbers Python's json would never write (1e999), or nesting too deep to recurse."""

    text: str


def encode(value: Any) -> str:
    """JSON text of `value`; Raw parts verbatim, NaN/Infinity as the bare words some encoders emit."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{encode(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(item) for item in value) + "]"
    return json.dumps(value, allow_nan=True)


def nested(depth: int) -> Raw:
    return Raw('{"a":' * depth + "1" + "}" * depth) if depth % 2 else Raw("[" * depth + "]" * depth)


NUMBERS_AS_TEXT = st.sampled_from(
    ["1e999", "-1e999", "1e-999", "NaN", "Infinity", "-Infinity", "1E+308", "-0", "0.1e1", "9" * 400, "1" + "0" * 40]
).map(Raw)
ODD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\n",
        "\u202e",
        "\ud7ff",
        "💥",
        "Đà Nẵng",
        "2026-02-30T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2026-11-01T08:00:00+07:00",
        "available",
        "../../etc/passwd",
        "http://127.0.0.1:1/",
        "'; DROP TABLE locations; --",
        "%s%s%n",
        "${jndi:ldap://x}",
    ]
)
# Just past what int32/int64 columns and messages hold: valid JSON numbers a schema checking types lets through.
INT_LIMITS = st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63, 99_999_999_999])
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
HUGE_STRINGS = st.sampled_from([256, 5_001, 70_000]).map(lambda n: "Ω" * n)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    ODD_STRINGS,
    NUMBERS_AS_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
# Wrong types and wrong values for a field that had a good one.
JUNK = st.one_of(
    SCALARS,
    JSON_VALUES,
    HUGE_STRINGS,
    st.sampled_from([200, 2_000]).map(nested),
    st.just([]),
    st.just({}),
)

# --- Bodies --------------------------------------------------------------------------------------------------------

LAST_UPDATED = "2026-11-01T08:00:00Z"
PROFILE = {"charging_rate_unit": "W", "charging_profile_period": [{"start_period": 0, "limit": 11000.0}]}
RESPONSE_URL = "http://127.0.0.1:9/results"


def seed_body(endpoint: Endpoint) -> dict[str, Any]:
    """A valid body for the endpoint, for mutations to break; {} where the endpoint is not known here."""
    template, depth = endpoint.template, endpoint.template.count("{")
    if endpoint.method == "PATCH":
        return {"last_updated": LAST_UPDATED, "status": "AVAILABLE", "name": "x", "kwh": 1, "valid": False}
    if "/receiver/locations/" in template:
        return [samples.location(), samples.evse("LOC1-E1"), samples.connector()][depth - 3]
    seeds: list[tuple[str, dict[str, Any]]] = [
        ("/receiver/tariffs/", samples.time_based_tariff()),
        ("/receiver/sessions/", samples.session()),
        ("/receiver/cdrs", samples.cdr()),
        ("/receiver/tokens/", samples.token()),
        ("/authorize", {"location_id": "LOC1", "evse_uids": ["LOC1-E1"]}),
        (
            "/receiver/commands/",
            {
                "response_url": RESPONSE_URL,
                "token": samples.token(),
                "location_id": "LOC1",
                "evse_uid": "LOC1-E1",
                "connector_id": "1",
                "session_id": "S1",
                "reservation_id": "R1",
                "expiry_date": "2026-11-01T09:00:00Z",
            },
        ),
        ("/sender/commands/", {"result": "ACCEPTED"}),
        ("/receiver/chargingprofiles/", {"charging_profile": PROFILE, "response_url": RESPONSE_URL}),
        ("/sender/chargingprofiles/results/", {"result": "ACCEPTED"}),
        ("/sender/chargingprofiles/", {"start_date_time": LAST_UPDATED, "charging_profile": PROFILE}),
        (
            "/credentials",
            {
                "token": "fuzz-token",
                "url": "http://127.0.0.1:9/ocpi/versions",
                "roles": [
                    {
                        "role": "EMSP",
                        "business_details": {"name": "Fuzz"},
                        "party_id": "EM2",
                        "country_code": "VN",
                    }
                ],
            },
        ),
        ("/qr-resolve", {"qr_data": "https://hub.example/charge?cpo=VN*CPA&loc=LOC1", "scanned_at": LAST_UPDATED}),
    ]
    return next((copy.deepcopy(body) for marker, body in seeds if marker in template), {})


def _slots(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in a JSON value, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((value, key))
        _slots(item, found)
    return found


def _same_type_junk(value: Any) -> st.SearchStrategy[Any]:
    """A value of the same JSON type that a schema checking types alone lets through."""
    if isinstance(value, bool):
        return st.just(not value)
    if isinstance(value, str):
        return st.one_of(ODD_STRINGS, TEXT, HUGE_STRINGS, st.just(value + "\x00"), st.just(value.lower()))
    if isinstance(value, int | float):
        return st.one_of(NUMBERS_AS_TEXT, INT_LIMITS, st.integers(min_value=-(2**70), max_value=2**70), st.just(-value))
    if isinstance(value, list):
        return st.just([]) if not value else st.just(value * 50)
    return st.just({})


@st.composite
def mutated(draw: st.DrawFn, seed: dict[str, Any]) -> Any:
    """The seed with one to three fields replaced by junk (of any type, or of the field's own), removed, or junk
    fields added."""
    body = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        slots = _slots(body, [])
        if not slots:
            body[draw(TEXT)] = draw(JUNK)
            continue
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["same type", "same type", "any type", "any type", "remove", "add"]))
        if action == "remove":
            del container[key]
        elif action == "add" and isinstance(container, dict):
            container[draw(TEXT)] = draw(JUNK)
        elif action == "same type":
            container[key] = draw(_same_type_junk(container[key]))
        else:
            container[key] = draw(JUNK)
    return body


def _breaking(text: bytes, bad: bytes) -> bytes:
    """JSON text with `bad` put inside its first string value (or replacing it all when it has none)."""
    head, quote_mark, tail = text.partition(b'":"')
    return head + quote_mark + bad + tail if quote_mark else bad


BODY_KINDS = ["seed", "random object", "wrong top level", "empty", "bytes", "invalid utf-8", "nul", "truncated", "deep"]


@st.composite
def bodies(draw: st.DrawFn, endpoint: Endpoint) -> bytes | None:
    seed = seed_body(endpoint)
    valid_ish = encode(draw(mutated(seed))).encode()
    choice = draw(st.sampled_from(["mutated"] * 8 + BODY_KINDS))
    if choice == "mutated":
        return valid_ish
    if choice == "seed":
        return encode(seed).encode()
    if choice == "random object":
        return encode(draw(st.dictionaries(TEXT, JSON_VALUES, max_size=6))).encode()
    if choice == "wrong top level":
        return encode(draw(st.one_of(SCALARS, st.lists(JSON_VALUES, max_size=3)))).encode()
    if choice == "empty":
        return draw(st.sampled_from([b"", b" ", b"\r\n", b"null"]))
    if choice == "bytes":
        return draw(st.binary(max_size=64))
    if choice == "invalid utf-8":
        return _breaking(valid_ish, draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])))
    if choice == "nul":
        return _breaking(valid_ish, draw(st.sampled_from([b"\\u0000", b"\x00", b"a\\u0000b"])))
    if choice == "truncated":
        return valid_ish[: draw(st.integers(0, max(0, len(valid_ish) - 1)))]
    return encode(nested(draw(st.sampled_from([1_000, 100_000])))).encode()


# --- URLs ----------------------------------------------------------------------------------------------------------


@st.composite
def _mostly(draw: st.DrawFn, good: Any, bad: st.SearchStrategy[Any]) -> Any:
    """`good` four times in five: most requests must get past the front door to test what is behind it."""
    return draw(bad) if draw(st.integers(0, 4)) == 0 else good


# Ids of the objects the Hub holds when fuzzing starts (tests/fuzz/conftest.py), first: requests reach them.
GOOD_SEGMENTS = {
    "country_code": ["VN", "vn", "NL"],
    "party_id": ["CPA", "EM1", "em2", "HUB"],
    "location_id": ["LOC1", "loc1", "LOC2"],
    "evse_uid": ["LOC1-E1", "LOC1-E9"],
    "connector_id": ["1", "9"],
    "tariff_id": ["TARIFF-AC", "T2"],
    "session_id": ["S1", "S2"],
    "cdr_id": ["CDR1", "CDR2"],
    "uid": ["RFID-0001", "RFID-0002"],
    "command": ["START_SESSION", "stop_session", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR", "X"],
    "command_id": ["00000000-0000-0000-0000-000000000000", "1"],
}
ODD_SEGMENTS = st.one_of(
    st.sampled_from(["%2F", "a%2Fb", "%00", "a%00b", "%FF", "%C3%28", "%25", "..", "%2E%2E", "%20", "%0A"]),
    st.sampled_from(["%E2%80%AE", "%F0%9F%94%8C", "%C4%90%C3%A0"]),  # right-to-left override, emoji, Vietnamese
    TEXT.filter(bool).map(lambda text: quote(text, safe="")),
    st.sampled_from([37, 65, 300, 4_000]).map(lambda n: "A" * n),
)


def segments(name: str) -> st.SearchStrategy[str]:
    good = GOOD_SEGMENTS.get(name, ["x"])
    return _mostly(good[0], st.one_of(st.sampled_from(good), ODD_SEGMENTS))


QUERY_NAMES = ["offset", "limit", "date_from", "date_to", "type", "duration", "response_url", "cpo", "loc", "evse"]
QUERY_VALUES = st.one_of(
    st.sampled_from(
        [
            "0",
            "10",
            "-1",
            "abc",
            "1e3",
            "99999999999999999999999",
            "2147483648",
            "\uff11",  # fullwidth 1: int() takes it
            "²",
            "0x10",
            "2026-11-01T08:00:00Z",
            "2026-02-30T00:00:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z",
            "RFID",
            "rfid",
            "APP_USER",
            "900",
            "http://127.0.0.1:9/cb",
            "file:///etc/passwd",
            "http://169.254.169.254/latest",
            "VN*CPA",
        ]
    ),
    TEXT,
    HUGE_STRINGS.map(lambda text: text[:1_000]),  # URLs stay under httpx's 64 KiB
)


@st.composite
def queries(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), QUERY_VALUES), max_size=4))
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)
    odd = draw(st.sampled_from(["", "", "", "&&=&", "%", "%FF=%FF", "a=%00", "offset=1&offset=x", ";;"]))
    return "&".join(part for part in (query, odd) if part)


# --- Headers -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    token: str
    country_code: str
    party_id: str


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@st.composite
def authorizations(draw: st.DrawFn, party: Party) -> bytes | None:
    good = f"Token {_b64(party.token)}"
    odd = [
        None,
        "",
        "Token",
        "Token ",
        f"token {_b64(party.token)}",
        f"Token {party.token}",
        f"Token  {_b64(party.token)}",
        f"Bearer {_b64(party.token)}",
        f"Token {_b64(party.token + chr(10))}",
        f"Token {_b64(party.token)[:-2]}",
        f"Token {_b64('x' * 10_000)}",
        f"Token {_b64(chr(0))}",
        "Token " + "A" * 6_000,
        "Token ====",
        f"Token {_b64(party.token)} extra",
    ]
    value = draw(st.one_of(st.just(good), st.just(good), st.just(good), st.sampled_from(odd)))
    if value is None:
        return None
    value = value.strip()  # HTTP/1.1 itself cannot carry a value with outer whitespace
    if draw(st.integers(0, 20)) == 0:
        return value.encode() + b"\xe9"  # latin-1 bytes no ASCII decoder expects
    return value.encode()


ROUTING_VALUES = st.one_of(
    st.sampled_from(["", "V", "VNN", "1A", "v n", "Vé", "ZZ", "ZZZ", "HUB", "CPA", "EM1", "EM2", "NL", "A" * 300]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=5),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "*/*",
        "json",
    ]
)


@st.composite
def header_sets(draw: st.DrawFn, party: Party, others: list[Party]) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = []
    authorization = draw(authorizations(party))
    if authorization is not None:
        headers.append((b"Authorization", authorization))
    sender = draw(_mostly((party.country_code, party.party_id), st.sampled_from([None, ("VN", "EM2"), ("ZZ", "Z")])))
    # To the Hub (its store), nobody (open routing), or another party (forwarded to its simulator).
    targets = [("VN", "HUB"), None, *[(other.country_code, other.party_id) for other in others], ("ZZ", "ZZZ")]
    receiver = draw(st.sampled_from(targets))
    routing = {}
    if sender:
        routing |= {"OCPI-from-country-code": sender[0], "OCPI-from-party-id": sender[1]}
    if receiver:
        routing |= {"OCPI-to-country-code": receiver[0], "OCPI-to-party-id": receiver[1]}
    for name, good in routing.items():
        value = draw(_mostly(good, st.one_of(st.none(), ROUTING_VALUES)))
        if value is not None:  # HTTP/1.1 itself cannot carry a value with outer whitespace
            headers.append((name.encode(), value.strip(" \t").encode("latin-1")))
    request_id = draw(st.one_of(st.none(), st.just("req-1"), st.sampled_from([1_000, 7_000]).map(lambda n: "r" * n)))
    if request_id is not None:
        headers.append((b"X-Request-ID", request_id.encode()))
    content_type = draw(CONTENT_TYPES)
    if content_type is not None:
        headers.append((b"Content-Type", content_type.encode()))
    return headers


# --- Requests ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FuzzRequest:
    endpoint: Endpoint
    method: str
    url: str
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes | None = None

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example: short enough to read
        body = self.body if self.body is None or len(self.body) < 400 else self.body[:400] + b"..."
        headers = [(name, value if len(value) < 200 else value[:200] + b"...") for name, value in self.headers]
        url = self.url if len(self.url) < 400 else self.url[:400] + "..."
        return f"FuzzRequest({self.method} {url}, headers={headers!r}, body={body!r})"


# Who owns the objects behind an endpoint (the caller that gets furthest): eMSPs own tokens and send commands and
# charging profiles, and pull their sessions and CDRs; CPOs own the rest.
EMSP_PATHS = ("/receiver/tokens", "/receiver/commands", "/receiver/chargingprofiles", "/sender/sessions")
EMSP_PATHS += ("/sender/cdrs",)


def owner_role(endpoint: Endpoint) -> str:
    return "EMSP" if any(part in endpoint.template for part in EMSP_PATHS) else "CPO"


@st.composite
def requests(draw: st.DrawFn, endpoints: list[Endpoint], parties: dict[str, Party]) -> FuzzRequest:
    """`parties` by role ("CPO", "EMSP"): the caller is mostly the endpoint's owner, and the path names it."""
    endpoint = draw(st.sampled_from(endpoints))
    owner = parties[owner_role(endpoint)]
    party = draw(_mostly(owner, st.sampled_from(list(parties.values()))))
    others = [other for other in parties.values() if other != party]
    path = endpoint.template
    own = {"country_code": party.country_code, "party_id": party.party_id}
    for name in endpoint.params:
        segment = _mostly(own[name], segments(name)) if name in own else segments(name)
        path = path.replace("{" + name + "}", draw(segment), 1)
    query = draw(queries())
    has_body = endpoint.method in ("PUT", "PATCH", "POST") or draw(st.integers(0, 9)) == 0
    return FuzzRequest(
        endpoint=endpoint,
        method=endpoint.method,
        url=f"{path}?{query}" if query else path,
        headers=draw(header_sets(party, others)),
        body=draw(bodies(endpoint)) if has_body else None,
    )
