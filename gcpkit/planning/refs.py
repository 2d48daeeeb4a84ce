"""`$(ref.NAME.FIELD)` references: find them, read FIELD paths, and substitute live values.

NAME is another resource's name (RFC 1035, so it has no dots); FIELD is a path into that
resource as the API returns it: `selfLink`, `networkInterfaces[0].accessConfigs[0].natIP`.
A string that is exactly one reference becomes the referenced value (any type); a reference
inside longer text ("http://$(ref.vm.networkInterfaces[0].accessConfigs[0].natIP)/") is
replaced by the value's text.
"""

from __future__ import annotations

import re
from typing import Any, Callable

_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\[[0-9]+\])*"
FIELD_PATH = _SEGMENT + r"(?:\." + _SEGMENT + r")*"
REF = re.compile(r"\$\(ref\.(?P<name>[A-Za-z0-9_-]+)\.(?P<field>" + FIELD_PATH + r")\)")
# Anything that starts like a reference, to catch malformed ones (`$(ref.x)`, `$(ref.x.a b)`).
REF_START = re.compile(r"\$\(ref\.")
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")


def _walk_strings(obj: Any):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _walk_strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _walk_strings(v)


def find_refs(obj: Any) -> set[tuple[str, str]]:
    """All (name, field_path) references anywhere in nested dicts, lists and strings."""
    found: set[tuple[str, str]] = set()
    for s in _walk_strings(obj):
        if "$(ref." in s:
            for m in REF.finditer(s):
                found.add((m.group("name"), m.group("field")))
    return found


def find_malformed_refs(obj: Any) -> list[str]:
    """Strings holding a `$(ref.` that is not a well-formed `$(ref.NAME.FIELD)`."""
    bad = []
    for s in _walk_strings(obj):
        if "$(ref." in s and len(REF_START.findall(s)) != len(REF.findall(s)):
            bad.append(s)
    return bad


def parse_path(path: str) -> list[str | int]:
    """'a.b[0].c' -> ['a', 'b', 0, 'c']; ValueError when malformed."""
    if not re.fullmatch(FIELD_PATH, path or ""):
        raise ValueError(f"malformed field path {path!r} (expected e.g. networkInterfaces[0].networkIP)")
    parts: list[str | int] = []
    for m in _PART.finditer(path):
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return parts


def get_path(doc: Any, path: str) -> Any:
    """The value at `path` in `doc`; KeyError naming the first part that is missing."""
    try:
        parts = parse_path(path)
    except ValueError as e:
        raise KeyError(str(e)) from None
    cur = doc
    walked = ""
    for part in parts:
        if isinstance(part, int):
            if not isinstance(cur, list) or part >= len(cur):
                size = f" (it has {len(cur)})" if isinstance(cur, list) else " (not a list)"
                raise KeyError(f"{walked}[{part}]: no such item{size}")
            cur = cur[part]
            walked = f"{walked}[{part}]"
        else:
            if not isinstance(cur, dict) or part not in cur:
                raise KeyError(f"{walked + '.' if walked else ''}{part}: no such field")
            cur = cur[part]
            walked = f"{walked}.{part}" if walked else part
    return cur


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(obj: Any, lookup: Callable[[str, str], Any]) -> Any:
    """A copy of `obj` with every reference replaced by lookup(name, field)."""
    if isinstance(obj, str):
        if "$(ref." not in obj:
            return obj
        whole = REF.fullmatch(obj)
        if whole:
            return lookup(whole.group("name"), whole.group("field"))
        return REF.sub(lambda m: _text(lookup(m.group("name"), m.group("field"))), obj)
    if isinstance(obj, dict):
        return {k: resolve(v, lookup) for k, v in obj.items()}
    if isinstance(obj, list):
        return [resolve(v, lookup) for v in obj]
    if isinstance(obj, tuple):
        return tuple(resolve(v, lookup) for v in obj)
    return obj
