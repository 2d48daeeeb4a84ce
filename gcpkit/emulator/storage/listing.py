"""storage.objects.list: prefix, delimiter (with includeTrailingDelimiter), startOffset/endOffset,
matchGlob, versions, and pagination. A page holds up to maxResults entries, counting objects and
prefixes alike; the page token names the last entry returned, so pages stay consistent while
objects are added or deleted."""

from __future__ import annotations

import base64
import json
import re

from gcpkit.emulator.core.registry import handler

from . import buckets
from .common import NONCURRENT, OBJECTS, invalid
from .objects import render

DEFAULT_PAGE = 1000


def _glob(pattern: str) -> re.Pattern:
    """matchGlob: ** any characters, * and ? within one path segment, [..] classes, {a,b} alternatives."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise invalid(f"Invalid matchGlob: '{pattern}'")
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
            continue
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                raise invalid(f"Invalid matchGlob: '{pattern}'")
            out.append("(?:" + "|".join(re.escape(a) for a in pattern[i + 1:end].split(",")) + ")")
            i = end + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.S)


def _token(entry_key: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(entry_key)).encode()).decode()


def _untoken(token: str | None) -> tuple | None:
    if not token:
        return None
    try:
        name, kind, gen = json.loads(base64.urlsafe_b64decode(token.encode()))
        return (str(name), int(kind), int(gen))
    except (ValueError, TypeError):
        raise invalid("Invalid pageToken.") from None


@handler("storage.objects.list")
def list_(ctx, req):
    p = req.params
    bucket_name = p["bucket"]
    buckets.load(ctx, bucket_name)
    prefix = p.get("prefix") or ""
    delimiter = p.get("delimiter") or ""
    start, end = p.get("startOffset") or "", p.get("endOffset") or ""
    glob = _glob(p["matchGlob"]) if p.get("matchGlob") else None
    trailing = bool(p.get("includeTrailingDelimiter"))
    max_results = int(p.get("maxResults") or DEFAULT_PAGE)
    if max_results <= 0 or max_results > DEFAULT_PAGE:
        max_results = DEFAULT_PAGE
    after = _untoken(p.get("pageToken"))

    docs = ctx.store.list(OBJECTS, f"{bucket_name}/{prefix}")
    if p.get("versions"):
        docs += ctx.store.list(NONCURRENT, f"{bucket_name}/{prefix}")
    # entries: (name or prefix, 0 for a prefix / 1 for an object, generation) -> object doc or None
    entries: dict[tuple, dict | None] = {}
    for doc in docs:
        name = doc["name"]
        if not name.startswith(prefix) or (start and name < start) or (end and name >= end):
            continue
        if glob is not None and not glob.match(name):
            continue
        if delimiter:
            cut = name.find(delimiter, len(prefix))
            if cut >= 0:
                collapsed = name[:cut + len(delimiter)]
                entries[(collapsed, 0, 0)] = None
                if not (trailing and cut + len(delimiter) == len(name)):
                    continue
        entries[(name, 1, int(doc["generation"]))] = doc
    ordered = sorted(k for k in entries if after is None or k > after)
    page = ordered[:max_results]

    out: dict = {"kind": "storage#objects"}
    projection = p.get("projection", "noAcl")
    items = [render(ctx, entries[k], projection) for k in page if k[1] == 1]
    prefixes = [k[0] for k in page if k[1] == 0]
    if items:
        out["items"] = items
    if prefixes:
        out["prefixes"] = prefixes
    if len(ordered) > max_results:
        out["nextPageToken"] = _token(page[-1])
    return out
