"""cloudresourcemanager.liens.*: create, get, list, delete; and the check projects.delete makes.

A lien's parent is "projects/<id or number>"; it is matched to its project by id, so a lien on
projects/123... and one on projects/my-id of the same project both block its deletion.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.registry import handler

from .common import LIENS, RmError, fmt_time, invalid, project_id_of, touch_project

SUPPORTED = ("resourcemanager.projects.delete", "resourcemanager.projects.move",
             "resourcemanager.projects.updateLiens")


def render_lien(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _project_of(ctx, parent) -> dict:
    if not isinstance(parent, str) or not parent.startswith("projects/") or not project_id_of(parent):
        raise invalid(f"field [parent] has issue [invalid lien parent '{parent}': expected projects/ID]")
    return touch_project(ctx, project_id_of(parent))


def blocking_lien(ctx, project: dict, permission: str) -> dict | None:
    for lien in ctx.store.list(LIENS):
        if lien["_projectId"] == project["projectId"] and permission in lien["restrictions"]:
            return lien
    return None


def lien_blocks(lien: dict) -> RmError:
    """412 FAILED_PRECONDITION naming the lien (message as on GCP, plus the lien's name; details
    carry a google.rpc.PreconditionFailure with the lien as subject)."""
    message = (f"A lien to prevent deletion was placed on the project by [{lien['origin']}]. "
               f"Remove the lien to allow deletion. Lien: {lien['name']} ({lien['reason']}).")
    details = [{"@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                "violations": [{"type": "LIEN", "subject": lien["name"], "description": lien["reason"]}]}]
    return RmError(412, "FAILED_PRECONDITION", message, details=details)


@handler("cloudresourcemanager.liens.create")
def create(ctx, req):
    body = req.body or {}
    restrictions = body.get("restrictions") or []
    if not restrictions:
        raise invalid("field [restrictions] has issue [at least one restriction is required]")
    for r in restrictions:
        if r not in SUPPORTED:
            raise invalid(f"field [restrictions] has issue [unsupported restriction '{r}'; supported: "
                          f"{', '.join(SUPPORTED)}]")
    for field in ("reason", "origin"):
        if not body.get(field):
            raise invalid(f"field [{field}] has issue [{field} is required]")
    if len(body["reason"]) > 200 or len(body["origin"]) > 200:
        raise invalid("field [reason] has issue [reason and origin are at most 200 characters]")
    with ctx.store.transaction():
        project = _project_of(ctx, body.get("parent"))
        if project["state"] != "ACTIVE":
            raise RmError(400, "FAILED_PRECONDITION", f"Project {project['projectId']} is in state "
                          f"{project['state']}.")
        lien_id = f"p{project['_number']}-{uuid.uuid4()}"
        doc = {"name": f"liens/{lien_id}", "parent": body["parent"], "restrictions": list(restrictions),
               "reason": body["reason"], "origin": body["origin"], "createTime": fmt_time(ctx.clock.now()),
               "_projectId": project["projectId"]}
        ctx.store.put(LIENS, lien_id, doc)
    return render_lien(doc)


def _load(ctx, name: str) -> dict:
    doc = ctx.store.get(LIENS, name.split("/", 1)[1]) if name.startswith("liens/") else None
    if doc is None:
        raise RmError(404, "NOT_FOUND", f"Lien {name} not found.")
    return doc


@handler("cloudresourcemanager.liens.get")
def get(ctx, req):
    return render_lien(_load(ctx, req.params["name"]))


@handler("cloudresourcemanager.liens.delete")
def delete(ctx, req):
    with ctx.store.transaction():
        doc = _load(ctx, req.params["name"])
        ctx.store.delete(LIENS, doc["name"].split("/", 1)[1])
    return {}


@handler("cloudresourcemanager.liens.list")
def list_(ctx, req):
    p = req.params
    if not p.get("parent"):
        raise invalid("field [parent] has issue [parent is required]")
    project = _project_of(ctx, p["parent"])
    liens = sorted((l for l in ctx.store.list(LIENS) if l["_projectId"] == project["projectId"]),
                   key=lambda l: (l["createTime"], l["name"]))
    start = 0
    if p.get("pageToken"):
        names = [l["name"] for l in liens]
        if p["pageToken"] not in names:
            raise invalid(f"field [page_token] has issue [invalid page token '{p['pageToken']}']")
        start = names.index(p["pageToken"]) + 1
    size = p.get("pageSize") or 100
    page = liens[start:start + size]
    out: dict = {}
    if page:
        out["liens"] = [render_lien(l) for l in page]
    if start + size < len(liens):
        out["nextPageToken"] = page[-1]["name"]
    return out
