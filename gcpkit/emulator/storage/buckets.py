"""storage.buckets.*: insert, get, list, patch, update, delete.

Shapes follow the real API (gcp-golden/storage--storagebucketbasic.http.log): a bucket always
carries etag, generation, iamConfiguration (bucketPolicyOnly mirroring uniformBucketLevelAccess,
publicAccessPrevention), id (= name), kind, location, locationType, metageneration, name,
projectNumber, rpo (multi- and dual-regions), selfLink, softDeletePolicy, storageClass,
timeCreated and updated; projection=full (the default of patch and update) adds acl,
defaultObjectAcl and owner. Bucket names are global: one namespace for every project.
"""

from __future__ import annotations

import base64

from gcpkit.emulator.core.registry import handler

from .common import (BUCKET_IAM, BUCKETS, NONCURRENT, OBJECTS, PUBLIC_HOST, bucket_etag, bucket_not_found,
                     conflict, fmt_time, invalid, merge_patch, micros, not_modified, precondition_failed,
                     project_number, required, strip_private)
from .names import check_bucket_name, check_location, check_storage_class

KIND = "storage#bucket"
DEFAULT_SOFT_DELETE = "604800"  # seven days, the default soft delete retention of new buckets
UBLA_LOCK_DAYS = 90

# What a client may set (besides name, location, storageClass); everything else is output-only.
WRITABLE = ("labels", "lifecycle", "versioning", "iamConfiguration", "cors", "website", "logging", "billing",
            "retentionPolicy", "defaultEventBasedHold", "encryption", "autoclass", "softDeletePolicy", "rpo",
            "customPlacementConfig", "hierarchicalNamespace", "objectRetention", "ipFilter")


# ---- loading and rendering ----------------------------------------------------------------------

def load(ctx, name: str) -> dict:
    doc = ctx.store.get(BUCKETS, name)
    if doc is None:
        raise bucket_not_found()
    return doc


def check_preconditions(doc: dict, params: dict, read: bool = False) -> None:
    """412 on a failed precondition; a read (GET) whose ifMetagenerationNotMatch fails is 304, as Google's."""
    meta = int(doc["metageneration"])
    if "ifMetagenerationMatch" in params and int(params["ifMetagenerationMatch"]) != meta:
        raise precondition_failed()
    if "ifMetagenerationNotMatch" in params and int(params["ifMetagenerationNotMatch"]) == meta:
        raise not_modified() if read else precondition_failed()


def ubla_enabled(doc: dict) -> bool:
    return bool(doc.get("iamConfiguration", {}).get("uniformBucketLevelAccess", {}).get("enabled"))


def render(doc: dict, projection: str = "noAcl") -> dict:
    out = strip_private(doc)
    if projection == "full":
        number = doc["projectNumber"]
        if not ubla_enabled(doc):  # uniform access disables ACLs: Google then omits them
            out["acl"] = [_bucket_acl(doc["name"], number, team, role, doc["etag"])
                          for team, role in (("owners", "OWNER"), ("editors", "OWNER"), ("viewers", "READER"))]
            out["defaultObjectAcl"] = [
                {"entity": f"project-{team}-{number}", "etag": doc["etag"], "kind": "storage#objectAccessControl",
                 "projectTeam": {"projectNumber": number, "team": team}, "role": role}
                for team, role in (("owners", "OWNER"), ("editors", "OWNER"), ("viewers", "READER"))]
        out["owner"] = {"entity": f"project-owners-{number}"}
    return out


def _bucket_acl(bucket: str, number: str, team: str, role: str, etag: str) -> dict:
    entity = f"project-{team}-{number}"
    return {"bucket": bucket, "entity": entity, "etag": etag, "id": f"{bucket}/{entity}",
            "kind": "storage#bucketAccessControl", "projectTeam": {"projectNumber": number, "team": team},
            "role": role, "selfLink": f"{PUBLIC_HOST}/storage/v1/b/{bucket}/acl/{entity}"}


# ---- normalising what clients set ---------------------------------------------------------------

