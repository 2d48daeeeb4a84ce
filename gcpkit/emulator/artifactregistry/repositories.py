"""artifactregistry.projects.locations.repositories.create/get/list/patch/delete.

create and delete answer a long-running operation; the change itself is visible at once (unless a
fault rule fails the operation: then nothing changes). patch answers the Repository. list supports
the API's filter on name and labels (terms joined by AND, "*" wildcards), orderBy name, and paging.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import re

from gcpkit.emulator.core.registry import handler

from . import operations as ops
from .common import REPOSITORIES, already_exists, fmt_time, invalid, not_found, parse_filter, split
from .locations import location_ids

_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_MUTABLE = ("labels", "description", "cleanupPolicies", "cleanupPolicyDryRun", "dockerConfig",
            "vulnerabilityScanningConfig", "disallowUnspecifiedMode")
_CREATE_FIELDS = _MUTABLE + ("format", "mode", "kmsKeyName", "mavenConfig", "remoteRepositoryConfig",
                             "virtualRepositoryConfig", "platformLogsConfig")
_TERM = re.compile(r'^(?P<field>name|labels\.[\w-]+)\s*(?:(?P<op>[=:])\s*(?P<value>"[^"]*"|\S+))?$')
_REGISTRY_HOST = {"DOCKER": "docker", "MAVEN": "maven", "NPM": "npm", "PYTHON": "python", "APT": "apt",
                  "YUM": "yum", "GO": "go", "KFP": "kfp", "GENERIC": "generic"}


def _key(project: str, location: str, repository: str) -> str:
    return f"{project}/{location}/{repository}"


def load(ctx, project: str, location: str, repository: str) -> dict:
    doc = ctx.store.get(REPOSITORIES, _key(project, location, repository))
    if doc is None:
        raise not_found()
    return doc


@handler("artifactregistry.projects.locations.repositories.create")
def create(ctx, req):
    project, location = split(req.params["parent"], ("projects", "locations"))
    if location not in location_ids():  # e.g. "eu-west3", "us-central-1": Google says no more than this
        raise invalid("Request contains an invalid argument.")
    repository_id = req.params.get("repositoryId")
    if not repository_id or not _ID.match(repository_id):
        raise invalid(f'Invalid repository id "{repository_id or ""}": use 1-63 lowercase letters, numbers and '
                      "hyphens, starting with a letter and ending with a letter or number (query parameter "
                      "repositoryId).")
    body = req.body or {}
    if body.get("format") in (None, "FORMAT_UNSPECIFIED"):
        raise invalid("Repository format is required (e.g. DOCKER).")
    name = f"projects/{project}/locations/{location}/repositories/{repository_id}"
    now = ctx.clock.now()
    doc = {k: copy.deepcopy(v) for k, v in body.items() if k in _CREATE_FIELDS}
    doc.update({"name": name, "mode": body.get("mode") or "STANDARD_REPOSITORY", "createTime": fmt_time(now),
                "updateTime": fmt_time(now)})
    host = _REGISTRY_HOST.get(body["format"])
    if host:
        doc["registryUri"] = f"{location}-{host}.pkg.dev/{project}/{repository_id}"
    with ctx.store.transaction():
        if ctx.store.get(REPOSITORIES, _key(project, location, repository_id)) is not None:
            raise already_exists()
        op = ops.start(ctx, req, project, location, "create", doc)
        if not ops.failed(op):
            ctx.store.put(REPOSITORIES, _key(project, location, repository_id), doc)
    return ops.render(ctx, op)


@handler("artifactregistry.projects.locations.repositories.get")
def get(ctx, req):
    return load(ctx, *split(req.params["name"], ("projects", "locations", "repositories")))


def _matches(doc: dict, terms) -> bool:
    for field, wanted in terms:
        if field == "name":
            value = doc["name"]
            if not (fnmatch.fnmatchcase(value, wanted or "*") or fnmatch.fnmatchcase(value.rsplit("/", 1)[-1],
                                                                                      wanted or "*")):
                return False
        else:
            labels = doc.get("labels") or {}
            key = field.split(".", 1)[1]
            if key not in labels or (wanted is not None and not fnmatch.fnmatchcase(labels[key], wanted)):
                return False
    return True


@handler("artifactregistry.projects.locations.repositories.list")
def list_(ctx, req):
    p = req.params
    project, location = split(p["parent"], ("projects", "locations"))
    terms = parse_filter(p.get("filter") or "", _TERM, 'name="..." and labels.KEY[=VALUE] terms')
    docs = [d for d in ctx.store.list(REPOSITORIES, f"{project}/{location}/") if _matches(d, terms)]
    order = (p.get("orderBy") or "name").split()
    if order[0] != "name" or len(order) > 2 or (len(order) == 2 and order[1] not in ("asc", "desc")):
        raise invalid(f"Invalid orderBy: {p.get('orderBy')!r}. Supported: \"name\" or \"name desc\".")
    docs.sort(key=lambda d: d["name"], reverse=order[-1] == "desc")
    start = 0
    if p.get("pageToken"):
        try:
            start = int(base64.urlsafe_b64decode(p["pageToken"].encode()).decode())
        except ValueError:
            raise invalid(f"Invalid page token: {p['pageToken']}") from None
    size = int(p.get("pageSize") or 1000)
    chosen = docs[start:start + size]
    out: dict = {"repositories": chosen} if chosen else {}
    if start + size < len(docs):
        out["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return out


@handler("artifactregistry.projects.locations.repositories.patch")
def patch(ctx, req):
    project, location, repository = split(req.params["name"], ("projects", "locations", "repositories"))
    body = req.body or {}
    mask = [f.strip() for f in (req.params.get("updateMask") or "").split(",") if f.strip()]
    fields = mask or [k for k in body if k != "name"]
    refused = [f for f in fields if f not in _MUTABLE]
    if refused:
        raise invalid(f"Field '{refused[0]}' cannot be updated; updatable fields: {', '.join(_MUTABLE)}.")
    with ctx.store.transaction():
        doc = load(ctx, project, location, repository)
        for field in fields:
            if field in body:
                doc[field] = copy.deepcopy(body[field])
            else:
                doc.pop(field, None)
        doc["updateTime"] = fmt_time(ctx.clock.now())
        ctx.store.put(REPOSITORIES, _key(project, location, repository), doc)
    return doc


@handler("artifactregistry.projects.locations.repositories.delete")
def delete(ctx, req):
    project, location, repository = split(req.params["name"], ("projects", "locations", "repositories"))
    with ctx.store.transaction():
        load(ctx, project, location, repository)
        op = ops.start(ctx, req, project, location, "delete", None)
        if not ops.failed(op):
            ctx.store.delete(REPOSITORIES, _key(project, location, repository))
    return ops.render(ctx, op)
