"""Calling google-cloud-compute: error translation, retries, and waiting for operations with the
Zone/Region/GlobalOperations clients' `wait` in a loop up to a deadline (`wait` may return early).
ExtendedOperation.result() is not used: its poller ignores client_options (see ARCHITECTURE.md)."""

from __future__ import annotations

import time
from typing import Any, Callable

from gcpkit.errors import OperationFailed, access_denied
from gcpkit.providers.base import Conflict, InUse, NotFound

IN_USE_REASON = "resourceInUseByAnotherResource"


class OperationError(OperationFailed):
    """A long-running operation ended with an error; `code` is GCP's error code (e.g. QUOTA_EXCEEDED)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


def call(fn: Callable[[], Any], deadline_s: float = 300.0, *, governor: Any = None) -> Any:
    """Run one API call, retrying what is transient, and turn Google's errors into gcpkit's.
    Mutating calls pass their target's `governor` (Target.governor()): it paces them once throttled."""
    from gcpkit.execution.retry import call_with_retry

    try:
        return call_with_retry(fn, deadline_s=deadline_s, governor=governor)
    except Exception as exc:  # noqa: BLE001 - translated or re-raised below
        raise translate(exc) from exc


def translate(exc: Exception) -> Exception:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or str(exc)
    if code == 404:
        return NotFound(message)
    if code == 409:
        return Conflict(message)
    if code == 400 and IN_USE_REASON in _reasons(exc):
        return InUse(message, user=_in_use_user(message))
    if code in (401, 403) and (denied := access_denied(code, message, _reasons(exc))) is not None:
        return denied
    if isinstance(code, int):
        return OperationFailed(f"HTTP {code}: {message}")
    return exc


def _reasons(exc: Exception) -> set[str]:
    reasons = set()
    for err in getattr(exc, "errors", None) or []:
        if isinstance(err, dict) and err.get("reason"):
            reasons.add(err["reason"])
    reason = getattr(exc, "reason", None)
    if reason:
        reasons.add(reason)
    if IN_USE_REASON in str(exc) or "is already being used by" in str(exc):
        reasons.add(IN_USE_REASON)
    return reasons


def _in_use_user(message: str) -> str | None:
    marker = "is already being used by '"
    start = message.find(marker)
    if start < 0:
        return None
    rest = message[start + len(marker):]
    return rest.split("'", 1)[0] or None


def _last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def wait(target: Any, project: str, op: Any, deadline_s: float) -> Any:
    """Wait for a compute Operation until DONE; raise OperationError if it failed."""
    from google.cloud import compute_v1

    done = compute_v1.Operation.Status.DONE
    deadline = time.monotonic() + deadline_s
    while op.status != done:
        if time.monotonic() > deadline:
            raise OperationFailed(f"operation {op.name} still {op.status.name} after {deadline_s:.0f}s",
                                  hint="it may still finish; run the command again to pick it up")
        if op.zone:
            client, scope = target.compute("ZoneOperationsClient"), {"zone": _last_segment(op.zone)}
        elif op.region:
            client, scope = target.compute("RegionOperationsClient"), {"region": _last_segment(op.region)}
        else:
            client, scope = target.compute("GlobalOperationsClient"), {}
        op = call(lambda: client.wait(project=project, operation=op.name, **scope))
    if op.error and op.error.errors:
        first = op.error.errors[0]
        raise OperationError(first.code or "UNKNOWN", first.message or op.http_error_message or "operation failed")
    return op