def _normalise(doc: dict, old: dict | None, now: float) -> dict:
    """Fill defaults and derived fields of a bucket whose writable fields were just set."""
    iam_in = doc.get("iamConfiguration") or {}
    ubla_in = iam_in.get("uniformBucketLevelAccess") or iam_in.get("bucketPolicyOnly") or {}
    if old is not None and "uniformBucketLevelAccess" in iam_in and "bucketPolicyOnly" in iam_in:
        # a client echoing both after changing one: the one that differs from before wins
        before = old["iamConfiguration"]["uniformBucketLevelAccess"].get("enabled", False)
        if bool(iam_in["uniformBucketLevelAccess"].get("enabled")) == before:
            ubla_in = iam_in["bucketPolicyOnly"]
    enabled = bool(ubla_in.get("enabled"))
    ubla: dict = {"enabled": enabled}
    if enabled:
        was = (old or {}).get("iamConfiguration", {}).get("uniformBucketLevelAccess", {})
        ubla["lockedTime"] = was.get("lockedTime") or fmt_time(now + UBLA_LOCK_DAYS * 86400)
    pap = iam_in.get("publicAccessPrevention") or "inherited"
    if pap == "unspecified":
        pap = "inherited"
    if pap not in ("inherited", "enforced"):
        raise invalid(f"Invalid value for publicAccessPrevention: '{pap}'")
    doc["iamConfiguration"] = {"bucketPolicyOnly": dict(ubla), "publicAccessPrevention": pap,
                               "uniformBucketLevelAccess": ubla}

    labels = doc.get("labels")
    if labels is not None and not isinstance(labels, dict):
        raise invalid("Invalid argument: labels")
    if not labels:
        doc.pop("labels", None)
    else:
        for key, value in labels.items():
            if not key or len(key) > 63 or len(str(value)) > 63 or key != key.lower() or not key[0].isalpha():
                raise invalid(f"Invalid argument: label '{key}'")

    if not (doc.get("lifecycle") or {}).get("rule"):
        doc.pop("lifecycle", None)
    for rule in doc.get("lifecycle", {}).get("rule", []):
        action = (rule.get("action") or {}).get("type")
        if action not in ("Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"):
            raise invalid(f"Invalid argument: lifecycle action type '{action}'")

    doc["storageClass"] = check_storage_class(doc.get("storageClass") or "STANDARD")

    policy = doc.get("softDeletePolicy") or {}
    seconds = str(policy.get("retentionDurationSeconds", DEFAULT_SOFT_DELETE))
    if not seconds.isdigit() or (seconds != "0" and not 604800 <= int(seconds) <= 7776000):
        raise invalid("The soft delete retention duration must be 0 or between 7 and 90 days.")
    if seconds == "0":
        doc["softDeletePolicy"] = {"retentionDurationSeconds": "0"}
    else:
        previous = (old or {}).get("softDeletePolicy", {})
        effective = previous.get("effectiveTime") if previous.get("retentionDurationSeconds") == seconds else None
        doc["softDeletePolicy"] = {"effectiveTime": effective or fmt_time(now), "retentionDurationSeconds": seconds}

    if doc["locationType"] in ("multi-region", "dual-region"):
        doc["rpo"] = doc.get("rpo") or "DEFAULT"
        if doc["rpo"] not in ("DEFAULT", "ASYNC_TURBO"):
            raise invalid(f"Invalid value for rpo: '{doc['rpo']}'")
    else:
        doc.pop("rpo", None)
    for key in ("versioning", "cors", "website", "logging", "billing", "encryption", "autoclass"):
        if doc.get(key) in (None, {}, []):
            doc.pop(key, None)
    return doc


def _writable(body: dict) -> dict:
    return {k: v for k, v in body.items() if k in WRITABLE and v is not None}


# ---- handlers -----------------------------------------------------------------------------------

@handler("storage.buckets.insert")
def insert(ctx, req):
    body = req.body or {}
    name = body.get("name")
    if not name:
        raise required("Required")
    check_bucket_name(name)
    project = req.params["project"]
    location, kind = check_location(body.get("location") or "US")
    now = ctx.clock.now()
    doc = {"kind": KIND, "id": name, "selfLink": f"{PUBLIC_HOST}/storage/v1/b/{name}", "name": name,
           "projectNumber": project_number(project), "generation": str(micros(now)), "metageneration": "1",
           "location": location, "locationType": kind, "storageClass": body.get("storageClass") or "STANDARD",
           "timeCreated": fmt_time(now), "updated": fmt_time(now), "etag": bucket_etag(1), "_project": project,
           **_writable(body)}
    doc = _normalise(doc, None, now)
    with ctx.store.transaction():
        existing = ctx.store.get(BUCKETS, name)
        if existing is not None:
            if existing.get("_project") == project:
                raise conflict("Your previous request to create the named bucket succeeded and you already own it.")
            raise conflict("The requested bucket name is not available. The bucket namespace is shared by all "
                           "users of the system. Please select a different name and try again.")
        ctx.store.put(BUCKETS, name, doc)
    return render(doc, req.params.get("projection", "noAcl"))


