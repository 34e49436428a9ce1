"""Use cases of dashboard accounts: admins add and disable them, the dashboard checks a sign-in.

"Admin alone manages accounts": an operator certificate (hubctl, a person at the Hub's console) may add and
disable; the dashboard may only when the person it acts for has an enabled ADMIN account (a dashboard OPERATOR acts
with the core's operator role, yet must not hand out accounts). Sign-ins are limited per e-mail (known or not):
MAX_FAILURES failures within WINDOW lock it for LOCK, the right password included. Every add, disable, failure and
lock is a security event; a password is never stored, logged or put in an event, in clear or hashed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from core.access import current_caller
from core.audit.repository import AuditRepository
from core.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, ResourceExhausted, Unauthenticated
from core.metrics import SECURITY_EVENTS
from core.operators import passwords
from core.operators.repository import Account, OperatorRepository
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

log = logging.getLogger(__name__)

ROLES = ("admin", "operator", "analyst")
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
_MAX_EMAIL = 254  # RFC 5321's path limit


def canonical_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or "@" in domain
        or len(email) > _MAX_EMAIL
        or any(c.isspace() for c in email)
    ):
        raise InvalidArgument([("email", "must be an e-mail address, e.g. lan@hub.vn")])
    return email


class OperatorsService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_failures: int = MAX_FAILURES,
        window: timedelta = WINDOW,
        lock: timedelta = LOCK,
    ) -> None:
        self._pool = pool
        self._max_failures = max_failures
        self._window = window
        self._lock = lock

    async def _require_admin(self, conn: asyncpg.Connection) -> str:
        """The actor's name, once it is known to be an admin; else PermissionDenied."""
        caller = current_caller.get()
        if caller is None or not caller.dashboard:
            return caller.actor if caller else ""
        account = await OperatorRepository(conn).get(caller.person)
        if account is None or account.disabled or account.role != "admin":
            raise PermissionDenied(
                ErrorReason.ERROR_REASON_NOT_ADMIN, f"{caller.person} is not an admin: only admins manage accounts"
            )
        return caller.actor

    async def add(self, email: str, role: str, password: str) -> Account:
        email = canonical_email(email)
        problems = []
        if role not in ROLES:
            problems.append(("role", f"must be one of {', '.join(ROLES)}"))
        if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
            problems.append(("password", f"must be {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters"))
        if problems:
            raise InvalidArgument(problems)
        password_hash = await passwords.hash_password(password)
        async with self._pool.acquire() as conn, conn.transaction():
            actor = await self._require_admin(conn)
            account = await OperatorRepository(conn).add(email, role, password_hash, actor)
            if account is None:
                raise AlreadyExists(ErrorReason.ERROR_REASON_CONFLICT, f"{email} already has an account")
            await self._event(conn, "OPERATOR_ADDED", {"email": email, "role": role, "by": actor})
        return account

    async def list(self) -> list[Account]:
        async with self._pool.acquire() as conn:
            return await OperatorRepository(conn).list()

    async def disable(self, email: str) -> Account:
        email = canonical_email(email)
        async with self._pool.acquire() as conn, conn.transaction():
            actor = await self._require_admin(conn)
            account = await OperatorRepository(conn).disable(email)
            if account is None:
                raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"{email} has no account")
            await self._event(conn, "OPERATOR_DISABLED", {"email": email, "by": actor})
        return account

    async def verify(self, email: str, password: str, remote_address: str) -> Account:
        """The account whose password this is; Unauthenticated otherwise (why is in the audit log, not the answer)."""
        email = email.strip().lower()[:_MAX_EMAIL]
        async with self._pool.acquire() as conn, conn.transaction():
            repo = OperatorRepository(conn)
            attempt = await repo.attempt(email, self._max_failures, self._window, self._lock)
            account = await repo.get(email)
            if not attempt.allowed:
                await self._event(conn, "OPERATOR_SIGN_IN_LOCKED", {"email": email}, remote_address)
        if not attempt.allowed:
            until = attempt.locked_until.isoformat(timespec="seconds") if attempt.locked_until else "later"
            raise ResourceExhausted(
                ErrorReason.ERROR_REASON_SIGN_IN_LOCKED,
                f"too many failed sign-ins for this e-mail: try again after {until}",
            )
        matches = len(password) <= passwords.MAX_LENGTH and await passwords.verify(
            account.password_hash if account else None, password
        )
        async with self._pool.acquire() as conn, conn.transaction():
            if matches and account is not None and not account.disabled:
                rehashed = (
                    await passwords.hash_password(password) if passwords.needs_rehash(account.password_hash) else None
                )
                await OperatorRepository(conn).signed_in(email, rehashed)
                await self._event(conn, "OPERATOR_SIGNED_IN", {"email": email}, remote_address)
                return account
            why = "unknown account" if account is None else "disabled" if account.disabled else "wrong password"
            await self._event(conn, "OPERATOR_SIGN_IN_FAILED", {"email": email, "why": why}, remote_address)
            if attempt.locks:
                lock = {"email": email, "failures": self._max_failures, "until": str(attempt.locked_until)}
                await self._event(conn, "OPERATOR_LOCKED_OUT", lock, remote_address)
        raise Unauthenticated(ErrorReason.ERROR_REASON_SIGN_IN_FAILED, "wrong e-mail or password")

    @staticmethod
    async def _event(conn: asyncpg.Connection, kind: str, detail: dict[str, object], remote_address: str = "") -> None:
        await AuditRepository(conn).record(kind, remote_address=remote_address, detail=detail)
        SECURITY_EVENTS.labels(kind).inc()
