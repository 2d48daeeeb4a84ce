"""Objects: the model (versions, generations, preconditions, bytes) and storage.objects.get (metadata,
or the bytes: see media.py) / patch / update / delete. Uploads are in uploads.py, listing in listing.py.

The live version of bucket/name is in OBJECTS; in a bucket with versioning enabled, a replaced or
deleted live version moves to NONCURRENT (with timeDeleted) and keeps its bytes. Generations are
microsecond timestamps, strictly increasing per name. Every check-and-write runs inside one store
transaction, so concurrent `ifGenerationMatch=0` writers (across threads and processes) see exactly
one winner.
"""

from __future__ import annotations

import base64

from gcpkit.emulator.core.registry import handler

from . import buckets, media
from .common import (DATA, NONCURRENT, OBJECTS, PUBLIC_HOST, crc32c_b64, fmt_time, invalid, md5_b64, merge_patch,
                     micros, not_modified, object_etag, object_not_found, precondition_failed, quote_name,
                     strip_private)
from .names import check_object_name, check_storage_class

KIND = "storage#object"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# What a client may set on an object; everything else is output-only (acl is accepted and ignored).
WRITABLE = ("contentType", "contentEncoding", "contentDisposition", "contentLanguage", "cacheControl", "metadata",
            "customTime", "eventBasedHold", "temporaryHold", "retention", "contexts")


# ---- keys and loading ----------------------------------------------------------------------------

def live_key(bucket: str, name: str) -> str:
    return f"{bucket}/{name}"


def version_key(bucket: str, name: str, generation: int | str) -> str:
    return f"{bucket}/{name}#{int(generation):020d}"


def resolve(ctx, bucket: str, name: str, generation=None) -> tuple[dict, bool]:
    """(object resource, is live) for the live version or the given generation; 404 if absent."""
    live = ctx.store.get(OBJECTS, live_key(bucket, name))
    if generation is None:
        if live is None:
            if ctx.store.get(buckets.BUCKETS, bucket) is None:
                raise buckets.bucket_not_found()
            raise object_not_found(bucket, name)
        return live, True
    if live is not None and int(live["generation"]) == int(generation):
        return live, True
    old = ctx.store.get(NONCURRENT, version_key(bucket, name, generation))
    if old is None:
        if ctx.store.get(buckets.BUCKETS, bucket) is None:
            raise buckets.bucket_not_found()
        raise object_not_found(bucket, name)
    return old, False


def read_bytes(ctx, doc: dict) -> bytes:
    stored = ctx.store.get(DATA, version_key(doc["bucket"], doc["name"], doc["generation"]))
    return base64.b64decode(stored["b64"]) if stored else b""


def check_preconditions(doc: dict | None, params: dict, read: bool = False) -> None:
    """ifGeneration(Not)Match / ifMetageneration(Not)Match against `doc` (None: no such object).
    ifGenerationMatch=0 means "only if there is no live object"; ifGenerationNotMatch=0, "only if there is".
    A failed precondition is 412, except a failed ...NotMatch on a read (GET, HEAD): 304, as Google answers."""
    gen = int(doc["generation"]) if doc else 0
    if "ifGenerationMatch" in params and int(params["ifGenerationMatch"]) != gen:
        raise precondition_failed()
    if "ifMetagenerationMatch" in params:
        if doc is None or int(params["ifMetagenerationMatch"]) != int(doc["metageneration"]):
            raise precondition_failed()
    if "ifGenerationNotMatch" in params and int(params["ifGenerationNotMatch"]) == gen:
        raise not_modified() if read else precondition_failed()
    if "ifMetagenerationNotMatch" in params:
        if doc is not None and int(params["ifMetagenerationNotMatch"]) == int(doc["metageneration"]):
            raise not_modified() if read else precondition_failed()


# ---- rendering -----------------------------------------------------------------------------------

