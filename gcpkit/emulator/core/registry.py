"""The contract between the emulator core and the per-API services.

The core (server, routing from discovery documents, validation, faults, request log) turns an HTTP
request into a `Request` whose path and query parameters and body were already checked against the
API's discovery document, then calls the handler registered for the discovery method id
(e.g. "compute.instances.insert"). A handler returns the response body as a dict (status 200), or a
(status, dict) tuple, or a `Media` (raw bytes with their own status and headers: downloads, upload
sessions), or raises `ApiError`. The core serialises dicts and errors as JSON and, in strict mode,
checks every JSON response against the method's response schema; a `Media` is written as is.
Responses to HEAD and with status 1xx, 204 or 304 never carry a body on the wire.

Besides each method's own paths, the core routes HEAD like GET, GET/HEAD on the /download/ twin of
methods that support media download (e.g. /download/storage/v1/b/{bucket}/o/{object}), and PUT,
POST and DELETE with an upload_id on the upload paths of methods with resumable uploads.

A service is a package (gcpkit/emulator/compute, ...) whose import registers its handlers with
`@handler(...)`; `SERVICES` in gcpkit/emulator/core/services.py lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Handler = Callable[["Context", "Request"], Any]

HANDLERS: dict[str, Handler] = {}


def handler(*method_ids: str) -> Callable[[Handler], Handler]:
    """Register a function as the handler of one or more discovery method ids."""

    def register(fn: Handler) -> Handler:
        for method_id in method_ids:
            if method_id in HANDLERS:
                raise RuntimeError(f"two handlers for {method_id}")
            HANDLERS[method_id] = fn
        return fn

    return register


@dataclass
class Media:
    """A raw answer, written as is: no JSON, no schema check. Content-Length is added unless given;
    a Content-Type only if given. The body is not sent for HEAD requests nor for 1xx/204/304."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    api: str  # "compute"
    method_id: str  # "compute.instances.insert"
    http_method: str  # "POST"
    path: str  # the URL path as received, e.g. "/compute/v1/projects/p/zones/z/instances"
    params: dict[str, Any]  # path + query parameters, converted to the discovery types
    body: dict | None  # request body, validated against the method's request schema
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    raw: bytes = b""  # the request body as received (upload bytes on media paths, where body is None)
    # The query string as received, in order, repeats kept: unlike params it holds the global parameters
    # (alt, uploadType, prettyPrint...) and upload_id, e.g. [("alt", "media"), ("generation", "12")].
    query: list[tuple[str, str]] = field(default_factory=list)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter, as received."""
        for key, value in reversed(self.query):
            if key == name:
                return value
        return default


@dataclass
class Context:
    """What a handler may use. One per server; safe to share between request threads."""

    store: Any  # gcpkit.emulator.core.store.Store
    clock: Any  # gcpkit.emulator.core.clock.Clock: now() -> epoch seconds, sleep(s)
    latency: Any  # gcpkit.emulator.core.latency.Latency: duration(api, collection, verb) -> seconds, scaled
    faults: Any  # gcpkit.emulator.core.faults.Faults: operation_error(api, method_id, path) -> dict | None
    base_url: str  # this emulator's own address, e.g. "http://127.0.0.1:8765"
