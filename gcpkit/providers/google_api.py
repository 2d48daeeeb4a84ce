"""Shared plumbing for providers built on google-api-python-client (DNS, Cloud SQL, IAM, Storage...):
calls with retries, Google's HttpError translated to gcpkit's, and adaptive polling of operations."""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from gcpkit.errors import OperationFailed
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
    return OperationFailed(f"HTTP {status}: {message}")


def execute(request: Any, deadline_s: float = 300.0) -> Any:
    """Execute a googleapiclient request, retrying what is transient."""
    from gcpkit.execution.retry import call_with_retry

    try:
        return call_with_retry(request.execute, deadline_s=deadline_s)
    except Exception as exc:  # noqa: BLE001 - translated, or re-raised as it is
        raise translate(exc) from exc


def poll(fetch: Callable[[], dict], done: Callable[[dict], bool], *, deadline_s: float,
         what: str, first_s: float = 0.05, cap_s: float = 5.0) -> dict:
    """Adaptive polling: start fast (most emulated and many real operations finish quickly), back off
    geometrically to `cap_s`, give up at the deadline with a message saying how to pick it up again."""
    deadline = time.monotonic() + deadline_s
    delay = first_s
    while True:
        result = fetch()
        if done(result):
            return result
        if time.monotonic() + delay > deadline:
            raise OperationFailed(f"{what} not finished after {deadline_s:.0f}s",
                                  hint="it may still finish; run the command again to pick it up")
        time.sleep(delay)
        delay = min(delay * 1.6, cap_s)
