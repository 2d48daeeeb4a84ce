"""The query language of projects.search, in the subset gcpkit uses: space-separated terms
(optionally joined by AND), each KEY:VALUE or KEY=VALUE, case-insensitive, a trailing "*" matching
any suffix. Keys: id/projectId, name/displayName, state/lifecycleState, parent, parent.type,
parent.id, projectNumber, labels.KEY (VALUE "*": the label is set)."""

from __future__ import annotations

import re
import shlex

from .common import invalid

_TERM = re.compile(r"^([A-Za-z_.\-0-9]+)\s*[:=]\s*(.*)$")
_KEYS = {"id": "id", "projectid": "id", "name": "name", "displayname": "name", "state": "state",
         "lifecyclestate": "state", "parent": "parent", "parent.type": "parent.type", "parent.id": "parent.id",
         "projectnumber": "number"}


def parse_query(query: str) -> list[tuple[str, str]]:
    try:
        tokens = shlex.split(query)
    except ValueError:
        raise invalid(f"field [query] has issue [unbalanced quotes in '{query}']") from None
    terms = []
    for token in tokens:
        if token.upper() == "AND":
            continue
        m = _TERM.match(token)
        if not m:
            raise invalid(f"field [query] has issue [cannot parse '{token}': expected KEY:VALUE]")
        key, value = m.group(1), m.group(2)
        if key.lower().startswith("labels."):
            terms.append(("label:" + key[len("labels."):], value))
        elif key.lower() in _KEYS:
            terms.append((_KEYS[key.lower()], value))
        else:
            raise invalid(f"field [query] has issue [unknown search key '{key}']")
    return terms


def _field(doc: dict, key: str) -> str | None:
    parent = doc.get("parent") or ""
    kind, _, pid = parent.partition("/")
    if key.startswith("label:"):
        return (doc.get("labels") or {}).get(key[len("label:"):])
    return {"id": doc["projectId"], "name": doc.get("displayName") or "", "state": doc["state"],
            "parent": parent, "parent.type": kind.rstrip("s"), "parent.id": pid,
            "number": doc.get("_number")}[key]


def _like(actual: str | None, wanted: str) -> bool:
    if actual is None:
        return False
    if wanted == "*":
        return True
    actual, wanted = actual.lower(), wanted.lower()
    return actual.startswith(wanted[:-1]) if wanted.endswith("*") else actual == wanted


def matches(doc: dict, terms: list[tuple[str, str]]) -> bool:
    return all(_like(_field(doc, key), value) for key, value in terms)
