"""The QR code formats of seed §5.6: `evcharge://{country_code}/{party_id}/{location_id}/{evse_uid}/{connector_id}?params`
and the HTTPS alternative `https://{hub}/charge?cpo={party_id}&loc={location_id}&evse={evse_uid}&conn={connector_id}`.

Case-sensitive; ids are percent-encoded (anything but unreserved characters), so any OCPI id fits; query parameters
(`network=` and any unknown one) are kept in order. `parse(build(x)) == x` for every valid connector and parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit

SCHEME = "evcharge://"
MAX_LENGTH = 256  # what a resolve request may carry (seed §5.6.9)
_COUNTRY = re.compile(r"[A-Z]{2}\Z")
_PARTY = re.compile(r"[A-Z0-9]{1,3}\Z")
_ESCAPES = re.compile(r"%(?![0-9A-Fa-f]{2})")
# OCPI ids are CiString(36): printable ASCII.
_ID = re.compile(r"[\x20-\x7e]{1,36}\Z")
_ID_NAMES = ("location_id", "evse_uid", "connector_id")


class QrFormatError(ValueError):
    """Not a well-formed code; the message says what is wrong (QR_INVALID_FORMAT)."""


@dataclass(frozen=True, slots=True)
class ConnectorRef:
    country_code: str
    party_id: str
    location_id: str
    evse_uid: str
    connector_id: str


@dataclass(frozen=True, slots=True)
class QrUri:
    target: ConnectorRef
    # Query parameters in their order, `network` included.
    params: tuple[tuple[str, str], ...] = ()

    @property
    def network(self) -> str | None:
        return next((value for name, value in self.params if name == "network"), None)


def check(target: ConnectorRef) -> ConnectorRef:
    if not _COUNTRY.match(target.country_code):
        raise QrFormatError(f"country_code {target.country_code!r} must be 2 upper-case letters (ISO 3166-1)")
    if not _PARTY.match(target.party_id):
        raise QrFormatError(f"party_id {target.party_id!r} must be 1 to 3 upper-case letters or digits")
    for name in _ID_NAMES:
        value = getattr(target, name)
        if not _ID.match(value):
            raise QrFormatError(f"{name} {value!r} must be 1 to 36 printable ASCII characters")
    return target


def _encode(value: str) -> str:
    return quote(value, safe="-._~")


def build(target: ConnectorRef, params: tuple[tuple[str, str], ...] = ()) -> str:
    check(target)
    ids = (target.country_code, target.party_id, target.location_id, target.evse_uid, target.connector_id)
    uri = SCHEME + "/".join(_encode(part) for part in ids)
    return f"{uri}?{urlencode(params, quote_via=quote, safe='-._~')}" if params else uri


def _decode(segment: str, name: str) -> str:
    if _ESCAPES.search(segment):
        raise QrFormatError(f"{name}: '%' must start a percent-escape such as %2F")
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise QrFormatError(f"{name}: its percent-escapes are not UTF-8") from None


def _query(text: str) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    if _ESCAPES.search(text):
        raise QrFormatError("query: '%' must start a percent-escape")
    try:
        return tuple(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise QrFormatError(f"query: {exc}") from None


def parse(text: str) -> QrUri:
    """An evcharge:// code; raises QrFormatError naming what is wrong."""
    if len(text) > MAX_LENGTH:
        raise QrFormatError(f"longer than {MAX_LENGTH} characters")
    if not text.startswith(SCHEME):
        raise QrFormatError(f"does not start with {SCHEME}")
    path, _, query = text[len(SCHEME) :].partition("?")
    segments = path.split("/")
    if len(segments) != 5:
        raise QrFormatError(
            f"needs 5 parts after {SCHEME} (country_code/party_id/location_id/evse_uid/connector_id),"
            f" got {len(segments)}"
        )
    names = ("country_code", "party_id", *_ID_NAMES)
    values = [_decode(segment, name) for segment, name in zip(segments, names, strict=True)]
    return QrUri(check(ConnectorRef(*values)), _query(query))


