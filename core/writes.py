"""OCPI write semantics shared by every module the Hub stores: PUT replaces, PATCH merges, older writes lose."""

from __future__ import annotations

import json
from typing import TypeVar

from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message

from ocpihub.types.v1 import types_pb2

M = TypeVar("M", bound=Message)

CREATED = types_pb2.WRITE_RESULT_CREATED
UPDATED = types_pb2.WRITE_RESULT_UPDATED
UNCHANGED = types_pb2.WRITE_RESULT_UNCHANGED
STALE = types_pb2.WRITE_RESULT_STALE


def apply(stored: M | None, incoming: M, mask: FieldMask | None) -> M:
    """PUT replaces; PATCH overwrites the masked fields (lists and objects whole) and merges unknown fields."""
    if stored is None or mask is None:
        result = type(incoming)()
        result.CopyFrom(incoming)
        return result
    result = type(stored)()
    result.CopyFrom(stored)
    paths = [p for p in mask.paths if p != "extensions_json"]
    FieldMask(paths=paths).MergeMessage(incoming, result, replace_message_field=True, replace_repeated_field=True)
    extensions = getattr(incoming, "extensions_json", "")
    if extensions:
        merged = json.loads(getattr(stored, "extensions_json", "") or "{}") | json.loads(extensions)
        result.extensions_json = json.dumps(merged)  # type: ignore[attr-defined]
    return result


def is_stale(stored: Message, incoming: Message) -> bool:
    return incoming.last_updated.ToDatetime() < stored.last_updated.ToDatetime()  # type: ignore[attr-defined]
