"""What every provider offers the engine. Properties are the REST body of the type (camelCase),
plus `zone` / `region` for scoped types; refs are already resolved when these are called."""

from __future__ import annotations

from dataclasses import dataclass
import time
from typing import Any, Callable, Protocol

from gcpkit.constants import LABEL_DEPLOYMENT, LABEL_MANAGED_BY, LABEL_MANAGED_BY_VALUE


class NotFound(Exception):
    """The resource does not exist (a 404 from the API)."""


class Conflict(Exception):
    """A create hit an existing resource (409)."""


class InUse(Exception):
    """A delete was refused because another resource uses this one; `user` names it when known."""

    def __init__(self, message: str, user: str | None = None):
        super().__init__(message)
        self.user = user


@dataclass
class Live:
    """A resource as the API returns it (camelCase dict) plus its self link."""

    self_link: str
    body: dict[str, Any]


@dataclass
class Ctx:
    target: Any  # gcpkit.clients.Target
    deployment: str
    env: dict[str, str]  # project, deployment, region, zone
    deadline_s: float = 1800.0
    force_unprotect: bool = False  # destroy may turn deletion protection off (the user said so)


def is_ours(provider: Any, live: Live, deployment: str) -> bool:
    """Whether an existing resource may be adopted (and later deleted) by this deployment."""
    if getattr(provider, "external", False) or getattr(provider, "owned_by_parent", False):
        return True
    return provider.owner(live) == deployment


class Provider(Protocol):
    type_name: str
    has_labels: bool
    # True for types that act on something gcpkit does not own (e.g. stopping a hand-built source VM):
    # never checked for ownership, and their delete must leave that thing as it is.
    external: bool
    # True for types that cannot carry labels and live inside a parent that does (a database in a
    # Cloud SQL instance, a DNS record set in a zone): found existing, they are taken as ours.
    owned_by_parent: bool

    def fields(self) -> set[str]: ...
    def check_properties(self, name: str, properties: dict) -> None: ...
    def read(self, ctx: Ctx, name: str, properties: dict) -> Live: ...
    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live: ...
    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live: ...
    def updatable(self, changed: list[str]) -> bool: ...
    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None: ...
    def owner(self, live: Live) -> str | None: ...


def read_until_found(read: Callable[[], Live], window_s: float = 10.0) -> Live:
    """Ride out a short eventual-consistency window in which a new resource answers 404."""
    deadline = time.monotonic() + window_s
    delay = 0.05
    while True:
        try:
            return read()
        except NotFound:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def ownership_labels(deployment: str) -> dict[str, str]:
    return {LABEL_MANAGED_BY: LABEL_MANAGED_BY_VALUE, LABEL_DEPLOYMENT: deployment}


def description_marker(deployment: str) -> str:
    """For resources whose API has no labels: a marker in the description that finds them again."""
    return f"[{LABEL_MANAGED_BY}={LABEL_MANAGED_BY_VALUE} {LABEL_DEPLOYMENT}={deployment}]"


def owner_from(body: dict) -> str | None:
    """The gcpkit deployment that owns a live resource, from its labels or description marker."""
    labels = body.get("labels") or {}
    if labels.get(LABEL_MANAGED_BY) == LABEL_MANAGED_BY_VALUE and labels.get(LABEL_DEPLOYMENT):
        return labels[LABEL_DEPLOYMENT]
    description = body.get("description") or ""
    prefix = f"[{LABEL_MANAGED_BY}={LABEL_MANAGED_BY_VALUE} {LABEL_DEPLOYMENT}="
    start = description.find(prefix)
    if start >= 0:
        rest = description[start + len(prefix):]
        end = rest.find("]")
        if end > 0:
            return rest[:end]
    return None
