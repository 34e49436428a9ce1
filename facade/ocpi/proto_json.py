"""OCPI JSON values ↔ protobuf messages, driven by the message descriptors (proto field names are OCPI's JSON names).

Numbers stay exact end to end: JSON floats decode to Decimal, OCPI `number` fields are decimal strings in the protos,
and they go back out as JSON numbers with the same digits. Keys a message does not define are kept, as received, in
its `extensions_json` field so the Hub relays them unchanged.
"""

from __future__ import annotations

import decimal
import functools
from datetime import UTC
from typing import Any, TypeVar, cast

import msgspec
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from facade.ocpi.datetime import ocpi_datetime, parse_ocpi_datetime

M = TypeVar("M", bound=Message)

EXTENSIONS = "extensions_json"
_TIMESTAMP = "google.protobuf.Timestamp"

# String fields holding an OCPI `number` (emitted as JSON numbers). Every other string field is an OCPI string, even
# when it looks numeric: GeoLocation latitude/longitude are strings in OCPI and must stay quoted.
NUMBER_FIELDS = frozenset(
    {
        ("ocpihub.types.v1.EnergySource", "percentage"),
        ("ocpihub.types.v1.EnvironmentalImpact", "amount"),
        ("ocpihub.tariffs.v1.Price", "excl_vat"),
        ("ocpihub.tariffs.v1.Price", "incl_vat"),
        ("ocpihub.tariffs.v1.PriceComponent", "price"),
        ("ocpihub.tariffs.v1.PriceComponent", "vat"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "min_kwh"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "min_current"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "min_power"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "max_kwh"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "max_current"),
        ("ocpihub.tariffs.v1.TariffRestrictions", "max_power"),
        ("ocpihub.sessions.v1.Session", "kwh"),
        ("ocpihub.sessions.v1.CdrDimension", "volume"),
    }
)

# OCPI enum values are case-sensitive and these four ConnectorType names are not all upper case; every other wire
# name is the proto value name without its prefix.
_MIXED_CASE = {
    f"CONNECTOR_TYPE_{name.upper()}": name
    for name in ("IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64")
}

_decoder = msgspec.json.Decoder(float_hook=decimal.Decimal)
_encoder = msgspec.json.Encoder(decimal_format="number")


