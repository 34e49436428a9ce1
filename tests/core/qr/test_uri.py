"""The seed's QR formats (§5.6.2-5.6.3): evcharge:// and the HTTPS alternative, parsed and built."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.qr.uri import ConnectorRef, QrFormatError, QrUri, build, build_https, parse, parse_https, parse_standard

TARGET = ConnectorRef("VN", "ABC", "HCM-BTX-001", "EVSE-02", "2")
HOSTS = frozenset({"hub.example.com"})


def test_the_seeds_examples() -> None:
    assert parse("evcharge://VN/CPO/LOC001/EVSE-01/1") == QrUri(ConnectorRef("VN", "CPO", "LOC001", "EVSE-01", "1"))
    uri = parse("evcharge://VN/ABC/HCM-BTX-001/EVSE-02/2?network=hub")
    assert (uri.target, uri.network) == (TARGET, "hub")
    https = parse_https("https://hub.example.com/charge?cpo=ABC&loc=LOC001&evse=EVSE-01&conn=1", "VN")
    assert https.target == ConnectorRef("VN", "ABC", "LOC001", "EVSE-01", "1")


def test_ids_are_percent_encoded_and_unknown_parameters_kept() -> None:
    target = ConnectorRef("VN", "ABC", "Tram 1/A%", "E 1", "A")
    code = build(target, (("network", "hub"), ("lang", "vi")))
    assert code == "evcharge://VN/ABC/Tram%201%2FA%25/E%201/A?network=hub&lang=vi"
    assert parse(code) == QrUri(target, (("network", "hub"), ("lang", "vi")))


def test_https_form_round_trip_and_foreign_country() -> None:
    code = build_https("https://hub.example.com", TARGET, "VN")
    assert code == "https://hub.example.com/charge?cpo=ABC&loc=HCM-BTX-001&evse=EVSE-02&conn=2"
    assert parse_https(code, "VN").target == TARGET
    thai = ConnectorRef("TH", "XYZ", "L1", "E1", "1")
    assert parse_standard(build_https("https://hub.example.com", thai, "VN"), "VN", HOSTS) == QrUri(thai)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("evcharge://VN/ABC/LOC1/EVSE-1", "needs 5 parts"),
        ("evcharge://VN/ABC/LOC1/EVSE-1/1/extra", "needs 5 parts"),
        ("evcharge://vn/ABC/LOC1/EVSE-1/1", "country_code 'vn'"),  # case-sensitive
        ("evcharge://VN/ABCD/LOC1/EVSE-1/1", "party_id 'ABCD'"),
        ("evcharge://VN/ABC//EVSE-1/1", "location_id ''"),
        ("evcharge://VN/ABC/" + "L" * 37 + "/EVSE-1/1", "location_id"),
        ("evcharge://VN/ABC/LOC1/EVSE%2/1", "percent-escape"),
        ("evcharge://VN/ABC/LOC1/EVSE-1/%FF", "not UTF-8"),
        ("evcharge://VN/ABC/LOC1/E%0A/1", "printable"),
        ("evcharge://VN/ABC/LOC1/EVSE-1/1?network", "query"),
        ("EVCHARGE://VN/ABC/LOC1/EVSE-1/1", "does not start with"),
        ("evcharge://VN/ABC/LOC1/EVSE-1/" + "1" * 240, "longer than 256"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code: str, problem: str) -> None:
    with pytest.raises(QrFormatError, match=problem):
        parse(code)


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("https://hub.example.com/charge?cpo=ABC&loc=L1&evse=E1", "missing conn"),
        ("https://hub.example.com/start?cpo=ABC&loc=L1&evse=E1&conn=1", "must be https://"),
        ("https://hub.example.com/charge?cpo=abc&loc=L1&evse=E1&conn=1", "party_id 'abc'"),
    ],
)
def test_malformed_https_codes(code: str, problem: str) -> None:
    with pytest.raises(QrFormatError, match=problem):
        parse_https(code, "VN")


def test_other_text_is_not_a_standard_code() -> None:
    assert parse_standard("CPO-ABC-STATION-001-PORT-A", "VN", HOSTS) is None
    assert parse_standard("https://cpo.example.com/qr/123", "VN", HOSTS) is None


ids = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=36)
targets = st.builds(
    ConnectorRef,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=3),
    ids,
    ids,
    ids,
)
params = st.lists(st.tuples(st.sampled_from(["network", "lang", "x"]), st.text(max_size=10)), max_size=2).map(tuple)


@settings(derandomize=True, max_examples=300)
@given(targets, params)
def test_build_then_parse_is_the_identity(target: ConnectorRef, extra: tuple[tuple[str, str], ...]) -> None:
    code = build(target, extra)
    if len(code) <= 256:
        assert parse(code) == QrUri(target, extra)
    assert parse_https(build_https("https://hub.example.com", target, "VN"), "VN").target == target
