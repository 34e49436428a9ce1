"""Resolving scanned codes (seed §5.6): the standard forms name the connector; a CPO's own codes go through its
mapping API (fresh), else its registry or the API's cached answers, else its pattern. Every answer is checked against
Locations and carries the EVSE's live status.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import asyncpg

from core.errors import FailedPrecondition, InvalidArgument, InvalidFormat, NotFound
from core.locations.repository import LocationFilter, LocationRepository
from core.parties.secrets import TokenVault
from core.qr import connectors, registry
from core.qr.pattern import PatternError, PatternTarget, QrPattern
from core.qr.repository import CodeSource, QrRepository, StoredCode
from core.qr.uri import MAX_LENGTH, ConnectorRef, QrFormatError, build, parse_standard
from ocpihub.errors.v1.error_reason_pb2 import ErrorReason
from ocpihub.qr.v1 import qr_pb2 as pb
from ocpihub.qr.v1 import qr_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2

log = logging.getLogger(__name__)

_SOURCES = {"REGISTRY": pb.QR_SOURCE_REGISTRY, "MAPPING_API": pb.QR_SOURCE_MAPPING_CACHE}


class QrService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        vault: TokenVault,
        hub_country_code: str,
        api_deadline: timedelta,
        hub_hosts: frozenset[str] = frozenset({"127.0.0.1"}),
    ) -> None:
        self._pool = pool
        self._vault = vault
        self._hub_country_code = hub_country_code
        self._api_deadline = api_deadline
        # HUB_QR_HOSTS: where https://{hub}/charge?… codes are the Hub's own.
        self._hub_hosts = hub_hosts
        # Compiled pattern specs by CPO, valid while the stored spec has the same update_time.
        self._patterns: dict[tuple[str, str], tuple[datetime, QrPattern]] = {}

    async def resolve(self, qr_data: str) -> rpc.ResolveQrResponse:
        text = qr_data.strip()
        if not text:
            raise InvalidArgument([("qr_data", "is empty")])
        if len(qr_data) > MAX_LENGTH:
            raise _format_error(f"qr_data is longer than {MAX_LENGTH} characters")
        try:
            standard = parse_standard(text, self._hub_country_code, self._hub_hosts)
        except QrFormatError as exc:
            raise _format_error(str(exc)) from None
        async with self._pool.acquire() as conn:
            if standard is not None:
                return rpc.ResolveQrResponse(resolution=await _resolution(conn, standard.target, pb.QR_SOURCE_STANDARD))
            sources = await QrRepository(conn).sources()
            claimant = _claimant(sources, text)
            if claimant is not None and claimant.api_url:
                return rpc.ResolveQrResponse(ask_cpo=self._api_call(claimant))
            return rpc.ResolveQrResponse(resolution=await self._offline(conn, text, sources))

    async def complete_mapping(self, request: rpc.CompleteQrMappingRequest) -> pb.Resolution:
        cpo = (request.cpo.country_code.upper(), request.cpo.party_id.upper())
        text = request.qr_data.strip()
        async with self._pool.acquire() as conn, conn.transaction():
            repo = QrRepository(conn)
            sources = await repo.sources()
            claimant = _claimant(sources, text)
            if claimant is None or (claimant.country_code, claimant.party_id) != cpo:
                # Its prefix changed since the Hub asked: the answer is no longer its to give.
                log.warning("%s/%s's QR API answered a code outside its prefix", *cpo)
                return await self._offline(conn, text, sources)
            if request.not_found:
                await repo.forget_mapping(text, *cpo)
                raise NotFound(ErrorReason.ERROR_REASON_QR_NOT_FOUND, f"{cpo[0]}/{cpo[1]} does not know this code")
            if request.HasField("answer"):
                answer = request.answer.target
                target = ConnectorRef(
                    answer.country_code, answer.party_id, answer.location_id, answer.evse_uid, answer.connector_id
                )
                if (target.country_code.upper(), target.party_id.upper()) != cpo:
                    log.warning(
                        "%s/%s's QR API answered a connector of %s/%s", *cpo, target.country_code, target.party_id
                    )
                else:
                    resolution = await _resolution(conn, target, pb.QR_SOURCE_MAPPING_API)
                    await repo.cache_mapping(
                        StoredCode(
                            text,
                            _target(resolution.target),
                            "MAPPING_API",
                            request.answer.location_name,
                            request.answer.connector_type,
                            None,
                        )
                    )
                    return resolution
            # The API failed (or answered nonsense): what the Hub already knows stands in (seed §5.6.10).
            try:
                return await self._offline(conn, text, sources)
            except NotFound as exc:
                if exc.reason != ErrorReason.ERROR_REASON_QR_NOT_FOUND:
                    raise
            why = request.failure or "it answered a connector of another CPO"
            raise FailedPrecondition(
                ErrorReason.ERROR_REASON_API_TIMEOUT,
                f"{cpo[0]}/{cpo[1]}'s QR API could not resolve the code ({why}) and nothing cached can stand in",
            )

    async def _offline(self, conn: asyncpg.Connection, text: str, sources: list[CodeSource]) -> pb.Resolution:
        """Registry rows and cached mapping answers, then patterns: only the claimant's when a CPO's prefix covers the
        code; a cached mapping answer only while its CPO's prefix still covers it."""
        claimant = _claimant(sources, text)
        stored = await QrRepository(conn).code(text)
        if stored is not None and _may_answer(stored, claimant):
            return await _resolution(conn, stored.target, _SOURCES.get(stored.source, pb.QR_SOURCE_REGISTRY))
        for source in sources if claimant is None else [claimant]:
            pattern = self._pattern(source)
            matched = pattern.resolve(text) if pattern else None
            if matched is not None:
                target = ConnectorRef(
                    source.country_code, source.party_id, matched.location_id, matched.evse_uid, matched.connector_id
                )
                return await _resolution(conn, target, pb.QR_SOURCE_PATTERN)
        raise NotFound(ErrorReason.ERROR_REASON_QR_NOT_FOUND, "no CPO knows this code")

    def _pattern(self, source: CodeSource) -> QrPattern | None:
        if not source.pattern_yaml:
            return None
        key = (source.country_code, source.party_id)
        cached = self._patterns.get(key)
        if cached is None or cached[0] != source.update_time:
            try:
                cached = (source.update_time, QrPattern.from_yaml(source.pattern_yaml, *key))
            except PatternError as exc:  # stored specs were checked; a newer engine may still refuse one
                log.error("the stored QR pattern of %s/%s no longer loads: %s", *key, exc)
                return None
            self._patterns[key] = cached
        return cached[1]

    def _api_call(self, source: CodeSource) -> rpc.MappingApiCall:
        call = rpc.MappingApiCall(
            cpo=types_pb2.PartyRef(country_code=source.country_code, party_id=source.party_id, role="CPO"),
            url=source.api_url or "",
            api_key=self._vault.decrypt(source.api_key_encrypted) if source.api_key_encrypted else "",
        )
        call.deadline.FromTimedelta(self._api_deadline)
        return call

    # Administration

    async def import_registry(self, request: rpc.ImportQrRegistryRequest) -> rpc.ImportQrRegistryResponse:
        cpo = (request.cpo.country_code.upper(), request.cpo.party_id.upper())
        read = registry.read_csv if request.format == rpc.REGISTRY_FORMAT_CSV else registry.read_json
        try:
            rows = read(request.content)
        except registry.RegistryFormatError as exc:
            raise InvalidArgument([("content", str(exc))]) from None
        async with self._pool.acquire() as conn, conn.transaction():
            repo = QrRepository(conn)
            await repo.lock_namespaces()
            problems = await _check_rows(conn, repo, rows, cpo)
            codes = [row.code for row in rows if row.code is not None]
            if problems or request.dry_run:
                return rpc.ImportQrRegistryResponse(imported=0, problems=problems)
            await repo.replace_registry(*cpo, codes)
            log.info("QR registry of %s/%s replaced: %d codes", *cpo, len(codes))
            return rpc.ImportQrRegistryResponse(imported=len(codes))

    async def set_pattern(self, cc: str, pid: str, spec_yaml: str) -> int:
        try:
            pattern = QrPattern.from_yaml(spec_yaml, cc.upper(), pid.upper())
        except PatternError as exc:
            raise InvalidArgument([("spec_yaml", str(exc))]) from None
        async with self._pool.acquire() as conn:
            await QrRepository(conn).set_pattern(cc.upper(), pid.upper(), spec_yaml)
        return pattern.examples_checked

    async def set_api(self, cc: str, pid: str, url: str, api_key: str, prefix: str) -> None:
        if url and not url.startswith(("https://", "http://")):
            raise InvalidArgument([("url", "must be an http(s) URL")])
        if url and not api_key:
            raise InvalidArgument([("api_key", "is required with a url")])
        if url and not prefix.strip():
            # An empty prefix would send every code on the Hub to this CPO's API (issue 16).
            raise InvalidArgument([("code_prefix", "is required with a url: the start of the codes the API answers")])
        if len(prefix) > MAX_LENGTH:
            raise InvalidArgument([("code_prefix", f"is longer than {MAX_LENGTH} characters")])
        cpo = (cc.upper(), pid.upper())
        key = self._vault.encrypt(api_key) if url else None
        async with self._pool.acquire() as conn, conn.transaction():
            repo = QrRepository(conn)
            await repo.lock_namespaces()
            if url:
                await _check_prefix(repo, cpo, prefix)
            await repo.set_api(*cpo, url or None, key, prefix if url else "")

    async def check(self, cc: str, pid: str) -> rpc.CheckQrCodesResponse:
        cpo = (cc.upper(), pid.upper())
        async with self._pool.acquire() as conn:
            repo = QrRepository(conn)
            locations, _ = await LocationRepository(conn).list(
                LocationFilter(country_code=cpo[0], party_id=cpo[1]), offset=0, limit=1_000_000
            )
            codes = await repo.codes_of(*cpo)
            source = await repo.source(*cpo)
        pattern = self._pattern(source) if source else None
        present = {_key(found.target): found for location in locations for found in connectors.all_connectors(location)}
        coded = {_key(code.target) for code in codes if _key(code.target) in present}
        response = rpc.CheckQrCodesResponse()
        for key, found in present.items():
            by_pattern = pattern is not None and pattern.code_for(
                PatternTarget(found.target.location_id, found.target.evse_uid, found.target.connector_id)
            )
            if key not in coded and not by_pattern:
                response.without_code.append(_qr_target(found.target))
        for code in codes:
            if _key(code.target) not in present:
                response.dangling.append(
                    pb.QrCode(
                        code=code.code,
                        target=_qr_target(code.target),
                        source=_SOURCES.get(code.source, pb.QR_SOURCE_STANDARD),
                        location_name=code.location_name,
                    )
                )
        return response


