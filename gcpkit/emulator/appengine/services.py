"""appengine.apps.services.get / list / patch / delete.

A service comes into being with its first version (versions.create) and holds the traffic split:
allocations from version id to a share in (0, 1] that sum to 1. patch with updateMask=split moves
traffic (migrateTraffic=true, a gradual migration on the real API, is accepted and completes with the
operation). "default" cannot be deleted; deleting another service deletes its versions.
"""

from __future__ import annotations

import copy

from gcpkit.emulator.core.registry import handler

from . import operations
from .common import (
    SERVICES,
    VERSIONS,
    field_mask,
    invalid,
    load_app,
    load_service,
    page,
    service_key,
    strip_private,
    version_key,
)

_SHARD_BY = ("UNSPECIFIED", "COOKIE", "IP", "RANDOM")


def render(doc: dict) -> dict:
    return strip_private(doc)


@handler("appengine.apps.services.get")
def get(ctx, req):
    return render(load_service(ctx, req.params["appsId"], req.params["servicesId"]))


@handler("appengine.apps.services.list")
def list_(ctx, req):
    p = req.params
    app_id = p["appsId"]
    load_app(ctx, app_id)
    services = ctx.store.list(SERVICES, f"{app_id}/")
    items, token = page(services, p.get("pageSize"), p.get("pageToken"), key=lambda s: s["id"])
    out: dict = {}
    if items:
        out["services"] = [render(s) for s in items]
    if token:
        out["nextPageToken"] = token
    return out


def _check_split(ctx, app_id: str, service: str, split) -> dict:
    allocations = (split or {}).get("allocations") or {}
    if not allocations:
        raise invalid("split.allocations must name at least one version.")
    total = 0.0
    for version, share in allocations.items():
        if ctx.store.get(VERSIONS, version_key(app_id, service, version)) is None:
            raise invalid(f"Version [{version}] does not exist in service [{service}].")
        if not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise invalid(f"Traffic allocation for version [{version}] must be in (0, 1], got {share}.")
        total += share
    if abs(total - 1.0) > 1e-6:
        raise invalid(f"Traffic allocations must sum to 1, got {round(total, 6)}.")
    shard_by = split.get("shardBy") or "IP"
    if shard_by not in _SHARD_BY:
        raise invalid(f"Invalid shard_by '{shard_by}'.")
    return {"shardBy": shard_by, "allocations": {v: float(s) for v, s in allocations.items()}}


@handler("appengine.apps.services.patch")
def patch(ctx, req):
    app_id, service = req.params["appsId"], req.params["servicesId"]
    mask = field_mask(req, {"split", "labels", "networkSettings"})
    body = req.body or {}
    with ctx.store.transaction():
        doc = load_service(ctx, app_id, service)
        for field in mask:
            if field == "split":
                doc["split"] = _check_split(ctx, app_id, service, body.get("split"))
            elif body.get(field) in (None, {}):
                doc.pop(field, None)
            else:
                doc[field] = copy.deepcopy(body[field])
        ctx.store.put(SERVICES, service_key(app_id, service), doc)
    return operations.start(ctx, app_id, "Services.UpdateService", doc["name"], "services", "patch",
                            response=render(doc), response_type="Service")


@handler("appengine.apps.services.delete")
def delete(ctx, req):
    app_id, service = req.params["appsId"], req.params["servicesId"]
    with ctx.store.transaction():
        doc = load_service(ctx, app_id, service)
        if service == "default":
            raise invalid("The default service cannot be deleted.")
        for version in ctx.store.list(VERSIONS, f"{app_id}/{service}/"):
            ctx.store.delete(VERSIONS, version_key(app_id, service, version["id"]))
        ctx.store.delete(SERVICES, service_key(app_id, service))
    return operations.start(ctx, app_id, "Services.DeleteService", doc["name"], "services", "delete")