def render(ctx, doc: dict, projection: str = "noAcl", bucket: dict | None = None) -> dict:
    out = strip_private(doc)
    quoted = quote_name(doc["name"])
    # the download link must lead back to this emulator, whichever port this process serves on
    out["mediaLink"] = (f"{ctx.base_url}/download/storage/v1/b/{doc['bucket']}/o/{quoted}"
                        f"?generation={doc['generation']}&alt=media")
    if projection == "full":
        bucket = bucket or ctx.store.get(buckets.BUCKETS, doc["bucket"])
        if bucket is not None:
            number = bucket["projectNumber"]
            out["owner"] = {"entity": f"project-owners-{number}"}
            if not buckets.ubla_enabled(bucket):
                out["acl"] = [_acl(doc, number, team, role) for team, role in
                              (("owners", "OWNER"), ("editors", "OWNER"), ("viewers", "READER"))]
    return out


def _acl(doc: dict, number: str, team: str, role: str) -> dict:
    entity = f"project-{team}-{number}"
    return {"kind": "storage#objectAccessControl", "id": f"{doc['id']}/{entity}",
            "selfLink": f"{doc['selfLink']}/acl/{entity}", "bucket": doc["bucket"], "object": doc["name"],
            "generation": doc["generation"], "entity": entity, "role": role, "etag": doc["etag"],
            "projectTeam": {"projectNumber": number, "team": team}}


# ---- writing -------------------------------------------------------------------------------------

def clean_metadata(meta: dict) -> dict:
    out = {k: v for k, v in meta.items() if k in WRITABLE and v is not None}
    custom = out.get("metadata")
    if custom is not None:
        if not isinstance(custom, dict):
            raise invalid("Invalid argument: metadata must be a map of strings.")
        out["metadata"] = {k: v for k, v in custom.items() if v is not None}
        if not out["metadata"]:
            out.pop("metadata")
    return out


def write(ctx, bucket_name: str, name: str, data: bytes, meta: dict, params: dict) -> dict:
    """Create a new generation of bucket/name holding `data`, if the preconditions hold; its resource."""
    check_object_name(name)
    md5, crc = md5_b64(data), crc32c_b64(data)
    if meta.get("crc32c") and meta["crc32c"] != crc:
        raise invalid(f'Provided CRC32C "{meta["crc32c"]}" doesn\'t match calculated CRC32C "{crc}".')
    if meta.get("md5Hash") and meta["md5Hash"] != md5:
        raise invalid(f'Provided MD5 hash "{meta["md5Hash"]}" doesn\'t match calculated MD5 hash "{md5}".')
    fields = clean_metadata(meta)
    storage_class = check_storage_class(meta["storageClass"]) if meta.get("storageClass") else None
    if params.get("contentEncoding"):
        fields["contentEncoding"] = params["contentEncoding"]
    with ctx.store.transaction():
        bucket = buckets.load(ctx, bucket_name)
        key = live_key(bucket_name, name)
        live = ctx.store.get(OBJECTS, key)
        check_preconditions(live, params)
        now = ctx.clock.now()
        gen = micros(now)
        if live is not None:
            gen = max(gen, int(live["generation"]) + 1)
        stamp = fmt_time(now)
        doc = {"kind": KIND, "id": f"{bucket_name}/{name}/{gen}",
               "selfLink": f"{PUBLIC_HOST}/storage/v1/b/{bucket_name}/o/{quote_name(name)}",
               "name": name, "bucket": bucket_name, "generation": str(gen), "metageneration": "1",
               "contentType": DEFAULT_CONTENT_TYPE, "storageClass": storage_class or bucket["storageClass"],
               "size": str(len(data)), "md5Hash": md5, "crc32c": crc, "etag": object_etag(gen, 1),
               "timeCreated": stamp, "updated": stamp, "timeStorageClassUpdated": stamp, "timeFinalized": stamp,
               **fields}
        if live is not None:
            _retire(ctx, bucket, live, stamp)
        ctx.store.put(DATA, version_key(bucket_name, name, gen), {"b64": base64.b64encode(data).decode()})
        ctx.store.put(OBJECTS, key, doc)
    return doc


