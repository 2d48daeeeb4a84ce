"""What every Resource Manager v3 handler shares: store collections, the gRPC-style error body
(no legacy "errors" array: see gcp-golden/resourcemanager--projectinorg.http.log), time and
project documents (created explicitly, or implicitly on first touch)."""

from __future__ import annotations

import copy
import uuid

from gcpkit.emulator.core.errors import GrpcError
from gcpkit.emulator.core.formats import rfc3339_micros

from .lifecycle import ACTIVE, PROJECTS, find_project, project_number

API = "cloudresourcemanager"
POLICIES = "resourcemanager/policies"  # key: "projects/<id>"
LIENS = "resourcemanager/liens"  # key: lien id (the part after "liens/")
OPERATIONS = "resourcemanager/operations"  # key: operation id (the part after "operations/")

V3 = "type.googleapis.com/google.cloudresourcemanager.v3."


class RmError(GrpcError):
    """{"error": {"code", "message", "status"[, "details"]}}, as the real API answers."""


def invalid(message: str) -> RmError:
    return RmError(400, "INVALID_ARGUMENT", message)


def denied() -> RmError:
    # What GCP answers for a project that does not exist or that the caller cannot see.
    return RmError(403, "PERMISSION_DENIED", "The caller does not have permission")


fmt_time = rfc3339_micros  # as in the recordings


def new_etag() -> str:
    return f'W/"{uuid.uuid4().hex[:16]}"'


def project_id_of(name: str) -> str:
    """"projects/X" or "X" -> X (an id or a number)."""
    return name.split("/", 1)[1] if name.startswith("projects/") else name


def implicit_project(ctx, project_id: str) -> dict:
    now = ctx.clock.now()
    return {"projectId": project_id, "displayName": project_id, "state": ACTIVE, "labels": {},
            "createTime": fmt_time(now), "updateTime": fmt_time(now), "etag": new_etag(),
            "_number": project_number(project_id), "_implicit": True}


def touch_project(ctx, project: str) -> dict:
    """The project named by id or number; an id never seen becomes an ACTIVE project (stored, so its
    createTime stays put). An unknown number is a project the caller cannot see: 403."""
    with ctx.store.transaction():
        doc = find_project(ctx.store, project)
        if doc is None:
            if project.isdigit() or not project:
                raise denied()
            doc = implicit_project(ctx, project)
            ctx.store.put(PROJECTS, project, doc)
    return doc


def render_project(doc: dict) -> dict:
    out = {"name": f"projects/{doc['_number']}", "projectId": doc["projectId"], "state": doc["state"],
           "displayName": doc.get("displayName", ""), "createTime": doc["createTime"],
           "updateTime": doc["updateTime"], "etag": doc["etag"]}
    if doc.get("parent"):
        out["parent"] = doc["parent"]
    if doc.get("labels"):
        out["labels"] = copy.deepcopy(doc["labels"])
    if doc.get("deleteTime"):
        out["deleteTime"] = doc["deleteTime"]
    return out
