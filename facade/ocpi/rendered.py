"""Stored objects rendered to OCPI JSON once per version, not once per pull.

Turning a protobuf Location into OCPI JSON walks every field in Python (~0.3 ms for a full location), so a page of
100 cost the facade ~28 ms of CPU. Objects change far less often than they are pulled: the encoded JSON is kept,
keyed by a hash of the object's serialized bytes (any change is a new key; the stale entry simply ages out), within a
byte budget, least recently used out first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import msgspec
from google.protobuf.message import Message

from facade.ocpi.proto_json import encode_json, from_proto

MAX_BYTES = 64 * 1024 * 1024


class RenderCache:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def render(self, message: Message) -> msgspec.Raw:
        """The message's OCPI JSON, ready to embed in a response (msgspec writes Raw as it is)."""
        # The type is part of the key: two kinds of message may serialize to the same bytes.
        key = hashlib.blake2b(message.DESCRIPTOR.full_name.encode(), digest_size=16)
        key.update(message.SerializeToString(deterministic=True))
        digest = key.digest()
        encoded = self._entries.get(digest)
        if encoded is not None:
            self._entries.move_to_end(digest)
            return msgspec.Raw(encoded)
        encoded = encode_json(from_proto(message))
        self._entries[digest] = encoded
        self._bytes += len(encoded)
        while self._bytes > self._max_bytes and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped)
        return msgspec.Raw(encoded)


# One per process: entries are keyed by content, so every app and route may share them.
RENDERED = RenderCache()
