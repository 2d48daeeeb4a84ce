"""google.longrunning.Operation for projects.create/delete/undelete/patch, and operations.get.

The change itself is made at once; the operation reads done only once
ctx.latency.duration("cloudresourcemanager", "projects", VERB) has passed since its start (a stored
timestamp, so every process sharing the store agrees). Until then it is {"name"} alone, as in
gcp-golden/resourcemanager--projectinorg.http.log; once done it carries metadata and the project.
"""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from .common import API, OPERATIONS, V3, RmError

_PREFIX = {"create": "cp", "delete": "dp", "undelete": "up", "update": "uu"}
# google.rpc.Code numbers for the string codes a faults file may name (operation_error rules).
_RPC_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
              "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "QUOTA_EXCEEDED": 8,
              "ZONE_RESOURCE_POOL_EXHAUSTED": 8, "FAILED_PRECONDITION": 9, "ABORTED": 10, "INTERNAL": 13,
              "UNAVAILABLE": 14}
_METADATA = {"create": "CreateProjectMetadata", "delete": "DeleteProjectMetadata",
             "undelete": "UndeleteProjectMetadata", "update": "UpdateProjectMetadata"}


def record_operation(ctx, verb: str, project: dict, wait: bool = True) -> dict:
    """Store an operation whose response is `project` (a rendered v3 Project)."""
    now = ctx.clock.now()
    op_id = f"{_PREFIX[verb]}.{ctx.store.next_id()}"
    metadata: dict = {"@type": V3 + _METADATA[verb]}
    if verb == "create":
        metadata.update(gettable=True, ready=True)
    op = {"name": f"operations/{op_id}", "metadata": metadata,
          "response": {"@type": V3 + "Project", **project},
          "_doneAt": now + (ctx.latency.duration(API, "projects", verb) if wait else 0)}
    ctx.store.put(OPERATIONS, op_id, op)
    return op


def injected_error(ctx, req) -> dict | None:
    """The google.rpc.Status an operation_error fault rule sets for this call, or None. On non-None the
    handler records a failed operation (record_failed_operation) and changes nothing."""
    fault = ctx.faults.operation_error(API, req.method_id, req.path)
    if fault is None:
        return None
    code = fault["code"]
    return {"code": code if isinstance(code, int) else _RPC_CODES.get(str(code), 2), "message": fault["message"]}


def record_failed_operation(ctx, verb: str, error: dict) -> dict:
    op_id = f"{_PREFIX[verb]}.{ctx.store.next_id()}"
    op = {"name": f"operations/{op_id}", "metadata": {"@type": V3 + _METADATA[verb]}, "error": error,
          "_doneAt": ctx.clock.now() + ctx.latency.duration(API, "projects", verb)}
    ctx.store.put(OPERATIONS, op_id, op)
    return op


def render_operation(ctx, op: dict) -> dict:
    if ctx.clock.now() < op["_doneAt"]:
        return {"name": op["name"]}
    out = {"name": op["name"], "done": True, "metadata": op["metadata"]}
    if "error" in op:
        out["error"] = op["error"]
    else:
        out["response"] = op["response"]
    return out


@handler("cloudresourcemanager.operations.get")
def get(ctx, req):
    name = req.params["name"]
    op = ctx.store.get(OPERATIONS, name.split("/", 1)[1]) if name.startswith("operations/") else None
    if op is None:
        raise RmError(404, "NOT_FOUND", f"Operation {name} not found.")
    return render_operation(ctx, op)
