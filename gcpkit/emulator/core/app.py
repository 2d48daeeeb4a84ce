"""The WSGI application: route, check, inject faults, call the handler, check the answer, log.

Works on the raw WSGI environ (no framework request object): the per-request overhead decides
how many requests per second the emulator serves.

Answers are JSON, except a handler's `Media` (registry.py), written with its own status, headers
and bytes. A 304 carries no body (nor Content-Length); HEAD is answered like GET, and the server
(http.py) leaves the body out.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from gcpkit.emulator.core import validation
from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.registry import HANDLERS, Context, Media, Request
from gcpkit.emulator.core.requestlog import RequestLog
from gcpkit.emulator.core.router import Router

ADMIN_PREFIX = "/_emulator/"
KUBERNETES_PREFIX = "/kubernetes/"  # gcpkit.emulator.kubernetes.PREFIX
_REASONS = {200: "OK", 204: "No Content", 206: "Partial Content", 304: "Not Modified", 308: "Permanent Redirect",
            400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
            412: "Precondition Failed", 416: "Requested Range Not Satisfiable", 429: "Too Many Requests",
            499: "Client Closed Request", 500: "Internal Server Error", 501: "Not Implemented",
            503: "Service Unavailable"}
_JSON_TYPE = ("Content-Type", "application/json; charset=UTF-8")
_SERVER = ("Server", "gcpkit-emulator")


class EmulatorApp:
    def __init__(self, ctx: Context, router: Router, log: RequestLog, strict: bool,
                 admin: Callable[[str, str], tuple[int, dict]], auth: Any = None):
        self.ctx = ctx
        self.auth = auth  # gcpkit.emulator.core.auth.Auth when the emulator requires authentication
        self.router = router
        self.log = log
        self.strict = strict
        self.admin = admin

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        http_method = environ["REQUEST_METHOD"]
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if raw and raw.startswith("/"):  # keeps %2F inside a segment (storage object names)
            path = raw.split("?", 1)[0]
        else:
            path = environ.get("PATH_INFO") or "/"
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        seen = {"api": "", "method_id": None}  # filled in as routing learns them, for the request log
        extra_headers: list = []
        try:
            if self.auth is not None and self.auth.serves(path):  # /token, /_emulator/keys
                seen["api"], seen["method_id"] = _auth_route(path)
                status, body = self.auth.serve(http_method, path, _read_body(environ), environ.get("HTTP_HOST", ""))
            elif path.startswith(ADMIN_PREFIX):
                seen["api"] = "_emulator"
                status, body = self.admin(http_method, path[len(ADMIN_PREFIX):])
            elif path.startswith(KUBERNETES_PREFIX):  # each emulated GKE cluster's Kubernetes API (own routing)
                from gcpkit.emulator.kubernetes.handler import handle

                status, body = handle(self.ctx, self.auth, environ, http_method, path, query, _read_body(environ), seen)
            else:
                status, body = self._api_call(environ, http_method, path, query, seen)
        except ApiError as e:
            status, body = e.code, e.to_body()
            extra_headers = getattr(e, "headers", [])  # 401's WWW-Authenticate
        except Exception:  # a bug in a handler or in the core: answer like Google's backend would
            traceback.print_exc(file=sys.stderr)
            status, body = 500, ApiError(500, "backendError", "Internal error in the gcpkit emulator "
                                         "(see its stderr).").to_body()
        if isinstance(body, Media):
            payload = body.body
            headers = list(body.headers.items())
            if not any(k.lower() == "content-length" for k, _ in headers):
                headers.append(("Content-Length", str(len(payload))))
            headers.append(_SERVER)
        else:
            if body is None:
                payload = b""
            else:
                # Google indents by default; clients do not care, and json's indenting encoder is pure Python
                # (about 3x slower than the compact C one), so the emulator indents only when asked.
                pretty = False
                for name, value in query:
                    if name == "prettyPrint":
                        pretty = value.lower() in ("true", "1")
                payload = json.dumps(body, indent=2 if pretty else None).encode()
            headers = [_JSON_TYPE, ("Content-Length", str(len(payload))), _SERVER, *extra_headers]
        if status == 304:  # no body; a Content-Length would have to be the 200's
            payload = b""
            headers = [h for h in headers if h[0].lower() != "content-length"]
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", headers)
        if seen["api"] != "_emulator":  # the admin surface is not API traffic
            self.log.record(seen["api"], http_method, path, seen["method_id"], status,
                            (time.perf_counter() - started) * 1000)
        return [payload]

    def _api_call(self, environ: dict, http_method: str, path: str,
                  query: list[tuple[str, str]], seen: dict) -> tuple[int, Any]:
        """(status, JSON body or None or Media)."""
        match = self.router.match(http_method, path)
        if match is None:
            raise ApiError(404, "notFound", f"The requested URL {path} was not found on this server.",
                           with_status=True)
        if match.route is None:
            allowed = ", ".join(sorted(match.allowed))
            raise ApiError(405, "methodNotAllowed", f"Method {http_method} is not allowed for {path} "
                           f"(allowed: {allowed}).", with_status=True)
        route = match.route
        service, method = route.service, route.method
        if route.session and not any(k == "upload_id" for k, _ in query):  # PUT/DELETE need a session
            raise ApiError(405, "methodNotAllowed", f"Method {http_method} is not allowed for {path} "
                           f"(allowed: {method.http_method}).", with_status=True)
        api = seen["api"] = service.key
        seen["method_id"] = method.id
        fn = HANDLERS.get(method.id)
        if fn is None:
            raise ApiError(501, "notImplemented", f"Method {method.id} is not implemented by the gcpkit emulator.",
                           with_status=True)
        caller = None if self.auth is None else self.auth.authenticate(environ.get("HTTP_AUTHORIZATION"), method.id)

        _check_project_usable(self.ctx.store, api, match.params, query)
        faults = self.ctx.faults
        error, delay, hide = faults.before(api, http_method, method.id, path)
        if delay:
            self.ctx.clock.sleep(delay)
        if error is not None:
            raise error
        if (http_method == "GET" or http_method == "HEAD") and faults.hidden(path, self.ctx.clock.now()):
            resource = path[len(service.mount()):]
            raise ApiError(404, "notFound", f"The resource '{resource}' was not found", with_status=api != "compute")

        doc = service.document
        checked = query
        if route.media:  # upload_id names an upload session: the service's (Request.query), not a parameter
            checked = [(k, v) for k, v in query if k != "upload_id"]
        params = validation.check_params(doc, method, match.params, checked)
        raw = _read_body(environ)
        body = None
        if route.media:
            pass  # upload bytes are for the service (Request.raw); only the query was checked
        elif raw.strip():
            body = validation.parse_body(raw)
            if method.request is None:
                raise validation.bad_request("Invalid JSON payload received. This method takes no request body.")
            validation.check_request_body(doc, method, body, "resource" if api == "compute" else None)
        if caller is not None:
            self.auth.authorize(caller, api, method.id, path, params, query, body)
        request = Request(api=api, method_id=method.id, http_method=http_method, path=path, params=params,
                          body=body, headers=_headers(environ), raw=raw, query=query)

        result = fn(self.ctx, request)
        if isinstance(result, Media):
            return result.status, result
        status, out = (result if isinstance(result, tuple) else (200, result))

        if 200 <= status < 300:
            new_path = _created_path(path, body, query) if hide and http_method == "POST" else None
            if new_path:
                faults.hide(new_path, self.ctx.clock.now() + hide)
            if self.strict and out is not None:
                problem = validation.check_response_body(doc, method, out)
                if problem:
                    raise ApiError(500, "backendError", f"gcpkit emulator strict mode: {problem}", with_status=True)
        return status, out


# Where a create names the new resource, other than body.name (Compute, Cloud SQL, DNS, buckets): the query
# (Firestore, Artifact Registry, Secret Manager) or a wrapped body (GKE, App Engine, IAM).
_ID_QUERY = ("databaseId", "repositoryId", "secretId")
_ID_BODY = (("cluster", "name"), ("nodePool", "name"), ("id",))


def _created_path(path: str, body: Any, query: list[tuple[str, str]]) -> str | None:
    """The URL path a GET of the resource this POST creates would use, for the "hide" fault (a new resource
    that answers 404 for a while: eventual consistency), or None when the POST names none."""
    base = path.rstrip("/")
    if isinstance(body, dict) and isinstance(body.get("name"), str) and "/" not in body["name"]:
        return f"{base}/{body['name']}"
    for key, value in query:
        if key in _ID_QUERY and value:
            return f"{base}/{value}"
    if not isinstance(body, dict):
        return None
    for keys in _ID_BODY:
        value: Any = body
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return f"{base}/{value}"
    if base.endswith("/serviceAccounts") and isinstance(body.get("accountId"), str):
        project = path.split("/projects/", 1)[-1].split("/", 1)[0]
        return f"{base}/{body['accountId']}@{project}.iam.gserviceaccount.com"
    return None


def _auth_route(path: str) -> tuple[str, str | None]:
    """(api, method id) for the request log: token requests are logged (never their bodies), minting is admin."""
    from gcpkit.emulator.core.auth import TOKEN_API, TOKEN_PATH

    return (TOKEN_API, f"{TOKEN_API}.token") if path == TOKEN_PATH else ("_emulator", None)


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        return environ["wsgi.input"].read(length)
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return environ["wsgi.input"].read()
    return b""


def _headers(environ: dict) -> dict[str, str]:
    out = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    return out


def _check_project_usable(store: Any, api: str, path_params: dict, query: list[tuple[str, str]]) -> None:
    """A project in DELETE_REQUESTED is unreachable through every API but Resource Manager (which can
    undelete it). Resource Manager owns the project records; this reads them through its pure helper."""
    if api == "cloudresourcemanager":
        return
    project = path_params.get("project") or next((v for k, v in query if k == "project"), None)
    if not project:
        return
    from gcpkit.emulator.resourcemanager.lifecycle import DELETE_REQUESTED, project_state

    if project_state(store, project) == DELETE_REQUESTED:
        raise ApiError(403, "forbidden", f"Project {project} has been deleted.", status="PERMISSION_DENIED")
