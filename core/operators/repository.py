"""SQL of dashboard accounts and of their sign-in attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

_COLUMNS = "email, role, password_hash, created_by, create_time, disable_time, last_sign_in_time"


@dataclass(frozen=True, slots=True)
class Account:
    email: str
    role: str  # admin, operator or analyst
    password_hash: str
    created_by: str
    create_time: datetime
    disable_time: datetime | None
    last_sign_in_time: datetime | None

    @property
    def disabled(self) -> bool:
        return self.disable_time is not None


@dataclass(frozen=True, slots=True)
class Attempt:
    allowed: bool  # False: the e-mail is locked, the password must not even be checked
    locks: bool  # this attempt, if it fails, is the one that locks the e-mail
    locked_until: datetime | None


def _from_row(row: asyncpg.Record) -> Account:
    return Account(**dict(row))


class OperatorRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, email: str, role: str, password_hash: str, created_by: str) -> Account | None:
        """None when the e-mail already has an account."""
        row = await self._conn.fetchrow(
            "INSERT INTO operators (email, role, password_hash, created_by) VALUES ($1, $2, $3, $4)"
            f" ON CONFLICT (email) DO NOTHING RETURNING {_COLUMNS}",
            email,
            role,
            password_hash,
            created_by,
        )
        return _from_row(row) if row else None

    async def get(self, email: str) -> Account | None:
        row = await self._conn.fetchrow(f"SELECT {_COLUMNS} FROM operators WHERE email = $1", email)
        return _from_row(row) if row else None

    async def list(self) -> list[Account]:
        return [_from_row(row) for row in await self._conn.fetch(f"SELECT {_COLUMNS} FROM operators ORDER BY email")]

    async def disable(self, email: str) -> Account | None:
        """Disables the account (kept as it was when already disabled); None when there is none."""
        row = await self._conn.fetchrow(
            f"UPDATE operators SET disable_time = coalesce(disable_time, now()) WHERE email = $1 RETURNING {_COLUMNS}",
            email,
        )
        return _from_row(row) if row else None

    async def signed_in(self, email: str, new_hash: str | None) -> None:
        await self._conn.execute(
            "UPDATE operators SET last_sign_in_time = now(), password_hash = coalesce($2, password_hash)"
            " WHERE email = $1",
            email,
            new_hash,
        )
        await self._conn.execute("DELETE FROM operator_sign_in_attempts WHERE email = $1", email)

    async def attempt(self, email: str, max_failures: int, window: timedelta, lock: timedelta) -> Attempt:
        """Counts a sign-in attempt as a failure before its password is checked (a success deletes the count), so
        concurrent guesses cannot exceed `max_failures` per `window`; reaching it locks the e-mail for `lock`.
        Call inside a transaction: the row is locked until it ends."""
        await self._conn.execute(
            "INSERT INTO operator_sign_in_attempts (email) VALUES ($1) ON CONFLICT (email) DO NOTHING", email
        )
        row = await self._conn.fetchrow(
            "SELECT failures, window_start, locked_until, now() AS now FROM operator_sign_in_attempts"
            " WHERE email = $1 FOR UPDATE",
            email,
        )
        now: datetime = row["now"]
        if row["locked_until"] is not None and row["locked_until"] > now:
            return Attempt(allowed=False, locks=False, locked_until=row["locked_until"])
        failures, window_start = row["failures"], row["window_start"]
        if row["locked_until"] is not None or window_start <= now - window:  # a lock ended or the window passed
            failures, window_start = 0, now
        failures += 1
        locked_until = now + lock if failures >= max_failures else None
        await self._conn.execute(
            "UPDATE operator_sign_in_attempts SET failures = $2, window_start = $3, locked_until = $4 WHERE email = $1",
            email,
            failures,
            window_start,
            locked_until,
        )
        return Attempt(allowed=True, locks=locked_until is not None, locked_until=locked_until)