class ProtoJsonError(ValueError):
    """A JSON value that does not fit the message; `.path` names it ("evses[0].connectors[1].standard")."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '<root>'}: {problem}")
        self.path = path


def decode_json(body: bytes | str) -> Any:
    """JSON with exact numbers: floats as Decimal (0.10 stays 0.10), integers as int."""
    return _decoder.decode(body)


def encode_json(value: Any) -> bytes:
    """JSON with Decimals written as numbers, digits unchanged (Decimal('0.10') → 0.10)."""
    return _encoder.encode(value)


def _descriptor(message: Message) -> Descriptor:
    # The stubs type DESCRIPTOR as a union with upb's class; at run time the public descriptor classes are upb's.
    return cast(Descriptor, message.DESCRIPTOR)


@functools.cache
def _enum_names(enum: EnumDescriptor) -> tuple[dict[int, str], dict[str, int]]:
    """(proto number → wire name, wire name → proto number); the prefix is the UNSPECIFIED name minus UNSPECIFIED."""
    prefix = enum.values_by_number[0].name.removesuffix("UNSPECIFIED")
    wire = {v.number: _MIXED_CASE.get(v.name, v.name.removeprefix(prefix)) for v in enum.values if v.number != 0}
    return wire, {name: number for number, name in wire.items()}


def _number(value: Any, path: str) -> str:
    """An OCPI number (JSON number or numeric string) as its canonical decimal string; str(Decimal) is valid JSON."""
    if isinstance(value, int | decimal.Decimal | str) and not isinstance(value, bool):
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            pass
        else:
            if number.is_finite():  # NaN/Infinity parse as Decimals but are not JSON numbers
                return str(number)
    raise ProtoJsonError(path, f"{value!r} is not a number")


def _is_number(field: FieldDescriptor) -> bool:
    message, _, name = field.full_name.rpartition(".")
    return (message, name) in NUMBER_FIELDS


def _scalar(field: FieldDescriptor, value: Any, path: str) -> Any:
    if field.enum_type is not None:
        number = _enum_names(field.enum_type)[1].get(value) if isinstance(value, str) else None
        if number is None:
            raise ProtoJsonError(path, f"{value!r} is not a {field.enum_type.name}")
        return number
    if field.type == FieldDescriptor.TYPE_STRING:
        if _is_number(field):
            return _number(value, path)
        if isinstance(value, str):
            return value
        if isinstance(value, int | decimal.Decimal) and not isinstance(value, bool):
            return str(value)  # an OCPI number in a string field: keep its digits exactly
        expected = "a string"
    elif field.type == FieldDescriptor.TYPE_BOOL:
        if isinstance(value, bool):
            return value
        expected = "a boolean"
    else:  # the only other scalars in these protos are integers
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "an integer"
    raise ProtoJsonError(path, f"expected {expected}, got {value!r}")


def _set(message: Message, field: FieldDescriptor, value: Any, path: str, strict: bool) -> None:
    """Set one value (or append one item of a repeated field)."""
    if field.message_type is not None:
        target = getattr(message, field.name).add() if field.is_repeated else getattr(message, field.name)
        if field.message_type.full_name == _TIMESTAMP:
            if not isinstance(value, str):
                raise ProtoJsonError(path, f"expected a DateTime string, got {value!r}")
            try:
                target.FromDatetime(parse_ocpi_datetime(value))
            except ValueError as exc:
                raise ProtoJsonError(path, str(exc)) from None
        else:
            target.SetInParent()  # an empty object is still present
            _fill(target, value, path, strict)
        return
    scalar = _scalar(field, value, path)
    try:
        if field.is_repeated:
            getattr(message, field.name).append(scalar)
        else:
            setattr(message, field.name, scalar)
    except ValueError as exc:  # int32 out of range
        raise ProtoJsonError(path, str(exc)) from None


def _fill(message: Message, data: Any, path: str, strict: bool) -> None:
    if not isinstance(data, dict):
        raise ProtoJsonError(path, f"expected an object, got {data!r}")
    fields = _descriptor(message).fields_by_name
    unknown: dict[str, Any] = {}
    for key, value in data.items():
        at = f"{path}.{key}" if path else key
        field = fields.get(key)
        if field is None or key == EXTENSIONS:  # a sent "extensions_json" key is the party's own field
            unknown[key] = value
        elif value is None:
            continue  # OCPI optional: null is absent
        elif field.is_repeated:
            if not isinstance(value, list):
                raise ProtoJsonError(at, f"expected an array, got {value!r}")
            for index, item in enumerate(value):
                _set(message, field, item, f"{at}[{index}]", strict)
        else:
            _set(message, field, value, at, strict)
    if unknown and EXTENSIONS in fields:
        setattr(message, EXTENSIONS, encode_json(unknown).decode())
    elif unknown and strict:
        key = next(iter(unknown))
        raise ProtoJsonError(f"{path}.{key}" if path else key, "unknown field")


def to_proto_with_fields(data: Any, message_type: type[M], *, strict: bool = False) -> tuple[M, list[str]]:
    """The message, and the known top-level fields present and non-null in `data` (descriptor order: a PATCH mask)."""
    message = message_type()
    _fill(message, data, "", strict)
    names = [f.name for f in _descriptor(message).fields if f.name != EXTENSIONS and data.get(f.name) is not None]
    return message, names


def to_proto(data: Any, message_type: type[M], *, strict: bool = False) -> M:
    """Decoded OCPI JSON → message. Unknown keys go to `extensions_json`; where there is none, strict refuses them."""
    return to_proto_with_fields(data, message_type, strict=strict)[0]


def _out(field: FieldDescriptor, value: Any) -> Any:
    if field.enum_type is not None:
        wire = _enum_names(field.enum_type)[0].get(value)
        if wire is None:
            raise ProtoJsonError(field.full_name, f"{value!r} is not a {field.enum_type.name}")
        return wire
    if field.message_type is not None:
        if field.message_type.full_name == _TIMESTAMP:
            return ocpi_datetime(value.ToDatetime(tzinfo=UTC))
        return from_proto(value)
    if _is_number(field):
        return decimal.Decimal(_number(value, field.full_name))
    return value


def from_proto(message: Message) -> dict[str, Any]:
    """Message → JSON-ready dict (Decimals for OCPI numbers; encode with encode_json), descriptor order."""
    out: dict[str, Any] = {}
    descriptor = _descriptor(message)
    for field in descriptor.fields:
        if field.name == EXTENSIONS:
            continue
        value = getattr(message, field.name)
        if field.is_repeated:
            present = len(value) > 0
        elif field.has_presence:  # sub-messages and `optional` scalars
            present = message.HasField(field.name)
        elif field.type == FieldDescriptor.TYPE_STRING:
            present = value != ""  # OCPI-optional strings: empty means absent
        elif field.enum_type is not None:
            present = value != 0  # UNSPECIFIED means absent
        else:
            present = True  # plain int32/bool are OCPI-required: 0 and false are values
        if present:
            out[field.name] = [_out(field, item) for item in value] if field.is_repeated else _out(field, value)
    if EXTENSIONS in descriptor.fields_by_name and (extensions := getattr(message, EXTENSIONS)):
        for key, item in decode_json(extensions).items():
            out.setdefault(key, item)  # a known field wins over a same-named stored extension
    return out