def build_https(hub_url: str, target: ConnectorRef, hub_country: str, params: tuple[tuple[str, str], ...] = ()) -> str:
    """The HTTPS alternative; `cc` is added only when the country is not the Hub's (the seed's form has none)."""
    check(target)
    query = [("cpo", target.party_id), ("loc", target.location_id), ("evse", target.evse_uid)]
    query.append(("conn", target.connector_id))
    if target.country_code != hub_country:
        query.append(("cc", target.country_code))
    return f"{hub_url.rstrip('/')}/charge?{urlencode([*query, *params], quote_via=quote, safe='-._~')}"


def hub_hosts(setting: str) -> frozenset[str]:
    """HUB_QR_HOSTS: comma-separated `host` (any port) or `host:port` entries, compared case-insensitively."""
    hosts = frozenset(entry.strip().lower().rstrip(".") for entry in setting.split(",") if entry.strip())
    if not hosts:
        raise ValueError("names no host")
    return hosts


def _on_hub_host(parts: SplitResult, hosts: frozenset[str]) -> bool:
    """Whether a URL is on one of the Hub's hosts: by name (any port), or by name and port where the entry has one."""
    try:
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:  # a port that is not a number
        return False
    return bool(host) and (host in hosts or (port is not None and f"{host}:{port}" in hosts))


def _split(text: str) -> SplitResult | None:
    try:
        return urlsplit(text)
    except ValueError:  # e.g. "https://[abc/…", an unclosed IPv6 bracket: no URL at all, let alone the Hub's
        return None


def _is_charge_url(parts: SplitResult) -> bool:
    return parts.scheme in ("https", "http") and parts.path.rstrip("/") == "/charge"


def parse_https(text: str, default_country: str, hosts: frozenset[str] | None = None) -> QrUri:
    """https://{hub}/charge?cpo=…&loc=…&evse=…&conn=…[&cc=…]; other parameters are kept. With `hosts`, {hub} must be
    one of them: the same URL on another host is somebody else's code."""
    if len(text) > MAX_LENGTH:
        raise QrFormatError(f"longer than {MAX_LENGTH} characters")
    parts = _split(text)
    if parts is None or not _is_charge_url(parts):
        raise QrFormatError("an HTTPS code must be https://{hub}/charge?cpo=…&loc=…&evse=…&conn=…")
    if hosts is not None and not _on_hub_host(parts, hosts):
        raise QrFormatError(f"{parts.netloc!r} is not one of the Hub's hosts")
    fields = {"cc": default_country, "cpo": "", "loc": "", "evse": "", "conn": ""}
    extra: list[tuple[str, str]] = []
    for name, value in _query(parts.query):
        if name in fields:
            fields[name] = value
        else:
            extra.append((name, value))
    missing = [name for name in ("cpo", "loc", "evse", "conn") if not fields[name]]
    if missing:
        raise QrFormatError(f"missing {', '.join(missing)}")
    target = ConnectorRef(fields["cc"], fields["cpo"], fields["loc"], fields["evse"], fields["conn"])
    return QrUri(check(target), tuple(extra))


def parse_standard(text: str, default_country: str, hosts: frozenset[str]) -> QrUri | None:
    """Either standard form, or None when the text is neither (then it may be a CPO's own code).

    An HTTPS code is the Hub's only on one of `hosts` (HUB_QR_HOSTS): a CPO's own sticker may well be an
    https://its-host/charge?… URL, and must not be read as pointing at whatever its parameters happen to name.
    """
    if text.startswith(SCHEME):
        return parse(text)
    if text.startswith(("https://", "http://")):
        parts = _split(text)
        if parts is not None and _is_charge_url(parts) and _on_hub_host(parts, hosts):
            return parse_https(text, default_country)
    return None
