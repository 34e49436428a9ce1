"""What hubctl prints: parties and platforms as JSON-ready dicts, tables and human-readable text.

Locations, tariffs and deliveries are rendered by `hubctl._render_network`, with the helpers here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from ocpihub.parties.v1 import parties_pb2 as pb


def role(value: pb.Role.ValueType) -> str:
    return pb.Role.Name(value).removeprefix("ROLE_")


def state(value: pb.PartyState.ValueType) -> str:
    return pb.PartyState.Name(value).removeprefix("PARTY_STATE_").lower()


def environment(value: pb.Environment.ValueType) -> str:
    return pb.Environment.Name(value).removeprefix("ENVIRONMENT_").lower()


def timestamp(value: Timestamp | None) -> str | None:
    return value.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def party_label(party: pb.Party) -> str:
    return f"{party.country_code}/{party.party_id}"


def invite_expiry(party: pb.Party) -> str | None:
    return timestamp(party.invite_expire_time if party.HasField("invite_expire_time") else None)


def party_json(party: pb.Party) -> dict[str, object]:
    return {
        "name": party.name,
        "party": party_label(party),
        "role": role(party.role),
        "display_name": party.display_name,
        "environment": environment(party.environment),
        "state": state(party.state),
        "platform": party.platform or None,
        "invite_expire_time": invite_expiry(party),
        "create_time": timestamp(party.create_time if party.HasField("create_time") else None),
        "update_time": timestamp(party.update_time if party.HasField("update_time") else None),
    }


def platform_json(platform: pb.Platform) -> dict[str, object]:
    return {
        "name": platform.name,
        "state": pb.PlatformState.Name(platform.state).removeprefix("PLATFORM_STATE_").lower(),
        "versions_url": platform.versions_url,
        "version": platform.version,
        "endpoints": [
            {
                "identifier": e.identifier,
                "role": pb.InterfaceRole.Name(e.role).removeprefix("INTERFACE_ROLE_"),
                "url": e.url,
            }
            for e in platform.endpoints
        ],
        "encode_auth_token": platform.encode_auth_token,
        "credentials_issue_time": timestamp(
            platform.credentials_issue_time if platform.HasField("credentials_issue_time") else None
        ),
        "rotation": rotation_json(platform),
    }


def rotation_json(platform: pb.Platform) -> dict[str, object] | None:
    """The Hub's rotation of its credentials at the platform, when one is failing."""
    if not platform.rotation_attempts:
        return None
    return {
        "failed_attempts": platform.rotation_attempts,
        "error": platform.rotation_error,
        "next_attempt_time": timestamp(
            platform.next_rotation_time if platform.HasField("next_rotation_time") else None
        ),
    }


def table(rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell and two spaces apart; the last one unpadded (no trailing blanks)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows)


def party_table(parties: Sequence[pb.Party]) -> str:
    rows = [("PARTY", "ROLE", "STATE", "ENV", "NAME", "PLATFORM/INVITE EXPIRY")]
    for p in parties:
        detail = p.platform or invite_expiry(p) or "-"
        rows.append((party_label(p), role(p.role), state(p.state), environment(p.environment), p.display_name, detail))
    return table(rows)


def token_text(party: pb.Party, token_a: str, versions_url: str, *, rotated: bool) -> str:
    who = f"{party_label(party)} {role(party.role)} {party.display_name!r} ({environment(party.environment)})"
    expiry = f"valid until {invite_expiry(party)}"
    headline = (
        f"New TOKEN_A for {who}, {expiry}; the previous one no longer works."
        if rotated
        else (f"Invited {who}: TOKEN_A {expiry}.")
    )
    return "\n".join(
        [
            headline,
            "",
            f"  TOKEN_A:       {token_a}",
            f"  Versions URL:  {versions_url}",
            "",
            "Send both to the party over a secure channel; it registers by calling the versions URL with"
            " 'Authorization: Token <base64 of TOKEN_A>' and POSTing its credentials. The token is not shown again.",
        ]
    )


def party_text(party: pb.Party, platform: pb.Platform | None) -> str:
    lines = [
        f"{party_label(party)} {role(party.role)}: {state(party.state)} ({environment(party.environment)})"
        f" {party.display_name!r}"
    ]
    if expiry := invite_expiry(party):
        lines.append(f"  invite expires:     {expiry}")
    if platform is not None:
        details = platform_json(platform)
        lines += [
            f"  platform:           {platform.name} ({details['state']})",
            f"  versions URL:       {platform.versions_url}",
            f"  OCPI version:       {platform.version}",
            f"  encode auth token:  {'yes' if platform.encode_auth_token else 'no'}",
            f"  credentials issued: {details['credentials_issue_time'] or '-'}",
        ]
        if rotation := rotation_json(platform):
            lines.append(
                f"  ROTATION FAILING:   {rotation['failed_attempts']} attempts, next {rotation['next_attempt_time']}:"
                f" {rotation['error']}"
            )
        lines.append("  endpoints:")
        lines += [
            f"    {e.identifier:<24} {pb.InterfaceRole.Name(e.role).removeprefix('INTERFACE_ROLE_'):<9} {e.url}"
            for e in platform.endpoints
        ]
    return "\n".join(lines)


def ocpi_dict(message: Message) -> dict[str, Any]:
    """A message as OCPI-like JSON: OCPI field names, enum values without their proto prefix
    (EVSE_STATUS_AVAILABLE → AVAILABLE) and the fields OCPI does not define (extensions_json) back in place."""
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    _to_ocpi(message.DESCRIPTOR, data)
    return data


def _to_ocpi(descriptor: Any, data: dict[str, Any]) -> None:
    # `descriptor`: a message Descriptor, pure-Python or upb (their stubs differ, their API does not).
    for field in descriptor.fields:
        if field.name not in data:
            continue
        value = data[field.name]
        values = value if isinstance(value, list) else [value]
        if field.enum_type is not None:
            # Every enum here starts with X_UNSPECIFIED = 0: its name minus UNSPECIFIED is the shared prefix.
            prefix = field.enum_type.values[0].name.removesuffix("UNSPECIFIED")
            stripped = [v.removeprefix(prefix) if isinstance(v, str) else v for v in values]
            data[field.name] = stripped if isinstance(value, list) else stripped[0]
        elif _is_object(field.message_type):
            for item in values:
                _to_ocpi(field.message_type, item)
    extensions = data.pop("extensions_json", None)
    if extensions:
        try:
            parsed = json.loads(extensions)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            data.update({k: v for k, v in parsed.items() if k not in data})
        else:
            data["extensions_json"] = extensions


def _is_object(descriptor: Any) -> bool:
    """An OCPI sub-object: not a scalar, not a well-known type (a Timestamp is already a string), not a map."""
    return (
        descriptor is not None
        and not descriptor.full_name.startswith("google.protobuf.")
        and not descriptor.GetOptions().map_entry
    )
