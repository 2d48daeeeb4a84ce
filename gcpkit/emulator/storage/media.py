"""Object bytes over HTTP: the raw answers (core `Media`) of the ordinary handlers.

Downloads: storage.objects.get (objects.py) on GET/HEAD /download/storage/v1/b/B/o/O, or on
/storage/v1/b/B/o/O?alt=media, with Range (206, 416) and Google's X-Goog-* headers.
Resumable uploads: storage.objects.insert (uploads.py) on POST .../upload/storage/v1/b/B/o?uploadType=resumable
answered with a Location header (the session URL, carrying upload_id), then PUTs (or POSTs) of chunks
answered 308 + Range until the last one, which answers the object resource as JSON; DELETE cancels (499).
The core routes these requests (Request.query keeps alt, uploadType and upload_id) and applies its
parameter checks, fault injection, request log and, for JSON answers, strict response checks.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.registry import Media, Request

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_TEXT = "text/plain; charset=utf-8"


def wants_download(req: Request) -> bool:
    """The object's bytes rather than its metadata: the /download/ path, or alt=media."""
    return req.path.startswith("/download/") or req.query_value("alt") == "media"


# ---- downloads -----------------------------------------------------------------------------------

def download(doc: dict, data: bytes, range_header: str | None) -> Media:
    """The object's bytes (all, or the requested range) with Google's download headers."""
    total = len(data)
    headers = {"Content-Type": doc.get("contentType") or "application/octet-stream",
               "X-Goog-Generation": doc["generation"], "X-Goog-Metageneration": doc["metageneration"],
               "X-Goog-Hash": f"crc32c={doc['crc32c']},md5={doc['md5Hash']}",
               "X-Goog-Stored-Content-Length": str(total),
               "X-Goog-Stored-Content-Encoding": doc.get("contentEncoding") or "identity",
               "X-Goog-Storage-Class": doc["storageClass"], "ETag": f'"{doc["etag"]}"', "Accept-Ranges": "bytes"}
    for field, header in (("cacheControl", "Cache-Control"), ("contentDisposition", "Content-Disposition"),
                          ("contentLanguage", "Content-Language")):
        if doc.get(field):
            headers[header] = doc[field]
    wanted = (range_header or "").strip()
    m = _RANGE.match(wanted.replace(" ", "")) if wanted else None
    if m and (m.group(1) or m.group(2)) and total > 0:
        first_s, last_s = m.groups()
        if first_s:
            first = int(first_s)
            last = min(int(last_s), total - 1) if last_s else total - 1
        else:  # the last n bytes
            first, last = max(total - int(last_s), 0), total - 1
        if first >= total or last < first:
            body = json.dumps(ApiError(416, "requestedRangeNotSatisfiable",
                                       "The requested range cannot be satisfied.").to_body()).encode()
            return Media(416, body, {"Content-Range": f"bytes */{total}",
                                     "Content-Type": "application/json; charset=UTF-8"})
        headers["Content-Range"] = f"bytes {first}-{last}/{total}"
        return Media(206, data[first:last + 1], headers)
    return Media(200, data, headers)


# ---- resumable uploads ---------------------------------------------------------------------------

def session_started(ctx, req: Request, upload_id: str) -> Media:
    """The answer to the request that opened a session: its URL in Location (this path and query,
    plus upload_id), on the host the client used."""
    host = req.headers.get("host")
    base = f"http://{host}" if host else ctx.base_url
    kept = [(k, v) for k, v in req.query if k != "upload_id"]
    location = f"{base}{req.path}?{urlencode(kept + [('upload_id', upload_id)])}"
    return Media(200, b"", {"Location": location, "X-GUploader-UploadID": upload_id, "Content-Type": _TEXT})


def incomplete(upload_id: str, persisted: int) -> Media:
    """308: more bytes wanted; Range tells how many the session holds (none: no Range header)."""
    headers = {"Content-Type": _TEXT, "X-GUploader-UploadID": upload_id}
    if persisted:
        headers["Range"] = f"bytes=0-{persisted - 1}"
    return Media(308, b"", headers)


def cancelled() -> Media:
    """DELETE on a session URL: Google answers 499 with an empty body."""
    return Media(499, b"", {"Content-Type": _TEXT})
