"""google.longrunning.Operation for database create/patch/delete, and projects.databases.operations.

Operations live under their database (projects/P/databases/D/operations/ID) and outlast it: a
delete's operation stays readable. Until its duration has passed an operation has no "done"; its
"response" is there from the start, as the recording shows for a create. A finished delete answers
an empty Database, also as recorded.
"""

from __future__ import annotations

import base64
import uuid

from gcpkit.emulator.core.registry import handler

from .common import ADMIN, API, OPERATIONS, FirestoreError, split

# google.rpc.Code numbers for the string codes a faults file may name (operation_error rules).
_RPC_CODES = {"CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "ALREADY_EXISTS": 6,
              "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "QUOTA_EXCEEDED": 8, "FAILED_PRECONDITION": 9,
              "ABORTED": 10, "INTERNAL": 13, "UNAVAILABLE": 14}


def start(ctx, req, project: str, database: str, kind: str, verb: str, response: dict, *,
          done_response: dict | None = None) -> dict:
    """Store an operation of `kind` ("CreateDatabase") whose answer is `response` (a rendered Database);
    `done_response` replaces it once done. A fault rule may make it fail instead."""
    now = ctx.clock.now()
    op_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    op = {"name": f"projects/{project}/databases/{database}/operations/{op_id}",
          "metadata": {"@type": f"{ADMIN}{kind}Metadata"},
          "response": {"@type": f"{ADMIN}Database", **response},
          "_doneAt": now + max(0.0, float(ctx.latency.duration(API, "databases", verb))), "_seq": ctx.store.next_id()}
    if done_response is not None:
        op["_doneResponse"] = {"@type": f"{ADMIN}Database", **done_response}
    fault = ctx.faults.operation_error(API, req.method_id, req.path)
    if fault:
        code = fault["code"]
        op["_error"] = {"code": code if isinstance(code, int) else _RPC_CODES.get(str(code), 2),
                        "message": str(fault["message"])}
        del op["response"]
    ctx.store.put(OPERATIONS, f"{project}/{database}/{op_id}", op)
    return op


def failed(op: dict) -> bool:
    return "_error" in op


def render(ctx, op: dict) -> dict:
    out = {"name": op["name"], "metadata": op["metadata"]}
    if ctx.clock.now() < op["_doneAt"]:
        if "response" in op:
            out["response"] = op["response"]
        return out
    out["done"] = True
    if failed(op):
        out["error"] = op["_error"]
    else:
        out["response"] = op.get("_doneResponse", op["response"])
    return out


@handler("firestore.projects.databases.operations.get")
def get(ctx, req):
    project, database, op_id = split(req.params["name"], ("projects", "databases", "operations"))
    op = ctx.store.get(OPERATIONS, f"{project}/{database}/{op_id}")
    if op is None:
        raise FirestoreError(404, "NOT_FOUND", f"Operation {req.params['name']} not found.")
    return render(ctx, op)


@handler("firestore.projects.databases.operations.list")
def list_(ctx, req):
    project, database = split(req.params["name"], ("projects", "databases"))
    ops = sorted(ctx.store.list(OPERATIONS, f"{project}/{database}/"), key=lambda op: op["_seq"], reverse=True)
    return {"operations": [render(ctx, op) for op in ops]} if ops else {}
