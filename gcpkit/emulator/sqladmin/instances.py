"""sql.instances.insert/get/list/patch/update/delete.

State over time, from the instance's stored timestamps: PENDING_CREATE until its CREATE operation is
done, then RUNNABLE; after a DELETE, PENDING_DELETE until that operation is done, then gone (404).
A deleted name cannot be reused for a week (Google's rule), scaled by the emulator's time scale (or
GCPKIT_EMULATOR_SQL_NAME_REUSE_SECONDS, unscaled seconds, when set). Changes of patch/update are
applied when the operation starts; the operation then runs its course. Passwords (rootPassword) are
write-only: never stored, never echoed.
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import os
import re

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.registry import handler

from . import operations as ops
from .common import (INSTANCES, TOMBSTONES, etag, fmt_time, instance_exists, instance_key, instance_link,
                     instance_not_found, invalid, name_not_reusable, page, project_number, strip_private)
from .engines import MAINTENANCE_RELEASE, engine, installed, upgradable
from .settings import merged, with_defaults

KIND = "sql#instance"
NAME_REUSE_SECONDS = 7 * 24 * 3600
NAME_REUSE_ENV = "GCPKIT_EMULATOR_SQL_NAME_REUSE_SECONDS"
_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# Body fields a client may send that are taken from the request; everything else is the server's.
_IMMUTABLE = ("name", "region", "project")


# ---- loading -----------------------------------------------------------------------------------

def gone(ctx, doc: dict) -> bool:
    return "_goneAt" in doc and ctx.clock.now() >= doc["_goneAt"]


def load(ctx, project: str, name: str) -> dict:
    """The live instance a request names (404 with Cloud SQL's wording if absent or deleted)."""
    doc = ctx.store.get(INSTANCES, instance_key(project, name))
    if doc is None or gone(ctx, doc):
        raise instance_not_found()
    return doc


def require_running(ctx, doc: dict) -> None:
    """Databases and users need a created instance that is not being deleted."""
    now = ctx.clock.now()
    if now < doc["_readyAt"] or "_goneAt" in doc:
        raise ops.in_progress() if now < doc.get("_busyUntil", 0) else instance_not_found()


def state(ctx, doc: dict) -> str:
    if "_goneAt" in doc:
        return "PENDING_DELETE"
    return "PENDING_CREATE" if ctx.clock.now() < doc["_readyAt"] else "RUNNABLE"


def render(ctx, doc: dict) -> dict:
    out = strip_private(doc)
    out["settings"] = copy.deepcopy(doc["settings"])
    out["state"] = state(ctx, doc)
    if out["state"] != "PENDING_CREATE":
        out["ipAddresses"] = _ip_addresses(doc)
    out["etag"] = etag({"settings": repr(out["settings"]), "state": out["state"],
                        "databaseVersion": out["databaseVersion"]})
    return out


def _ip_addresses(doc: dict) -> list[dict]:
    n = int(doc["_id"])
    ip = doc["settings"].get("ipConfiguration", {})
    out = []
    if ip.get("ipv4Enabled", True):
        out.append({"ipAddress": f"34.{n % 200 + 20}.{n // 200 % 256}.{n // 51200 % 254 + 1}", "type": "PRIMARY"})
    if ip.get("privateNetwork"):
        out.append({"ipAddress": f"10.{n % 250 + 1}.{n // 250 % 256}.{n // 64000 % 254 + 1}", "type": "PRIVATE"})
    return out


def reuse_window(ctx) -> float:
    fixed = os.environ.get(NAME_REUSE_ENV)
    if fixed:
        return max(0.0, float(fixed))
    return NAME_REUSE_SECONDS * float(getattr(ctx.latency, "time_scale", 1.0))


# ---- building ----------------------------------------------------------------------------------

def _service_account(project: str) -> str:
    suffix = hashlib.sha256(("sa:" + project).encode()).hexdigest()[:6]
    return f"p{project_number(project)}-{suffix}@gcp-sa-cloud-sql.iam.gserviceaccount.com"


def _server_ca(name: str, now: float, instance_id: int) -> dict:
    digest = hashlib.sha1(f"{name}:{instance_id}".encode()).hexdigest()
    return {"cert": "-----BEGIN CERTIFICATE-----\n(gcpkit emulator)\n-----END CERTIFICATE-----\n",
            "certSerialNumber": "0", "commonName": f"C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA,"
                                                     f"dnQualifier={digest[:36]}",
            "createTime": fmt_time(now), "expirationTime": fmt_time(now + 10 * 365.25 * 86400),
            "instance": name, "kind": "sql#sslCert", "sha1Fingerprint": digest}


def _set_version(doc: dict, version: str) -> None:
    doc["databaseVersion"] = version
    doc["databaseInstalledVersion"] = installed(version)
    doc["maintenanceVersion"] = f"{installed(version)}.{MAINTENANCE_RELEASE}"
    doc["upgradableDatabaseVersions"] = upgradable(version)
    if not doc["upgradableDatabaseVersions"]:
        del doc["upgradableDatabaseVersions"]


def _check_name(project: str, name) -> None:
    if not name:
        raise invalid("Missing instance name.")
    if not isinstance(name, str) or not _NAME.match(name) or len(f"{project}:{name}") > 98:
        raise invalid(f"Invalid instance name ({name}). Use lowercase letters, numbers and hyphens, starting with "
                      "a letter; PROJECT:INSTANCE may be at most 98 characters.")


def _check_immutable(doc: dict, body: dict) -> None:
    for field in _IMMUTABLE:
        value = body.get(field)
        if value is not None and value != doc[field]:
            raise invalid(f"The instance's {field} cannot be changed (from {doc[field]} to {value}).")


def _new_version(doc: dict, body: dict) -> str:
    version = body.get("databaseVersion") or doc["databaseVersion"]
    if version != doc["databaseVersion"]:
        allowed = {v["majorVersion"] for v in doc.get("upgradableDatabaseVersions", [])}
        if engine(version) != engine(doc["databaseVersion"]) or version not in allowed:
            raise invalid(f"Cannot upgrade the instance from {doc['databaseVersion']} to {version}.")
    return version


# ---- handlers ----------------------------------------------------------------------------------

@handler("sql.instances.insert")
def insert(ctx, req):
    from .databases import purge_children, seed_databases
    from .users import seed_users

    project = req.params["project"]
    body = req.body or {}
    name = body.get("name")
    _check_name(project, name)
    version = body.get("databaseVersion") or "MYSQL_8_0"
    if version == "SQL_DATABASE_VERSION_UNSPECIFIED":
        version = "MYSQL_8_0"
    region = body.get("region") or "us-central1"
    if body.get("masterInstanceName") or body.get("replicaConfiguration"):
        raise ApiError(501, "notImplemented", "Read replicas are not implemented by the gcpkit emulator.",
                       with_status=True)
    settings = with_defaults(version, region, body.get("settings"), 1)
    now = ctx.clock.now()
    key = instance_key(project, name)
    with ctx.store.transaction():
        existing = ctx.store.get(INSTANCES, key)
        if existing is not None and not gone(ctx, existing):
            raise instance_exists()
        tomb = ctx.store.get(TOMBSTONES, key)
        if tomb is not None and now < tomb["reusableAt"]:
            raise name_not_reusable()
        if existing is not None:  # deleted and past its window: forget it and its children
            ctx.store.delete(INSTANCES, key)
            purge_children(ctx, project, name)
        if tomb is not None:
            ctx.store.delete(TOMBSTONES, key)
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, name, "CREATE", "instances", "insert", error=error)
        if error:
            return ops.render(ctx, op)
        instance_id = ctx.store.next_id()
        doc = {"kind": KIND, "name": name, "project": project, "region": region, "backendType": "SECOND_GEN",
               "connectionName": f"{project}:{region}:{name}", "createTime": fmt_time(now),
               "gceZone": settings["locationPreference"]["zone"],
               "geminiConfig": {"activeQueryEnabled": False, "entitled": False, "flagRecommenderEnabled": True,
                                "indexAdvisorEnabled": False},
               "instanceType": body.get("instanceType") or "CLOUD_SQL_INSTANCE", "satisfiesPzi": True,
               "selfLink": instance_link(project, name), "serverCaCert": _server_ca(name, now, instance_id),
               "serviceAccountEmailAddress": _service_account(project), "settings": settings,
               "sqlNetworkArchitecture": "NEW_NETWORK_ARCHITECTURE",
               "_id": instance_id, "_readyAt": op["_done"], "_busyUntil": op["_done"], "_settingsVersion": 1}
        _set_version(doc, version)
        ctx.store.put(INSTANCES, key, doc)
        seed_databases(ctx, project, name, version)
        seed_users(ctx, project, name, version)
    return ops.render(ctx, op)


