"""Between the parties model and its protobuf messages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from core.errors import InvalidArgument
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
    PlatformRegistration,
    Role,
    TokenRotation,
)
from ocpihub.parties.v1 import parties_pb2 as pb
from ocpihub.parties.v1 import parties_service_pb2 as rpc
from ocpihub.types.v1 import types_pb2


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def duration(value: Duration, present: bool) -> timedelta | None:
    return value.ToTimedelta() if present else None


def role_from_pb(value: pb.Role.ValueType, field: str = "role") -> Role:
    if value == pb.ROLE_UNSPECIFIED:
        raise InvalidArgument([(field, "is required")])
    if value not in pb.Role.values():
        raise InvalidArgument([(field, f"{value} is not a known role")])
    return Role(pb.Role.Name(value).removeprefix("ROLE_"))


def role_to_pb(role: Role) -> pb.Role.ValueType:
    return pb.Role.Value(f"ROLE_{role}")


def environment_from_pb(value: pb.Environment.ValueType) -> Environment | None:
    if value == pb.ENVIRONMENT_UNSPECIFIED:
        return None
    if value not in pb.Environment.values():
        raise InvalidArgument([("environment", f"{value} is not a known environment")])
    return Environment(pb.Environment.Name(value).removeprefix("ENVIRONMENT_"))


def party_key_from_name(name: str) -> PartyKey:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "parties":
        raise InvalidArgument([("name", f"{name!r} is not of the form parties/{{country_code}}/{{party_id}}/{{role}}")])
    try:
        role = Role(parts[3].upper())
    except ValueError:
        raise InvalidArgument([("name", f"{parts[3]!r} is not an OCPI role")]) from None
    return PartyKey(parts[1].upper(), parts[2].upper(), role)


def party_to_pb(party: Party) -> pb.Party:
    state = str(party.state)
    if party.suspended and party.state is not PartyState.REVOKED:
        state = "SUSPENDED"
    elif party.state is PartyState.REGISTERED and party.offline:
        state = "OFFLINE"
    return pb.Party(
        name=party.key.name,
        country_code=party.key.country_code,
        party_id=party.key.party_id,
        role=role_to_pb(party.key.role),
        display_name=party.display_name,
        environment=pb.Environment.Value(f"ENVIRONMENT_{party.environment}"),
        state=pb.PartyState.Value(f"PARTY_STATE_{state}"),
        platform=f"platforms/{party.platform_id}" if party.platform_id else "",
        invite_expire_time=_timestamp(party.invite_expire_time if party.state == "INVITED" else None),
        create_time=_timestamp(party.create_time),
        update_time=_timestamp(party.update_time),
    )


def _business_details_to_pb(details: dict[str, object]) -> pb.BusinessDetails:
    logo = details.get("logo")
    return pb.BusinessDetails(
        name=str(details.get("name", "")),
        website=str(details.get("website") or ""),
        logo_json=json.dumps(logo) if logo else "",
    )


def _business_details_from_pb(details: pb.BusinessDetails) -> dict[str, object]:
    result: dict[str, object] = {"name": details.name}
    if details.website:
        result["website"] = details.website
    if details.logo_json:
        result["logo"] = json.loads(details.logo_json)
    return result


def platform_to_pb(platform: Platform) -> pb.Platform:
    return pb.Platform(
        name=platform.name,
        state=pb.PlatformState.Value(f"PLATFORM_STATE_{platform.state}"),
        versions_url=platform.versions_url,
        version=platform.version,
        endpoints=[
            pb.Endpoint(identifier=e.identifier, role=pb.InterfaceRole.Value(f"INTERFACE_ROLE_{e.role}"), url=e.url)
            for e in platform.endpoints
        ],
        roles=[
            pb.CredentialsRole(
                role=role_to_pb(r.key.role),
                country_code=r.key.country_code,
                party_id=r.key.party_id,
                business_details=_business_details_to_pb(r.business_details),
            )
            for r in platform.roles
        ],
        encode_auth_token=platform.encode_auth_token,
        environment=pb.Environment.Value(f"ENVIRONMENT_{platform.environment}"),
        create_time=_timestamp(platform.create_time),
        update_time=_timestamp(platform.update_time),
        last_heard_time=_timestamp(platform.last_heard_time),
        offline_time=_timestamp(platform.offline_time),
        credentials_issue_time=_timestamp(platform.credentials_issue_time),
        rotation_attempts=platform.rotation_attempts,
        rotation_error=platform.rotation_error,
        next_rotation_time=_timestamp(platform.next_rotation_time),
    )


def alive_check_to_pb(check: AliveCheck, token: str) -> rpc.AliveCheck:
    return rpc.AliveCheck(
        platform=f"platforms/{check.platform_id}",
        versions_url=check.versions_url,
        token=token,
        encode_auth_token=check.encode_auth_token,
        environment=pb.Environment.Value(f"ENVIRONMENT_{check.environment}"),
    )


def token_rotation_to_pb(rotation: TokenRotation, token_b: str, token_c: str) -> rpc.TokenRotation:
    return rpc.TokenRotation(
        platform=f"platforms/{rotation.platform_id}",
        credentials_url=rotation.credentials_url,
        token=token_b,
        encode_auth_token=rotation.encode_auth_token,
        environment=pb.Environment.Value(f"ENVIRONMENT_{rotation.environment}"),
        token_c=token_c,
        attempt=rotation.attempt,
    )


def registration_from_pb(token_b: str, platform: pb.Platform) -> PlatformRegistration:
    roles = []
    for index, role in enumerate(platform.roles):
        key = PartyKey(
            role.country_code.upper(), role.party_id.upper(), role_from_pb(role.role, f"roles[{index}].role")
        )
        roles.append(CredentialsRole(key, _business_details_from_pb(role.business_details)))
    endpoints: list[Endpoint] = []
    for index, e in enumerate(platform.endpoints):
        if e.role not in pb.InterfaceRole.values():
            raise InvalidArgument([(f"endpoints[{index}].role", f"{e.role} is not a known interface role")])
        endpoints.append(Endpoint(e.identifier, pb.InterfaceRole.Name(e.role).removeprefix("INTERFACE_ROLE_"), e.url))
    return PlatformRegistration(
        token_b=token_b,
        versions_url=platform.versions_url,
        version=platform.version,
        endpoints=endpoints,
        roles=roles,
        encode_auth_token=platform.encode_auth_token,
    )


def limits_party_from_pb(party: types_pb2.PartyRef, field: str = "party") -> tuple[str, str]:
    if not party.country_code or not party.party_id:
        raise InvalidArgument([(field, "country_code and party_id are required")])
    return party.country_code.upper(), party.party_id.upper()


def limits_from_pb(limits: pb.PartyLimits) -> PartyLimits:
    country_code, party_id = limits_party_from_pb(limits.party, "limits.party")
    return PartyLimits(
        country_code=country_code,
        party_id=party_id,
        rate_per_second=limits.rate_per_second,
        burst=limits.burst,
        module_limits=tuple(ModuleLimit(m.module.lower(), m.rate_per_second, m.burst) for m in limits.module_limits),
        allowed_cidrs=tuple(limits.allowed_cidrs),
    )


def limits_to_pb(limits: PartyLimits) -> pb.PartyLimits:
    return pb.PartyLimits(
        party=types_pb2.PartyRef(country_code=limits.country_code, party_id=limits.party_id),
        rate_per_second=limits.rate_per_second,
        burst=limits.burst,
        module_limits=[
            pb.ModuleLimit(module=m.module, rate_per_second=m.rate_per_second, burst=m.burst)
            for m in limits.module_limits
        ],
        allowed_cidrs=list(limits.allowed_cidrs),
        update_time=_timestamp(limits.update_time),
    )
