"""google.longrunning.Operation for every mutating App Engine call, and apps.operations.get/list.

The change is made when the call is answered (or not at all, for an operation that fails); the operation
reads done only once ctx.latency.duration("appengine", COLLECTION, VERB) has passed since it started (a
stored timestamp, so every process sharing the store agrees). Until then it is {name, metadata}; once
done it has done: true and either `response` (the resource, with its @type) or `error` (google.rpc.Status).
Metadata is OperationMetadataV1: method, target, user, insertTime, and endTime once done.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.registry import handler

from .common import (
    API,
    OPERATIONS,
    USER,
    V1,
    GaeError,
    fmt_time,
    invalid,
    load_app,
    page,
)

# google.rpc.Code numbers for the string codes a faults file may name (operation_error rules).
RPC_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
             "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "QUOTA_EXCEEDED": 8,
             "FAILED_PRECONDITION": 9, "ABORTED": 10, "INTERNAL": 13, "UNAVAILABLE": 14}
EMPTY = "type.googleapis.com/google.protobuf.Empty"


def injected_error(ctx, req) -> dict | None:
    """The google.rpc.Status an operation_error fault rule sets for this call, or None."""
    fault = ctx.faults.operation_error(API, req.method_id, req.path)
    if fault is None:
        return None
    code = fault["code"]
    return {"code": code if isinstance(code, int) else RPC_CODES.get(str(code), 2), "message": str(fault["message"])}


def start(ctx, app_id: str, method: str, target: str, collection: str, verb: str, *,
          response: dict | None = None, response_type: str | None = None, error: dict | None = None) -> dict:
    """Store an operation on app `app_id` and return it rendered (not done unless its duration is 0).
    `response` is the resource the done operation answers (typed `response_type`); None means Empty."""
    now = ctx.clock.now()
    op_id = str(uuid.uuid4())
    op = {"name": f"apps/{app_id}/operations/{op_id}", "_seq": ctx.store.next_id(),
          "_doneAt": now + max(0.0, float(ctx.latency.duration(API, collection, verb))),
          "metadata": {"@type": V1 + "OperationMetadataV1", "method": f"google.appengine.v1.{method}",
                       "insertTime": fmt_time(now), "user": USER, "target": target}}
    if error:
        op["error"] = error
    elif response is None:
        op["response"] = {"@type": EMPTY}
    else:
        op["response"] = {"@type": V1 + response_type, **response}
    ctx.store.put(OPERATIONS, f"{app_id}/{op_id}", op)
    return render(ctx, op)


def render(ctx, op: dict) -> dict:
    out = {"name": op["name"], "metadata": dict(op["metadata"])}
    if ctx.clock.now() < op["_doneAt"]:
        return out
    out["done"] = True
    out["metadata"]["endTime"] = fmt_time(op["_doneAt"])
    if "error" in op:
        out["error"] = op["error"]
    else:
        out["response"] = op["response"]
    return out


@handler("appengine.apps.operations.get")
def get(ctx, req):
    app_id, op_id = req.params["appsId"], req.params["operationsId"]
    op = ctx.store.get(OPERATIONS, f"{app_id}/{op_id}")
    if op is None:
        load_app(ctx, app_id)
        raise GaeError(404, "NOT_FOUND", f"Operation not found: apps/{app_id}/operations/{op_id}")
    return render(ctx, op)


def _newest_first(op: dict) -> str:
    return f"{10**19 - int(op['_seq']):020d}"


@handler("appengine.apps.operations.list")
def list_(ctx, req):
    p = req.params
    app_id = p["appsId"]
    if (p.get("filter") or "").strip():
        raise invalid("Filtering operations is not supported by the gcpkit emulator.")
    ops = ctx.store.list(OPERATIONS, f"{app_id}/")
    if not ops:
        load_app(ctx, app_id)
    ops.sort(key=_newest_first)
    items, token = page(ops, p.get("pageSize"), p.get("pageToken"), key=_newest_first)
    out: dict = {}
    if items:
        out["operations"] = [render(ctx, op) for op in items]
    if token:
        out["nextPageToken"] = token
    return out
