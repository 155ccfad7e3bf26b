"""Lambda event filtering (an event source mapping's ``FilterCriteria``), for the local pollers.

Implements the pattern syntax Lambda documents for DynamoDB and SQS sources: exact values,
``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``, ``exists`` and ``numeric``. A
record passes when any filter's pattern matches it; a source with no filters passes everything.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_filter_criteria(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of a template's ``FilterCriteria`` (each ``Pattern`` is a JSON string)."""
    patterns = []
    for entry in (criteria or {}).get("Filters") or []:
        pattern = entry.get("Pattern")
        patterns.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern))
    return patterns


def passes(record: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]) -> bool:
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    if not isinstance(event, Mapping):
        return False
    for key, rule in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(rule, Mapping):
            if not present or not matches(rule, value):
                return False
        elif isinstance(rule, list):
            if not _field_matches(rule, present, value):
                return False
        else:
            raise ValueError(f"filter pattern values must be lists or objects, got {rule!r}")
    return True


def _field_matches(rules: Sequence[Any], present: bool, value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, Mapping) and "exists" in rule:
            if bool(rule["exists"]) == present:
                return True
            continue
        if present and any(_value_matches(rule, item) for item in values):
            return True
    return False


def _value_matches(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return bool(rule == value and type(rule) is type(value))
    ((op, arg),) = rule.items()
    if op == "prefix":
        return isinstance(value, str) and value.startswith(str(arg))
    if op == "suffix":
        return isinstance(value, str) and value.endswith(str(arg))
    if op == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == str(arg).casefold()
    if op == "anything-but":
        if isinstance(arg, Mapping):
            return not _value_matches(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return value not in excluded
    if op == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        pairs = zip(arg[::2], arg[1::2], strict=True)
        return all(_NUMERIC[name](float(value), float(limit)) for name, limit in pairs)
    raise ValueError(f"unsupported filter operator {op!r}")
