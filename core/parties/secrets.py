"""Tokens the Hub mints (stored only as hashes) and tokens it must present to parties (stored encrypted)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def mint_token() -> str:
    """A fresh TOKEN_A / TOKEN_C: UUID4 text, the form the seed recommends and every OCPI peer accepts."""
    return str(uuid.uuid4())


def token_hash(token: str) -> bytes:
    # Hub tokens carry 122 random bits, so an unsalted hash cannot be reversed and stays usable as a lookup key.
    return hashlib.sha256(token.encode()).digest()


_MAX_CLEAR = 4096


class TokenVault:
    """Encrypts the parties' tokens at rest. The first key encrypts; every key decrypts (key rotation)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        # Every delivery needs its receiver's TOKEN_B, and decrypting one costs ~60 µs: the few platforms' tokens are
        # kept in clear in memory (where each is anyway while in use), never on disk or in a log.
        self._clear: dict[bytes, str] = {}

    def encrypt(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def reencrypt(self, ciphertext: bytes) -> bytes:
        """The same token under the newest key (HUB_TOKEN_KEYS' first), so older keys can be retired."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken as exc:
            raise RuntimeError("stored party token cannot be decrypted with the configured HUB_TOKEN_KEYS") from exc

    def decrypt(self, ciphertext: bytes) -> str:
        if (clear := self._clear.get(ciphertext)) is not None:
            return clear
        try:
            clear = self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise RuntimeError("stored party token cannot be decrypted with the configured HUB_TOKEN_KEYS") from exc
        if len(self._clear) >= _MAX_CLEAR:
            self._clear.clear()
        self._clear[ciphertext] = clear
        return clear
