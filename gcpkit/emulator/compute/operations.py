"""Compute long-running operations: zonal, regional, global. Stored with their timestamps;
status is computed on read so any process sharing the store sees them finish."""

from __future__ import annotations

import os

from gcpkit.emulator.core.errors import not_found
from gcpkit.emulator.core.registry import handler

from .common import begin, coll, fmt_time, new_id
from .links import full, scope_path
from .listing import list_response

OPS = coll("operations")
USER = "user@example.com"
WAIT_CAP = 120.0
_HTTP = {"QUOTA_EXCEEDED": (403, "FORBIDDEN"), "ZONE_RESOURCE_POOL_EXHAUSTED": (503, "SERVICE UNAVAILABLE"),
         "RESOURCE_NOT_FOUND": (404, "NOT FOUND"), "INTERNAL_ERROR": (500, "INTERNAL SERVER ERROR"),
         "RATE_LIMIT_EXCEEDED": (429, "TOO MANY REQUESTS")}


def op_name(now: float) -> str:
    r = os.urandom(16).hex()
    return f"operation-{int(now * 1000)}-{r[:13]}-{r[13:21]}-{r[21:29]}"


REQUEST_IDS = coll("requestIds")


def replay(ctx, req) -> dict | None:
    """The operation an earlier call with the same requestId started (GCP's idempotent retries), or None."""
    rid = (req.params or {}).get("requestId")
    if not rid:
        return None
    seen = ctx.store.get(REQUEST_IDS, f"{req.params.get('project')}/{rid}")
    if seen is None:
        return None
    doc = ctx.store.get(OPS, seen["op"])
    return render(ctx, doc) if doc is not None else None


def fault_for(ctx, req) -> dict | None:
    faults = getattr(ctx, "faults", None)
    if faults is None:
        return None
    return faults.operation_error("compute", req.method_id, req.path)


def start(ctx, req, *, project: str, op_type: str, target_rel: str, target_id: str | None,
          zone: str | None = None, region: str | None = None, latency: tuple[str, str] | None = None,
          error: dict | None = None, duration: float | None = None, bare: bool = False) -> dict:
    """Record an operation and return it rendered (RUNNING, or DONE when it takes no time).

    bare: the short form GCP answers for some verbs (url maps, target proxies, disks.resize, disk and
    regional address setLabels; see the recordings): a global operation already DONE, with no
    operationType, targetLink, targetId, user, zone, region nor endTime, and progress 0."""
    if bare:
        zone = region = None
        duration = 0.0
    now = ctx.clock.now()
    if duration is None:
        collection, verb = latency or (target_rel.split("/")[-2], op_type)
        duration = float(ctx.latency.duration("compute", collection, verb)) if getattr(ctx, "latency", None) else 0.0
    name = op_name(now)
    rel = f"{scope_path(project, zone, region)}/operations/{name}"
    doc = {"kind": "compute#operation", "id": new_id(ctx), "name": name, "operationType": op_type,
           "targetLink": full(target_rel), "user": USER,
           "insertTime": fmt_time(now), "startTime": fmt_time(now), "selfLink": full(rel),
           "_start": now, "_end": now + max(0.0, duration)}
    if bare:
        doc = {k: v for k, v in doc.items() if k not in ("operationType", "targetLink", "user")}
        doc["_bare"] = True
    elif target_id:
        doc["targetId"] = target_id
    if zone:
        doc["zone"] = full(f"projects/{project}/zones/{zone}")
    if region:
        doc["region"] = full(f"projects/{project}/regions/{region}")
    if error:
        code = error.get("code", "INTERNAL_ERROR")
        status, text = _HTTP.get(code, (400, "BAD REQUEST"))
        doc["_error"] = {"code": code, "message": error.get("message", code),
                         "status": int(error.get("httpErrorStatusCode", status)),
                         "text": error.get("httpErrorMessage", text)}
    ctx.store.put(OPS, rel, doc)
    rid = (getattr(req, "params", None) or {}).get("requestId")
    if rid:
        ctx.store.put(REQUEST_IDS, f"{project}/{rid}", {"op": rel})
    return render(ctx, doc)


def is_done(ctx, doc: dict) -> bool:
    return ctx.clock.now() >= doc["_end"]


def render(ctx, doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if not is_done(ctx, doc):
        out.update(status="RUNNING", progress=0)
        return out
    if doc.get("_bare"):
        out.update(status="DONE", progress=0)
    else:
        out.update(status="DONE", progress=100, endTime=fmt_time(doc["_end"]))
    err = doc.get("_error")
    if err:
        out["error"] = {"errors": [{"code": err["code"], "message": err["message"]}]}
        out["httpErrorStatusCode"] = err["status"]
        out["httpErrorMessage"] = err["text"]
    return out


def _rel(req, project, zone, region) -> str:
    return f"{scope_path(project, zone, region)}/operations/{req.params['operation']}"


def _get(ctx, req) -> dict:
    project, zone, region = begin(ctx, req)
    rel = _rel(req, project, zone, region)
    doc = ctx.store.get(OPS, rel)
    if doc is None:
        raise not_found(f"The resource '{rel}' was not found")
    return doc


@handler("compute.zoneOperations.get", "compute.regionOperations.get", "compute.globalOperations.get")
def get_operation(ctx, req):
    return render(ctx, _get(ctx, req))


@handler("compute.zoneOperations.wait", "compute.regionOperations.wait", "compute.globalOperations.wait")
def wait_operation(ctx, req):
    doc = _get(ctx, req)
    deadline = ctx.clock.now() + WAIT_CAP
    while not is_done(ctx, doc):
        now = ctx.clock.now()
        if now >= deadline:
            break
        ctx.clock.sleep(max(0.001, min(doc["_end"] - now, deadline - now)))
    return render(ctx, doc)


@handler("compute.zoneOperations.delete", "compute.regionOperations.delete", "compute.globalOperations.delete")
def delete_operation(ctx, req):
    doc = _get(ctx, req)
    ctx.store.delete(OPS, doc["selfLink"].split("/compute/v1/", 1)[1])
    return {}


@handler("compute.zoneOperations.list", "compute.regionOperations.list", "compute.globalOperations.list")
def list_operations(ctx, req):
    project, zone, region = begin(ctx, req)
    prefix = f"{scope_path(project, zone, region)}/operations/"
    items = [render(ctx, d) for d in ctx.store.list(OPS, prefix=prefix)]
    return list_response(req, items, "compute#operationList", prefix.rstrip("/"))
