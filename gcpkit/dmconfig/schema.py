"""A template's schema, as Deployment Manager applies it: JSON Schema (draft 4) over the template's
`properties`, filling each `default` that is not given (also inside given objects) before checking.

The keywords checked: type, required, properties, additionalProperties, enum, minimum, maximum,
exclusiveMinimum/Maximum, minLength, maxLength, pattern, items, minItems, maxItems, uniqueItems.
Keywords gcpkit does not check ($ref, oneOf, anyOf, allOf, not, dependencies, patternProperties) are
reported as unsupported rather than silently ignored.
"""

from __future__ import annotations

import copy
import re
from typing import Any

UNSUPPORTED = ("$ref", "oneOf", "anyOf", "allOf", "not", "dependencies", "patternProperties")


def _type_ok(name: str, value: Any) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict,
                              "null": type(None)}.get(name, ()))


def unsupported_keywords(schema: Any, at: str = "") -> list[str]:
    """Paths of keywords in the schema that gcpkit cannot check."""
    found: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in UNSUPPORTED:
                found.append(f"{at}{key}")
            elif key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    found += unsupported_keywords(sub, f"{at}{name}.")
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                found += unsupported_keywords(value, f"{at}{key}.")
    return found


def fill_defaults(schema: dict, value: Any) -> Any:
    """A copy of `value` with the schema's defaults for what is missing, at every level given."""
    if not isinstance(value, dict) or not isinstance(schema.get("properties"), dict):
        return value
    out = dict(value)
    for name, sub in schema["properties"].items():
        if not isinstance(sub, dict):
            continue
        if name not in out and "default" in sub:
            out[name] = copy.deepcopy(sub["default"])
        if name in out:
            out[name] = fill_defaults(sub, out[name])
    return out


def errors(schema: dict, value: Any, at: str = "properties") -> list[str]:
    """Every way `value` breaks `schema`, each naming the property's path."""
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if not any(_type_ok(t, value) for t in names):
            return [f"{at}: expected {' or '.join(map(str, names))}, got {_show(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {_show(value)} is not one of {', '.join(_show(e) for e in schema['enum'])}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        found += _bounds(schema, value, at)
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            found.append(f"{at}: shorter than {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{at}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {_show(value)} does not match {schema['pattern']}")
    if isinstance(value, list):
        found += _array(schema, value, at)
    if isinstance(value, dict):
        found += _object(schema, value, at)
    return found


def _bounds(schema: dict, value: float, at: str) -> list[str]:
    found = []
    if "minimum" in schema:
        low, strict = schema["minimum"], schema.get("exclusiveMinimum") is True
        if value < low or strict and value == low:
            found.append(f"{at}: {_show(value)} is below the minimum {low}" + (" (exclusive)" if strict else ""))
    if "maximum" in schema:
        high, strict = schema["maximum"], schema.get("exclusiveMaximum") is True
        if value > high or strict and value == high:
            found.append(f"{at}: {_show(value)} is above the maximum {high}" + (" (exclusive)" if strict else ""))
    return found


def _array(schema: dict, value: list, at: str) -> list[str]:
    found = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        found.append(f"{at}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{at}: more than {schema['maxItems']} items")
    if schema.get("uniqueItems") and len({_show(v) for v in value}) < len(value):
        found.append(f"{at}: items are not unique")
    if isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += errors(schema["items"], item, f"{at}[{i}]")
    return found


def _object(schema: dict, value: dict, at: str) -> list[str]:
    found = []
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for name in schema.get("required") or []:
        if name not in value:
            found.append(f"{at}.{name}: required but not set")
    for name, item in value.items():
        if name in props and isinstance(props[name], dict):
            found += errors(props[name], item, f"{at}.{name}")
        elif schema.get("additionalProperties") is False:
            found.append(f"{at}.{name}: not allowed (the schema has no such property)")
        elif isinstance(schema.get("additionalProperties"), dict):
            found += errors(schema["additionalProperties"], item, f"{at}.{name}")
    return found


def _show(value: Any) -> str:
    import json

    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def apply_schema(schema: dict, properties: dict) -> tuple[dict, list[str]]:
    """(properties with defaults filled, problems): unsupported keywords first, then validation errors."""
    problems = [f"schema keyword {k} is not supported" for k in unsupported_keywords(schema)]
    filled = fill_defaults(schema, properties)
    if not problems:
        problems = errors({**schema, "type": "object"}, filled)
    return filled, problems
