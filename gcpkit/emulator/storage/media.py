"""Object bytes over HTTP where the core's JSON-only contract does not reach: downloads
(GET /download/storage/v1/b/B/o/O?alt=media and GET /storage/v1/b/B/o/O?alt=media, with Range)
and resumable uploads (POST .../upload/storage/v1/b/B/o?uploadType=resumable answered with a
Location header, then PUTs of chunks answered 308 + Range until the last one).

The core (gcpkit/emulator/core/app.py) serialises every answer as JSON with fixed headers, does not
route /download/ paths nor PUT on upload paths, and hides global query parameters (alt, uploadType)
and rejects upload_id. Until it grows a raw-response contract, install() wraps EmulatorApp.__call__
for exactly these requests and leaves every other request to the core untouched. The wrapper still
applies the core's parameter validation, fault injection, strict response checks and request log.
Delete this module's WSGI part once the core can route these paths and return bytes and headers.
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from urllib.parse import parse_qsl, unquote, urlencode

from gcpkit.emulator.core.errors import ApiError

from .common import API
from .objects import check_preconditions, read_bytes, resolve
from .uploads import cancel, put_chunk, start_session

_PATCHED = "_gcpkit_storage_media"
_DOWNLOAD = re.compile(r"^/download/storage/v1/b/([^/]+)/o/(.+)$")
_JSON_OBJECT = re.compile(r"^/storage/v1/b/([^/]+)/o/([^/]+)$")
_UPLOAD = re.compile(r"^(?:/resumable)?/upload/storage/v1/b/([^/]+)/o$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_REASONS = {200: "OK", 206: "Partial Content", 308: "Permanent Redirect", 400: "Bad Request", 404: "Not Found",
            412: "Precondition Failed", 416: "Requested Range Not Satisfiable", 429: "Too Many Requests",
            499: "Client Closed Request", 500: "Internal Server Error", 503: "Service Unavailable"}


def install() -> None:
    """Wrap the core's WSGI app for storage media requests (idempotent)."""
    from gcpkit.emulator.core.app import EmulatorApp

    original = EmulatorApp.__call__
    if getattr(original, _PATCHED, False):
        return

    def __call__(self, environ, start_response):
        answer = serve(self, environ, start_response)
        return original(self, environ, start_response) if answer is None else answer

    setattr(__call__, _PATCHED, True)
    __call__.__wrapped__ = original
    EmulatorApp.__call__ = __call__


def _classify(http_method: str, path: str, query: dict) -> tuple[str, str, str] | None:
    """(what, bucket, quoted object or "") for a request this module serves, else None."""
    if http_method in ("GET", "HEAD"):
        m = _DOWNLOAD.match(path)
        if m:
            return "download", m.group(1), m.group(2)
        if query.get("alt") == "media":
            m = _JSON_OBJECT.match(path)
            if m:
                return "download", m.group(1), m.group(2)
        return None
    m = _UPLOAD.match(path)
    if m and ("upload_id" in query or (http_method == "POST" and query.get("uploadType") == "resumable")):
        return "resumable", m.group(1), ""
    return None


def serve(app, environ: dict, start_response):
    http_method = environ["REQUEST_METHOD"]
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path = raw_uri.split("?", 1)[0] if raw_uri.startswith("/") else environ.get("PATH_INFO") or "/"
    if not path.startswith(("/download/", "/upload/", "/resumable/", "/storage/v1/b/")):
        return None
    query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    found = _classify(http_method, path, dict(query))
    if found is None:
        return None
    what, bucket, quoted = found
    method_id = "storage.objects.get" if what == "download" else "storage.objects.insert"
    started = time.perf_counter()
    ctx = app.ctx
    try:
        error, delay, _ = ctx.faults.before(API, http_method, method_id, path)
        if delay:
            ctx.clock.sleep(delay)
        if error is not None:
            raise error
        if what == "download":
            status, headers, payload = _download(ctx, environ, bucket, unquote(quoted), query)
        else:
            status, headers, payload = _resumable(app, environ, http_method, bucket, query)
    except ApiError as e:
        status, headers, payload = e.code, [], json.dumps(e.to_body()).encode()
        headers.append(("Content-Type", "application/json; charset=UTF-8"))
    except Exception:  # a bug here: answer like Google's backend would, as the core does
        traceback.print_exc(file=sys.stderr)
        status, payload = 500, json.dumps(ApiError(500, "backendError", "Internal error in the gcpkit "
                                                   "emulator (see its stderr).").to_body()).encode()
        headers = [("Content-Type", "application/json; charset=UTF-8")]
    headers += [("Content-Length", str(len(payload))), ("Server", "gcpkit-emulator")]
    start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
    app.log.record(API, http_method, path, method_id, status, (time.perf_counter() - started) * 1000)
    return [payload]