@handler("sql.instances.get")
def get(ctx, req):
    return render(ctx, load(ctx, req.params["project"], req.params["instance"]))


# ---- list and its filter ------------------------------------------------------------------------

_TERM = re.compile(r'^(?P<path>[A-Za-z][\w.\-]*)\s*(?P<op>[:=])\s*(?P<value>"[^"]*"|\S+)$')


def _parse_filter(text: str) -> list[tuple[list[str], str]]:
    terms = []
    tokens = re.findall(r'[A-Za-z][\w.\-]*\s*[:=]\s*(?:"[^"]*"|\S+)|\S+', text or "")
    for token in tokens:
        if token == "AND":
            continue
        m = _TERM.match(token)
        if m is None or token in ("OR", "NOT"):
            raise invalid(f"Invalid filter: {text}. The emulator supports FIELD:VALUE terms joined by AND.")
        terms.append((m.group("path").split("."), m.group("value").strip('"')))
    return terms


def _field(value, path: list[str]):
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _matches(item: dict, terms) -> bool:
    for path, wanted in terms:
        value = _field(item, path)
        if value is None:
            return False
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        if not fnmatch.fnmatchcase(shown, wanted):
            return False
    return True


@handler("sql.instances.list")
def list_(ctx, req):
    p = req.params
    terms = _parse_filter(p.get("filter", ""))
    docs = [d for d in ctx.store.list(INSTANCES, f"{p['project']}/") if not gone(ctx, d)]
    items = [render(ctx, d) for d in docs]
    items = [i for i in items if _matches(i, terms)]
    items.sort(key=lambda i: i["name"])
    chosen, token = page(items, p.get("maxResults"), p.get("pageToken"), key=lambda i: i["name"])
    out: dict = {"kind": "sql#instancesList"}
    if chosen:
        out["items"] = chosen
    if token:
        out["nextPageToken"] = token
    return out


