"""Helpers shared by every Compute resource: time, ids, fingerprints, names, rendering,
locations, readiness and in-use checks. All state lives in ctx.store."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from gcpkit.emulator.core.errors import ApiError, in_use, invalid, not_found, not_ready

from . import catalog
from .links import full, relative, scope_path

NAME_RE = re.compile(r"^(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$")
NAME_REGEX_TEXT = "(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)"
PUBLIC_PROJECTS = set(catalog.PUBLIC_IMAGES)
_PDT = timezone(timedelta(hours=-7))


def coll(name: str) -> str:
    return f"compute/{name}"


def fmt_time(epoch: float) -> str:
    """GCP's Compute timestamps: RFC 3339 with milliseconds and a -07:00 offset."""
    dt = datetime.fromtimestamp(epoch, _PDT)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}-07:00"


def new_id(ctx) -> str:
    return str(ctx.store.next_id())


def fingerprint(value) -> str:
    raw = json.dumps(value, sort_keys=True, default=str).encode()
    return base64.b64encode(hashlib.sha256(raw).digest()[:8]).decode()


def resource_fingerprint(doc: dict) -> str:
    return fingerprint({k: v for k, v in doc.items() if k not in ("fingerprint",) and not k.startswith("_")})


def check_name(name, field: str = "resource.name") -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise invalid(f"Invalid value for field '{field}': '{name if name is not None else ''}'. "
                      f"Must be a match of regex '{NAME_REGEX_TEXT}'")


_LABEL_KEY = re.compile(r"^[a-z\u00e0-\uffff][a-z0-9_\-\u00e0-\uffff]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_\-\u00e0-\uffff]{0,63}$")


def check_labels(labels, field: str = "resource.labels") -> None:
    """GCP's label constraints: lowercase keys starting with a letter, at most 63 characters, at most 64 labels."""
    if not labels:
        return
    if len(labels) > 64:
        raise invalid(f"Invalid value for field '{field}': ''. Too many labels: at most 64 are allowed.")
    for k, v in labels.items():
        if not _LABEL_KEY.match(k):
            raise invalid(f"Invalid value for field '{field}': ''. Label key '{k}' violates format constraints. "
                          "The key must start with a lowercase character, can only contain lowercase letters, "
                          "numeric characters, underscores and dashes. The key can be at most 63 characters long. "
                          "International characters are allowed.")
        if not _LABEL_VALUE.match(v or ""):
            raise invalid(f"Invalid value for field '{field}': ''. Label value '{v}' violates format constraints. "
                          "The value can only contain lowercase letters, numeric characters, underscores and dashes. "
                          "The value can be at most 63 characters long. International characters are allowed.")


# ---- locations -------------------------------------------------------------------------

def check_zone(zone: str) -> None:
    if zone not in catalog.ZONES:
        raise invalid(f"Invalid value for field 'zone': '{zone}'. Unknown zone.")


def check_region(region: str) -> None:
    if region not in catalog.REGIONS:
        raise invalid(f"Invalid value for field 'region': '{region}'. Unknown region.")


def begin(ctx, req) -> tuple[str, str | None, str | None]:
    """Validate the location of a request and make sure the project is bootstrapped."""
    p = req.params
    project = p.get("project")
    zone, region = p.get("zone"), p.get("region")
    if zone is not None:
        check_zone(zone)
    if region is not None:
        check_region(region)
    if project and project not in PUBLIC_PROJECTS:
        from .networks import ensure_project

        ensure_project(ctx, project)
    return project, zone, region


def base_doc(ctx, kind: str, project: str, collection: str, name: str, *, zone=None, region=None) -> dict:
    rel = f"{scope_path(project, zone, region)}/{collection}/{name}"
    doc = {"kind": kind, "id": new_id(ctx), "creationTimestamp": fmt_time(ctx.clock.now()), "name": name}
    if zone:
        doc["zone"] = full(f"projects/{project}/zones/{zone}")
    if region:
        doc["region"] = full(f"projects/{project}/regions/{region}")
    doc["selfLink"] = full(rel)
    doc["_refs"] = []
    return doc


# ---- timelines: status computed from stored timestamps -----------------------------------

def timeline(ctx, steps: list[tuple[float, str]]) -> list[list]:
    now = ctx.clock.now()
    return [[now + dt, s] for dt, s in steps]


def current_status(ctx, doc: dict) -> str | None:
    tl = doc.get("_timeline")
    if not tl:
        return doc.get("status")
    now = ctx.clock.now()
    status = tl[0][1]
    for t, s in tl:
        if t <= now:
            status = s
    return status


def render(ctx, doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if "_timeline" in doc:
        out["status"] = current_status(ctx, doc)
    return out


def rel_of(doc: dict) -> str:
    return relative(doc["selfLink"])


# ---- lookups --------------------------------------------------------------------------------

def lookup(ctx, rel: str) -> dict | None:
    collection = rel.split("/")[-2]
    return ctx.store.get(coll(collection), rel)


def must_get(ctx, rel: str) -> dict:
    doc = lookup(ctx, rel)
    if doc is None:
        raise not_found(f"The resource '{rel}' was not found")
    return doc


def is_ready(ctx, doc: dict) -> bool:
    return doc.get("_readyAt", 0) <= ctx.clock.now()


def resolve(ctx, rel: str, *, code: int = 404) -> dict:
    """A referenced resource: must exist (404, or 400 when `code` says so) and be ready."""
    doc = lookup(ctx, rel)
    if doc is None:
        msg = f"The resource '{rel}' was not found"
        if code == 404:
            raise not_found(msg)
        raise ApiError(code, "notFound" if code == 404 else "invalid", msg)
    if not is_ready(ctx, doc):
        raise not_ready(f"The resource '{rel}' is not ready")
    return doc


def add_ref(doc: dict, rel: str) -> None:
    refs = doc.setdefault("_refs", [])
    if rel not in refs:
        refs.append(rel)


_listing = threading.local()


@contextmanager
def one_listing():
    """Within one list call, the users of every listed resource come from a single scan of the user
    collections (rendering each disk by scanning every instance made a list quadratic)."""
    _listing.cache = {}
    try:
        yield
    finally:
        _listing.cache = None


def users_of(ctx, rel: str, collections: tuple[str, ...], prefix: str) -> list[dict]:
    """The documents under `prefix` in `collections` that refer to `rel`, in store order."""
    cache = getattr(_listing, "cache", None)
    key = (collections, prefix)
    index = cache.get(key) if cache is not None else None
    if index is None:
        index = {}
        for c in collections:
            for d in ctx.store.list(coll(c), prefix=prefix):
                for ref in d.get("_refs", ()):
                    index.setdefault(ref, []).append(d)
        if cache is not None:
            cache[key] = index
    return index.get(rel, [])


def find_user(ctx, rel: str, collections: tuple[str, ...]) -> dict | None:
    project = rel.split("/")[1]
    for c in collections:
        for d in ctx.store.list(coll(c), prefix=f"projects/{project}/"):
            if rel in d.get("_refs", ()):
                return d
    return None


def check_not_in_use(ctx, rel: str, type_name: str, collections: tuple[str, ...], *, target: str | None = None) -> None:
    user = find_user(ctx, target or rel, collections)
    if user is not None:
        raise in_use(f"The {type_name} resource '{target or rel}' is already being used by '{rel_of(user)}'")
