"""google.longrunning.Operation for repository create/delete, and projects.locations.operations.get.

An operation has no "done" until its duration (latency profile) has passed; then it carries its
response (the Repository, or google.protobuf.Empty for a delete) or the injected error.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.registry import handler

from .common import API, OPERATIONS, V1, RegistryError, split

_EMPTY = {"@type": "type.googleapis.com/google.protobuf.Empty"}
# google.rpc.Code numbers for the string codes a faults file may name (operation_error rules).
_RPC_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "ALREADY_EXISTS": 6,
              "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "QUOTA_EXCEEDED": 8, "FAILED_PRECONDITION": 9,
              "INTERNAL": 13, "UNAVAILABLE": 14}


def start(ctx, req, project: str, location: str, verb: str, response: dict | None) -> dict:
    """Store an operation answering `response` (a rendered Repository; None: Empty)."""
    now = ctx.clock.now()
    op_id = str(uuid.uuid4())
    op = {"name": f"projects/{project}/locations/{location}/operations/{op_id}",
          "metadata": {"@type": f"{V1}OperationMetadata"},
          "_response": {"@type": f"{V1}Repository", **response} if response is not None else _EMPTY,
          "_doneAt": now + max(0.0, float(ctx.latency.duration(API, "repositories", verb)))}
    fault = ctx.faults.operation_error(API, req.method_id, req.path)
    if fault:
        code = fault["code"]
        op["_error"] = {"code": code if isinstance(code, int) else _RPC_CODES.get(str(code), 2),
                        "message": str(fault["message"])}
    ctx.store.put(OPERATIONS, f"{project}/{location}/{op_id}", op)
    return op


def failed(op: dict) -> bool:
    return "_error" in op


def render(ctx, op: dict) -> dict:
    out = {"name": op["name"], "metadata": op["metadata"]}
    if ctx.clock.now() >= op["_doneAt"]:
        out["done"] = True
        if failed(op):
            out["error"] = op["_error"]
        else:
            out["response"] = op["_response"]
    return out


@handler("artifactregistry.projects.locations.operations.get")
def get(ctx, req):
    project, location, op_id = split(req.params["name"], ("projects", "locations", "operations"))
    op = ctx.store.get(OPERATIONS, f"{project}/{location}/{op_id}")
    if op is None:
        raise RegistryError(404, "NOT_FOUND", "Requested entity was not found.")
    return render(ctx, op)
