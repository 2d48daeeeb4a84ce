"""Pattern parameters: check a schema.yaml, and resolve the values a user gives against it.

A schema.yaml looks like Deployment Manager's:

    description: One line saying what the pattern builds.
    properties:
      vm_count: {type: integer, default: 1, minimum: 1, maximum: 20, description: ...}
      zone: {type: string, pattern: '^[a-z]+-[a-z]+[0-9]+-[a-z]$'}
    required: [some_name]        # optional; `required: true` on a parameter works too

Resolved parameters hold every declared name: the value given, else the default, else None.
`pattern` is matched with re.search (anchor it with ^...$), like JSON Schema.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from gcpkit.errors import BadInput
from gcpkit.model import Pattern

TYPES = ("string", "integer", "number", "boolean", "array", "object")
PARAM_KEYS = ("type", "default", "required", "enum", "pattern", "minimum", "maximum", "description", "items")
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true/false)",
    "array": "an array",
    "object": "an object (a mapping)",
}
_TRUE = ("true", "yes")
_FALSE = ("false", "no")
_INT_RE = re.compile(r"[+-]?[0-9]+")


def show(value: Any) -> str:
    """A value as a user would type it: 'text', 3, true, null, [1, 2]."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------- schema.yaml itself


def check_schema(doc: Any, where: str) -> dict[str, Any]:
    """Check a parsed schema.yaml (a pattern author's file); return it. Errors name `where`."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise BadInput(f"must be a mapping with 'description' and 'properties', got {type(doc).__name__}", where=where)
    desc = doc.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise BadInput("needs a top-level 'description' (one line)", where=where)
    if "\n" in desc.strip():
        raise BadInput("'description' must be one line", where=where)
    params = doc.get("properties")
    if params is None:
        params = doc["properties"] = {}
    if not isinstance(params, dict):
        raise BadInput(f"'properties' must be a mapping of parameter name -> spec, got {type(params).__name__}",
                       where=where)
    required = doc.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise BadInput("'required' must be a list of parameter names", where=where)
    for r in required:
        if r not in params:
            raise BadInput(f"'required' names {r!r}, which is not in 'properties'{did_you_mean(r, params)}",
                           where=where)
    for name, spec in params.items():
        pwhere = f"{where}: parameter {name}"
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise BadInput(f"parameter name {name!r} must be an identifier (letters, digits, _)", where=where)
        if not isinstance(spec, dict):
            raise BadInput(f"must be a mapping (type, default, ...), got {type(spec).__name__}", where=pwhere)
        for key in spec:
            if key not in PARAM_KEYS:
                raise BadInput(f"unknown key {key!r}{did_you_mean(str(key), PARAM_KEYS)}; "
                               f"allowed: {', '.join(PARAM_KEYS)}", where=pwhere)
        ptype = spec.get("type")
        if ptype not in TYPES:
            raise BadInput(f"type must be one of {', '.join(TYPES)}, got {show(ptype)}", where=pwhere)
        if "items" in spec:
            items = spec["items"]
            if ptype != "array" or not isinstance(items, dict) or items.get("type") not in TYPES:
                raise BadInput("'items' is only for arrays and must be {type: <one of "
                               f"{', '.join(TYPES)}>}}", where=pwhere)
        if "required" in spec and not isinstance(spec["required"], bool):
            raise BadInput("'required' must be true or false", where=pwhere)
        if "enum" in spec and (not isinstance(spec["enum"], list) or not spec["enum"]):
            raise BadInput("'enum' must be a non-empty list", where=pwhere)
        if "pattern" in spec:
            if ptype != "string" or not isinstance(spec["pattern"], str):
                raise BadInput("'pattern' is only for strings and must be a regular expression", where=pwhere)
            try:
                re.compile(spec["pattern"])
            except re.error as e:
                raise BadInput(f"'pattern' is not a valid regular expression: {e}", where=pwhere) from None
        for bound in ("minimum", "maximum"):
            if bound in spec:
                if ptype not in ("integer", "number"):
                    raise BadInput(f"{bound!r} is only for integer and number parameters", where=pwhere)
                if isinstance(spec[bound], bool) or not isinstance(spec[bound], (int, float)):
                    raise BadInput(f"{bound!r} must be a number, got {show(spec[bound])}", where=pwhere)
        if "default" in spec and spec["default"] is not None:
            msg = problem(spec, spec["default"])
            if msg:
                raise BadInput(f"bad default: {msg}", where=pwhere)
    return doc


def is_required(schema: dict[str, Any], name: str) -> bool:
    spec = (schema.get("properties") or {}).get(name) or {}
    return bool(spec.get("required")) or name in (schema.get("required") or [])


# ---------------------------------------------------------------- values


def _type_ok(ptype: str, value: Any) -> bool:
    if ptype == "string":
        return isinstance(value, str)
    if ptype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if ptype == "boolean":
        return isinstance(value, bool)
    if ptype == "array":
        return isinstance(value, list)
    if ptype == "object":
        return isinstance(value, dict)
    return False


def problem(spec: dict[str, Any], value: Any) -> str | None:
    """What is wrong with a typed value for this parameter spec, or None."""
    ptype = spec["type"]
    if not _type_ok(ptype, value):
        return f"expected {_TYPE_WORDS[ptype]}, got {show(value)}"
    if ptype == "array" and "items" in spec:
        itype = spec["items"]["type"]
        for i, item in enumerate(value):
            if not _type_ok(itype, item):
                return f"item {i} expected {_TYPE_WORDS[itype]}, got {show(item)}"
    if "enum" in spec and value not in spec["enum"]:
        return f"{show(value)} is not one of: {', '.join(show(e) for e in spec['enum'])}"
    if "pattern" in spec and not re.search(spec["pattern"], value):
        return f"{show(value)} does not match the pattern {spec['pattern']}"
    if "minimum" in spec and value < spec["minimum"]:
        return f"{show(value)} is below the minimum {show(spec['minimum'])}"
    if "maximum" in spec and value > spec["maximum"]:
        return f"{show(value)} is above the maximum {show(spec['maximum'])}"
    return None


def check_value(name: str, spec: dict[str, Any], value: Any) -> Any:
    """Check a typed value (from a values file, a default, or a coerced --set) against its spec."""
    msg = problem(spec, value)
    if msg:
        raise BadInput(msg, where=f"parameter {name}")
    return value


def _coerce_scalar(name: str, ptype: str, raw: str) -> Any:
    where = f"parameter {name}"
    if ptype == "string":
        return raw
    if ptype == "integer":
        if _INT_RE.fullmatch(raw.strip()):
            return int(raw)
        raise BadInput(f"expected {_TYPE_WORDS[ptype]}, got {raw!r}", where=where)
    if ptype == "number":
        s = raw.strip()
        if _INT_RE.fullmatch(s):
            return int(s)
        try:
            f = float(s)
        except ValueError:
            f = None
        if f is None or f != f or f in (float("inf"), float("-inf")):
            raise BadInput(f"expected {_TYPE_WORDS[ptype]}, got {raw!r}", where=where)
        return f
    if ptype == "boolean":
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise BadInput(f"expected true/false/yes/no, got {raw!r}", where=where)
    raise AssertionError(ptype)  # arrays and objects are handled by coerce()


def coerce(name: str, spec: dict[str, Any], raw: str) -> Any:
    """Turn the text of `--set name=raw` into the parameter's declared type (then check it)."""
    where = f"parameter {name}"
    ptype = spec["type"]
    if ptype == "array":
        s = raw.strip()
        if s.startswith("["):
            try:
                value = json.loads(s)
            except json.JSONDecodeError as e:
                raise BadInput(f"expected a JSON array or a comma-separated list, got {raw!r} ({e.msg})",
                               where=where) from None
        else:
            value = [part.strip() for part in s.split(",")] if s else []
            itype = (spec.get("items") or {}).get("type", "string")
            if itype in ("array", "object"):
                raise BadInput(f"give a JSON array of {itype}s, got {raw!r}", where=where)
            value = [_coerce_scalar(name, itype, v) for v in value]
    elif ptype == "object":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            raise BadInput(f"expected a JSON object, got {raw!r} ({e.msg})", where=where) from None
    else:
        value = _coerce_scalar(name, ptype, raw)
    return check_value(name, spec, value)


def _unknown(key: str, known: dict[str, Any], where: str) -> BadInput:
    names = ", ".join(known) or "(none)"
    return BadInput(f"unknown parameter {key!r}{did_you_mean(key, list(known))}; known parameters: {names}",
                    where=where)


def load_values_file(path: str) -> dict[str, Any]:
    """Read a YAML or JSON mapping of parameter values; errors name the file (and line)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"cannot read the values file: {e.strerror or e}", where=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput("the values file is not UTF-8 text", where=str(path)) from None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text) if text.strip() else None
        except json.JSONDecodeError as e:
            raise BadInput(f"not valid JSON: {e.msg}", where=f"{path}:{e.lineno}") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            problem = getattr(e, "problem", None) or str(e)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            raise BadInput(f"not valid YAML: {problem}", where=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"must be a mapping of parameter names to values, got {type(data).__name__}",
                       where=str(path))
    return data


def resolve_params(pattern: Pattern, sets: list[str] | None = None, values_file: str | None = None) -> dict[str, Any]:
    """The pattern's parameters: values file, then --set KEY=VALUE overrides, then defaults; all checked.

    The result holds every declared parameter in schema order (None when optional and unset).
    """
    params = pattern.parameters
    given: dict[str, Any] = {}
    if values_file:
        for key, value in load_values_file(values_file).items():
            key = str(key)
            if key not in params:
                raise _unknown(key, params, values_file)
            if value is not None:  # `key:` with no value means "not given" (the default applies)
                given[key] = check_value(key, params[key], value)
    for item in sets or []:
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise BadInput("expected KEY=VALUE", where=f"--set {item!r}",
                           hint="for example: --set vm_count=2")
        if key not in params:
            raise _unknown(key, params, f"--set {item}")
        given[key] = coerce(key, params[key], raw)
    resolved: dict[str, Any] = {}
    for name, spec in params.items():
        if name in given:
            resolved[name] = given[name]
        elif spec.get("default") is not None:
            resolved[name] = check_value(name, spec, _copy(spec["default"]))
        elif is_required(pattern.schema, name):
            raise BadInput("required but not set", where=f"parameter {name}",
                           hint=f"pass --set {name}=VALUE or put it in a values file (--values)")
        else:
            resolved[name] = None
    return resolved


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, (list, dict)) else value
