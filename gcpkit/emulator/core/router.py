"""(HTTP method, URL path) -> discovery method + path parameters, for every mounted API.

A trie over path segments, tried in the order literal > partial segment ("{db}:export") >
whole-segment variable > "{+name}" (rest of the path), with backtracking. Routing uses each
method's flatPath; the documented parameters of a "{+name}" path are then recovered from
the discovery "path" template, so handlers see both (e.g. "name" and "projectsId").

Besides each method's own path and HTTP method: HEAD is routed like GET; a method that supports
media download also answers GET on its /download/ twin ("/download/storage/v1/b/{bucket}/o/{object}");
a method with resumable uploads also answers PUT and DELETE on its upload paths (session requests,
which the app accepts only with an upload_id).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Iterator
from urllib.parse import unquote

from gcpkit.emulator.core.discovery import Method
from gcpkit.emulator.core.services import Service

_VAR = re.compile(r"\{(\+?)([^}]+)\}")


@dataclass
class Route:
    service: Service
    method: Method
    media: bool = False  # an upload path (mediaUpload) rather than the method's plain path
    template_re: re.Pattern | None = None  # recovers the documented parameters from a "{+name}" path
    download: bool = False  # the /download/ twin of the method's path (supportsMediaDownload)
    session: bool = False  # PUT/DELETE on an upload path: an upload session request (needs upload_id)
    base: str | None = None  # the absolute prefix of the method path, when not the service's mount


@dataclass
class _Node:
    literal: dict[str, "_Node"] = field(default_factory=dict)
    partial: list[tuple[re.Pattern, "_Node"]] = field(default_factory=list)
    variables: dict[str, "_Node"] = field(default_factory=dict)  # by variable name
    rest: list[tuple[re.Pattern, dict[str, Route]]] = field(default_factory=list)
    routes: dict[str, Route] = field(default_factory=dict)  # HTTP method -> route


class Match:
    """Shared between requests through the cache: treat as read-only."""

    def __init__(self, route: Route | None, params: dict[str, str], allowed: set[str]):
        self.route = route  # None: no route for this HTTP method
        self.params = params
        self.allowed = allowed  # HTTP methods the path has (for 405)


def _segment_regex(segment: str) -> re.Pattern:
    out, pos = [], 0
    for m in _VAR.finditer(segment):
        out.append(re.escape(segment[pos:m.start()]))
        out.append(f"(?P<{_group(m.group(2))}>.+?)")
        pos = m.end()
    out.append(re.escape(segment[pos:]))
    return re.compile("^" + "".join(out) + "$")


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _template_regex(template: str) -> re.Pattern:
    out, pos = [], 0
    for m in _VAR.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        out.append(f"(?P<{_group(m.group(2))}>{'.+' if m.group(1) else '[^/]+'})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "$")


class Router:
    def __init__(self, services: list[Service]):
        self._root = _Node()
        self._names: dict[str, str] = {}  # regex group name -> parameter name
        for service in services:
            mount = service.mount()
            download_base = f"{service.prefix}/download/{service.document.service_path}"
            for method in service.document.methods.values():
                template_re = _template_regex(method.template) if "{+" in method.template else None
                self._add(mount + method.path, Route(service, method, False, template_re))
                if method.media_download:
                    self._add(download_base + method.path,
                              Route(service, method, template_re=template_re, download=True, base=download_base))
                for media_path in method.media_paths:
                    self._add(media_path, Route(service, method, True, None))
                    if method.resumable:
                        for verb in ("PUT", "DELETE"):
                            self._add(media_path, Route(service, method, True, None, session=True), verb)

    def _add(self, path: str, route: Route, http_method: str | None = None) -> None:
        http_method = http_method or route.method.http_method
        for m in _VAR.finditer(path):
            self._names[_group(m.group(2))] = m.group(2)
        segments = path.strip("/").split("/")
        node = self._root
        for i, segment in enumerate(segments):
            if "{+" in segment:  # the variable swallows the rest of the path
                regex = _template_regex("/".join(segments[i:]))
                for existing, routes in node.rest:
                    if existing.pattern == regex.pattern:
                        routes.setdefault(http_method, route)
                        return
                node.rest.append((regex, {http_method: route}))
                return
            if "{" not in segment:
                node = node.literal.setdefault(segment, _Node())
            elif segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1:
                node = node.variables.setdefault(segment[1:-1], _Node())
            else:
                regex = _segment_regex(segment)
                for existing, child in node.partial:
                    if existing.pattern == regex.pattern:
                        node = child
                        break
                else:
                    child = _Node()
                    node.partial.append((regex, child))
                    node = child
        node.routes.setdefault(http_method, route)

    def match(self, http_method: str, raw_path: str) -> Match | None:
        """None if no route has this path at all (404). Cached: clients poll the same URLs."""
        return self._cached_match(http_method, raw_path)

    @functools.lru_cache(maxsize=8192)
    def _cached_match(self, http_method: str, raw_path: str) -> Match | None:
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        allowed: set[str] = set()
        for routes, captured in self._walk(self._root, segments, 0, {}):
            route = routes.get(http_method)
            if route is None and http_method == "HEAD":
                route = routes.get("GET")
            if route is None:
                allowed.update(m for m, r in routes.items() if not r.session)
                continue
            params = {self._names.get(k, k): v for k, v in captured.items()}
            if route.template_re is not None:
                base = route.base if route.base is not None else route.service.mount()
                relative = "/".join(segments)[len(base.lstrip("/")):]
                m = route.template_re.match(relative)
                if m:
                    params.update({self._names.get(k, k): v for k, v in m.groupdict().items()})
            return Match(route, params, allowed)
        return Match(None, {}, allowed) if allowed else None

    def _walk(self, node: _Node, segments: list[str], i: int,
              captured: dict[str, str]) -> Iterator[tuple[dict[str, Route], dict[str, str]]]:
        if i == len(segments):
            if node.routes:
                yield node.routes, captured
            return
        segment = segments[i]
        child = node.literal.get(segment)
        if child is not None:
            yield from self._walk(child, segments, i + 1, captured)
        for regex, child in node.partial:
            m = regex.match(segment)
            if m:
                yield from self._walk(child, segments, i + 1, {**captured, **m.groupdict()})
        if segment:
            for name, child in node.variables.items():
                yield from self._walk(child, segments, i + 1, {**captured, _group(name): segment})
        if node.rest:
            remainder = "/".join(segments[i:])
            for regex, routes in node.rest:
                m = regex.match(remainder)
                if m:
                    yield routes, {**captured, **m.groupdict()}
