"""SQL for the parties aggregate: parties, platforms, hub tokens and credential events.

Every method runs on the connection it is given, so one use case is one transaction (see `service.py`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from core.parties.model import (
    AliveCheck,
    CredentialsRole,
    Endpoint,
    Environment,
    ModuleLimit,
    Party,
    PartyKey,
    PartyLimits,
    PartyState,
    Platform,
    PlatformState,
    Role,
    TokenKind,
    TokenRotation,
)

# Whether the party's platform is unreachable (it failed its still-alive check).
_OFFLINE = "coalesce((SELECT pl.offline_time IS NOT NULL FROM platforms pl WHERE pl.id = p.platform_id), false)"
# The state operators filter on: SUSPENDED and OFFLINE are shown over the state underneath.
_SHOWN_STATE = (
    "CASE WHEN p.state = 'REVOKED' THEN 'REVOKED' WHEN p.suspend_time IS NOT NULL THEN 'SUSPENDED'"
    f" WHEN p.state = 'REGISTERED' AND {_OFFLINE} THEN 'OFFLINE' ELSE p.state END"
)
_PARTY_COLUMNS = (
    "p.country_code, p.party_id, p.role, p.display_name, p.environment, p.state, p.suspend_time, p.platform_id,"
    f" p.create_time, p.update_time, {_OFFLINE} AS offline,"
    " (SELECT max(t.expire_time) FROM hub_tokens t WHERE t.kind = 'A' AND t.revoke_time IS NULL"
    "  AND (t.country_code, t.party_id, t.role) = (p.country_code, p.party_id, p.role)) AS invite_expire_time"
)
_PLATFORM_COLUMNS = (
    "id, state, environment, versions_url, version, endpoints, roles, encode_auth_token, create_time, update_time,"
    " last_heard_time, offline_time, rotation_attempts, rotation_error, next_rotation_time,"
    " (SELECT max(t.create_time) FROM hub_tokens t WHERE t.kind = 'C' AND t.platform_id = platforms.id"
    "  AND t.revoke_time IS NULL AND t.expire_time IS NULL) AS credentials_issue_time"
)


def _party_from_row(row: asyncpg.Record) -> Party:
    return Party(
        key=PartyKey(row["country_code"], row["party_id"], Role(row["role"])),
        display_name=row["display_name"],
        environment=Environment(row["environment"]),
        state=PartyState(row["state"]),
        suspended=row["suspend_time"] is not None,
        offline=row["offline"],
        platform_id=row["platform_id"],
        invite_expire_time=row["invite_expire_time"],
        create_time=row["create_time"],
        update_time=row["update_time"],
    )


def _platform_from_row(row: asyncpg.Record) -> Platform:
    return Platform(
        id=row["id"],
        state=PlatformState(row["state"]),
        environment=Environment(row["environment"]),
        versions_url=row["versions_url"],
        version=row["version"],
        endpoints=[Endpoint(**e) for e in json.loads(row["endpoints"])],
        roles=[
            CredentialsRole(PartyKey(r["country_code"], r["party_id"], Role(r["role"])), r["business_details"])
            for r in json.loads(row["roles"])
        ],
        encode_auth_token=row["encode_auth_token"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        last_heard_time=row["last_heard_time"],
        offline_time=row["offline_time"],
        credentials_issue_time=row["credentials_issue_time"],
        rotation_attempts=row["rotation_attempts"],
        rotation_error=row["rotation_error"] or "",
        next_rotation_time=row["next_rotation_time"],
    )


_LIMITS_COLUMNS = "country_code, party_id, rate_per_second, burst, module_limits, allowed_cidrs, update_time"


def _limits_from_row(row: asyncpg.Record) -> PartyLimits:
    modules = json.loads(row["module_limits"])
    return PartyLimits(
        country_code=row["country_code"],
        party_id=row["party_id"],
        rate_per_second=row["rate_per_second"],
        burst=row["burst"],
        module_limits=tuple(
            ModuleLimit(name, m["rate_per_second"], m.get("burst", 0)) for name, m in sorted(modules.items())
        ),
        allowed_cidrs=tuple(str(network) for network in row["allowed_cidrs"]),
        update_time=row["update_time"],
    )


def _endpoints_json(endpoints: Sequence[Endpoint]) -> str:
    return json.dumps([{"identifier": e.identifier, "role": e.role, "url": e.url} for e in endpoints])


def _roles_json(roles: Sequence[CredentialsRole]) -> str:
    return json.dumps(
        [
            {
                "country_code": r.key.country_code,
                "party_id": r.key.party_id,
                "role": str(r.key.role),
                "business_details": r.business_details,
            }
            for r in roles
        ]
    )


class PartyRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def offline_parties(self, limit: int = 500) -> list[tuple[str, str, str]]:
        """(country_code, party_id, role) of registered parties whose platform failed its still-alive check and has
        not been heard from since (OFFLINE in HubClientInfo)."""
        rows = await self._conn.fetch(
            "SELECT p.country_code, p.party_id, p.role FROM parties p JOIN platforms pl ON pl.id = p.platform_id"
            " WHERE p.state = 'REGISTERED' AND pl.state = 'REGISTERED' AND pl.offline_time IS NOT NULL"
            " ORDER BY 1, 2, 3 LIMIT $1",
            limit,
        )
        return [(row["country_code"], row["party_id"], row["role"]) for row in rows]

    @property
    def connection(self) -> asyncpg.Connection:
        """For other aggregates' writes that belong to the same transaction (the outbox)."""
        return self._conn

    # Parties

    async def get_party(self, key: PartyKey, *, for_update: bool = False) -> Party | None:
        lock = " FOR UPDATE OF p" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {_PARTY_COLUMNS} FROM parties p"
            f" WHERE p.country_code = $1 AND p.party_id = $2 AND p.role = $3{lock}",
            key.country_code,
            key.party_id,
            str(key.role),
        )
        return _party_from_row(row) if row else None

    async def list_parties(
        self,
        *,
        after: tuple[str, str, str] | None,
        limit: int,
        country_code: str = "",
        party_id: str = "",
        role: str = "",
        state: str = "",
        platform_id: uuid.UUID | None = None,
    ) -> list[Party]:
        rows = await self._conn.fetch(
            f"SELECT {_PARTY_COLUMNS} FROM parties p"
            " WHERE ($1::text IS NULL OR (p.country_code, p.party_id, p.role) > ($1, $2, $3))"
            " AND ($4 = '' OR p.country_code = $4) AND ($5 = '' OR p.party_id = $5) AND ($6 = '' OR p.role = $6)"
            f" AND ($7 = '' OR ({_SHOWN_STATE}) = $7)"
            " AND ($8::uuid IS NULL OR p.platform_id = $8)"
            " ORDER BY p.country_code, p.party_id, p.role LIMIT $9",
            *(after or (None, None, None)),
            country_code,
            party_id,
            role,
            state,
            platform_id,
            limit,
        )
        return [_party_from_row(row) for row in rows]

    async def insert_party(self, party: Party) -> None:
        await self._conn.execute(
            "INSERT INTO parties (country_code, party_id, role, display_name, environment, state)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            party.key.country_code,
            party.key.party_id,
            str(party.key.role),
            party.display_name,
            str(party.environment),
            str(party.state),
        )

    async def set_party_state(
        self, key: PartyKey, state: PartyState, *, platform_id: uuid.UUID | None, display_name: str | None = None
    ) -> None:
        # A revoked party stays revoked whatever its platform later does (credentials PUT dropping it, DELETE).
        await self._conn.execute(
            "UPDATE parties SET state = $4, platform_id = $5, display_name = coalesce($6, display_name),"
            " update_time = now() WHERE country_code = $1 AND party_id = $2 AND role = $3 AND state <> 'REVOKED'",
            key.country_code,
            key.party_id,
            str(key.role),
            str(state),
            platform_id,
            display_name,
        )

    async def set_suspended(self, key: PartyKey, suspended: bool) -> None:
        await self._conn.execute(
            "UPDATE parties SET suspend_time = CASE WHEN $4 THEN coalesce(suspend_time, now()) END,"
            " update_time = now() WHERE country_code = $1 AND party_id = $2 AND role = $3",
            key.country_code,
            key.party_id,
            str(key.role),
            suspended,
        )

    async def is_active_party_of(self, platform_id: uuid.UUID, key: PartyKey) -> bool:
        """Whether `key` is a registered, unsuspended party hosted by the platform (ownership of pushed objects)."""
        found = await self._conn.fetchval(
            "SELECT 1 FROM parties WHERE platform_id = $1 AND country_code = $2 AND party_id = $3 AND role = $4"
            " AND state = 'REGISTERED' AND suspend_time IS NULL",
            platform_id,
            key.country_code,
            key.party_id,
            str(key.role),
        )
        return found is not None

    # Limits

    async def get_limits(self, country_code: str, party_id: str) -> PartyLimits | None:
        row = await self._conn.fetchrow(
            f"SELECT {_LIMITS_COLUMNS} FROM party_limits WHERE country_code = $1 AND party_id = $2",
            country_code,
            party_id,
        )
        return _limits_from_row(row) if row else None

    async def limits_of(self, parties: Sequence[Party]) -> list[PartyLimits]:
        """The set limits of these parties' country_code/party_id pairs."""
        pairs = sorted({(p.key.country_code, p.key.party_id) for p in parties})
        rows = await self._conn.fetch(
            f"SELECT {_LIMITS_COLUMNS} FROM party_limits"
            " WHERE (country_code, party_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [cc for cc, _ in pairs],
            [pid for _, pid in pairs],
        )
        return [_limits_from_row(row) for row in rows]

    async def put_limits(self, limits: PartyLimits) -> None:
        modules = {m.module: {"rate_per_second": m.rate_per_second, "burst": m.burst} for m in limits.module_limits}
        await self._conn.execute(
            "INSERT INTO party_limits (country_code, party_id, rate_per_second, burst, module_limits, allowed_cidrs)"
            " VALUES ($1, $2, $3, $4, $5, $6::text[]::cidr[]) ON CONFLICT (country_code, party_id) DO UPDATE SET"
            " rate_per_second = excluded.rate_per_second, burst = excluded.burst,"
            " module_limits = excluded.module_limits, allowed_cidrs = excluded.allowed_cidrs, update_time = now()",
            limits.country_code,
            limits.party_id,
            limits.rate_per_second,
            limits.burst,
            json.dumps(modules),
            list(limits.allowed_cidrs),
        )

    async def delete_limits(self, country_code: str, party_id: str) -> None:
        await self._conn.execute(
            "DELETE FROM party_limits WHERE country_code = $1 AND party_id = $2", country_code, party_id
        )

    # Platforms

    async def get_platform(self, platform_id: uuid.UUID, *, for_update: bool = False) -> Platform | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT {_PLATFORM_COLUMNS} FROM platforms WHERE id = $1{lock}",
            platform_id,
        )
        return _platform_from_row(row) if row else None

    async def insert_platform(self, platform: Platform, token_b_encrypted: bytes) -> None:
        await self._conn.execute(
            "INSERT INTO platforms (id, state, environment, versions_url, version, endpoints, roles,"
            " token_b_encrypted, encode_auth_token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            platform.id,
            str(platform.state),
            str(platform.environment),
            platform.versions_url,
            platform.version,
            _endpoints_json(platform.endpoints),
            _roles_json(platform.roles),
            token_b_encrypted,
            platform.encode_auth_token,
        )

    async def update_platform(self, platform: Platform, token_b_encrypted: bytes | None) -> None:
        await self._conn.execute(
            "UPDATE platforms SET state = $2, versions_url = $3, version = $4, endpoints = $5, roles = $6,"
            " token_b_encrypted = coalesce($7, token_b_encrypted), encode_auth_token = $8, update_time = now()"
            " WHERE id = $1",
            platform.id,
            str(platform.state),
            platform.versions_url,
            platform.version,
            _endpoints_json(platform.endpoints),
            _roles_json(platform.roles),
            token_b_encrypted,
            platform.encode_auth_token,
        )

    # Liveness (still-alive checks)

    async def touch_platform(self, platform_id: uuid.UUID, at_most_every: timedelta) -> None:
        """Records that the platform was heard from, unless it already was within `at_most_every`."""
        await self._conn.execute(
            "UPDATE platforms SET last_heard_time = now() WHERE id = $1 AND last_heard_time < now() - $2::interval",
            platform_id,
            at_most_every,
        )

    async def set_offline(self, platform_id: uuid.UUID, offline: bool) -> None:
        """Marks the platform unreachable (or reachable, and heard from now). Its active parties' ClientInfo changes,
        so their update_time (ClientInfo.last_updated) moves too."""
        await self._conn.execute(
            "WITH platform AS ("
            "  UPDATE platforms SET offline_time = CASE WHEN $2 THEN coalesce(offline_time, now()) END,"
            "  last_heard_time = CASE WHEN $2 THEN last_heard_time ELSE now() END WHERE id = $1 RETURNING id)"
            " UPDATE parties SET update_time = now() WHERE platform_id = (SELECT id FROM platform)"
            " AND state = 'REGISTERED' AND suspend_time IS NULL",
            platform_id,
            offline,
        )

    async def claim_alive_checks(self, quiet_period: timedelta, limit: int) -> list[AliveCheck]:
        """Registered platforms with an active party, silent for `quiet_period` and not claimed within it.

        SKIP LOCKED plus the re-check PostgreSQL makes of a row locked meanwhile: concurrent claims never share one.
        """
        rows = await self._conn.fetch(
            "WITH due AS ("
            "  SELECT pl.id FROM platforms pl"
            "  WHERE pl.state = 'REGISTERED' AND pl.last_heard_time <= now() - $1::interval"
            "  AND (pl.next_alive_check_time IS NULL OR pl.next_alive_check_time <= now())"
            "  AND EXISTS (SELECT 1 FROM parties p WHERE p.platform_id = pl.id AND p.state = 'REGISTERED'"
            "              AND p.suspend_time IS NULL)"
            "  ORDER BY pl.last_heard_time LIMIT $2 FOR UPDATE OF pl SKIP LOCKED)"
            " UPDATE platforms pl SET next_alive_check_time = now() + $1::interval FROM due WHERE pl.id = due.id"
            " RETURNING pl.id, pl.versions_url, pl.token_b_encrypted, pl.encode_auth_token, pl.environment",
            quiet_period,
            limit,
        )
        return [
            AliveCheck(
                row["id"],
                row["versions_url"],
                row["token_b_encrypted"],
                row["encode_auth_token"],
                Environment(row["environment"]),
            )
            for row in rows
        ]

    # Hub-issued tokens

    async def find_token(self, token_hash: bytes) -> asyncpg.Record | None:
        return await self._conn.fetchrow(
            "SELECT kind, country_code, party_id, role, platform_id, expire_time, revoke_time, now() AS now"
            " FROM hub_tokens WHERE token_hash = $1",
            token_hash,
        )

    async def insert_registration_token(self, token_hash: bytes, key: PartyKey, expire_time: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO hub_tokens (token_hash, kind, country_code, party_id, role, expire_time)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            token_hash,
            str(TokenKind.REGISTRATION),
            key.country_code,
            key.party_id,
            str(key.role),
            expire_time,
        )

    async def insert_credentials_token(
        self, token_hash: bytes, platform_id: uuid.UUID, *, expire_time: datetime | None = None
    ) -> None:
        await self._conn.execute(
            "INSERT INTO hub_tokens (token_hash, kind, platform_id, expire_time) VALUES ($1, $2, $3, $4)",
            token_hash,
            str(TokenKind.CREDENTIALS),
            platform_id,
            expire_time,
        )

    async def revoke_registration_tokens(self, key: PartyKey) -> None:
        await self._conn.execute(
            "UPDATE hub_tokens SET revoke_time = now() WHERE kind = 'A' AND revoke_time IS NULL"
            " AND country_code = $1 AND party_id = $2 AND role = $3",
            key.country_code,
            key.party_id,
            str(key.role),
        )

    async def expire_credentials_tokens(
        self, platform_id: uuid.UUID, expire_time: datetime, *, keep: bytes | None = None
    ) -> None:
        """Shortens the life of every live TOKEN_C of the platform (but `keep`) to `expire_time` (rotation grace)."""
        await self._conn.execute(
            "UPDATE hub_tokens SET expire_time = least(coalesce(expire_time, $2), $2)"
            " WHERE kind = 'C' AND platform_id = $1 AND revoke_time IS NULL AND token_hash IS DISTINCT FROM $3",
            platform_id,
            expire_time,
            keep,
        )

    async def revoke_credentials_tokens(self, platform_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE hub_tokens SET revoke_time = now() WHERE kind = 'C' AND platform_id = $1 AND revoke_time IS NULL",
            platform_id,
        )

    # The Hub's rotation of its own credentials (core/parties/rotation.py)

    async def claim_token_rotations(self, max_age: timedelta, hold: timedelta, limit: int) -> list[TokenRotation]:
        """Registered platforms with an active party whose newest lasting TOKEN_C is older than `max_age` (none at all:
        nothing to rotate, e.g. revoked), not claimed within `hold` nor failed too recently. SKIP LOCKED: one claimer
        each."""
        rows = await self._conn.fetch(
            "WITH due AS ("
            "  SELECT pl.id FROM platforms pl"
            "  WHERE pl.state = 'REGISTERED' AND (pl.next_rotation_time IS NULL OR pl.next_rotation_time <= now())"
            "  AND (SELECT max(t.create_time) FROM hub_tokens t WHERE t.kind = 'C' AND t.platform_id = pl.id"
            "       AND t.revoke_time IS NULL AND t.expire_time IS NULL) <= now() - $1::interval"
            "  AND EXISTS (SELECT 1 FROM parties p WHERE p.platform_id = pl.id AND p.state = 'REGISTERED'"
            "              AND p.suspend_time IS NULL)"
            "  ORDER BY pl.next_rotation_time NULLS FIRST, pl.id LIMIT $3 FOR UPDATE OF pl SKIP LOCKED)"
            " UPDATE platforms pl SET next_rotation_time = now() + $2::interval FROM due WHERE pl.id = due.id"
            " RETURNING pl.id, pl.endpoints, pl.token_b_encrypted, pl.encode_auth_token, pl.environment,"
            " pl.rotation_attempts",
            max_age,
            hold,
            limit,
        )
        rotations = []
        for row in rows:
            urls = [e["url"] for e in json.loads(row["endpoints"]) if e["identifier"] == "credentials"]
            if urls:  # every registered platform has one (the handshake requires it)
                rotations.append(
                    TokenRotation(
                        row["id"],
                        urls[0],
                        row["token_b_encrypted"],
                        row["encode_auth_token"],
                        Environment(row["environment"]),
                        row["rotation_attempts"] + 1,
                    )
                )
        return rotations

    async def set_rotation_token(self, platform_id: uuid.UUID, token_hash: bytes) -> None:
        await self._conn.execute("UPDATE platforms SET rotation_token_hash = $2 WHERE id = $1", platform_id, token_hash)

    async def rotation_token(self, platform_id: uuid.UUID) -> bytes | None:
        value: bytes | None = await self._conn.fetchval(
            "SELECT rotation_token_hash FROM platforms WHERE id = $1", platform_id
        )
        return value

    async def keep_credentials_token(self, token_hash: bytes) -> None:
        """The TOKEN_C of an accepted rotation lasts (until the next rotation)."""
        await self._conn.execute("UPDATE hub_tokens SET expire_time = NULL WHERE token_hash = $1", token_hash)

    async def expire_rotation_token(self, platform_id: uuid.UUID, expire_time: datetime) -> None:
        await self._conn.execute(
            "UPDATE hub_tokens SET expire_time = least(coalesce(expire_time, $2), $2)"
            " WHERE token_hash = (SELECT rotation_token_hash FROM platforms WHERE id = $1)",
            platform_id,
            expire_time,
        )

    async def finish_rotation(self, platform_id: uuid.UUID, *, failed: str | None, retry_in: timedelta | None) -> None:
        """Success (`failed` None): no attempt counted, nothing due before the token ages. Failure: counted, shown,
        and due again after `retry_in`."""
        await self._conn.execute(
            "UPDATE platforms SET rotation_token_hash = NULL,"
            " rotation_attempts = CASE WHEN $2::text IS NULL THEN 0 ELSE rotation_attempts + 1 END,"
            " rotation_error = $2, next_rotation_time = now() + $3::interval WHERE id = $1",
            platform_id,
            failed,
            retry_in,
        )

    async def set_token_b(self, platform_id: uuid.UUID, token_b_encrypted: bytes) -> None:
        await self._conn.execute(
            "UPDATE platforms SET token_b_encrypted = $2, update_time = now() WHERE id = $1",
            platform_id,
            token_b_encrypted,
        )

    # Key rotation (re-encryption under the newest key)

    async def token_b_ciphertexts(self) -> list[tuple[uuid.UUID, bytes]]:
        rows = await self._conn.fetch("SELECT id, token_b_encrypted FROM platforms ORDER BY id FOR UPDATE")
        return [(row["id"], row["token_b_encrypted"]) for row in rows]

    async def replace_token_b_ciphertexts(self, ciphertexts: Sequence[tuple[uuid.UUID, bytes]]) -> None:
        # update_time stays: the platform itself did not change.
        await self._conn.executemany(
            "UPDATE platforms SET token_b_encrypted = $2 WHERE id = $1", [(pid, ct) for pid, ct in ciphertexts]
        )

    async def now(self) -> datetime:
        value: datetime = await self._conn.fetchval("SELECT now()")
        return value

    # Audit

    async def record_event(
        self,
        event: str,
        *,
        key: PartyKey | None = None,
        platform_id: uuid.UUID | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO credential_events (event, country_code, party_id, role, platform_id, detail)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            event,
            key.country_code if key else None,
            key.party_id if key else None,
            str(key.role) if key else None,
            platform_id,
            json.dumps(detail or {}),
        )
