"""Checking a Compute Engine request body against the compute.v1 discovery document that
google-api-python-client ships: unknown field names, JSON types and enum values, at any depth.

This is the check Compute itself makes on a request body (the emulator makes the same one), done
before any call and without importing google.cloud.compute_v1, whose generated types cost ~2 s to
import: `gcpkit plan` need not pay that to validate a pattern. Refs ($(ref.NAME.FIELD)) are strings
until apply, so a ref stands for a value of any type."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def schemas() -> dict:
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("googleapiclient")
    doc = Path(spec.origin).parent / "discovery_cache" / "documents" / "compute.v1.json"
    return json.loads(doc.read_text())["schemas"]


def problem(message: str, body: Any) -> str | None:
    """None if `body` fits the discovery schema `message` (e.g. "Instance"), else one line naming the
    first offending field by its path (e.g. "unknown field 'disks[0].initializeParms'")."""
    return _walk(schemas(), {"$ref": message}, body, "")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(doc: dict, schema: dict, value: Any, path: str) -> str | None:
    while "$ref" in schema:
        schema = doc[schema["$ref"]]
    if value is None or (isinstance(value, str) and value.startswith("$(ref.")):
        return None
    kind, fmt = schema.get("type", "any"), schema.get("format")
    if kind == "object":
        if not isinstance(value, dict):
            return _wrong(path, "an object", value)
        fields, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            sub = fields.get(key, extra)
            if sub is None:
                from gcpkit.patterns.schema import did_you_mean

                return f"unknown field '{_join(path, key)}'{did_you_mean(key, sorted(fields))}"
            found = _walk(doc, sub, item, _join(path, key))
            if found:
                return found
        return None
    if kind == "array":
        if not isinstance(value, list):
            return _wrong(path, "a list", value)
        for i, item in enumerate(value):
            found = _walk(doc, schema.get("items", {}), item, f"{path}[{i}]")
            if found:
                return found
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else _wrong(path, "true or false", value)
    if kind == "integer" or fmt in ("int64", "uint64"):  # 64-bit integers travel as strings; either is fine
        return None if _is_integer(value) else _wrong(path, "an integer", value)
    if kind == "number":
        return None if _is_number(value) else _wrong(path, "a number", value)
    if kind == "string":
        if not isinstance(value, str):
            return _wrong(path, "a string", value)
        enum = schema.get("enum")
        if enum and value not in enum:
            from gcpkit.patterns.schema import did_you_mean

            return f"{path}: {value!r} is not one of {', '.join(enum)}{did_you_mean(value, enum)}"
    return None


def _wrong(path: str, expected: str, value: Any) -> str:
    return f"{path or 'properties'} must be {expected}, not {json.dumps(value)[:60]}"


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, str):
        try:
            int(value)
        except ValueError:
            return False
        return True
    return False


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
