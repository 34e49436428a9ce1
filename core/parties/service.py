"""Use cases of the parties aggregate: onboarding (invites) and the credentials lifecycle.

Each public method is one transaction. Tokens appear here in clear only on their way in or out; only hashes are
stored for the tokens the Hub issues, and TOKEN_B is stored encrypted.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from core.audit.auth_failures import AuthFailures
from core.audit.repository import AuditRepository
from core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Unauthenticated, reason_name
from core.events.model import Kind, party_event
from core.events.repository import EventRepository
from core.metrics import SECURITY_EVENTS
from core.parties import limits as party_limits
from core.parties import validation
from core.parties.client_info import ClientInfoAnnouncer
from core.parties.liveness import Liveness
from core.parties.model import (
    Authentication,
    Environment,
    Party,
    PartyKey,
    PartyLimits,
    PartyState,
    Platform,
    PlatformRegistration,
    PlatformState,
    Role,
    TokenKind,
)
from core.parties.offboarding import Offboarding
from core.parties.reencryption import reencrypt_tokens
from core.parties.repository import PartyRepository
from core.parties.rotation import HubRotation, RotationPolicy
from core.parties.secrets import TokenVault, mint_token, token_hash
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

_MAX_PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class PartyPolicy:
    hub_country_code: str
    hub_party_id: str
    hub_environment: Environment
    invite_ttl: timedelta
    rotation_grace: timedelta
    # The Hub rotates a TOKEN_C this old (core/parties/rotation.py); a failed attempt is retried after `rotation_retry`.
    token_max_age: timedelta = timedelta(days=90)
    rotation_retry: timedelta = timedelta(minutes=5)


class PartiesService:
    def __init__(
        self, pool: asyncpg.Pool, vault: TokenVault, policy: PartyPolicy, changed: Callable[[], None] = lambda: None
    ) -> None:
        self._pool = pool
        # Called once a change to parties, platforms or tokens committed: this core's caches need not wait for the
        # database's notification (other replicas do).
        self._changed = changed
        self.auth_failures = AuthFailures(pool)
        self._vault = vault
        self._policy = policy
        self._announcer = ClientInfoAnnouncer(PartyKey(policy.hub_country_code, policy.hub_party_id, Role.HUB))
        self.liveness = Liveness(pool, vault, self._announcer)
        self.offboarding = Offboarding(pool, self._announcer, changed)
        self.rotation = HubRotation(
            pool, vault, RotationPolicy(policy.token_max_age, policy.rotation_retry, policy.rotation_grace), changed
        )

    async def reencrypt_tokens(self) -> tuple[int, int]:
        counts = await reencrypt_tokens(self._pool, self._vault)
        self._changed()
        return counts

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[PartyRepository]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PartyRepository(conn)
        self._changed()

    # Onboarding

    async def invite(
        self, key: PartyKey, display_name: str, environment: Environment | None, expires_in: timedelta | None
    ) -> tuple[Party, str]:
        environment = environment or self._policy.hub_environment
        violations = validation.party_key_violations(key) + validation.display_name_violations(display_name)
        if (key.country_code, key.party_id) == (self._policy.hub_country_code, self._policy.hub_party_id):
            violations.append(("party_id", f"{key.country_code}/{key.party_id} is the Hub's own identity"))
        if environment is Environment.SANDBOX and self._policy.hub_environment is Environment.PRODUCTION:
            violations.append(("environment", "a production Hub does not take sandbox parties"))
        violations += self._ttl_violations(expires_in)
        if violations:
            raise InvalidArgument(violations)
        async with self._transaction() as repo:
            if await repo.get_party(key, for_update=True):
                raise AlreadyExists(
                    ErrorReason.ERROR_REASON_PARTY_EXISTS,
                    f"{key} is already known; use rotate-invite for a new TOKEN_A",
                    metadata={"party": key.name},
                )
            await repo.insert_party(Party(key, display_name.strip(), environment, PartyState.INVITED))
            token_a = await self._mint_registration_token(repo, key, expires_in)
            await repo.record_event("INVITED", key=key, detail={"environment": str(environment)})
            party = await repo.get_party(key)
        assert party
        return party, token_a

    async def rotate_invite(self, key: PartyKey, expires_in: timedelta | None) -> tuple[Party, str]:
        if violations := self._ttl_violations(expires_in):
            raise InvalidArgument(violations)
        async with self._transaction() as repo:
            party = await self._get_party(repo, key, for_update=True)
            _refuse_revoked(party)
            if party.state is PartyState.REGISTERED:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_WRONG_STATE,
                    f"{key} is registered; its platform rotates tokens with credentials PUT",
                    metadata={"party": key.name},
                )
            await repo.revoke_registration_tokens(key)
            await repo.set_party_state(key, PartyState.INVITED, platform_id=None)
            token_a = await self._mint_registration_token(repo, key, expires_in)
            await repo.record_event("INVITE_ROTATED", key=key)
            await _security_event(repo, "TOKEN_ROTATED", key=key, detail={"token": "TOKEN_A"})
            party = await self._get_party(repo, key)
        return party, token_a

    async def get_party(self, key: PartyKey) -> Party:
        async with self._pool.acquire() as conn:
            return await self._get_party(PartyRepository(conn), key)

    async def list_parties(
        self,
        page_size: int,
        after: tuple[str, str, str] | None,
        *,
        country_code: str = "",
        party_id: str = "",
        role: str = "",
        state: str = "",
    ) -> tuple[list[Party], tuple[str, str, str] | None]:
        limit = min(page_size or 100, _MAX_PAGE_SIZE)
        async with self._pool.acquire() as conn:
            parties = await PartyRepository(conn).list_parties(
                after=after,
                limit=limit + 1,
                country_code=country_code.upper(),
                party_id=party_id.upper(),
                role=role,
                state=state,
            )
        if len(parties) <= limit:
            return parties, None
        last = parties[limit - 1].key
        return parties[:limit], (last.country_code, last.party_id, str(last.role))

    async def set_suspended(self, key: PartyKey, suspended: bool) -> Party:
        async with self._transaction() as repo:
            before = await self._get_party(repo, key, for_update=True)
            if not suspended:
                _refuse_revoked(before)
            await repo.set_suspended(key, suspended)
            await repo.record_event("SUSPENDED" if suspended else "REINSTATED", key=key)
            party = await self._get_party(repo, key)
            if before.suspended != suspended:
                kind = "PARTY_SUSPENDED" if suspended else "PARTY_REINSTATED"
                await _security_event(repo, kind, key=key, platform_id=party.platform_id)
                await self._announcer.announce(repo.connection, [party])
                if suspended:
                    await EventRepository(repo.connection).record([party_event(Kind.PARTY_SUSPENDED, key)])
            return party

    async def get_platform(self, platform_id: uuid.UUID) -> Platform:
        async with self._pool.acquire() as conn:
            platform = await PartyRepository(conn).get_platform(platform_id)
        if not platform:
            raise NotFound(ErrorReason.ERROR_REASON_PLATFORM_NOT_FOUND, f"no platform {platform_id}")
        return platform

    # Limits

    async def get_limits(self, country_code: str, party_id: str) -> PartyLimits:
        async with self._pool.acquire() as conn:
            repo = PartyRepository(conn)
            await self._any_role(repo, country_code, party_id)
            return await repo.get_limits(country_code, party_id) or PartyLimits(country_code, party_id)

    async def set_limits(self, limits: PartyLimits) -> PartyLimits:
        limits, violations = party_limits.normalised(limits)
        if violations:
            raise InvalidArgument(violations)
        async with self._transaction() as repo:
            party = await self._any_role(repo, limits.country_code, limits.party_id)
            if limits.is_default:
                await repo.delete_limits(limits.country_code, limits.party_id)
            else:
                await repo.put_limits(limits)
            # A security event: who may call from where, and how much.
            await repo.record_event("LIMITS_SET", key=party.key, detail=_limits_audit(limits))
            return await repo.get_limits(limits.country_code, limits.party_id) or limits

    # Credentials lifecycle

    async def authenticate(self, candidates: list[str], remote_address: str = "") -> Authentication:
        """Who holds one of the candidate tokens, with its parties' limits (the facade enforces them); a refusal is an
        AUTH_FAILED security event (coalesced per address and minute)."""
        try:
            async with self._pool.acquire() as conn:
                repo = PartyRepository(conn)
                auth = await self._authenticate(repo, candidates)
                auth = dataclasses.replace(auth, limits=await repo.limits_of(auth.parties))
        except Unauthenticated as exc:
            first = candidates[0] if candidates else ""
            await self.auth_failures.record(remote_address, reason_name(exc.reason), first, exc.message)
            raise
        if auth.platform is None:
            return auth
        await self.liveness.heard_from(auth.platform)
        if auth.platform.offline_time is None:
            return auth
        # It was OFFLINE until this request: answer with its parties as they are now (CONNECTED again).
        async with self._pool.acquire() as conn:
            return dataclasses.replace(await self._authenticate(PartyRepository(conn), candidates), limits=auth.limits)

    async def register(
        self, token_a: str, registration: PlatformRegistration, *, validate_only: bool
    ) -> tuple[Platform, str]:
        if violations := validation.credentials_roles_violations(registration.roles):
            raise InvalidArgument(violations)
        async with self._transaction() as repo:
            auth = await self._authenticate(repo, [token_a])
            if auth.kind is TokenKind.REGISTRATION:
                # Lock the invited party, then look again: a concurrent POST with the same TOKEN_A may have used it.
                await repo.get_party(auth.parties[0].key, for_update=True)
                auth = await self._authenticate(repo, [token_a])
            if auth.kind is TokenKind.CREDENTIALS:
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_ALREADY_REGISTERED, "this platform is already registered"
                )
            inviting = auth.parties[0]
            listed = {role.key for role in registration.roles}
            if inviting.key not in listed:
                raise InvalidArgument([("roles", f"TOKEN_A was issued to {inviting.key}, which the roles do not list")])
            for role in registration.roles:
                await self._check_joinable(repo, role.key, inviting.environment, platform_id=None)
            platform = Platform(
                id=uuid.uuid4(),
                state=PlatformState.REGISTERED,
                environment=inviting.environment,
                versions_url=registration.versions_url,
                version=registration.version,
                endpoints=registration.endpoints,
                roles=registration.roles,
                encode_auth_token=registration.encode_auth_token,
            )
            if validate_only:
                return platform, ""
            await repo.insert_platform(platform, self._vault.encrypt(registration.token_b))
            for role in registration.roles:
                await repo.revoke_registration_tokens(role.key)
                await repo.set_party_state(
                    role.key, PartyState.REGISTERED, platform_id=platform.id, display_name=role.business_details["name"]
                )
            await self._announce(repo, [role.key for role in registration.roles])
            token_c = mint_token()
            await repo.insert_credentials_token(token_hash(token_c), platform.id)
            await repo.record_event("REGISTERED", key=inviting.key, platform_id=platform.id, detail=_audit(platform))
            await EventRepository(repo.connection).record(
                [party_event(Kind.PARTY_REGISTERED, role.key) for role in registration.roles]
            )
            stored = await repo.get_platform(platform.id)
        assert stored
        return stored, token_c

    async def update_credentials(
        self, token: str, registration: PlatformRegistration, *, validate_only: bool
    ) -> tuple[Platform, str]:
        if violations := validation.credentials_roles_violations(registration.roles):
            raise InvalidArgument(violations)
        async with self._transaction() as repo:
            current = await self._registered_platform(repo, token, for_update=True)
            for role in registration.roles:
                await self._check_joinable(repo, role.key, current.environment, platform_id=current.id)
            updated = Platform(
                id=current.id,
                state=PlatformState.REGISTERED,
                environment=current.environment,
                versions_url=registration.versions_url,
                version=registration.version,
                endpoints=registration.endpoints,
                roles=registration.roles,
                encode_auth_token=registration.encode_auth_token,
                create_time=current.create_time,
            )
            if validate_only:
                return updated, ""
            await repo.update_platform(updated, self._vault.encrypt(registration.token_b))
            listed = {role.key for role in registration.roles}
            dropped = [role.key for role in current.roles if role.key not in listed]
            for key in dropped:
                await repo.set_party_state(key, PartyState.UNREGISTERED, platform_id=current.id)
            for role in registration.roles:
                await repo.revoke_registration_tokens(role.key)
                await repo.set_party_state(
                    role.key, PartyState.REGISTERED, platform_id=current.id, display_name=role.business_details["name"]
                )
            known = {role.key for role in current.roles}
            await self._announce(repo, dropped + [key for key in listed if key not in known])
            # The old TOKEN_C lives on for the grace period, so a party that lost our answer can still get in.
            await repo.expire_credentials_tokens(current.id, await repo.now() + self._policy.rotation_grace)
            token_c = mint_token()
            await repo.insert_credentials_token(token_hash(token_c), current.id)
            await repo.record_event("ROTATED", platform_id=current.id, detail=_audit(updated))
            await _security_event(repo, "TOKEN_ROTATED", platform_id=current.id, detail={"token": "TOKEN_C"})
            stored = await repo.get_platform(current.id)
        assert stored
        return stored, token_c

    async def unregister(self, token: str) -> Platform:
        async with self._transaction() as repo:
            platform = await self._registered_platform(repo, token, for_update=True)
            platform.state = PlatformState.UNREGISTERED
            await repo.update_platform(platform, None)
            await repo.revoke_credentials_tokens(platform.id)
            for role in platform.roles:
                await repo.set_party_state(role.key, PartyState.UNREGISTERED, platform_id=platform.id)
            await self._announce(repo, [role.key for role in platform.roles])
            await repo.record_event("UNREGISTERED", platform_id=platform.id)
            return platform

    # Helpers

    async def _announce(self, repo: PartyRepository, keys: list[PartyKey]) -> None:
        """HubClientInfo: the parties' new status goes to every other platform, in this transaction."""
        await self._announcer.announce(repo.connection, [await self._get_party(repo, key) for key in keys])

    def _ttl_violations(self, expires_in: timedelta | None) -> validation.Violations:
        if expires_in is not None and not timedelta(minutes=1) <= expires_in <= timedelta(days=30):
            return [("expires_in", "a TOKEN_A must live between 1 minute and 30 days")]
        return []

    async def _mint_registration_token(self, repo: PartyRepository, key: PartyKey, expires_in: timedelta | None) -> str:
        token_a = mint_token()
        expire_time = await repo.now() + (expires_in or self._policy.invite_ttl)
        await repo.insert_registration_token(token_hash(token_a), key, expire_time)
        return token_a

    async def _get_party(self, repo: PartyRepository, key: PartyKey, *, for_update: bool = False) -> Party:
        party = await repo.get_party(key, for_update=for_update)
        if not party:
            raise NotFound(ErrorReason.ERROR_REASON_PARTY_NOT_FOUND, f"no party {key}", metadata={"party": key.name})
        return party

    async def _any_role(self, repo: PartyRepository, country_code: str, party_id: str) -> Party:
        """Limits belong to a country_code/party_id the Hub knows (in any role)."""
        parties = await repo.list_parties(after=None, limit=1, country_code=country_code, party_id=party_id)
        if not parties:
            raise NotFound(ErrorReason.ERROR_REASON_PARTY_NOT_FOUND, f"no party {country_code}/{party_id}")
        return parties[0]

    async def _check_joinable(
        self, repo: PartyRepository, key: PartyKey, environment: Environment, platform_id: uuid.UUID | None
    ) -> None:
        """A role may join a platform if it was invited, or already belongs to that platform."""
        party = await repo.get_party(key, for_update=True)
        if party is not None:
            _refuse_revoked(party)
        own = party is not None and platform_id is not None and party.platform_id == platform_id
        if party is None or (party.state is not PartyState.INVITED and not own):
            raise FailedPrecondition(
                ErrorReason.ERROR_REASON_ROLE_NOT_INVITED,
                f"{key} has not been invited to the Hub (ask the Hub operator for an invitation)",
                metadata={"party": key.name},
            )
        if party.suspended:
            raise Unauthenticated(ErrorReason.ERROR_REASON_PARTY_SUSPENDED, f"{key} is suspended")
        if party.environment is not environment:
            raise FailedPrecondition(
                ErrorReason.ERROR_REASON_ROLE_NOT_INVITED,
                f"{key} was invited to the {party.environment.lower()} environment, not {environment.lower()}",
                metadata={"party": key.name},
            )

    async def _registered_platform(self, repo: PartyRepository, token: str, *, for_update: bool) -> Platform:
        auth = await self._authenticate(repo, [token])
        if auth.kind is TokenKind.REGISTRATION or auth.platform is None:
            raise FailedPrecondition(ErrorReason.ERROR_REASON_NOT_REGISTERED, "this platform is not registered yet")
        platform = await repo.get_platform(auth.platform.id, for_update=for_update)
        assert platform
        return platform

    async def _authenticate(self, repo: PartyRepository, candidates: list[str]) -> Authentication:
        refusal: Unauthenticated | None = None
        for candidate in dict.fromkeys(candidates):
            row = await repo.find_token(token_hash(candidate))
            if row is None:
                continue
            try:
                return await self._authentication_for(repo, candidate, row)
            except Unauthenticated as exc:
                refusal = refusal or exc
        raise refusal or Unauthenticated(ErrorReason.ERROR_REASON_TOKEN_UNKNOWN, "unknown token")

    async def _authentication_for(self, repo: PartyRepository, token: str, row: asyncpg.Record) -> Authentication:
        if row["revoke_time"] is not None:
            raise Unauthenticated(ErrorReason.ERROR_REASON_TOKEN_REVOKED, "this token has been revoked or already used")
        if row["expire_time"] is not None and row["expire_time"] <= row["now"]:
            raise Unauthenticated(ErrorReason.ERROR_REASON_TOKEN_EXPIRED, "this token has expired")
        kind = TokenKind(row["kind"])
        valid_for = row["expire_time"] - row["now"] if row["expire_time"] is not None else None
        if kind is TokenKind.REGISTRATION:
            party = await self._get_party(repo, PartyKey(row["country_code"], row["party_id"], Role(row["role"])))
            if party.suspended:
                raise Unauthenticated(ErrorReason.ERROR_REASON_PARTY_SUSPENDED, f"{party.key} is suspended")
            return Authentication(kind, token, [party], valid_for=valid_for)
        platform = await repo.get_platform(row["platform_id"])
        assert platform
        if platform.state is not PlatformState.REGISTERED:
            raise Unauthenticated(ErrorReason.ERROR_REASON_TOKEN_REVOKED, "this platform has unregistered")
        parties = await repo.list_parties(after=None, limit=_MAX_PAGE_SIZE, platform_id=platform.id)
        active = [p for p in parties if p.state is PartyState.REGISTERED and not p.suspended]
        if not active:
            raise Unauthenticated(ErrorReason.ERROR_REASON_PARTY_SUSPENDED, "every party of this platform is suspended")
        return Authentication(kind, token, active, platform, valid_for=valid_for)


