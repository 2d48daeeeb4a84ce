"""Discovery documents shipped inside google-api-python-client, flattened into methods.

The documents are read straight from the installed package's files (found with find_spec, so
googleapiclient.discovery itself is never imported) and parsed once per process.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "path" | "query"
    type: str = "string"  # string | integer | number | boolean
    format: str | None = None
    required: bool = False
    repeated: bool = False
    enum: tuple[str, ...] | None = None


@dataclass
class Method:
    id: str  # "compute.instances.insert"
    http_method: str  # "POST"
    path: str  # the template used for routing: flatPath when present, else path (relative to servicePath)
    template: str  # the discovery "path" (may hold "{+name}"): its variables are the documented parameters
    params: dict[str, Param] = field(default_factory=dict)
    request: str | None = None  # schema name of the request body
    response: str | None = None  # schema name of the response body
    media_paths: tuple[str, ...] = ()  # absolute upload paths, e.g. "/upload/storage/v1/b/{bucket}/o"
    resumable: bool = False  # mediaUpload has the resumable protocol: upload sessions (upload_id) on media_paths
    media_download: bool = False  # supportsMediaDownload: alt=media, and a /download/ twin of the path


@dataclass
class Document:
    name: str  # "compute"
    version: str  # "v1"
    root_url: str
    service_path: str  # "compute/v1/" or ""
    schemas: dict[str, dict]
    methods: dict[str, Method]
    global_params: frozenset[str]


def documents_dir() -> Path:
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("google-api-python-client is not installed: it ships the discovery documents")
    return Path(list(spec.submodule_search_locations)[0]) / "discovery_cache" / "documents"


@functools.lru_cache(maxsize=None)
def load(filename: str) -> Document:
    """Parse e.g. "compute.v1.json" (cached: the compute document is 5 MB)."""
    with open(documents_dir() / filename, encoding="utf-8") as f:
        raw = json.load(f)
    methods: dict[str, Method] = {}
    _collect(raw.get("resources", {}), methods)
    for m in raw.get("methods", {}).values():  # a few APIs have top-level methods
        methods[m["id"]] = _method(m)
    return Document(
        name=raw["name"], version=raw["version"], root_url=raw["rootUrl"], service_path=raw.get("servicePath", ""),
        schemas=raw.get("schemas", {}), methods=methods, global_params=frozenset(raw.get("parameters", {})),
    )


def _collect(resources: dict, out: dict[str, Method]) -> None:
    for resource in resources.values():
        for m in resource.get("methods", {}).values():
            out[m["id"]] = _method(m)
        _collect(resource.get("resources", {}), out)


def _method(m: dict) -> Method:
    params = {}
    for name, p in m.get("parameters", {}).items():
        params[name] = Param(
            name=name, location=p.get("location", "query"), type=p.get("type", "string"), format=p.get("format"),
            required=bool(p.get("required")), repeated=bool(p.get("repeated")),
            enum=tuple(p["enum"]) if "enum" in p else None,
        )
    media = m.get("mediaUpload", {}).get("protocols", {})
    return Method(
        id=m["id"], http_method=m["httpMethod"], path=m.get("flatPath") or m["path"], template=m["path"],
        params=params, request=(m.get("request") or {}).get("$ref"), response=(m.get("response") or {}).get("$ref"),
        media_paths=tuple(p["path"] for p in media.values() if "path" in p),
        resumable="resumable" in media, media_download=bool(m.get("supportsMediaDownload")),
    )