# ---- changes -----------------------------------------------------------------------------------

def _modify(ctx, req, replace: bool):
    p = req.params
    project, name = p["project"], p["instance"]
    body = req.body or {}
    with ctx.store.transaction():
        doc = load(ctx, project, name)
        _check_immutable(doc, body)
        version = _new_version(doc, body)
        number = int(doc["_settingsVersion"]) + 1
        if replace:
            settings = with_defaults(version, doc["region"], body.get("settings"), number)
        else:
            settings = merged(version, doc["region"], copy.deepcopy(doc["settings"]), body.get("settings"), number)
        duration_verb = "update" if replace else "patch"
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, name, "UPDATE", "instances", duration_verb, error=error)
        ops.claim(ctx, doc, op["_done"])
        if not error:
            doc["settings"] = settings
            doc["_settingsVersion"] = number
            doc["gceZone"] = settings["locationPreference"]["zone"]
            if version != doc["databaseVersion"]:
                _set_version(doc, version)
        ctx.store.put(INSTANCES, instance_key(project, name), doc)
    return ops.render(ctx, op)


@handler("sql.instances.patch")
def patch(ctx, req):
    return _modify(ctx, req, replace=False)


@handler("sql.instances.update")
def update(ctx, req):
    return _modify(ctx, req, replace=True)


@handler("sql.instances.delete")
def delete(ctx, req):
    p = req.params
    project, name = p["project"], p["instance"]
    with ctx.store.transaction():
        doc = load(ctx, project, name)
        if doc["settings"].get("deletionProtectionEnabled"):
            raise invalid("The instance is protected from deletion (settings.deletionProtectionEnabled is true). "
                          "Disable deletion protection on the instance, then delete it.")
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, name, "DELETE", "instances", "delete", error=error)
        ops.claim(ctx, doc, op["_done"])
        if not error:
            doc["_goneAt"] = op["_done"]
            ctx.store.put(TOMBSTONES, instance_key(project, name), {"reusableAt": op["_done"] + reuse_window(ctx)})
        ctx.store.put(INSTANCES, instance_key(project, name), doc)
    return ops.render(ctx, op)
