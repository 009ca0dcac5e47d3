"""Checks a request against the contract's protovalidate (buf.validate) rules before it is sent.

The rules are read from the generated descriptors (the same ``(buf.validate.field)`` options the server's generated
``Validate()`` compiles), so a limit changed in protos/ changes here with the next ``build_protos.py``. Only the rule
kinds the contract uses are known here; :func:`unsupported_rules` lists any other, and the test suite requires it to
be empty, so a new kind of rule cannot be skipped silently. Field paths and wording follow the server's violations.
"""

from __future__ import annotations

import re
from typing import Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from ._gen.buf.validate import validate_pb2
from .errors import FieldViolation

_KNOWN = {
    "string": {"pattern", "min_len", "max_len", "max_bytes"},
    "int32": {"gte", "gt", "lte", "lt"},
    "int64": {"gte", "gt", "lte", "lt"},
    "double": {"gte", "gt", "lte", "lt"},
    "float": {"gte", "gt", "lte", "lt"},
    "enum": {"defined_only"},
    "repeated": {"min_items", "max_items", "items"},
}
_NOT_BLANK = "\\S"


def _rules(field: FieldDescriptor) -> validate_pb2.FieldRules | None:
    options = field.GetOptions()
    if not options.HasExtension(validate_pb2.field):
        return None
    return options.Extensions[validate_pb2.field]


def unsupported_rules(descriptor: Descriptor) -> list[str]:
    """The rules on ``descriptor``'s fields that this module cannot check (empty for the current contract)."""
    found = []
    for field in descriptor.fields:
        rules = _rules(field)
        if rules is not None:
            found.extend(f"{field.name}: {name}" for name in _unknown(rules))
    return found


def _unknown(rules: validate_pb2.FieldRules) -> Iterator[str]:
    if rules.cel:
        yield "cel"
    if rules.ignore not in (validate_pb2.IGNORE_UNSPECIFIED, validate_pb2.IGNORE_IF_ZERO_VALUE):
        yield "ignore"
    kind = rules.WhichOneof("type")
    if kind is None:
        return
    typed = getattr(rules, kind)
    for field, _ in typed.ListFields():
        if field.name not in _KNOWN.get(kind, set()):
            yield f"{kind}.{field.name}"
    if kind == "repeated" and typed.HasField("items"):
        yield from (f"repeated.items.{name}" for name in _unknown(typed.items))


def violations(request: Message) -> tuple[FieldViolation, ...]:
    """Every rule ``request`` breaks, as the server would report them (empty when valid)."""
    found: list[FieldViolation] = []
    for field in request.DESCRIPTOR.fields:
        rules = _rules(field)
        if rules is None:
            continue
        value = getattr(request, field.name)
        if field.label == FieldDescriptor.LABEL_REPEATED:
            found.extend(_check_repeated(field.name, list(value), rules))
        else:
            present = request.HasField(field.name) if field.containing_oneof is not None else bool(value)
            found.extend(_check(field.name, value, present, rules, field))
    return tuple(found)


def _check(path: str, value: object, present: bool, rules: validate_pb2.FieldRules,
           field: FieldDescriptor | None) -> Iterator[FieldViolation]:
    if rules.required and not present:
        wording = "must not be empty" if isinstance(value, str) else "must be set"
        yield FieldViolation(path, f"{path} {wording}")
        return
    if not present and (rules.ignore == validate_pb2.IGNORE_IF_ZERO_VALUE or field is not None and field.containing_oneof):
        return
    kind = rules.WhichOneof("type")
    if kind == "string":
        yield from _check_string(path, str(value), rules.string)
    elif kind in ("int32", "int64", "double", "float"):
        yield from _check_range(path, value, getattr(rules, kind))
    elif kind == "enum" and rules.enum.defined_only and field is not None:
        if field.enum_type.values_by_number.get(int(value)) is None:  # type: ignore[arg-type]
            names = ", ".join(v.name for v in field.enum_type.values)
            yield FieldViolation(path, f"{path} must be one of {names} (got {value})")


def _check_repeated(path: str, items: list, rules: validate_pb2.FieldRules) -> Iterator[FieldViolation]:
    repeated = rules.repeated
    if repeated.HasField("min_items") and len(items) < repeated.min_items:
        yield FieldViolation(path, f"{path} must have at least {repeated.min_items} item(s) (got {len(items)})")
    if repeated.HasField("max_items") and len(items) > repeated.max_items:
        yield FieldViolation(path, f"{path} must have at most {repeated.max_items} item(s) (got {len(items)})")
    if repeated.HasField("items"):
        for index, item in enumerate(items):
            yield from _check(f"{path}[{index}]", item, True, repeated.items, None)


def _check_string(path: str, value: str, rules: validate_pb2.StringRules) -> Iterator[FieldViolation]:
    if rules.HasField("pattern") and not re.search(rules.pattern, value):
        wording = "must not be empty or whitespace" if rules.pattern == _NOT_BLANK else f"must match the pattern {rules.pattern}"
        yield FieldViolation(path, f"{path} {wording}")
    if rules.HasField("min_len") and len(value) < rules.min_len:
        yield FieldViolation(path, f"{path} must be at least {rules.min_len} character(s) (got {len(value)})")
    if rules.HasField("max_len") and len(value) > rules.max_len:
        yield FieldViolation(path, f"{path} must be at most {rules.max_len} character(s) (got {len(value)})")
    if rules.HasField("max_bytes"):
        size = len(value.encode("utf-8"))
        if size > rules.max_bytes:
            yield FieldViolation(path, f"{path} must be at most {rules.max_bytes} byte(s) in UTF-8 (got {size})")


def _check_range(path: str, value, rules) -> Iterator[FieldViolation]:
    ok = value == value  # NaN breaks every bound
    if rules.HasField("gte"):
        ok = ok and value >= rules.gte
    if rules.HasField("gt"):
        ok = ok and value > rules.gt
    if rules.HasField("lte"):
        ok = ok and value <= rules.lte
    if rules.HasField("lt"):
        ok = ok and value < rules.lt
    if not ok:
        bounds = [f"{op} {getattr(rules, name)}" for name, op in (("gte", ">="), ("gt", ">"), ("lte", "<="), ("lt", "<"))
                  if rules.HasField(name)]
        yield FieldViolation(path, f"{path} must be {' and '.join(bounds)} (got {value})")