def _refuse_revoked(party: Party) -> None:
    if party.state is PartyState.REVOKED:
        raise FailedPrecondition(
            ErrorReason.ERROR_REASON_WRONG_STATE,
            f"{party.key} has been revoked for good",
            metadata={"party": party.key.name},
        )


def _limits_audit(limits: PartyLimits) -> dict[str, object]:
    return {
        "party": f"{limits.country_code}/{limits.party_id}",
        "rate_per_second": limits.rate_per_second,
        "burst": limits.burst,
        "module_limits": {m.module: [m.rate_per_second, m.burst] for m in limits.module_limits},
        "allowed_cidrs": list(limits.allowed_cidrs),
    }


async def _security_event(
    repo: PartyRepository,
    kind: str,
    *,
    key: PartyKey | None = None,
    platform_id: uuid.UUID | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    """A security event in the use case's own transaction: it exists exactly when the change does."""
    await AuditRepository(repo.connection).record(kind, key=key, platform_id=platform_id, detail=detail)
    SECURITY_EVENTS.labels(kind).inc()


def _audit(platform: Platform) -> dict[str, object]:
    return {
        "versions_url": platform.versions_url,
        "version": platform.version,
        "roles": [str(role.key) for role in platform.roles],
        "modules": sorted({endpoint.identifier for endpoint in platform.endpoints}),
    }
