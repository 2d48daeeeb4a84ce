"""firestore.projects.databases.create/get/list/patch/delete (Firestore Admin v1).

A database exists from the moment its create is accepted (the operation's response already carries
it); the operation reads done once its duration has passed. One id per project, so one "(default)".
Delete is refused while deleteProtectionState is DELETE_PROTECTION_ENABLED, and when an etag is given
that is not the database's. A deleted database disappears at once; its operation answers, as
recorded, a snapshot renamed to a random id with previousId and deleteTime, then an empty Database.
"""

from __future__ import annotations

import copy
import re
import uuid

from gcpkit.emulator.core.registry import handler

from . import operations as ops
from .common import (
    DATABASES,
    already_exists,
    database_not_found,
    etag,
    failed_precondition,
    fmt_time,
    invalid,
    split,
    strip_private,
)

_ID = re.compile(r"^[a-z][a-z0-9-]{2,61}[a-z0-9]$")
_UUID_LIKE = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")
_TYPES = ("FIRESTORE_NATIVE", "DATASTORE_MODE")
# Fields patch may change; any other field in the mask is refused.
_MUTABLE = ("deleteProtectionState", "pointInTimeRecoveryEnablement", "appEngineIntegrationMode", "concurrencyMode",
            "tags")
_DEFAULTS = {"appEngineIntegrationMode": "DISABLED", "concurrencyMode": "PESSIMISTIC", "databaseEdition": "STANDARD",
             "deleteProtectionState": "DELETE_PROTECTION_DISABLED",
             "pointInTimeRecoveryEnablement": "POINT_IN_TIME_RECOVERY_DISABLED"}


def _check_id(database_id) -> None:
    if not database_id:
        raise invalid("database_id is required: name the database with the databaseId query parameter.")
    if database_id == "(default)":
        return
    if not _ID.match(database_id) or _UUID_LIKE.fullmatch(database_id):
        raise invalid(f'Invalid database id "{database_id}": it must be 4-63 characters of lowercase letters, '
                      'numbers and hyphens, start with a letter, end with a letter or number, and not look like '
                      'a UUID; or be "(default)".')


def _retention(doc: dict) -> None:
    """Point-in-time recovery keeps 7 days of versions, else one hour."""
    enabled = doc["pointInTimeRecoveryEnablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    doc["versionRetentionPeriod"] = "604800s" if enabled else "3600s"


def render(ctx, doc: dict) -> dict:
    out = strip_private(doc)
    out["etag"] = etag(out)
    now = ctx.clock.now()
    retention = int(out["versionRetentionPeriod"].rstrip("s"))
    out["earliestVersionTime"] = fmt_time(max(doc["_created"], now - retention))
    return out


def load(ctx, project: str, database: str) -> dict:
    doc = ctx.store.get(DATABASES, f"{project}/{database}")
    if doc is None:
        raise database_not_found(project, database)
    return doc


@handler("firestore.projects.databases.create")
def create(ctx, req):
    (project,) = split(req.params["parent"], ("projects",))
    database_id = req.params.get("databaseId")
    _check_id(database_id)
    body = req.body or {}
    name = f"projects/{project}/databases/{database_id}"
    if body.get("name") and body["name"] != name:
        raise invalid(f'Database name "{body["name"]}" does not match the databaseId "{database_id}".')
    if body.get("type") not in _TYPES:
        raise invalid(f"Invalid database type {body.get('type', 'DATABASE_TYPE_UNSPECIFIED')}: choose FIRESTORE_NATIVE "
                      "or DATASTORE_MODE.")
    if not body.get("locationId"):
        raise invalid("locationId is required (e.g. \"nam5\" or \"us-central1\").")
    now = ctx.clock.now()
    with ctx.store.transaction():
        if ctx.store.get(DATABASES, f"{project}/{database_id}") is not None:
            raise already_exists()
        free_tier = not any(d.get("freeTier") for d in ctx.store.list(DATABASES, f"{project}/"))
        doc = {**_DEFAULTS, **{k: v for k, v in body.items() if k in _MUTABLE or k == "databaseEdition"},
               "name": name, "uid": str(uuid.uuid4()), "type": body["type"], "locationId": body["locationId"],
               "createTime": fmt_time(now), "updateTime": fmt_time(now), "freeTier": free_tier, "_created": now}
        _retention(doc)
        op = ops.start(ctx, req, project, database_id, "CreateDatabase", "create", render(ctx, doc))
        if not ops.failed(op):
            ctx.store.put(DATABASES, f"{project}/{database_id}", doc)
    return ops.render(ctx, op)


@handler("firestore.projects.databases.get")
def get(ctx, req):
    project, database = split(req.params["name"], ("projects", "databases"))
    return render(ctx, load(ctx, project, database))


@handler("firestore.projects.databases.list")
def list_(ctx, req):
    (project,) = split(req.params["parent"], ("projects",))
    docs = ctx.store.list(DATABASES, f"{project}/")
    return {"databases": [render(ctx, d) for d in docs]} if docs else {}


@handler("firestore.projects.databases.patch")
def patch(ctx, req):
    project, database = split(req.params["name"], ("projects", "databases"))
    body = req.body or {}
    mask = [f.strip() for f in (req.params.get("updateMask") or "").split(",") if f.strip()]
    fields = mask or [k for k in body if k not in ("name", "etag")]
    refused = [f for f in fields if f not in _MUTABLE]
    if refused:
        raise invalid(f"Field '{refused[0]}' cannot be updated; updatable fields: {', '.join(_MUTABLE)}.")
    with ctx.store.transaction():
        doc = load(ctx, project, database)
        if body.get("etag") and body["etag"].rstrip("=") != render(ctx, doc)["etag"].rstrip("="):
            raise failed_precondition("The etag does not match the database's current etag.")
        changed = copy.deepcopy(doc)
        for field in fields:
            if field in body:
                changed[field] = body[field]
            else:
                changed[field] = _DEFAULTS.get(field)
                if changed[field] is None:
                    del changed[field]
        _retention(changed)
        changed["updateTime"] = fmt_time(ctx.clock.now())
        op = ops.start(ctx, req, project, database, "UpdateDatabase", "patch", render(ctx, changed))
        if not ops.failed(op):
            ctx.store.put(DATABASES, f"{project}/{database}", changed)
    return ops.render(ctx, op)


@handler("firestore.projects.databases.delete")
def delete(ctx, req):
    project, database = split(req.params["name"], ("projects", "databases"))
    with ctx.store.transaction():
        doc = load(ctx, project, database)
        current = render(ctx, doc)
        given = req.params.get("etag")
        if given and given.rstrip("=") != current["etag"].rstrip("="):
            raise failed_precondition("The etag does not match the database's current etag.")
        if doc["deleteProtectionState"] == "DELETE_PROTECTION_ENABLED":
            raise failed_precondition(f"Database '{database}' is delete protected. To delete it, first set its "
                                      "deleteProtectionState to DELETE_PROTECTION_DISABLED.")
        now = ctx.clock.now()
        snapshot = {**current, "name": f"projects/{project}/databases/{uuid.uuid4().hex[:20]}",
                    "previousId": database, "deleteTime": fmt_time(now), "updateTime": fmt_time(now)}
        op = ops.start(ctx, req, project, database, "DeleteDatabase", "delete", snapshot, done_response={})
        if not ops.failed(op):
            ctx.store.delete(DATABASES, f"{project}/{database}")
    return ops.render(ctx, op)