def _retire(ctx, bucket: dict, live: dict, stamp: str) -> None:
    """The live version stops being live: noncurrent in a versioned bucket, gone otherwise."""
    if (bucket.get("versioning") or {}).get("enabled"):
        ctx.store.put(NONCURRENT, version_key(live["bucket"], live["name"], live["generation"]),
                      {**live, "timeDeleted": stamp})
    else:
        ctx.store.delete(DATA, version_key(live["bucket"], live["name"], live["generation"]))


# ---- handlers ------------------------------------------------------------------------------------

@handler("storage.objects.get")
def get(ctx, req):
    p = req.params
    with ctx.store.transaction():  # a concurrent overwrite must not drop the bytes between the two reads
        doc, _ = resolve(ctx, p["bucket"], p["object"], p.get("generation"))
        check_preconditions(doc, p, read=True)
        data = read_bytes(ctx, doc) if media.wants_download(req) else None
    if data is not None:
        return media.download(doc, data, req.headers.get("range"))
    return render(ctx, doc, p.get("projection", "noAcl"))


@handler("storage.objects.delete")
def delete(ctx, req):
    p = req.params
    bucket_name, name = p["bucket"], p["object"]
    with ctx.store.transaction():
        bucket = buckets.load(ctx, bucket_name)
        doc, is_live = resolve(ctx, bucket_name, name, p.get("generation"))
        check_preconditions(doc, p)
        if is_live:
            ctx.store.delete(OBJECTS, live_key(bucket_name, name))
            if p.get("generation") is None:
                _retire(ctx, bucket, doc, fmt_time(ctx.clock.now()))
            else:  # naming the generation deletes that version for good
                ctx.store.delete(DATA, version_key(bucket_name, name, doc["generation"]))
        else:
            ctx.store.delete(NONCURRENT, version_key(bucket_name, name, doc["generation"]))
            ctx.store.delete(DATA, version_key(bucket_name, name, doc["generation"]))
    return 204, None


def _modify(ctx, req, build) -> dict:
    p = req.params
    bucket_name, name = p["bucket"], p["object"]
    body = req.body or {}
    with ctx.store.transaction():
        bucket = buckets.load(ctx, bucket_name)
        doc, is_live = resolve(ctx, bucket_name, name, p.get("generation"))
        check_preconditions(doc, p)
        if body.get("storageClass") not in (None, doc["storageClass"]):
            raise invalid("The storage class of an object changes by rewriting it, not by patching it.")
        new = build(doc, clean_metadata(body), body)
        meta = int(doc["metageneration"]) + 1
        new.update(metageneration=str(meta), etag=object_etag(int(doc["generation"]), meta),
                   updated=fmt_time(ctx.clock.now()))
        if is_live:
            ctx.store.put(OBJECTS, live_key(bucket_name, name), new)
        else:
            ctx.store.put(NONCURRENT, version_key(bucket_name, name, doc["generation"]), new)
    return render(ctx, new, p.get("projection", "full"), bucket)


@handler("storage.objects.patch")
def patch(ctx, req):
    def build(doc: dict, fields: dict, body: dict) -> dict:
        new = dict(doc)
        for key, value in body.items():
            if key not in WRITABLE:
                continue
            if value is None:
                new.pop(key, None)
            elif key == "metadata" and isinstance(value, dict):
                merged = merge_patch(new.get("metadata") or {}, value)
                if merged:
                    new["metadata"] = merged
                else:
                    new.pop("metadata", None)
            else:
                new[key] = fields.get(key, value)
        new.setdefault("contentType", DEFAULT_CONTENT_TYPE)
        return new

    return _modify(ctx, req, build)


@handler("storage.objects.update")
def update(ctx, req):
    def build(doc: dict, fields: dict, body: dict) -> dict:
        new = {k: v for k, v in doc.items() if k not in WRITABLE}
        new.update(fields)
        new.setdefault("contentType", doc.get("contentType", DEFAULT_CONTENT_TYPE))
        return new

    return _modify(ctx, req, build)
