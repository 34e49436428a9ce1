"""Use cases of the CDR store: a CPO posts a CDR; the Hub verifies its cost, keeps it, and relays it to the token's
eMSP only. CDRs never change: the same CDR again is a harmless retry, another one under the same id is refused."""

from __future__ import annotations

from datetime import UTC

import asyncpg

from core import metrics, ownership
from core.billing.cdr_verification import verify_cdr
from core.billing.period_tariffs import choose_period_tariffs
from core.cdrs.repository import CdrFilter, CdrRepository
from core.cdrs.rules import check_cdr, keep_flags
from core.clock import Clock
from core.deliveries.model import relay_from_pb
from core.directory import Directory
from core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from core.events.model import Kind, party_of
from core.events.repository import emit
from core.locations.repository import LocationRepository
from core.parties.model import Role
from core.routing import addressed
from core.sessions.service import TOKEN_OWNER_ROLES
from core.tariffs.repository import TariffRepository
from ocpihub.cdrs.v1 import cdrs_pb2 as pb
from ocpihub.deliveries.v1 import deliveries_pb2
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason

MAX_PAGE_SIZE = 1000
ACCEPT, REJECT = "accept", "reject"


class CdrsService:
    def __init__(
        self, pool: asyncpg.Pool, directory: Directory, mismatch_policy: str = ACCEPT, clock: Clock | None = None
    ) -> None:
        self._pool = pool
        self._directory = directory
        self._clock = clock or Clock()
        # What a CDR whose cost does not follow from its tariff gets: kept and flagged (accept) or refused (reject).
        self._mismatch_policy = mismatch_policy

    async def get(self, country_code: str, party_id: str, cdr_id: str) -> tuple[pb.Cdr, pb.CdrVerification]:
        async with self._pool.acquire() as conn:
            found = await CdrRepository(conn).get(country_code.upper(), party_id.upper(), cdr_id)
        if found is None:
            raise NotFound(ErrorReason.ERROR_REASON_OBJECT_NOT_FOUND, f"no CDR {country_code}/{party_id}/{cdr_id}")
        return found

    async def list_cdrs(self, f: CdrFilter, *, offset: int, limit: int) -> tuple[list[pb.Cdr], int]:
        async with self._pool.acquire() as conn:
            return await CdrRepository(conn).list(f, offset=offset, limit=min(limit, MAX_PAGE_SIZE))

    async def create(
        self, cdr: pb.Cdr, caller_platform: str, relay: deliveries_pb2.Message
    ) -> tuple[pb.Cdr, bool, pb.CdrVerification, addressed.Queued]:
        if not cdr.id:
            raise InvalidArgument([("id", "is required")])
        if not (cdr.cdr_token.country_code and cdr.cdr_token.party_id):
            raise InvalidArgument([("cdr_token", "is required: it names the eMSP the CDR belongs to")])
        owner = ownership.owner_key(cdr.country_code, cdr.party_id, Role.CPO)
        object_key = f"cdrs/{owner.country_code}/{owner.party_id}/{cdr.id.upper()}"
        async with self._pool.acquire() as conn, conn.transaction():
            await self._directory.require_owner(conn, caller_platform, owner)
            repo = CdrRepository(conn)
            # Two copies of one POST racing each other: the second waits, then sees the first.
            await repo.lock(object_key)
            existing = await repo.get(owner.country_code, owner.party_id, cdr.id)
            if existing is not None:
                if existing[0] != cdr:
                    raise AlreadyExists(
                        ErrorReason.ERROR_REASON_CONFLICT,
                        f"a different CDR {owner.country_code}/{owner.party_id}/{cdr.id} exists; CDRs cannot change "
                        "(send a credit CDR to correct one)",
                    )
                return existing[0], False, existing[1], addressed.Queued(0)
            flags = metrics.count_rules(owner, lambda: check_cdr(cdr, self._clock.now()))
            await self._check_tariffs_exist(conn, owner.country_code, owner.party_id, cdr)
            verification = await self.verification(conn, cdr)
            keep_flags(verification, flags)
            if verification.state == pb.VERIFICATION_STATE_MISMATCH and self._mismatch_policy == REJECT:
                differences = "; ".join(
                    f"{d.field}: reported {d.reported}, tariff gives {d.computed}" for d in verification.differences
                )
                raise FailedPrecondition(
                    ErrorReason.ERROR_REASON_COST_MISMATCH,
                    f"the CDR's cost does not follow from its tariff: {differences}",
                )
            await repo.insert(cdr, verification, addressed.addressee(relay))
            party = party_of(owner.country_code, owner.party_id)
            await emit(
                conn,
                Kind.CDR_RECEIVED,
                party,
                f"cdrs/{party}/{cdr.id}",
                cdr_id=cdr.id,
                session_id=cdr.session_id,
                verification=pb.VerificationState.Name(verification.state).removeprefix("VERIFICATION_STATE_"),
                flags=list(verification.flags),
                total_cost=cdr.total_cost.excl_vat,
                currency=cdr.currency,
                emsp=party_of(cdr.cdr_token.country_code, cdr.cdr_token.party_id),
            )
            queued = await addressed.enqueue(
                conn,
                relay,
                relay_from_pb(relay, owner, object_key),
                lambda: self._directory.owner_receivers(
                    conn, "cdrs", cdr.cdr_token.country_code, cdr.cdr_token.party_id, TOKEN_OWNER_ROLES
                ),
            )
        # Counted once committed: a CDR is stored once (a repeated POST returns above), so the totals add up.
        metrics.count_cdr(cdr.total_energy, cdr.currency, cdr.total_cost.excl_vat)
        metrics.count_flags(owner, flags)
        return cdr, True, verification, queued

    @staticmethod
    async def _check_tariffs_exist(conn: asyncpg.Connection, country_code: str, party_id: str, cdr: pb.Cdr) -> None:
        """A charging period may name a tariff only if the CDR carries it or the CPO pushed it to the Hub."""
        carried = {tariff.id.upper() for tariff in cdr.tariffs}
        repo = TariffRepository(conn)
        violations = []
        for index, period in enumerate(cdr.charging_periods):
            tariff_id = period.tariff_id
            if (
                tariff_id
                and tariff_id.upper() not in carried
                and await repo.get(country_code, party_id, tariff_id, deleted=True) is None
            ):
                violations.append(
                    (f"charging_periods[{index}].tariff_id", f"unknown tariff {tariff_id!r}: push it or include it")
                )
        if violations:
            raise InvalidArgument(violations)

    @staticmethod
    async def verification(conn: asyncpg.Connection, cdr: pb.Cdr) -> pb.CdrVerification:
        """Prices each period with the tariff it names (the CDR's copy, else the stored one) or, naming none, with the
        one its session calls for among the connector's (tariff_choice); in the location's time zone."""
        owner = ownership.owner_key(cdr.country_code, cdr.party_id, Role.CPO)
        location = await LocationRepository(conn).get(owner.country_code, owner.party_id, cdr.cdr_location.id)
        choice = await choose_period_tariffs(
            conn,
            (owner.country_code, owner.party_id),
            cdr.charging_periods,
            cdr.cdr_token,
            location,
            cdr.cdr_location.evse_uid,
            cdr.cdr_location.connector_id,
            cdr.start_date_time.ToDatetime(tzinfo=UTC),
            carried=cdr.tariffs,
        )
        time_zone = location.time_zone if location is not None and location.time_zone else "UTC"
        verification = verify_cdr(cdr, choice, time_zone)
        if location is None:
            verification.notes.append(f"location {cdr.cdr_location.id} unknown to the Hub: priced in UTC")
        return verification
