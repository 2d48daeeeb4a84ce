"""dns#operation: what managedZones.update/patch answer, and dns.managedZoneOperations.get/list.

The zone is changed at once; the operation reads "pending" until
ctx.latency.duration("dns", "managedZones", "update") has passed since its start, then "done".
"""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from .common import (API, OPERATIONS, USER, ZONES, child_prefix, fmt_time, invalid_value, load_zone, page,
                     resource_not_found, seq_key, strip_private, zone_key)

OPERATION_KIND = "dns#operation"


def record_operation(ctx, project: str, zone: dict, type_: str, old: dict, new: dict) -> dict:
    """Store an operation on `zone` (call inside a transaction; the caller stores the zone)."""
    now = ctx.clock.now()
    op_id = int(zone.get("_nextOperation", 1))
    zone["_nextOperation"] = op_id + 1
    op = {"kind": OPERATION_KIND, "id": str(op_id), "startTime": fmt_time(now), "type": type_, "user": USER,
          "zoneContext": {"oldValue": old, "newValue": new},
          "_doneAt": now + ctx.latency.duration(API, "managedZones", "update")}
    ctx.store.put(OPERATIONS, child_prefix(project, zone["name"]) + seq_key(op_id), op)
    ctx.store.put(ZONES, zone_key(project, zone["name"]), zone)
    return op


def render_operation(ctx, op: dict) -> dict:
    out = strip_private(op)
    out["status"] = "done" if ctx.clock.now() >= op["_doneAt"] else "pending"
    return out


@handler("dns.managedZoneOperations.get")
def get(ctx, req):
    p = req.params
    zone = load_zone(ctx, p["project"], p["managedZone"])
    op = None
    if p["operation"].isdigit():
        op = ctx.store.get(OPERATIONS, child_prefix(p["project"], zone["name"]) + seq_key(int(p["operation"])))
    if op is None:
        raise resource_not_found("parameters.operation", p["operation"])
    return render_operation(ctx, op)


@handler("dns.managedZoneOperations.list")
def list_(ctx, req):
    p = req.params
    zone = load_zone(ctx, p["project"], p["managedZone"])
    sort_by = p.get("sortBy") or "startTime"
    if sort_by not in ("startTime", "id"):
        raise invalid_value("parameters.sortBy", sort_by)
    ops = ctx.store.list(OPERATIONS, child_prefix(p["project"], zone["name"]))
    items, token = page(ops, p.get("maxResults"), p.get("pageToken"), key=lambda op: seq_key(int(op["id"])))
    out: dict = {"kind": "dns#managedZoneOperationsListResponse"}
    if items:
        out["operations"] = [render_operation(ctx, op) for op in items]
    if token:
        out["nextPageToken"] = token
    return out