@handler("storage.buckets.get")
def get(ctx, req):
    doc = load(ctx, req.params["bucket"])
    check_preconditions(doc, req.params, read=True)
    return render(doc, req.params.get("projection", "noAcl"))


@handler("storage.buckets.list")
def list_(ctx, req):
    project = req.params["project"]
    prefix = req.params.get("prefix", "")
    max_results = int(req.params.get("maxResults") or 1000)
    if max_results <= 0:
        max_results = 1000
    after = _decode_token(req.params.get("pageToken"))
    docs = [d for d in ctx.store.list(BUCKETS, prefix) if d.get("_project") == project and d["name"] > after]
    out: dict = {"kind": "storage#buckets"}
    page = docs[:max_results]
    if page:
        projection = req.params.get("projection", "noAcl")
        out["items"] = [render(d, projection) for d in page]
    if len(docs) > max_results:
        out["nextPageToken"] = base64.urlsafe_b64encode(page[-1]["name"].encode()).decode()
    return out


def _decode_token(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid("Invalid pageToken.") from None


def _modify(ctx, req, build) -> dict:
    with ctx.store.transaction():
        old = load(ctx, req.params["bucket"])
        check_preconditions(old, req.params)
        body = req.body or {}
        if "name" in body and body["name"] != old["name"]:
            raise invalid("The bucket name in the request body does not match the bucket in the URL.")
        if "location" in body and body["location"] and body["location"].upper() != old["location"]:
            raise invalid("The location of a bucket cannot be changed.")
        now = ctx.clock.now()
        doc = build(old, body)
        doc = _normalise(doc, old, now)
        meta = int(old["metageneration"]) + 1
        doc.update(metageneration=str(meta), etag=bucket_etag(meta), updated=fmt_time(now))
        ctx.store.put(BUCKETS, old["name"], doc)
    return render(doc, req.params.get("projection", "full"))


def bump(ctx, name: str) -> dict:
    """A change outside the resource (its IAM policy) makes a new metageneration, as on Google."""
    with ctx.store.transaction():
        doc = load(ctx, name)
        meta = int(doc["metageneration"]) + 1
        doc.update(metageneration=str(meta), etag=bucket_etag(meta), updated=fmt_time(ctx.clock.now()))
        ctx.store.put(BUCKETS, name, doc)
    return doc


_FIXED = ("kind", "id", "selfLink", "name", "projectNumber", "generation", "metageneration", "location",
          "locationType", "timeCreated", "updated", "etag", "_project")


@handler("storage.buckets.patch")
def patch(ctx, req):
    def build(old: dict, body: dict) -> dict:
        doc = dict(old)
        for key, value in body.items():
            if key not in WRITABLE and key != "storageClass":
                continue
            if value is None:
                doc.pop(key, None)
            elif isinstance(value, dict) and isinstance(doc.get(key), dict) and key != "lifecycle":
                doc[key] = merge_patch(doc[key], value)
            else:
                doc[key] = value
        if "storageClass" in body and body["storageClass"] is None:
            doc["storageClass"] = "STANDARD"
        return doc

    return _modify(ctx, req, build)


@handler("storage.buckets.update")
def update(ctx, req):
    def build(old: dict, body: dict) -> dict:
        doc = {k: old[k] for k in _FIXED if k in old}
        doc["storageClass"] = body.get("storageClass") or old["storageClass"]
        doc.update(_writable(body))
        if "softDeletePolicy" not in body and "softDeletePolicy" in old:
            doc["softDeletePolicy"] = old["softDeletePolicy"]
        return doc

    return _modify(ctx, req, build)


@handler("storage.buckets.delete")
def delete(ctx, req):
    name = req.params["bucket"]
    with ctx.store.transaction():
        doc = load(ctx, name)
        check_preconditions(doc, req.params)
        if ctx.store.list(OBJECTS, f"{name}/") or ctx.store.list(NONCURRENT, f"{name}/"):
            raise conflict("The bucket you tried to delete is not empty.")
        ctx.store.delete(BUCKETS, name)
        ctx.store.delete(BUCKET_IAM, name)
    return 204, None
