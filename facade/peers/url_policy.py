"""Which party-supplied URLs the Hub will call (SSRF guard).

Production: HTTPS only, never to loopback, private, link-local or otherwise internal addresses.
Sandbox: HTTPS anywhere, or plain HTTP to loopback only (simulators on the operator's own machine).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UrlNotAllowed(ValueError):
    pass


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Resolvers also take 127.1, 2130706433, 0x7f.0.0.1 or 0177.0.0.1 for an IPv4 address: read them the same way.
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_loopback(host: str) -> bool:
    address = _ip(host)
    return host == "localhost" or host.endswith(".localhost") or (address is not None and address.is_loopback)


def _is_internal(host: str) -> bool:
    address = _ip(host)
    if address is None:
        return _is_loopback(host)
    return not address.is_global or address.is_multicast


def check_url(url: str, *, sandbox: bool) -> None:
    """Raises UrlNotAllowed with a reason a party can act on."""
    if len(url) > 255:
        raise UrlNotAllowed(f"URL is longer than 255 characters: {url[:60]}…")
    parts = urlsplit(url)
    # A trailing dot is the same host (fully qualified): "localhost." is still loopback.
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise UrlNotAllowed(f"{url!r} is not an absolute http(s) URL")
    if parts.username or parts.password:
        raise UrlNotAllowed(f"{url!r} must not carry credentials")
    if sandbox:
        if parts.scheme == "http" and not _is_loopback(host):
            raise UrlNotAllowed(f"{url!r}: plain http is allowed in the sandbox only on loopback; use https")
        return
    if parts.scheme != "https":
        raise UrlNotAllowed(f"{url!r}: production parties must use https")
    if _is_internal(host):
        raise UrlNotAllowed(f"{url!r} points at an internal address")
