"""Password hashing for dashboard accounts: argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile:
t=3, m=64 MiB, p=4). Hashing is CPU- and memory-bound on purpose, so it runs in a thread, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified when the e-mail is unknown, so an unknown e-mail costs what a wrong password costs (no timing oracle).
_DUMMY_HASH = _HASHER.hash("not the password of anyone at all")

MIN_LENGTH = 12
# A longer "password" is a request to burn the core's CPU.
MAX_LENGTH = 1024


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, password)


async def verify(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash (unknown account) is checked against a dummy and is False."""

    def check() -> bool:
        try:
            return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def needs_rehash(password_hash: str) -> bool:
    """After a successful sign-in: the hash was made with weaker parameters than today's (then it is redone)."""
    return _HASHER.check_needs_rehash(password_hash)
