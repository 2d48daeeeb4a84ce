"""Shared plumbing for providers built on google-api-python-client (DNS, Cloud SQL, IAM, Storage...):
calls with retries, Google's HttpError translated to gcpkit's, and adaptive polling of operations."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from gcpkit.errors import OperationFailed, access_denied
from gcpkit.providers.base import Conflict, InUse, NotFound


def error_reasons(exc: Exception) -> list[str]:
    try:
        body = json.loads(getattr(exc, "content", b"") or b"{}")
    except (ValueError, TypeError):
        return []
    return [e.get("reason", "") for e in (body.get("error") or {}).get("errors", []) if isinstance(e, dict)]


def error_message(exc: Exception) -> str:
    try:
        body = json.loads(getattr(exc, "content", b"") or b"{}")
        return (body.get("error") or {}).get("message") or str(exc)
    except (ValueError, TypeError):
        return str(exc)


def translate(exc: Exception) -> Exception:
    status = getattr(getattr(exc, "resp", None), "status", None)
    if status is None:
        return exc
    status = int(status)
    message = error_message(exc)
    if status == 404:
        return NotFound(message)
    if status == 409:
        return Conflict(message)
    if status == 400 and any(r in ("resourceInUseByAnotherResource", "containerNotEmpty") for r in error_reasons(exc)):
        return InUse(message)
    if status in (401, 403) and (denied := access_denied(status, message, error_reasons(exc))) is not None:
        return denied
    return OperationFailed(f"HTTP {status}: {message}")


MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def execute(request: Any, deadline_s: float = 300.0) -> Any:
    """Execute a googleapiclient request, retrying what is transient. A mutating request is paced by
    its target's governor (set on the client's http by Target.discovery) once the API throttles."""
    from gcpkit.execution.retry import call_with_retry

    governor = None
    if getattr(request, "method", "GET") in MUTATING:
        governor = getattr(getattr(request, "http", None), "gcpkit_governor", None)
    try:
        return call_with_retry(request.execute, deadline_s=deadline_s, governor=governor)
    except Exception as exc:  # noqa: BLE001 - translated, or re-raised as it is
        raise translate(exc) from exc


def poll(fetch: Callable[[], dict], done: Callable[[dict], bool], *, deadline_s: float,
         what: str, first_s: float = 0.05, cap_s: float = 5.0) -> dict:
    """Adaptive polling: start fast (most emulated and many real operations finish quickly), back off
    geometrically to `cap_s`, give up at the deadline with a message saying how to pick it up again."""
    start = time.monotonic()
    deadline = start + deadline_s
    delay = first_s
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() + delay > deadline:
            raise OperationFailed(f"{what} not finished after {deadline_s:.0f}s",
                                  hint="it may still finish; run the command again to pick it up")
        time.sleep(delay)
        # Never wait longer than a tenth of the time spent so far: the overshoot past the end of the
        # operation stays under ~10%, whether it takes a second (emulator) or five minutes (Cloud SQL).
        delay = min(delay * 1.6, cap_s, max(first_s, 0.1 * (time.monotonic() - start)))


def _document(api: str, version: str) -> dict:
    return _load_document(f"{api}.{version}.json")


def _load_document(filename: str, _cache: dict = {}) -> dict:  # noqa: B006 - a deliberate memo
    if filename not in _cache:
        from importlib.util import find_spec
        from pathlib import Path

        spec = find_spec("googleapiclient")
        path = Path(spec.origin).parent / "discovery_cache" / "documents" / filename
        _cache[filename] = json.loads(path.read_text())
    return _cache[filename]


class ApiProvider:
    """Base of the providers on google-api-python-client. Subclasses set the class attributes and
    implement read/create/delete (and update where the API allows it)."""

    type_name = ""
    api = ""
    version = "v1"
    endpoint_key: str | None = None  # key in the endpoints map when it is not `api`
    schema = ""  # discovery schema of the body
    extra_properties: frozenset[str] = frozenset()  # gcpkit-level properties beside the body's fields
    has_labels = False
    external = False
    owned_by_parent = False

    def client(self, ctx: Any) -> Any:
        return ctx.target.discovery(self.api, self.version, self.endpoint_key)

    def fields(self) -> set[str]:
        return set(_document(self.api, self.version)["schemas"][self.schema]["properties"]) | set(
            self.extra_properties)

    def check_properties(self, name: str, properties: dict) -> None:
        from gcpkit.errors import BadInput
        from gcpkit.patterns.schema import did_you_mean

        known = self.fields()
        for key in properties:
            if key not in known:
                raise BadInput(f"{self.type_name} has no property {key!r}{did_you_mean(key, sorted(known))}",
                               where=f"resource {name}")

    def updatable(self, changed: list[str]) -> bool:
        return False

    def update(self, ctx: Any, name: str, properties: dict, live: Any, changed: list[str]) -> Any:
        raise OperationFailed(f"{self.type_name} cannot be updated in place")

    def owner(self, live: Any) -> str | None:
        from gcpkit.providers.base import owner_from

        return owner_from(live.body)

    def read_after_create(self, ctx: Any, name: str, properties: dict, window_s: float = 10.0) -> Any:
        from gcpkit.providers.base import read_until_found

        return read_until_found(lambda: self.read(ctx, name, properties), window_s)

    def read(self, ctx: Any, name: str, properties: dict) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError
