"""Checks of parameters and bodies against a discovery document, with Google's error wording.

Input (requests) follows proto3 JSON parsing: integers may come as numbers or numeric strings,
64-bit integers are usually strings, null means "not set". Output (strict mode) is checked the
way the client libraries read it: 32-bit integers are JSON numbers, 64-bit ones strings.
"""

from __future__ import annotations

import json
import math
from typing import Any

from gcpkit.emulator.core.discovery import Document, Method, Param
from gcpkit.emulator.core.errors import ApiError

# Query parameters every Google API accepts (besides the document's own "parameters" block).
_ALWAYS_ALLOWED = frozenset({"alt", "prettyPrint", "fields", "key", "quotaUser", "userIp", "oauth_token",
                             "access_token", "callback", "uploadType", "upload_protocol", "$.xgafv"})

_PROTO_TYPES = {
    ("integer", "int32"): "TYPE_INT32", ("integer", "uint32"): "TYPE_UINT32", ("integer", None): "TYPE_INT32",
    ("string", "int64"): "TYPE_INT64", ("string", "uint64"): "TYPE_UINT64",
    ("number", "double"): "TYPE_DOUBLE", ("number", "float"): "TYPE_FLOAT", ("number", None): "TYPE_DOUBLE",
    ("boolean", None): "TYPE_BOOL",
}


def bad_request(message: str, field: str | None = None, reason: str = "invalid") -> ApiError:
    details = None
    if field is not None:
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": field, "description": message}]}]
    return ApiError(400, reason, message, with_status=True, details=details)


def _proto_type(type_: str, fmt: str | None) -> str:
    return _PROTO_TYPES.get((type_, fmt)) or _PROTO_TYPES.get((type_, None)) or "TYPE_STRING"


def _shown(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else f'"{value}"'


# ---- parameters ---------------------------------------------------------------------------------

def check_params(doc: Document, method: Method, path_params: dict[str, str],
                 query: list[tuple[str, str]]) -> dict[str, Any]:
    """Convert path and query parameters to their discovery types; 400 on anything wrong."""
    out: dict[str, Any] = {}
    for name, value in path_params.items():
        spec = method.params.get(name)
        out[name] = _convert(spec, value) if spec else value
    for name, value in query:
        spec = method.params.get(name)
        if spec is None or spec.location != "query":
            if name in doc.global_params or name in _ALWAYS_ALLOWED or name.startswith("$"):
                continue
            raise bad_request(f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                              f"Field '{name}' could not be found in request message.", field=name)
        converted = _convert(spec, value)
        if spec.repeated:
            out.setdefault(name, []).append(converted)
        else:
            out[name] = converted
    for spec in method.params.values():
        if spec.required and spec.name not in out:
            raise bad_request(f"Required parameter: {spec.name}", field=spec.name, reason="required")
    return out


def _convert(spec: Param, value: str) -> Any:
    def fail() -> ApiError:
        return bad_request(f"Invalid value at '{spec.name}' ({_proto_type(spec.type, spec.format)}), \"{value}\"",
                           field=spec.name)

    if spec.type == "integer":
        try:
            converted: Any = int(value)
        except ValueError:
            raise fail() from None
        if spec.format == "uint32" and converted < 0:
            raise fail()
        return converted
    if spec.type == "number":
        try:
            return float(value)
        except ValueError:
            raise fail() from None
    if spec.type == "boolean":
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise fail()
    if spec.format in ("int64", "uint64"):
        try:
            int(value)
        except ValueError:
            raise fail() from None
    if spec.enum is not None and value not in spec.enum:
        raise fail()
    return value


# ---- bodies -------------------------------------------------------------------------------------

def parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        text = raw[:80].decode("utf-8", "replace")
        raise ApiError(400, "parseError", f"Invalid JSON payload received. Unexpected token.\n{text}\n^",
                       with_status=True) from None


def check_request_body(doc: Document, method: Method, body: Any, root: str | None) -> None:
    """`root` names the body in messages: "resource" for Compute, None where the body is the request."""
    if method.request is None:
        return
    problem = _walk(doc, {"$ref": method.request}, body, root or "", output=False)
    if problem:
        path, message = problem
        raise bad_request(message, field=path or None)


def check_response_body(doc: Document, method: Method, body: Any) -> str | None:
    """None if `body` fits the method's response schema, else a message naming the offending field."""
    if method.response is None:
        return None
    problem = _walk(doc, {"$ref": method.response}, body, "", output=True)
    if problem is None:
        return None
    return f"response of {method.id} does not match schema {method.response}: {problem[1]}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _walk(doc: Document, schema: dict, value: Any, path: str, output: bool) -> tuple[str, str] | None:
    """Return (field path, message) for the first mismatch, or None."""
    while "$ref" in schema:
        schema = doc.schemas[schema["$ref"]]
    if value is None:
        return (path, f"null value at '{path}'") if output else None
    type_ = schema.get("type", "any")
    fmt = schema.get("format")

    def wrong() -> tuple[str, str]:
        shown = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else _shown(value)
        if output:
            return path, f"wrong type at '{path}': expected {type_}{f' ({fmt})' if fmt else ''}, got {shown}"
        return path, f"Invalid value at '{path}' ({_proto_type(type_, fmt) if type_ not in ('object', 'array') else 'TYPE_MESSAGE'}), {shown}"

    if type_ == "any":
        return None
    if type_ == "object":
        if not isinstance(value, dict):
            return wrong()
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = props.get(key)
            if sub is None:
                if extra is None:
                    if output:
                        return _join(path, key), f"unknown field '{_join(path, key)}'"
                    where = f" at '{path}'" if path else ""  # Google names the enclosing message
                    return path, f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
                sub = extra
            problem = _walk(doc, sub, item, _join(path, key), output)
            if problem:
                return problem
        return None
    if type_ == "array":
        if not isinstance(value, list):
            return wrong()
        items = schema.get("items", {})
        for i, item in enumerate(value):
            problem = _walk(doc, items, item, f"{path}[{i}]", output)
            if problem:
                return problem
        return None
    if type_ == "boolean":
        return None if isinstance(value, bool) else wrong()
    if type_ == "integer":
        return None if _is_integer(value, allow_string=not output) else wrong()
    if type_ == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        if not output and isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
            return None
        return None if not output and isinstance(value, str) and _is_float(value) else wrong()
    # string, possibly carrying a 64-bit integer or an enum
    if fmt in ("int64", "uint64"):
        if output:
            if not isinstance(value, str) or not _is_integer(value, allow_string=True):
                return wrong()
        elif not _is_integer(value, allow_string=True):
            return wrong()
        if fmt == "uint64" and int(value) < 0:
            return wrong()
        return None
    if not isinstance(value, str):
        return wrong()
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        if output:
            return path, f"value {_shown(value)} at '{path}' is not one of the enum values"
        return path, f"Invalid value at '{path}' (TYPE_ENUM), {_shown(value)}"
    return None


def _is_integer(value: Any, allow_string: bool) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if allow_string and isinstance(value, str):
        try:
            int(value)
            return True
        except ValueError:
            return False
    return False


def _is_float(value: str) -> bool:
    try:
        float(value)
        return True
    except ValueError:
        return False