async def _check_rows(
    conn: asyncpg.Connection, repo: QrRepository, rows: list[registry.Row], cpo: tuple[str, str]
) -> list[rpc.RowProblem]:
    problems = [rpc.RowProblem(row=r.number, qr_code=r.qr_code, problem=r.problem) for r in rows if r.problem]
    owners = await repo.owners([r.code.code for r in rows if r.code])
    sources = await repo.sources()
    seen: set[str] = set()
    locations = LocationRepository(conn)
    for row in rows:
        if row.code is None:
            continue
        target, problem = row.code.target, ""
        claimant = _claimant(sources, row.code.code)
        if (target.country_code.upper(), target.party_id.upper()) != cpo:
            problem = f"names {target.country_code}/{target.party_id}: a registry holds only {cpo[0]}/{cpo[1]}'s codes"
        elif claimant is not None and (claimant.country_code, claimant.party_id) != cpo:
            problem = (
                f"starts with {claimant.api_code_prefix!r}, the code prefix of "
                f"{claimant.country_code}/{claimant.party_id}: its codes are its own"
            )
        elif row.code.code in seen:
            problem = "the same qr_code appears twice"
        elif owners.get(row.code.code, cpo) != cpo:
            owner = owners[row.code.code]
            problem = f"the code already belongs to {owner[0]}/{owner[1]}"
        else:
            found = connectors.find(await locations.get(*cpo, target.location_id), target)
            problem = found if isinstance(found, str) else ""
        seen.add(row.code.code)
        if problem:
            problems.append(rpc.RowProblem(row=row.number, qr_code=row.code.code, problem=problem))
    return sorted(problems, key=lambda p: p.row)


