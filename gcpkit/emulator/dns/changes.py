"""dns.changes.create/get/list (shapes: gcp-golden/dns--dnsrecordset.http.log)."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from .common import CHANGES, child_prefix, invalid_value, load_zone, page, resource_not_found, seq_key
from .records import apply_change, render_change

_NEWEST = 10**12 - 1


@handler("dns.changes.create")
def create(ctx, req):
    p = req.params
    body = req.body or {}
    change = apply_change(ctx, p["project"], p["managedZone"], body.get("additions") or [],
                          body.get("deletions") or [])
    return render_change(ctx, change)


@handler("dns.changes.get")
def get(ctx, req):
    p = req.params
    zone = load_zone(ctx, p["project"], p["managedZone"])
    change_id = p["changeId"]
    change = None
    if change_id.isdigit():
        change = ctx.store.get(CHANGES, child_prefix(p["project"], zone["name"]) + seq_key(int(change_id)))
    if change is None:
        raise resource_not_found("parameters.changeId", change_id)
    return render_change(ctx, change)


@handler("dns.changes.list")
def list_(ctx, req):
    p = req.params
    zone = load_zone(ctx, p["project"], p["managedZone"])
    sort_by = p.get("sortBy") or "changeSequence"
    if sort_by != "changeSequence":
        raise invalid_value("parameters.sortBy", sort_by)
    order = p.get("sortOrder") or "ascending"
    if order not in ("ascending", "descending"):
        raise invalid_value("parameters.sortOrder", order)
    changes = ctx.store.list(CHANGES, child_prefix(p["project"], zone["name"]))
    if order == "descending":
        changes.reverse()
        key = lambda c: seq_key(_NEWEST - int(c["id"]))  # noqa: E731
    else:
        key = lambda c: seq_key(int(c["id"]))  # noqa: E731
    items, token = page(changes, p.get("maxResults"), p.get("pageToken"), key=key)
    out: dict = {"kind": "dns#changesListResponse"}
    if items:
        out["changes"] = [render_change(ctx, c) for c in items]
    if token:
        out["nextPageToken"] = token
    return out
