"""secretmanager.projects.secrets.*: create, get, list, patch, delete.

A secret is returned as projects/<number>/secrets/<id> with its replication ({"automatic": {}} or
user-managed replicas), createTime and etag (a quoted string that changes on every update).
"""

from __future__ import annotations

import copy
import re

from gcpkit.emulator.core.formats import token_page
from gcpkit.emulator.core.registry import handler

from .common import (PAYLOADS, POLICIES, SECRETS, VERSIONS, SmError, check_etag, check_secret_id, fmt_time,
                     invalid, load_secret, new_etag, resolve_project, secret_key, split, strip_private)

_ECHOED = ("labels", "annotations", "topics", "rotation", "expireTime", "versionDestroyTtl", "versionAliases")
_PATCHABLE = {"labels", "annotations", "topics", "rotation", "expireTime", "ttl", "versionDestroyTtl",
              "versionAliases"}
_LABEL_KEY = re.compile(r"^[\w-]{1,63}$")
_DURATION = re.compile(r"^(\d+(\.\d{1,9})?)s$")


def _check_replication(replication) -> dict:
    if not isinstance(replication, dict) or not replication:
        raise invalid("Secret.replication is required: set replication.automatic or replication.userManaged.")
    if ("automatic" in replication) == ("userManaged" in replication):
        raise invalid("Exactly one of replication.automatic and replication.userManaged must be set.")
    if "userManaged" in replication:
        replicas = (replication["userManaged"] or {}).get("replicas") or []
        if not replicas or any(not (r or {}).get("location") for r in replicas):
            raise invalid("replication.userManaged.replicas must name at least one location.")
        return {"userManaged": {"replicas": [{"location": r["location"]} for r in replicas]}}
    return {"automatic": copy.deepcopy(replication["automatic"] or {})}


def _check_labels(labels) -> None:
    for key in (labels or {}):
        if not _LABEL_KEY.match(key) or not key[0].islower():
            raise invalid(f"Invalid label key [{key}]: keys are 1 to 63 lowercase letters, digits, '_' or '-', "
                          "starting with a letter.")


def _apply(ctx, doc: dict, body: dict, fields) -> None:
    for field in fields:
        value = body.get(field)
        if field == "ttl":
            if value is None:
                doc.pop("expireTime", None)
                continue
            m = _DURATION.match(str(value))
            if not m:
                raise invalid(f"Invalid ttl [{value}]: expected a duration such as \"3600s\".")
            doc["expireTime"] = fmt_time(ctx.clock.now() + float(m.group(1)))
            continue
        if field == "labels":
            _check_labels(value)
        if value in (None, {}, []):
            doc.pop(field, None)
        else:
            doc[field] = copy.deepcopy(value)


def render_secret(doc: dict) -> dict:
    return strip_private(doc)


@handler("secretmanager.projects.secrets.create")
def create(ctx, req):
    project = split(req.params["parent"], 1)[0]
    secret_id = req.params.get("secretId")
    check_secret_id(secret_id)
    body = req.body or {}
    replication = _check_replication(body.get("replication"))
    number = resolve_project(ctx, project)
    name = f"projects/{number}/secrets/{secret_id}"
    with ctx.store.transaction():
        if ctx.store.get(SECRETS, secret_key(number, secret_id)) is not None:
            raise SmError(409, "ALREADY_EXISTS", f"Secret [{name}] already exists.")
        doc = {"name": name, "replication": replication, "createTime": fmt_time(ctx.clock.now()),
               "etag": new_etag(), "_nextVersion": 1}
        _apply(ctx, doc, body, [f for f in _ECHOED if f in body] + (["ttl"] if body.get("ttl") else []))
        ctx.store.put(SECRETS, secret_key(number, secret_id), doc)
    return render_secret(doc)


@handler("secretmanager.projects.secrets.get")
def get(ctx, req):
    project, secret = split(req.params["name"], 2)
    return render_secret(load_secret(ctx, project, secret)[1])


@handler("secretmanager.projects.secrets.patch")
def patch(ctx, req):
    project, secret = split(req.params["name"], 2)
    body = req.body or {}
    mask = [f.strip() for f in (req.params.get("updateMask") or "").split(",") if f.strip()]
    if not mask:
        raise invalid("update_mask is required: name the fields to update.")
    for field in mask:
        if field not in _PATCHABLE:
            raise invalid(f"The field [{field}] cannot be updated (updatable: {', '.join(sorted(_PATCHABLE))}).")
    with ctx.store.transaction():
        number, doc = load_secret(ctx, project, secret)
        check_etag(doc, body.get("etag"))
        _apply(ctx, doc, body, mask)
        doc["etag"] = new_etag()
        ctx.store.put(SECRETS, secret_key(number, secret), doc)
    return render_secret(doc)


def _filter(query: str):
    """The subset of the list filter gcpkit uses: name:SUBSTRING, labels.KEY=VALUE, labels.KEY:*."""
    terms = []
    for token in query.split():
        if token.upper() == "AND":
            continue
        m = re.match(r"^(name|labels\.[\w-]+)([:=])(.*)$", token)
        if not m:
            raise invalid(f"Invalid filter [{query}]: supported terms are name:TEXT and labels.KEY=VALUE.")
        terms.append((m.group(1), m.group(3)))

    def keep(doc: dict) -> bool:
        for field, value in terms:
            if field == "name":
                if value.lower() not in doc["name"].rsplit("/", 1)[1].lower():
                    return False
            else:
                actual = (doc.get("labels") or {}).get(field[len("labels."):])
                if actual is None or (value != "*" and actual != value):
                    return False
        return True

    return keep


def page(items: list, page_size: int | None, token: str | None, key) -> tuple[list, str | None]:
    return token_page(items, page_size, token, key, default=25000, maximum=25000, invalid=invalid)


@handler("secretmanager.projects.secrets.list")
def list_(ctx, req):
    p = req.params
    number = resolve_project(ctx, split(p["parent"], 1)[0])
    secrets = ctx.store.list(SECRETS, f"{number}/")
    if p.get("filter"):
        secrets = [s for s in secrets if _filter(p["filter"])(s)]
    total = len(secrets)
    items, token = page(secrets, p.get("pageSize"), p.get("pageToken"), key=lambda s: s["name"])
    out: dict = {}
    if items:
        out["secrets"] = [render_secret(s) for s in items]
    if token:
        out["nextPageToken"] = token
    if total:
        out["totalSize"] = total
    return out


@handler("secretmanager.projects.secrets.delete")
def delete(ctx, req):
    project, secret = split(req.params["name"], 2)
    with ctx.store.transaction():
        number, doc = load_secret(ctx, project, secret)
        check_etag(doc, req.params.get("etag"))
        prefix = f"{secret_key(number, secret)}/"
        for collection in (VERSIONS, PAYLOADS):
            for child in ctx.store.list(collection, prefix):
                ctx.store.delete(collection, prefix + f"{int(child['_number']):010d}")
        ctx.store.delete(POLICIES, secret_key(number, secret))
        ctx.store.delete(SECRETS, secret_key(number, secret))
    return {}
