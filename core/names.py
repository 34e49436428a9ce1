"""Parsing what every servicer receives: resource names, page tokens, "COUNTRY_CODE/PARTY_ID" references."""

from __future__ import annotations

from core.errors import InvalidArgument


def split_name(name: str, collection: str, parts: int) -> tuple[str, ...]:
    """Splits a resource name into its ids, e.g. locations/VN/ABC/LOC1 or locations/VN/ABC/LOC1/evses/E1."""
    pieces = name.split("/")
    if collection == "evses" and len(pieces) == 6 and pieces[4] == "evses":
        return (pieces[1], pieces[2], pieces[3], pieces[5])
    if len(pieces) != parts + 1 or pieces[0] != collection or not all(pieces):
        raise InvalidArgument([("name", f"{name!r} is not a {collection} resource name")])
    return tuple(pieces[1:])


def page_offset(token: str, skip: int) -> int:
    try:
        return int(token or 0) + max(skip, 0)
    except ValueError:
        raise InvalidArgument([("page_token", "is not a token this service issued")]) from None


def party_pair(text: str, field: str) -> tuple[str, str] | None:
    """ "VN/EM1" → ("VN", "EM1"); "" → None (no filter)."""
    if not text:
        return None
    parts = text.upper().split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidArgument([(field, "must be COUNTRY_CODE/PARTY_ID, e.g. VN/ABC")])
    return parts[0], parts[1]


def location_triple(text: str, field: str) -> tuple[str, str, str] | None:
    """ "VN/CPA/LOC1" → ("VN", "CPA", "LOC1"); "" → None (no filter)."""
    if not text:
        return None
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise InvalidArgument([(field, "must be COUNTRY_CODE/PARTY_ID/LOCATION_ID, e.g. VN/ABC/LOC1")])
    return parts[0].upper(), parts[1].upper(), parts[2].upper()
