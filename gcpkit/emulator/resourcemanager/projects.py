"""cloudresourcemanager.projects.*: create, get, list, search, patch, delete, undelete.

Lifecycle: ACTIVE -> (delete) DELETE_REQUESTED -> (undelete) ACTIVE. delete, undelete, create and
patch answer with a long-running operation (operations.py). A lien restricting
resourcemanager.projects.delete makes delete fail 412 FAILED_PRECONDITION (liens.py).
"""

from __future__ import annotations

import base64

from gcpkit.emulator.core.registry import handler

from .common import (RmError, fmt_time, implicit_project, invalid, new_etag, project_id_of, render_project,
                     touch_project)
from .lifecycle import ACTIVE, DELETE_REQUESTED, PROJECTS, project_number
from .liens import blocking_lien, lien_blocks
from .names import check_display_name, check_labels, check_parent, check_project_id
from .operations import injected_error, record_failed_operation, record_operation, render_operation
from .search import matches, parse_query

MUTABLE = {"displayName": "displayName", "display_name": "displayName", "labels": "labels"}


def failed_precondition(message: str) -> RmError:
    return RmError(400, "FAILED_PRECONDITION", message)


def _failed(ctx, req, verb: str) -> dict | None:
    """A failed operation (nothing changed) when a faults file injects an operation_error here."""
    error = injected_error(ctx, req)
    return None if error is None else render_operation(ctx, record_failed_operation(ctx, verb, error))


@handler("cloudresourcemanager.projects.create")
def create(ctx, req):
    body = req.body or {}
    project_id = body.get("projectId")
    check_project_id(project_id)
    check_display_name(body.get("displayName"))
    check_parent(body.get("parent"))
    check_labels(body.get("labels"))
    with ctx.store.transaction():
        doc = ctx.store.get(PROJECTS, project_id)
        if doc is not None and (not doc.get("_implicit") or doc["state"] != ACTIVE):
            raise RmError(409, "ALREADY_EXISTS", "Requested entity already exists")
        failed = _failed(ctx, req, "create")
        if failed:
            return failed
        # A project the other APIs already touched (implicitly ACTIVE) is adopted: it keeps its policy.
        doc = doc or implicit_project(ctx, project_id)
        now = fmt_time(ctx.clock.now())
        doc.update(displayName=body.get("displayName") or "", labels=dict(body.get("labels") or {}),
                   createTime=now, updateTime=now, etag=new_etag(), _implicit=False,
                   _number=project_number(project_id))
        if body.get("parent"):
            doc["parent"] = body["parent"]
        ctx.store.put(PROJECTS, project_id, doc)
        op = record_operation(ctx, "create", render_project(doc))
    return render_operation(ctx, op)


@handler("cloudresourcemanager.projects.get")
def get(ctx, req):
    return render_project(touch_project(ctx, project_id_of(req.params["name"])))


def _page(items: list[dict], page_size: int | None, token: str | None) -> tuple[list[dict], str | None]:
    if page_size is not None and page_size < 0:
        raise invalid("field [page_size] has issue [must not be negative]")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise invalid(f"field [page_token] has issue [invalid page token '{token}']") from None
        items = [p for p in items if p["projectId"] > after]
    size = min(page_size or 500, 1000)
    if len(items) > size:
        items = items[:size]
        return items, base64.urlsafe_b64encode(items[-1]["projectId"].encode()).decode()
    return items, None


def _listing(items: list[dict], p: dict) -> dict:
    items, token = _page(items, p.get("pageSize"), p.get("pageToken"))
    out: dict = {}
    if items:
        out["projects"] = [render_project(doc) for doc in items]
    if token:
        out["nextPageToken"] = token
    return out


@handler("cloudresourcemanager.projects.list")
def list_(ctx, req):
    p = req.params
    parent = p.get("parent")
    if not parent:
        raise invalid("field [parent] has issue [parent is required: organizations/ID or folders/ID]")
    check_parent(parent)
    docs = [d for d in ctx.store.list(PROJECTS) if d.get("parent") == parent
            and (d["state"] == ACTIVE or p.get("showDeleted"))]
    return _listing(docs, p)


@handler("cloudresourcemanager.projects.search")
def search(ctx, req):
    p = req.params
    terms = parse_query(p.get("query") or "")
    docs = [d for d in ctx.store.list(PROJECTS) if matches(d, terms)]
    return _listing(docs, p)


@handler("cloudresourcemanager.projects.patch")
def patch(ctx, req):
    body = req.body or {}
    mask = req.params.get("updateMask")
    fields = [f.strip() for f in mask.split(",") if f.strip()] if mask else \
        [f for f in ("displayName", "labels") if f in body]
    with ctx.store.transaction():
        doc = touch_project(ctx, project_id_of(req.params["name"]))
        if doc["state"] != ACTIVE:
            raise failed_precondition(f"Project {doc['projectId']} is in state {doc['state']}.")
        for field in fields:
            if field not in MUTABLE:
                raise invalid(f"field [update_mask] has issue [field '{field}' cannot be updated "
                              "(only display_name and labels)]")
            target = MUTABLE[field]
            if target == "displayName":
                check_display_name(body.get("displayName"))
                doc["displayName"] = body.get("displayName") or ""
            else:
                check_labels(body.get("labels"))
                doc["labels"] = dict(body.get("labels") or {})
        failed = _failed(ctx, req, "update")
        if failed:
            return failed
        doc.update(updateTime=fmt_time(ctx.clock.now()), etag=new_etag())
        ctx.store.put(PROJECTS, doc["projectId"], doc)
        op = record_operation(ctx, "update", render_project(doc))
    return render_operation(ctx, op)


@handler("cloudresourcemanager.projects.delete")
def delete(ctx, req):
    with ctx.store.transaction():
        doc = touch_project(ctx, project_id_of(req.params["name"]))
        lien = blocking_lien(ctx, doc, "resourcemanager.projects.delete")
        if lien is not None:
            raise lien_blocks(lien)
        if doc["state"] != ACTIVE:
            raise failed_precondition(f"Project {doc['projectId']} is already in state {doc['state']}.")
        failed = _failed(ctx, req, "delete")
        if failed:
            return failed
        now = fmt_time(ctx.clock.now())
        doc.update(state=DELETE_REQUESTED, deleteTime=now, updateTime=now, etag=new_etag())
        ctx.store.put(PROJECTS, doc["projectId"], doc)
        op = record_operation(ctx, "delete", render_project(doc))
    return render_operation(ctx, op)


@handler("cloudresourcemanager.projects.undelete")
def undelete(ctx, req):
    with ctx.store.transaction():
        doc = touch_project(ctx, project_id_of(req.params["name"]))
        if doc["state"] != DELETE_REQUESTED:
            raise failed_precondition(f"Project {doc['projectId']} is in state {doc['state']}, not "
                                      "DELETE_REQUESTED: only a deleted project can be undeleted.")
        failed = _failed(ctx, req, "undelete")
        if failed:
            return failed
        doc.pop("deleteTime", None)
        doc.update(state=ACTIVE, updateTime=fmt_time(ctx.clock.now()), etag=new_etag())
        ctx.store.put(PROJECTS, doc["projectId"], doc)
        op = record_operation(ctx, "undelete", render_project(doc))
    return render_operation(ctx, op)
