"""Uploads: storage.objects.insert with uploadType=media or multipart (the bytes arrive in Request.raw),
and resumable upload sessions (uploadType=resumable opens one; requests carrying upload_id in the query
add chunks or cancel it; media.py shapes their raw answers). Checksums a client sends (crc32c,
md5Hash in the metadata) are verified, as Google does.
"""

from __future__ import annotations

import base64
import json
import re
import secrets

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.registry import handler

from . import buckets, media
from .common import UPLOADS, error, invalid, required
from .objects import DEFAULT_CONTENT_TYPE, render, write

CHUNKS = "storage/uploadChunks"  # key: upload id/offset (zero-padded) -> {"b64"}
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_CONTENT_RANGE = re.compile(r"^bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)$")


# ---- media and multipart -------------------------------------------------------------------------

def parse_multipart(raw: bytes, content_type: str) -> tuple[dict, bytes, str | None]:
    """multipart/related: (metadata JSON, media bytes, media part's content type)."""
    m = _BOUNDARY.search(content_type)
    if not m:
        raise invalid("Missing boundary in the multipart Content-Type header.")
    delimiter = b"--" + m.group(1).encode()
    parts = []
    for section in raw.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break
        section = section[2:] if section.startswith(b"\r\n") else section.lstrip(b"\n")
        section = section[:-2] if section.endswith(b"\r\n") else section[:-1] if section.endswith(b"\n") else section
        head, sep, body = section.partition(b"\r\n\r\n")
        if not sep:
            head, sep, body = section.partition(b"\n\n")
        headers = {}
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, body))
    if len(parts) != 2:
        raise invalid("A multipart upload must have exactly two parts: the metadata and the media.")
    try:
        meta = json.loads(parts[0][1] or b"{}")
    except ValueError:
        raise invalid("The metadata part of the multipart upload is not valid JSON.") from None
    if not isinstance(meta, dict):
        raise invalid("The metadata part of the multipart upload must be a JSON object.")
    return meta, parts[1][1], parts[1][0].get("content-type")


def check_metadata(meta: dict) -> None:
    """The object metadata of an upload, checked against the Object schema like any request body."""
    from gcpkit.emulator.core import validation
    from gcpkit.emulator.core.services import SERVICES

    doc = SERVICES["storage"].document
    validation.check_request_body(doc, doc.methods["storage.objects.insert"], meta, None)


@handler("storage.objects.insert")
def insert(ctx, req):
    p = req.params
    content_type = req.headers.get("content-type", "")
    is_upload = req.path.startswith(("/upload/", "/resumable/"))
    upload_id = req.query_value("upload_id") if is_upload else None
    if not is_upload:  # metadata only, on the plain path: an empty object
        meta, data = dict(req.body or {}), b""
    elif upload_id is not None:  # a request on a session URL (PUT, POST or DELETE)
        return _session_request(ctx, req, upload_id)
    elif req.query_value("uploadType") == "resumable":  # opens a session
        return media.session_started(ctx, req, start_session(ctx, p["bucket"], p, req.headers, req.raw))
    elif content_type.lower().startswith("multipart/"):
        meta, data, part_type = parse_multipart(req.raw, content_type)
        check_metadata(meta)
        if part_type and not meta.get("contentType"):
            meta["contentType"] = part_type
    else:
        meta, data = {}, req.raw
        if content_type:
            meta["contentType"] = content_type
    name = p.get("name") or meta.get("name")
    if not name:
        raise required("Required")
    doc = write(ctx, p["bucket"], name, data, meta, p)
    return render(ctx, doc, p.get("projection") or ("full" if meta.get("acl") else "noAcl"))


# ---- resumable sessions --------------------------------------------------------------------------

def _session_request(ctx, req, upload_id: str):
    """DELETE cancels; PUT (or POST) adds bytes: 308 until complete, then the object resource (JSON)."""
    if req.http_method == "DELETE":
        cancel(ctx, upload_id)
        return media.cancelled()
    status, out = put_chunk(ctx, upload_id, req.headers.get("content-range"), req.raw)
    if status == 308:
        return media.incomplete(upload_id, out["persisted"])
    return out