def _claimant(sources: list[CodeSource], code: str) -> CodeSource | None:
    """The CPO whose registered prefix starts the code (the longest: sources come longest prefix first). Empty
    prefixes, which the Hub no longer accepts but may still hold from before, claim nothing."""
    return next((s for s in sources if s.api_code_prefix and code.startswith(s.api_code_prefix)), None)


def _may_answer(stored: StoredCode, claimant: CodeSource | None) -> bool:
    """A registry row answers unless another CPO's prefix covers its code; a cached mapping answer only while its
    CPO's prefix covers it (the API gave it under that claim)."""
    owner = (stored.target.country_code.upper(), stored.target.party_id.upper())
    if claimant is not None:
        return owner == (claimant.country_code, claimant.party_id)
    return stored.source != "MAPPING_API"


async def _check_prefix(repo: QrRepository, cpo: tuple[str, str], prefix: str) -> None:
    """A prefix is one CPO's namespace: it may not equal, start, or start with another CPO's prefix, nor cover codes
    in another CPO's registry."""
    for other in await repo.sources():
        theirs = other.api_code_prefix
        if (other.country_code, other.party_id) == cpo or not theirs:
            continue
        if prefix.startswith(theirs) or theirs.startswith(prefix):
            raise InvalidArgument(
                [
                    (
                        "code_prefix",
                        f"{prefix!r} overlaps {theirs!r}, the code prefix of {other.country_code}/{other.party_id}",
                    )
                ]
            )
    taken = await repo.registry_codes_under(prefix, *cpo)
    if taken:
        code, owner = taken[0]
        raise InvalidArgument(
            [("code_prefix", f"{prefix!r} covers {code!r}, a code in the registry of {owner[0]}/{owner[1]}")]
        )