def _params(method_id: str, path_params: dict, query: list) -> dict:
    """The core's checks of path and query parameters (upload_id is the session's, not the method's)."""
    from gcpkit.emulator.core import validation
    from gcpkit.emulator.core.services import SERVICES

    doc = SERVICES[API].document
    kept = [(k, v) for k, v in query if k != "upload_id"]
    return validation.check_params(doc, doc.methods[method_id], path_params, kept)


# ---- downloads -----------------------------------------------------------------------------------

def _download(ctx, environ: dict, bucket: str, name: str, query: list):
    params = _params("storage.objects.get", {"bucket": bucket, "object": name}, query)
    doc, _ = resolve(ctx, bucket, name, params.get("generation"))
    check_preconditions(doc, params)
    data = read_bytes(ctx, doc)
    total = len(data)
    headers = [("Content-Type", doc.get("contentType") or "application/octet-stream"),
               ("X-Goog-Generation", doc["generation"]), ("X-Goog-Metageneration", doc["metageneration"]),
               ("X-Goog-Hash", f"crc32c={doc['crc32c']},md5={doc['md5Hash']}"),
               ("X-Goog-Stored-Content-Length", str(total)),
               ("X-Goog-Stored-Content-Encoding", doc.get("contentEncoding") or "identity"),
               ("X-Goog-Storage-Class", doc["storageClass"]), ("ETag", f'"{doc["etag"]}"'),
               ("Accept-Ranges", "bytes")]
    for field, header in (("cacheControl", "Cache-Control"), ("contentDisposition", "Content-Disposition"),
                          ("contentLanguage", "Content-Language")):
        if doc.get(field):
            headers.append((header, doc[field]))
    status = 200
    wanted = (environ.get("HTTP_RANGE") or "").strip()
    m = _RANGE.match(wanted.replace(" ", "")) if wanted else None
    if m and (m.group(1) or m.group(2)) and total > 0:
        first_s, last_s = m.groups()
        if first_s:
            first = int(first_s)
            last = min(int(last_s), total - 1) if last_s else total - 1
        else:  # the last n bytes
            first, last = max(total - int(last_s), 0), total - 1
        if first >= total or last < first:
            raise_headers = [("Content-Range", f"bytes */{total}")]
            body = json.dumps(ApiError(416, "requestedRangeNotSatisfiable",
                                       "The requested range cannot be satisfied.").to_body()).encode()
            return 416, raise_headers + [("Content-Type", "application/json; charset=UTF-8")], body
        data = data[first:last + 1]
        headers.append(("Content-Range", f"bytes {first}-{last}/{total}"))
        status = 206
    if environ["REQUEST_METHOD"] == "HEAD":
        return status, headers, b""
    return status, headers, data


# ---- resumable uploads ---------------------------------------------------------------------------

def _resumable(app, environ: dict, http_method: str, bucket: str, query: list):
    ctx = app.ctx
    upload_id = dict(query).get("upload_id")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    headers_in = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if upload_id is None:  # the first request: open a session
        params = _params("storage.objects.insert", {"bucket": bucket}, query)
        upload_id = start_session(ctx, bucket, params, headers_in, raw)
        host = environ.get("HTTP_HOST")
        base = f"http://{host}" if host else ctx.base_url
        location = f"{base}{environ.get('RAW_URI', '').split('?', 1)[0] or '/upload/storage/v1/b/' + bucket + '/o'}"
        kept = [(k, v) for k, v in query if k != "upload_id"]
        location += "?" + urlencode(kept + [("upload_id", upload_id)])
        return 200, [("Location", location), ("X-GUploader-UploadID", upload_id),
                     ("Content-Type", "text/plain; charset=utf-8")], b""
    if http_method == "DELETE":
        cancel(ctx, upload_id)
        return 499, [("Content-Type", "text/plain; charset=utf-8")], b""
    if http_method not in ("PUT", "POST"):
        raise ApiError(405, "methodNotAllowed", f"Method {http_method} is not allowed on an upload session.")
    status, out = put_chunk(ctx, upload_id, environ.get("HTTP_CONTENT_RANGE"), raw)
    if status == 308:
        persisted = out["persisted"]
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-GUploader-UploadID", upload_id)]
        if persisted:
            headers.append(("Range", f"bytes=0-{persisted - 1}"))
        return 308, headers, b""
    if app.strict:
        from gcpkit.emulator.core import validation
        from gcpkit.emulator.core.services import SERVICES

        doc = SERVICES[API].document
        problem = validation.check_response_body(doc, doc.methods["storage.objects.insert"], out)
        if problem:
            raise ApiError(500, "backendError", f"gcpkit emulator strict mode: {problem}")
    return 200, [("Content-Type", "application/json; charset=UTF-8")], json.dumps(out).encode()
