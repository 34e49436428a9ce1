"""A CPO's legacy QR codes described by a pattern spec (the seed's `cpo_qr_format` YAML, "Phương án 2").

    cpo_qr_format:
      name: "ABC CPO QR Code Format"          # required
      version: "1.0"                          # optional
      pattern: "{prefix}-{station_code}-{port_id}"
      components: {prefix: {...}, station_code: {...}, port_id: {...}}
      examples: [{qr_code: "CPO-ABC-STATION-001-PORT-A", ocpi_mapping: {location_id: ..., ...}}]

Semantics:

- `pattern` names each component once, in braces; the text between them is literal. Every component is in the
  pattern. A code matches when the whole of it matches (case-sensitive), and it is at most 256 characters.
- A component is `fixed` with a `value` (the constant text), or has a `format`, or has neither: then it matches
  `[A-Za-z0-9_]+` (no separators, so the pattern stays unambiguous). In a format, `{n}`, `{nn}`, `{nnn}`… are exactly
  that many digits; `{A-Z}` one upper-case letter, `{a-z}` one lower-case letter, `{0-9}` one digit, `{A-Z0-9}` one of
  either; a one-character placeholder followed by `+` (`{A-Z}+`, `{n}+`) is one or more. Other text is literal;
  any other `{...}` is an error (never silently literal). A component's `example`, if given, must match it.
- `mapping` of a component is either `field` + `ocpi_format` (one OCPI field from a template) or direct
  `location_id` / `evse_uid` / `connector_id` keys, each a template. A template is literal text with `{names}`: a
  component's name stands for its whole matched text; any other name stands for the variable part of the owning
  component's format, which must then have exactly one placeholder (the seed's `{port_letter}` is the letter of
  `PORT-{A-Z}`).
- Each of location_id, evse_uid and connector_id comes from exactly one template. country_code and party_id are the
  CPO's, given when the spec is loaded; the examples' ocpi_mapping must agree with them.
- Every component that is not constant is used by some template: otherwise two codes would reach one connector and
  `code_for` could not say which is the connector's code.
- A repeated placeholder must be followed by a character it cannot match (or end the text), in the pattern and in
  every template. So a code parses in exactly one way, a connector's ids give back exactly one code, and the single
  anchored regex the pattern compiles to has no nested quantifiers and never backtracks.
- Every scalar is a YAML string: unquoted `1` or `001` is a number to YAML (and `010` is 8), so it is refused.

Guarantees: `code_for(resolve(code)) == code` for every code that resolves, and `resolve(code_for(t)) == t` whenever
`code_for(t)` is not None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import yaml

MAX_SPEC_BYTES = 64 * 1024
MAX_CODE_LENGTH = 256  # what a resolve request may carry (seed §5.6.9)
OCPI_FIELDS = ("location_id", "evse_uid", "connector_id")
_CPO_FIELDS = ("country_code", "party_id")

_BRACED = re.compile(r"\{([^{}]*)\}")
_BRACED_REPEAT = re.compile(r"\{([^{}]*)\}(\+?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DIGITS = re.compile(r"n+\Z")

_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGIT = frozenset("0123456789")
_CLASSES = {
    "A-Z": ("[A-Z]", _UPPER),
    "a-z": ("[a-z]", _LOWER),
    "0-9": ("[0-9]", _DIGIT),
    "A-Z0-9": ("[A-Z0-9]", _UPPER | _DIGIT),
}
_SPEC_KEYS = frozenset({"name", "version", "description", "pattern", "components", "examples"})
_COMPONENT_KEYS = frozenset({"description", "value", "fixed", "format", "example", "mapping"})


class PatternError(ValueError):
    """The spec cannot be used; the message says what is wrong and where (e.g. `components.port_id.format`)."""


@dataclass(frozen=True, slots=True)
class PatternTarget:
    location_id: str
    evse_uid: str
    connector_id: str


@dataclass(frozen=True, slots=True)
class _Token:
    """One character position of a code: the characters allowed there, once or (`many`) one or more times."""

    chars: frozenset[str]
    many: bool
    label: str


@dataclass(frozen=True, slots=True)
class _Placeholder:
    regex: str
    tokens: tuple[_Token, ...]


_ANY = _Placeholder("[A-Za-z0-9_]+", (_Token(_UPPER | _LOWER | _DIGIT | frozenset("_"), True, "[A-Za-z0-9_]+"),))


def _literal_tokens(text: str) -> tuple[_Token, ...]:
    return tuple(_Token(frozenset(char), False, repr(char)) for char in text)


@dataclass(frozen=True, slots=True)
class _Component:
    name: str
    fixed: bool
    parts: tuple[str | _Placeholder, ...]
    # The placeholder a template may name by another name: only when the format has exactly one.
    variable: _Placeholder | None

    @property
    def constant(self) -> bool:
        return not any(isinstance(part, _Placeholder) for part in self.parts)

    @property
    def tokens(self) -> tuple[_Token, ...]:
        tokens: list[_Token] = []
        for part in self.parts:
            tokens.extend(_literal_tokens(part) if isinstance(part, str) else part.tokens)
        return tuple(tokens)

    def regex(self, variable_group: str | None) -> str:
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(re.escape(part))
            elif variable_group is not None and part is self.variable:
                pieces.append(f"(?P<{variable_group}>{part.regex})")
            else:
                pieces.append(f"(?:{part.regex})")
        return "".join(pieces)

    def text(self, variable: str | None) -> str | None:
        """The whole text from the variable part alone (None when that does not determine it)."""
        if self.constant:
            return "".join(part for part in self.parts if isinstance(part, str))
        if variable is None or self.variable is None:
            return None
        return "".join(part if isinstance(part, str) else variable for part in self.parts)


@dataclass(frozen=True, slots=True)
class _Ref:
    component: str
    variable: bool  # its format's one placeholder, else its whole text


@dataclass(frozen=True, slots=True)
class _Template:
    field: str
    owner: str
    parts: tuple[str | _Ref, ...]
    # Matches a field's value, group r{i} capturing the i-th reference: how code_for runs a template backwards.
    inverse: re.Pattern[str]

    @property
    def refs(self) -> tuple[_Ref, ...]:
        return tuple(part for part in self.parts if isinstance(part, _Ref))

    def render(self, wholes: Mapping[str, str], variables: Mapping[str, str]) -> str:
        return "".join(
            part if isinstance(part, str) else (variables if part.variable else wholes)[part.component]
            for part in self.parts
        )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        hint = " (quote it: YAML reads 1 or 001 as a number)" if isinstance(value, int | float) else ""
        raise PatternError(f"{where} must be a string, got {type(value).__name__}{hint}")
    return value


def _mapping(value: Any, where: str, allowed: frozenset[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PatternError(f"{where} must be a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise PatternError(f"{where}: key {key!r} must be a string")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise PatternError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    return value


def _pieces(text: str, where: str, braced: re.Pattern[str]) -> list[str | re.Match[str]]:
    """Literal runs and brace matches in order; a brace outside a `{...}` is an error."""
    pieces: list[str | re.Match[str]] = []
    at = 0
    for match in braced.finditer(text):
        pieces.append(text[at : match.start()])
        pieces.append(match)
        at = match.end()
    pieces.append(text[at:])
    for piece in pieces:
        if isinstance(piece, str) and ("{" in piece or "}" in piece):
            raise PatternError(f"{where}: unbalanced brace in {text!r}")
    return [piece for piece in pieces if piece != ""]


def _check_unambiguous(tokens: Sequence[_Token], where: str) -> None:
    for here, after in pairwise(tokens):
        if here.many and here.chars & after.chars:
            raise PatternError(
                f"{where}: {here.label} is followed by {after.label}, which it could also match, so a code could be"
                " split in more than one way; put a separator it cannot match between them"
            )


def _placeholder(inner: str, repeat: bool, where: str) -> _Placeholder:
    if _DIGITS.match(inner):
        if repeat and len(inner) > 1:
            raise PatternError(f"{where}: {{{inner}}}+ would nest repetitions; write {{n}}+ for one or more digits")
        if repeat:
            return _Placeholder("[0-9]+", (_Token(_DIGIT, True, "{n}+"),))
        label = f"{{{inner}}}"
        count = "" if len(inner) == 1 else f"{{{len(inner)}}}"
        return _Placeholder(f"[0-9]{count}", tuple(_Token(_DIGIT, False, label) for _ in inner))
    if inner in _CLASSES:
        regex, chars = _CLASSES[inner]
        label = f"{{{inner}}}{'+' if repeat else ''}"
        return _Placeholder(regex + ("+" if repeat else ""), (_Token(chars, repeat, label),))
    raise PatternError(
        f"{where}: unknown placeholder {{{inner}}} (known: {{n}}, {{nn}}…, {{A-Z}}, {{a-z}}, {{0-9}}, {{A-Z0-9}},"
        " optionally followed by +)"
    )


def _component(name: str, spec: dict[str, Any]) -> _Component:
    where = f"components.{name}"
    fixed = spec.get("fixed", "value" in spec)
    if not isinstance(fixed, bool):
        raise PatternError(f"{where}.fixed must be true or false")
    if fixed:
        if "value" not in spec:
            raise PatternError(f"{where}: fixed: true needs a value")
        if "format" in spec:
            raise PatternError(f"{where}: a fixed component has a value, not a format")
        value = _text(spec["value"], f"{where}.value")
        if not value:
            raise PatternError(f"{where}.value is empty")
        return _Component(name, True, (value,), None)
    if "value" in spec:
        raise PatternError(f"{where}: a value needs fixed: true")
    if "format" not in spec:
        return _Component(name, False, (_ANY,), None)
    text = _text(spec["format"], f"{where}.format")
    if not text:
        raise PatternError(f"{where}.format is empty")
    parts: list[str | _Placeholder] = []
    for piece in _pieces(text, f"{where}.format", _BRACED_REPEAT):
        if isinstance(piece, str):
            parts.append(piece)
        else:
            parts.append(_placeholder(piece.group(1), piece.group(2) == "+", f"{where}.format"))
    placeholders = [part for part in parts if isinstance(part, _Placeholder)]
    return _Component(name, False, tuple(parts), placeholders[0] if len(placeholders) == 1 else None)


def _template(field: str, owner: _Component, text: str, components: Mapping[str, _Component], where: str) -> _Template:
    if not text:
        raise PatternError(f"{where} is empty")
    parts: list[str | _Ref] = []
    tokens: list[_Token] = []
    regex: list[str] = []
    for piece in _pieces(text, where, _BRACED):
        if isinstance(piece, str):
            parts.append(piece)
            tokens.extend(_literal_tokens(piece))
            regex.append(re.escape(piece))
            continue
        name = piece.group(1)
        group = f"r{len(regex)}"
        if name in components:
            ref = _Ref(name, variable=False)
            tokens.extend(components[name].tokens)
            regex.append(f"(?P<{group}>{components[name].regex(None)})")
        elif owner.variable is not None and _NAME.match(name):
            ref = _Ref(owner.name, variable=True)
            tokens.extend(owner.variable.tokens)
            regex.append(f"(?P<{group}>{owner.variable.regex})")
        else:
            count = sum(isinstance(part, _Placeholder) for part in owner.parts)
            why = " has no format" if owner.parts == (_ANY,) or owner.fixed else f"'s format has {count} placeholders"
            raise PatternError(
                f"{where}: unknown name {{{name}}}: not a component, and it cannot name the variable part of"
                f" {owner.name}'s format ({owner.name}{why})"
            )
        parts.append(ref)
    _check_unambiguous(tokens, where)
    return _Template(field, owner.name, tuple(parts), re.compile("".join(regex)))


def _templates(component: _Component, mapping: Any, components: Mapping[str, _Component]) -> list[_Template]:
    where = f"components.{component.name}.mapping"
    spec = _mapping(mapping, where)
    if "field" in spec or "ocpi_format" in spec:
        _mapping(spec, where, frozenset({"field", "ocpi_format"}))
        if "field" not in spec or "ocpi_format" not in spec:
            raise PatternError(f"{where}: field and ocpi_format go together")
        field = _text(spec["field"], f"{where}.field")
        entries = {field: (spec["ocpi_format"], f"{where}.ocpi_format")}
    else:
        entries = {key: (value, f"{where}.{key}") for key, value in spec.items()}
    if not entries:
        raise PatternError(f"{where} is empty")
    templates = []
    for field, (text, at) in entries.items():
        if field in _CPO_FIELDS:
            raise PatternError(f"{where}: {field} is the CPO's (given with the spec), not mapped from the code")
        if field not in OCPI_FIELDS:
            raise PatternError(f"{where}: unknown field {field!r} (one of {', '.join(OCPI_FIELDS)})")
        templates.append(_template(field, component, _text(text, at), components, at))
    return templates


@dataclass(frozen=True, slots=True)
class _Example:
    index: int
    qr_code: str
    expected: dict[str, str]


def _examples(value: Any) -> list[_Example]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PatternError(f"examples must be a list, got {type(value).__name__}")
    examples = []
    allowed = frozenset(OCPI_FIELDS + _CPO_FIELDS)
    for index, item in enumerate(value):
        where = f"examples[{index}]"
        spec = _mapping(item, where, frozenset({"qr_code", "ocpi_mapping", "description"}))
        if "qr_code" not in spec or "ocpi_mapping" not in spec:
            raise PatternError(f"{where} needs qr_code and ocpi_mapping")
        code = _text(spec["qr_code"], f"{where}.qr_code")
        mapping = _mapping(spec["ocpi_mapping"], f"{where}.ocpi_mapping", allowed)
        missing = [field for field in OCPI_FIELDS if field not in mapping]
        if missing:
            raise PatternError(f"{where}.ocpi_mapping: missing {', '.join(missing)}")
        expected = {key: _text(text, f"{where}.ocpi_mapping.{key}") for key, text in mapping.items()}
        examples.append(_Example(index, code, expected))
    return examples


def _load(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise PatternError(f"the spec is larger than {MAX_SPEC_BYTES // 1024} KB")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PatternError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise PatternError("not valid YAML: nested too deeply") from None
    root = _mapping(document, "the document", frozenset({"cpo_qr_format"}))
    if "cpo_qr_format" not in root:
        raise PatternError("the document must have cpo_qr_format at its top")
    return _mapping(root["cpo_qr_format"], "cpo_qr_format", _SPEC_KEYS)


class QrPattern:
    """A loaded spec: resolves the CPO's codes to connector ids, and back."""

    name: str
    version: str | None
    examples_checked: int

    def __init__(
        self,
        name: str,
        version: str | None,
        pattern: tuple[str | _Component, ...],
        templates: tuple[_Template, ...],
    ) -> None:
        self.name = name
        self.version = version
        self.examples_checked = 0
        self._pattern = pattern
        self._templates = templates
        regex = []
        for index, part in enumerate(pattern):
            if isinstance(part, str):
                regex.append(re.escape(part))
            else:
                regex.append(f"(?P<c{index}>{part.regex(f'v{index}')})")
        self._regex = re.compile("".join(regex))

    @classmethod
    def from_yaml(cls, text: str, country_code: str, party_id: str) -> QrPattern:
        """Loads and checks a spec; every example must resolve to its ocpi_mapping (else PatternError lists them)."""
        spec = _load(text)
        for key in ("name", "pattern", "components"):
            if key not in spec:
                raise PatternError(f"cpo_qr_format: missing {key}")
        name = _text(spec["name"], "name")
        version = spec.get("version")
        if version is not None and not isinstance(version, str | int | float):
            raise PatternError("version must be a string")
        component_specs = _mapping(spec["components"], "components")
        components: dict[str, _Component] = {}
        for component_name, component_spec in component_specs.items():
            if not _NAME.match(component_name):
                raise PatternError(f"components: {component_name!r} is not a name (letters, digits, _)")
            at = f"components.{component_name}"
            components[component_name] = _component(component_name, _mapping(component_spec, at, _COMPONENT_KEYS))
        pattern = cls._pattern_parts(_text(spec["pattern"], "pattern"), components)
        templates = cls._all_templates(component_specs, components)
        for component_name, component_spec in component_specs.items():
            if "example" in component_spec:
                example = _text(component_spec["example"], f"components.{component_name}.example")
                if not re.fullmatch(components[component_name].regex(None), example):
                    raise PatternError(f"components.{component_name}.example {example!r} does not match its format")
        loaded = cls(name, None if version is None else str(version), pattern, templates)
        loaded._check_examples(_examples(spec.get("examples")), country_code, party_id)
        return loaded

    @staticmethod
    def _pattern_parts(text: str, components: Mapping[str, _Component]) -> tuple[str | _Component, ...]:
        parts: list[str | _Component] = []
        for piece in _pieces(text, "pattern", _BRACED):
            if isinstance(piece, str):
                parts.append(piece)
                continue
            name = piece.group(1)
            if name not in components:
                known = ", ".join(components) or "none"
                raise PatternError(f"pattern: unknown component {{{name}}} (components: {known})")
            if components[name] in parts:
                raise PatternError(f"pattern: {{{name}}} appears more than once")
            parts.append(components[name])
        unused = [name for name, component in components.items() if component not in parts]
        if unused:
            raise PatternError(f"components {', '.join(unused)} are not in the pattern")
        tokens: list[_Token] = []
        for part in parts:
            tokens.extend(_literal_tokens(part) if isinstance(part, str) else part.tokens)
        _check_unambiguous(tokens, "pattern")
        return tuple(parts)

    @staticmethod
    def _all_templates(
        component_specs: Mapping[str, dict[str, Any]], components: Mapping[str, _Component]
    ) -> tuple[_Template, ...]:
        by_field: dict[str, _Template] = {}
        for name, component_spec in component_specs.items():
            if "mapping" not in component_spec:
                continue
            for template in _templates(components[name], component_spec["mapping"], components):
                if template.field in by_field:
                    raise PatternError(
                        f"{template.field} is mapped twice: by {by_field[template.field].owner} and by {name}"
                    )
                by_field[template.field] = template
        missing = [field for field in OCPI_FIELDS if field not in by_field]
        if missing:
            raise PatternError(f"no component maps {', '.join(missing)}")
        templates = tuple(by_field[field] for field in OCPI_FIELDS)
        used = {ref.component for template in templates for ref in template.refs}
        for name, component in components.items():
            if not component.constant and name not in used:
                raise PatternError(
                    f"components.{name}: no mapping uses it, so codes that differ only there would reach the same"
                    " connector"
                )
        return templates

    def _check_examples(self, examples: Sequence[_Example], country_code: str, party_id: str) -> None:
        cpo = {"country_code": country_code, "party_id": party_id}
        mismatches = []
        for example in examples:
            where = f"examples[{example.index}] {example.qr_code!r}"
            for field, value in cpo.items():
                if example.expected.get(field, value) != value:
                    mismatches.append(f"{where}: {field} {example.expected[field]!r} is not the CPO's {value!r}")
            target = self.resolve(example.qr_code)
            if target is None:
                mismatches.append(f"{where}: does not match the pattern")
                continue
            for field in OCPI_FIELDS:
                got = getattr(target, field)
                if got != example.expected[field]:
                    mismatches.append(f"{where}: gives {field} {got!r}, the example says {example.expected[field]!r}")
        if mismatches:
            raise PatternError("examples do not agree with the spec: " + "; ".join(mismatches))
        self.examples_checked = len(examples)

    def resolve(self, code: str) -> PatternTarget | None:
        """The connector a code names, or None when the code does not match the pattern."""
        if len(code) > MAX_CODE_LENGTH:
            return None
        match = self._regex.fullmatch(code)
        if match is None:
            return None
        wholes: dict[str, str] = {}
        variables: dict[str, str] = {}
        for index, part in enumerate(self._pattern):
            if isinstance(part, _Component):
                wholes[part.name] = match.group(f"c{index}")
                if part.variable is not None:
                    variables[part.name] = match.group(f"v{index}")
        ids = {template.field: template.render(wholes, variables) for template in self._templates}
        return PatternTarget(**ids)

    def code_for(self, target: PatternTarget) -> str | None:
        """The one code that resolves to `target`, or None when no code of this pattern does."""
        wholes: dict[str, str] = {}
        variables: dict[str, str] = {}
        for template in self._templates:
            match = template.inverse.fullmatch(getattr(target, template.field))
            if match is None:
                return None
            for index, ref in enumerate(template.parts):
                if not isinstance(ref, _Ref):
                    continue
                known = variables if ref.variable else wholes
                value = match.group(f"r{index}")
                if known.setdefault(ref.component, value) != value:
                    return None
        pieces = []
        for part in self._pattern:
            if isinstance(part, str):
                pieces.append(part)
                continue
            text = wholes.get(part.name)
            if text is None:
                text = part.text(variables.get(part.name))
            if text is None:
                return None
            pieces.append(text)
        code = "".join(pieces)
        # A whole text and a variable part given by different fields may disagree: only a code that resolves back to
        # the very same ids is the connector's code.
        return code if self.resolve(code) == target else None