async def _resolution(conn: asyncpg.Connection, target: ConnectorRef, source: pb.QrSource.ValueType) -> pb.Resolution:
    location = await LocationRepository(conn).get(
        target.country_code.upper(), target.party_id.upper(), target.location_id
    )
    found = connectors.find(location, target)
    if isinstance(found, str):
        raise NotFound(ErrorReason.ERROR_REASON_EVSE_NOT_FOUND, found)
    power = connectors.power_kw(found.connector)
    return pb.Resolution(
        target=_qr_target(found.target),
        location_name=found.location.name,
        connector_type=connectors.connector_type(found.connector),
        power_kw=str(power) if power is not None else "",
        availability=connectors.evse_status(found.evse),
        source=source,
        uri=build(found.target),
    )


def _format_error(message: str) -> InvalidFormat:
    return InvalidFormat(ErrorReason.ERROR_REASON_QR_INVALID_FORMAT, message)


def _key(target: ConnectorRef) -> tuple[str, ...]:
    return (target.location_id.upper(), target.evse_uid.upper(), target.connector_id.upper())


def _qr_target(target: ConnectorRef) -> pb.QrTarget:
    return pb.QrTarget(
        country_code=target.country_code,
        party_id=target.party_id,
        location_id=target.location_id,
        evse_uid=target.evse_uid,
        connector_id=target.connector_id,
    )


def _target(target: pb.QrTarget) -> ConnectorRef:
    return ConnectorRef(target.country_code, target.party_id, target.location_id, target.evse_uid, target.connector_id)