def start_session(ctx, bucket: str, params: dict, headers: dict, raw: bytes) -> str:
    """uploadType=resumable, first request: remember the metadata and preconditions; the upload id."""
    buckets.load(ctx, bucket)
    meta: dict = {}
    if raw.strip():
        try:
            meta = json.loads(raw)
        except ValueError:
            raise invalid("The resumable upload's metadata is not valid JSON.") from None
        if not isinstance(meta, dict):
            raise invalid("The resumable upload's metadata must be a JSON object.")
        check_metadata(meta)
    name = params.get("name") or meta.get("name")
    if not name:
        raise required("Required")
    if headers.get("x-upload-content-type") and not meta.get("contentType"):
        meta["contentType"] = headers["x-upload-content-type"]
    total = headers.get("x-upload-content-length")
    upload_id = "gcpkit-" + secrets.token_urlsafe(24)
    ctx.store.put(UPLOADS, upload_id, {
        "bucket": bucket, "name": name, "meta": meta, "size": 0,
        "total": int(total) if total and total.isdigit() else None,
        "params": {k: v for k, v in params.items() if k.startswith("if") or k in ("contentEncoding", "projection")},
    })
    return upload_id


def _gather(ctx, upload_id: str) -> bytes:
    return b"".join(base64.b64decode(c["b64"]) for c in ctx.store.list(CHUNKS, f"{upload_id}/"))


def put_chunk(ctx, upload_id: str, content_range: str | None, data: bytes) -> tuple[int, dict | None]:
    """A PUT to the session URL: (200, object resource) once complete, else (308, {"persisted": n}).
    Error 404 for an unknown or finished session."""
    with ctx.store.transaction():
        session = ctx.store.get(UPLOADS, upload_id)
        if session is None:
            raise error(404, "notFound", "No such upload session (it finished, was cancelled or never existed).")
        size = session["size"]
        if content_range:
            m = _CONTENT_RANGE.match(content_range.strip())
            if not m:
                raise invalid(f"Invalid Content-Range header: {content_range}")
            first, last, total = m.groups()
            if total != "*":
                session["total"] = int(total)
            if first is not None:
                first, last = int(first), int(last)
                if last - first + 1 != len(data):
                    raise invalid("The Content-Range does not match the number of bytes sent.")
                if first > size:
                    raise invalid(f"Invalid request: the upload offset {first} is past the {size} bytes received.")
                data = data[size - first:]  # bytes already received are skipped
            elif data:
                raise invalid("Content-Range 'bytes */N' carries no bytes.")
        else:  # the whole object in one request
            session["total"] = size + len(data)
        if data:
            key = f"{upload_id}/{size:020d}"
            ctx.store.put(CHUNKS, key, {"key": key, "b64": base64.b64encode(data).decode()})
            size += len(data)
            session["size"] = size
        total = session["total"]
        if total is not None and size > total:
            raise invalid(f"The upload holds {size} bytes, more than the declared {total}.")
        if total is None or size < total:
            ctx.store.put(UPLOADS, upload_id, session)
            return 308, {"persisted": size}
        # complete: the object is written in the same transaction as the last chunk
        payload = _gather(ctx, upload_id)
        meta = dict(session["meta"])
        meta.setdefault("contentType", DEFAULT_CONTENT_TYPE)
        failed: ApiError | None = None
        try:
            doc = write(ctx, session["bucket"], session["name"], payload, meta, session["params"])
        except ApiError as e:  # e.g. 412: the session ends either way (not rolled back: no raise in here)
            failed = e
        _drop_now(ctx, upload_id)
    if failed is not None:
        raise failed
    projection = session["params"].get("projection") or "noAcl"
    return 200, render(ctx, doc, projection)


def _drop_now(ctx, upload_id: str) -> None:
    for chunk in ctx.store.list(CHUNKS, f"{upload_id}/"):
        ctx.store.delete(CHUNKS, chunk["key"])
    ctx.store.delete(UPLOADS, upload_id)


def cancel(ctx, upload_id: str) -> None:
    with ctx.store.transaction():
        if ctx.store.get(UPLOADS, upload_id) is None:
            raise error(404, "notFound", "No such upload session.")
        _drop_now(ctx, upload_id)
