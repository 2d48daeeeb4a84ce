"""secretmanager.projects.secrets.addVersion and versions.*: get, list, access, enable, disable,
destroy.

Versions are numbered 1, 2, ... per secret; "latest" names the most recently created one. Only
versions.access returns a payload (base64 data plus its CRC32C as an int64 string), and only for
an ENABLED version; destroy deletes the payload for good. No error message ever quotes a payload.
"""

from __future__ import annotations

import base64
import binascii

from gcpkit.emulator.core.registry import handler

from .common import (PAYLOADS, SECRETS, VERSIONS, SmError, check_etag, failed_precondition, fmt_time, invalid,
                     load_secret, new_etag, secret_key, split, strip_private, version_key)
from .crc import crc32c
from .secrets import page

MAX_PAYLOAD = 64 * 1024


def _decode(data) -> bytes:
    if not isinstance(data, str):
        raise invalid("SecretPayload.data is required.")
    try:
        text = data.replace("-", "+").replace("_", "/")
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise invalid("Invalid value at 'payload.data' (TYPE_BYTES): base64 decoding failed.") from None


def _replication_status(secret: dict) -> dict:
    replication = secret["replication"]
    if "userManaged" in replication:
        return {"userManaged": {"replicas": [{"location": r["location"]}
                                             for r in replication["userManaged"]["replicas"]]}}
    return {"automatic": {}}


@handler("secretmanager.projects.secrets.addVersion")
def add_version(ctx, req):
    project, secret = split(req.params["parent"], 2)
    payload = (req.body or {}).get("payload") or {}
    if not payload.get("data"):
        raise invalid("Secret Payload cannot be empty.")
    data = _decode(payload["data"])
    if len(data) > MAX_PAYLOAD:
        raise invalid(f"Secret payload is larger than the maximum of {MAX_PAYLOAD} bytes.")
    checksum = crc32c(data)
    claimed = payload.get("dataCrc32c")
    if claimed is not None and int(claimed) != checksum:
        raise invalid("Checksum mismatch: the data_crc32c sent does not match the CRC32C of the payload data.")
    with ctx.store.transaction():
        number, doc = load_secret(ctx, project, secret)
        n = int(doc["_nextVersion"])
        doc["_nextVersion"] = n + 1
        ctx.store.put(SECRETS, secret_key(number, secret), doc)
        version = {"name": f"{doc['name']}/versions/{n}", "createTime": fmt_time(ctx.clock.now()),
                   "state": "ENABLED", "replicationStatus": _replication_status(doc), "etag": new_etag(),
                   "_number": n}
        if claimed is not None:
            version["clientSpecifiedPayloadChecksum"] = True
        ctx.store.put(VERSIONS, version_key(number, secret, n), version)
        ctx.store.put(PAYLOADS, version_key(number, secret, n),
                      {"_number": n, "data": base64.b64encode(data).decode(), "crc32c": str(checksum)})
    return strip_private(version)


def _load_version(ctx, name: str) -> tuple[str, str, dict]:
    """(project number, secret id, version document) for .../versions/<n|latest>."""
    project, secret, ident = split(name, 3)
    number, doc = load_secret(ctx, project, secret)
    if ident == "latest":
        versions = ctx.store.list(VERSIONS, f"{secret_key(number, secret)}/")
        if not versions:
            raise SmError(404, "NOT_FOUND", f"Secret [{doc['name']}] not found or has no versions.")
        return number, secret, versions[-1]
    if not ident.isdigit() or int(ident) < 1:
        raise invalid(f"The provided version [{ident}] is invalid: expected a positive number or \"latest\".")
    version = ctx.store.get(VERSIONS, version_key(number, secret, int(ident)))
    if version is None:
        raise SmError(404, "NOT_FOUND", f"Secret Version [{doc['name']}/versions/{int(ident)}] not found.")
    return number, secret, version


@handler("secretmanager.projects.secrets.versions.get")
def get(ctx, req):
    return strip_private(_load_version(ctx, req.params["name"])[2])


@handler("secretmanager.projects.secrets.versions.list")
def list_(ctx, req):
    p = req.params
    project, secret = split(p["parent"], 2)
    number, _ = load_secret(ctx, project, secret)
    versions = list(reversed(ctx.store.list(VERSIONS, f"{secret_key(number, secret)}/")))  # newest first
    query = (p.get("filter") or "").strip()
    if query:
        field, _, wanted = query.partition(":")
        if field != "state" or wanted not in ("ENABLED", "DISABLED", "DESTROYED"):
            raise invalid(f"Invalid filter [{query}]: supported is state:ENABLED|DISABLED|DESTROYED.")
        versions = [v for v in versions if v["state"] == wanted]
    total = len(versions)
    items, token = page(versions, p.get("pageSize"), p.get("pageToken"),
                        key=lambda v: f"{10**10 - int(v['_number']):010d}")
    out: dict = {}
    if items:
        out["versions"] = [strip_private(v) for v in items]
    if token:
        out["nextPageToken"] = token
    if total:
        out["totalSize"] = total
    return out


@handler("secretmanager.projects.secrets.versions.access")
def access(ctx, req):
    number, secret, version = _load_version(ctx, req.params["name"])
    if version["state"] != "ENABLED":
        raise failed_precondition(f"Secret Version [{version['name']}] is in {version['state']} state.")
    payload = ctx.store.get(PAYLOADS, version_key(number, secret, int(version["_number"])))
    if payload is None:  # pragma: no cover - only destroyed versions lose their payload
        raise failed_precondition(f"Secret Version [{version['name']}] is in DESTROYED state.")
    return {"name": version["name"], "payload": {"data": payload["data"], "dataCrc32c": payload["crc32c"]}}


def _transition(ctx, req, target: str) -> dict:
    with ctx.store.transaction():
        number, secret, version = _load_version(ctx, req.params["name"])
        check_etag(version, (req.body or {}).get("etag"))
        if version["state"] == "DESTROYED":
            raise failed_precondition(f"Secret Version [{version['name']}] is in DESTROYED state.")
        version["state"] = target
        version["etag"] = new_etag()
        key = version_key(number, secret, int(version["_number"]))
        if target == "DESTROYED":
            version["destroyTime"] = fmt_time(ctx.clock.now())
            ctx.store.delete(PAYLOADS, key)
        ctx.store.put(VERSIONS, key, version)
    return strip_private(version)


@handler("secretmanager.projects.secrets.versions.disable")
def disable(ctx, req):
    return _transition(ctx, req, "DISABLED")


@handler("secretmanager.projects.secrets.versions.enable")
def enable(ctx, req):
    return _transition(ctx, req, "ENABLED")


@handler("secretmanager.projects.secrets.versions.destroy")
def destroy(ctx, req):
    return _transition(ctx, req, "DESTROYED")
