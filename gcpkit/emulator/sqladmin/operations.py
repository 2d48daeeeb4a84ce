"""sql#operation: what every mutating Cloud SQL call answers, and sql.operations.get/list.

An operation is stored once, with its timestamps; its status is computed when it is read:
PENDING (no startTime) for the first tenth of its duration, then RUNNING (startTime), then DONE
(startTime, endTime, and "error" if it failed), as in gcp-golden/sql--*.http.log. Durations come
from ctx.latency.duration("sqladmin", collection, verb), except for the calls the recordings show
answered DONE at once (user operations, database creation): those are `synchronous`.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.registry import handler

from .common import (API, LINK_BASE, OPERATIONS, USER, fmt_time, in_progress, instance_link, operation_not_found,
                     page, strip_private)

OPERATION_KIND = "sql#operation"
PENDING_SHARE = 0.1  # share of an operation's duration spent PENDING before RUNNING


def injected_error(ctx, req) -> dict | None:
    """The fault to fail the operation this request starts with ({code, message}), or None."""
    return ctx.faults.operation_error(API, req.method_id, req.path)


def claim(ctx, instance: dict, until: float) -> None:
    """Refuse a second operation while one runs on the instance (Cloud SQL runs one at a time), then
    mark the instance busy until `until`. Call inside a transaction; the caller stores the instance."""
    now = ctx.clock.now()
    if now < instance.get("_busyUntil", 0):
        raise in_progress()
    instance["_busyUntil"] = max(until, now)


def start(ctx, project: str, instance: str, op_type: str, collection: str, verb: str, *,
          target_link: str | None = None, error: dict | None = None, synchronous: bool = False) -> dict:
    """Store a new operation on `instance` and return it (its _done says when it completes)."""
    now = ctx.clock.now()
    duration = 0.0 if synchronous else max(0.0, float(ctx.latency.duration(API, collection, verb)))
    name = str(uuid.uuid4())
    op = {"kind": OPERATION_KIND, "name": name, "operationType": op_type, "targetId": instance,
          "targetLink": target_link or instance_link(project, instance), "targetProject": project, "user": USER,
          "selfLink": f"{LINK_BASE}projects/{project}/operations/{name}", "insertTime": fmt_time(now),
          "_seq": ctx.store.next_id(), "_t0": now, "_start": now + duration * PENDING_SHARE, "_done": now + duration,
          "_instance": instance}
    if error:
        op["_error"] = {"code": str(error["code"]), "message": str(error["message"])}
    ctx.store.put(OPERATIONS, f"{project}/{name}", op)
    return op


def render(ctx, op: dict) -> dict:
    now = ctx.clock.now()
    out = strip_private(op)
    if now >= op["_done"]:
        out["status"] = "DONE"
        out["startTime"] = fmt_time(op["_start"])
        out["endTime"] = fmt_time(op["_done"])
        if op.get("_error"):
            out["error"] = {"kind": "sql#operationErrors",
                            "errors": [{"kind": "sql#operationError", **op["_error"]}]}
    elif now >= op["_start"]:
        out["status"] = "RUNNING"
        out["startTime"] = fmt_time(op["_start"])
    else:
        out["status"] = "PENDING"
    return out


def _list_key(op: dict) -> str:
    return f"{10**19 - int(op['_seq']):020d}"  # newest first, as the real API lists them


@handler("sql.operations.get")
def get(ctx, req):
    p = req.params
    op = ctx.store.get(OPERATIONS, f"{p['project']}/{p['operation']}")
    if op is None:
        raise operation_not_found()
    return render(ctx, op)


@handler("sql.operations.list")
def list_(ctx, req):
    p = req.params
    ops = ctx.store.list(OPERATIONS, f"{p['project']}/")
    if p.get("instance"):
        ops = [op for op in ops if op["_instance"] == p["instance"]]
    ops.sort(key=_list_key)
    items, token = page(ops, p.get("maxResults"), p.get("pageToken"), key=_list_key)
    out: dict = {"kind": "sql#operationsList"}
    if items:
        out["items"] = [render(ctx, op) for op in items]
    if token:
        out["nextPageToken"] = token
    return out
