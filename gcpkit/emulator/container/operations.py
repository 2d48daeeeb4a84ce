"""container#Operation: what every mutating GKE call answers, and projects.locations.operations.get/list.

An operation is stored once with its timestamps and read back with its status computed from them:
RUNNING (with startTime) until its duration has passed, then DONE (endTime; statusMessage and error
if it failed). The recordings (gcp-golden/container--*.http.log) show every operation already RUNNING
in the answer that starts it, never PENDING: GKE refuses a second operation on a busy cluster
rather than queueing it (see claim), so nothing here waits its turn.

Durations come from ctx.latency.duration("container", collection, verb). Links use the project
number and the zonal form, as GKE writes them.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.registry import handler

from .common import (
    API,
    LINK_BASE,
    OPERATIONS,
    cluster_key,
    fmt_time,
    incompatible_operation,
    not_found,
    number,
    split,
    strip_private,
)

# google.rpc.Code numbers for the string codes a faults file may name (operation_error rules).
_RPC_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
              "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "QUOTA_EXCEEDED": 8,
              "ZONE_RESOURCE_POOL_EXHAUSTED": 8, "GCE_STOCKOUT": 8, "FAILED_PRECONDITION": 9, "ABORTED": 10,
              "INTERNAL": 13, "UNAVAILABLE": 14}
# What a finished CREATE_CLUSTER reports (the recordings' figures).
_CREATE_PROGRESS = {"metrics": [
    {"name": "CLUSTER_CONFIGURING", "intValue": "8"}, {"name": "CLUSTER_CONFIGURING_TOTAL", "intValue": "8"},
    {"name": "CLUSTER_DEPLOYING", "intValue": "12"}, {"name": "CLUSTER_DEPLOYING_TOTAL", "intValue": "12"},
    {"name": "CLUSTER_HEALTHCHECKING", "intValue": "2"}, {"name": "CLUSTER_HEALTHCHECKING_TOTAL", "intValue": "2"}]}


def injected_error(ctx, req) -> dict | None:
    """The fault that fails the operation this request starts ({code, message}), or None."""
    return ctx.faults.operation_error(API, req.method_id, req.path)


def claim(ctx, cluster: dict, op: dict) -> None:
    """Refuse a mutating call while another operation runs on the cluster or its node pools (400
    FAILED_PRECONDITION, GKE's wording), else mark the cluster busy until `op` is done. Call inside a
    transaction; the caller stores the cluster."""
    now = ctx.clock.now()
    if now < cluster.get("_busyUntil", 0):
        raise incompatible_operation(cluster["_busyOp"])
    cluster["_busyOp"] = op["name"]
    cluster["_busyType"] = op.get("operationType", "")
    cluster["_busyUntil"] = op["_done"]


def busy_with(ctx, cluster: dict) -> str | None:
    """The type of the operation running on the cluster, or None."""
    return busy_type(cluster, ctx.clock.now())


def busy_type(cluster: dict, now: float) -> str | None:
    return cluster.get("_busyType") if now < cluster.get("_busyUntil", 0) else None


def new(ctx, project: str, location: str, cluster: str, op_type: str | None, target_link: str,
        collection: str, verb: str, error: dict | None = None) -> dict:
    """An operation on `cluster` (not yet stored: claim it, then save it)."""
    now = ctx.clock.now()
    duration = max(0.0, float(ctx.latency.duration(API, collection, verb)))
    name = f"operation-{int(now * 1000)}-{uuid.uuid4()}"
    op = {"name": name, "zone": location,
          "selfLink": f"{LINK_BASE}projects/{number(project)}/zones/{location}/operations/{name}",
          "targetLink": target_link, "startTime": fmt_time(now),
          "_seq": ctx.store.next_id(), "_done": now + duration, "_cluster": cluster_key(project, location, cluster)}
    if op_type:  # node pool updates have no public type: GKE leaves the field out (recordings)
        op["operationType"] = op_type
    if error:
        code = error["code"]
        op["_error"] = {"code": code if isinstance(code, int) else _RPC_CODES.get(str(code), 2),
                        "message": str(error["message"])}
    return op


def save(ctx, project: str, location: str, op: dict) -> None:
    ctx.store.put(OPERATIONS, f"{project}/{location}/{op['name']}", op)


def failed(op: dict) -> bool:
    return "_error" in op


def render(ctx, op: dict) -> dict:
    out = strip_private(op)
    if ctx.clock.now() < op["_done"]:
        out["status"] = "RUNNING"
        return out
    out["status"] = "DONE"
    out["endTime"] = fmt_time(op["_done"])
    if op.get("_error"):
        out["statusMessage"] = op["_error"]["message"]
        out["error"] = dict(op["_error"])
    elif op.get("operationType") == "CREATE_CLUSTER":
        out["progress"] = _CREATE_PROGRESS
    return out


@handler("container.projects.locations.operations.get")
def get(ctx, req):
    project, location, name = split(req.params["name"], ("projects", "locations", "operations"))
    op = ctx.store.get(OPERATIONS, f"{project}/{location}/{name}")
    if op is None:
        raise not_found(f"Not found: projects/{project}/locations/{location}/operations/{name}.")
    from .state import reap  # a finished delete forgets its cluster when observed

    reap(ctx, op["_cluster"])
    return render(ctx, op)


@handler("container.projects.locations.operations.list")
def list_(ctx, req):
    project, location = split(req.params["parent"], ("projects", "locations"))
    prefix = f"{project}/" if location == "-" else f"{project}/{location}/"  # "-": every location
    ops = sorted(ctx.store.list(OPERATIONS, prefix), key=lambda op: op["_seq"])
    return {"operations": [render(ctx, op) for op in ops]}
