"""Label selectors: the `labelSelector` query string of list calls ("app=web,tier in (a,b),!canary") and
the structured LabelSelector of a Deployment (matchLabels + matchExpressions)."""

from __future__ import annotations

import re

from gcpkit.emulator.kubernetes.errors import bad_request

_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)\s*$")


def parse(text: str) -> list[tuple[str, str, list[str]]]:
    """[(key, op, values)] with op in In, NotIn, Exists, DoesNotExist; 400 BadRequest if malformed."""
    out = []
    for part in _split(text):
        m = _EQ.match(part)
        if m:
            key, op, value = m.groups()
            out.append((key, "NotIn" if op == "!=" else "In", [value]))
            continue
        m = _SET.match(part)
        if not m or (m.group(1) and m.group(3)):
            raise bad_request(f"unable to parse requirement: found '{part.strip()}', expected: "
                              "key, !key, key=value, key!=value, key in (...) or key notin (...)")
        neg, key, op, values = m.groups()
        if op:
            out.append((key, "In" if op == "in" else "NotIn", [v.strip() for v in values.split(",") if v.strip()]))
        else:
            out.append((key, "DoesNotExist" if neg else "Exists", []))
    return out


def _split(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p for p in parts if p.strip()]


def matches(requirements: list[tuple[str, str, list[str]]], labels: dict | None) -> bool:
    labels = labels or {}
    for key, op, values in requirements:
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def from_label_selector(selector: dict) -> list[tuple[str, str, list[str]]]:
    """A LabelSelector object ({"matchLabels": ..., "matchExpressions": [...]}) as requirements."""
    reqs = [(k, "In", [v]) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        reqs.append((expr.get("key", ""), expr.get("operator", ""), list(expr.get("values") or [])))
    return reqs


def to_string(selector: dict) -> str:
    """"app=web,tier in (a,b)": how Scale.status.selector and kubectl print a LabelSelector."""
    parts = []
    for key, op, values in from_label_selector(selector):
        parts.append({"In": f"{key}={values[0]}" if len(values) == 1 else f"{key} in ({','.join(values)})",
                      "NotIn": f"{key} notin ({','.join(values)})", "Exists": key,
                      "DoesNotExist": f"!{key}"}.get(op, key))
    return ",".join(parts)
