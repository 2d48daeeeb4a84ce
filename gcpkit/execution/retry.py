"""Retry policy: retry only what is transient, with exponential backoff and full jitter, bounded in time.

Transient: HTTP 408, 429, 5xx; 403 whose reason is rateLimitExceeded/userRateLimitExceeded;
connection errors and timeouts; the documented transient Compute operation error codes.
Everything else (other 4xx, quota and capacity errors, programming errors) is raised at once.

No Google library is imported here: exceptions are classified by their attributes
(`code`, `resp.status`, `response.status_code`, `errors`, `reason`, `content`) and by the
names of their classes, so this module costs nothing at `gcpkit --help` time.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections.abc import Callable
from datetime import timezone
from typing import Any, TypeVar

T = TypeVar("T")

RATE_LIMIT_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded"})  # normalised (see _norm)

#: Compute operation error codes worth retrying in the same place. QUOTA_EXCEEDED and
#: *_RESOURCE_POOL_EXHAUSTED are deliberately absent: retrying the same zone does not help.
TRANSIENT_OPERATION_ERRORS = frozenset({
    "RATE_LIMIT_EXCEEDED",
    "RESOURCE_OPERATION_RATE_EXCEEDED",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
    "BACKEND_ERROR",
    "UNAVAILABLE",
    "DEADLINE_EXCEEDED",
    "RESOURCE_NOT_READY",
})

#: google.rpc.Code by number: the `error.code` of google.longrunning operations (Firestore, Artifact
#: Registry, App Engine) and of GKE operations, named in messages as Compute names its codes.
RPC_CODE_NAMES = {1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
                  6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
                  10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
                  15: "DATA_LOSS", 16: "UNAUTHENTICATED"}


def operation_error_text(error: dict, fallback: str = "") -> str:
    """"CODE: message" for a google.rpc.Status (code by name), as Compute's operation errors read."""
    code = error.get("code")
    name = RPC_CODE_NAMES.get(code, str(code)) if isinstance(code, int) else (code or "")
    message = error.get("message") or fallback
    return f"{name}: {message}" if name and message else str(name or message)


# Class names (anywhere in the MRO) of connection-level failures: builtins, requests, urllib3,
# http.client, httplib2, google.auth (TransportError wraps the transport's failure).
_CONNECTION_CLASS_NAMES = frozenset({
    "ConnectionError", "ConnectionResetError", "ConnectionAbortedError", "ConnectionRefusedError",
    "BrokenPipeError", "TimeoutError", "timeout", "Timeout", "ConnectTimeout", "ReadTimeout",
    "ChunkedEncodingError", "ProtocolError", "NewConnectionError", "ConnectTimeoutError",
    "ReadTimeoutError", "RemoteDisconnected", "IncompleteRead", "TransportError",
})
# Connection-looking failures that retrying will not fix.
_PERMANENT_CLASS_NAMES = frozenset({"SSLError", "InvalidURL", "InvalidSchema", "MissingSchema",
                                    "CertificateError", "SSLCertVerificationError"})


def _norm(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def http_status(exc: BaseException) -> int | None:
    """The HTTP status carried by an exception from google.api_core, googleapiclient, requests, or None."""
    for value in (getattr(exc, "code", None), getattr(exc, "status_code", None)):
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    for holder in ("resp", "response"):
        resp = getattr(exc, holder, None)
        if resp is None:
            continue
        for attr in ("status", "status_code"):
            value = getattr(resp, attr, None)
            try:
                value = int(value) if value is not None else None
            except (TypeError, ValueError):
                value = None
            if value is not None and 100 <= value <= 599:
                return value
    value = getattr(exc, "status", None)
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def _reasons(exc: BaseException) -> list[str]:
    """Every machine reason an API error carries (errors[].reason, ErrorInfo.reason, body JSON)."""
    found: list[str] = []

    def take(items: Any) -> None:
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, (list, tuple)):
            return
        for item in items:
            reason = item.get("reason") if isinstance(item, dict) else getattr(item, "reason", None)
            if isinstance(reason, str):
                found.append(reason)

    # google.api_core: .reason is ErrorInfo.reason; .errors the JSON error.errors; .details error.details
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str):
        found.append(reason)
    for attr in ("errors", "details", "error_details"):
        try:
            take(getattr(exc, attr, None))
        except Exception:  # a property that fails is no reason to crash the classifier
            pass
    # googleapiclient.errors.HttpError: the raw body
    content = getattr(exc, "content", None)
    if isinstance(content, (bytes, str)):
        try:
            body = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, list) and body:
            body = body[0]
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            take(error.get("errors"))
            take(error.get("details"))
            if isinstance(error.get("status"), str):
                found.append(error["status"])
    return found


def is_rate_limited(exc: BaseException) -> bool:
    """A throttling answer: HTTP 429, 403 rateLimitExceeded/userRateLimitExceeded, or RATE_LIMIT_EXCEEDED."""
    status = http_status(exc)
    if status == 429:
        return True
    if status == 403:
        if any(_norm(r) in RATE_LIMIT_REASONS for r in _reasons(exc)):
            return True
        text = _norm(str(exc))
        return "ratelimitexceeded" in text
    code = getattr(exc, "code", None)
    return isinstance(code, str) and code.upper() in ("RATE_LIMIT_EXCEEDED", "RESOURCE_OPERATION_RATE_EXCEEDED")


def is_transient_operation_error(code: str) -> bool:
    """Whether a Compute operation error code (operation.error.errors[].code) is worth retrying."""
    return isinstance(code, str) and code.strip().upper() in TRANSIENT_OPERATION_ERRORS


def is_gke_operation_conflict(exc: BaseException) -> bool:
    """GKE's 400 FAILED_PRECONDITION while another operation runs on the cluster ("Cluster is running
    incompatible operation ...", "Operation ... is currently ... Please wait and try again"): transient.
    Other FAILED_PRECONDITION answers (a project being deleted, ...) are not."""
    if "FAILED_PRECONDITION" not in _reasons(exc) and "failedPrecondition" not in _reasons(exc):
        return False
    content = getattr(exc, "content", None)
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    text = f"{content or ''} {exc}".lower()
    return "incompatible operation" in text or ("is currently" in text and "try again" in text)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same call later may succeed. See the module doc for the rules."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if not isinstance(current, Exception):  # KeyboardInterrupt, SystemExit, ...
            return False
        status = http_status(current)
        if status is not None:
            if status == 403:
                return is_rate_limited(current)
            if status == 409 and "operationInProgress" in _reasons(current):  # Cloud SQL: one at a time
                return True
            if status == 400 and is_gke_operation_conflict(current):  # GKE: one operation per cluster
                return True
            return status in (408, 429) or status >= 500
        code = getattr(current, "code", None)
        if isinstance(code, str) and code.strip():
            return is_transient_operation_error(code)
        names = _class_names(current)
        if names & _PERMANENT_CLASS_NAMES:
            return False
        if names & _CONNECTION_CLASS_NAMES:
            return True
        # Wrappers: urllib3 MaxRetryError(.reason), api_core RetryError(.cause), explicit chaining.
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = getattr(current, "cause", None)
        if not isinstance(inner, BaseException):
            inner = current.__cause__
        current = inner if isinstance(inner, BaseException) else None
    return False


def retry_after(exc: BaseException, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait (Retry-After header or a `retry_after` attribute), or None."""
    value: Any = getattr(exc, "retry_after", None)
    if value is None:
        for holder in ("response", "resp"):
            resp = getattr(exc, holder, None)
            headers = getattr(resp, "headers", None)
            if headers is None and isinstance(resp, dict):  # httplib2.Response is a dict of lower-cased headers
                headers = resp
            if headers is None:
                continue
            try:
                value = headers.get("Retry-After") or headers.get("retry-after")
            except Exception:
                value = None
            if value is not None:
                break
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, float(value))
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now())


def call_with_retry(fn: Callable[[], T], *, is_transient: Callable[[BaseException], bool] = is_transient,
                    deadline_s: float = 120, base_s: float = 0.5, cap_s: float = 20,
                    sleep: Callable[[float], Any] = time.sleep, rng: random.Random | None = None,
                    on_retry: Callable[[int, BaseException, float], Any] | None = None,
                    governor: RateGovernor | None = None,
                    clock: Callable[[], float] = time.monotonic) -> T:
    """Call `fn()` until it succeeds, retrying transient errors with full-jitter exponential backoff.

    Attempt n (from 0) that fails transiently sleeps uniform(0, min(cap_s, base_s * 2**n)) seconds,
    or longer if the error carries Retry-After. When that sleep would end past `deadline_s`
    after the first call, the last error is raised instead. Non-transient errors are raised at
    once. `on_retry(attempt, exc, delay)` is called before each sleep. With a `governor`, each
    attempt first waits for its turn, and throttling answers slow every thread down.
    Time spent is measured as the larger of `clock()` and the sum of the sleeps, so a fake
    `sleep` alone makes the deadline deterministic.
    """
    rng = rng or random.Random()
    start = clock()
    slept = 0.0
    attempt = 0
    while True:
        if governor is not None:
            governor.acquire()
        try:
            value = fn()
        except Exception as exc:
            if governor is not None and is_rate_limited(exc):
                governor.on_throttled()
            if not is_transient(exc):
                raise
            delay = rng.uniform(0, min(cap_s, base_s * (2 ** min(attempt, 60))))
            asked = retry_after(exc)
            if asked is not None:
                delay = max(delay, asked)
            elapsed = max(clock() - start, slept)
            if elapsed + delay > deadline_s:
                raise
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
            slept += delay
            attempt += 1
            continue
        if governor is not None:
            governor.on_success()
        return value


class RateGovernor:
    """Shared pacing for one API across threads: AIMD on a request rate.

    acquire() hands out evenly spaced slots at the current rate (requests per second) and
    sleeps until the caller's slot. on_throttled() cuts the rate by `decrease` (at most once
    per `cooldown_s`, so a burst of 429s from many threads counts as one signal);
    on_success() adds `increase` requests per second back, up to `max_rate`.
    """

    def __init__(self, rate: float = 20.0, *, min_rate: float = 0.5, max_rate: float | None = None,
                 increase: float = 0.1, decrease: float = 0.5, cooldown_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Any] = time.sleep,
                 unpaced_until_throttled: bool = False):
        """With `unpaced_until_throttled`, acquire() costs nothing until the first throttling answer;
        pacing then starts at the rate of successes seen in the last second (what the server let
        through), times `decrease`, and goes on as AIMD."""
        if rate <= 0 or min_rate <= 0 or not 0 < decrease < 1:
            raise ValueError("rate and min_rate must be positive and decrease between 0 and 1")
        self.paced = not unpaced_until_throttled
        self._recent: list[float] = []  # success times within the last second, while unpaced
        self.max_rate = float(max_rate if max_rate is not None else rate)
        self.min_rate = float(min(min_rate, self.max_rate))
        self._rate = float(min(max(rate, self.min_rate), self.max_rate))
        self.increase = increase
        self.decrease = decrease
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._sleep = sleep
        self._next = clock()
        self._last_cut: float | None = None
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self._rate

    def acquire(self) -> float:
        """Wait for this caller's turn. Returns the seconds waited."""
        if not self.paced:
            return 0.0
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self._rate
            wait_s = slot - now
        if wait_s > 0:
            self._sleep(wait_s)
        return wait_s

    def on_throttled(self) -> None:
        with self._lock:
            now = self._clock()
            if not self.paced:
                let_through = sum(1 for t in self._recent if now - t <= 1.0)
                self._rate = min(self.max_rate, max(self.min_rate, let_through * self.decrease))
                self._recent = []
                self.paced = True
                self._last_cut = now
                self._next = max(self._next, now + 1.0 / self._rate)
                return
            if self._last_cut is not None and now - self._last_cut < self.cooldown_s:
                return
            self._last_cut = now
            self._rate = max(self.min_rate, self._rate * self.decrease)
            self._next = max(self._next, now + 1.0 / self._rate)

    def on_success(self) -> None:
        with self._lock:
            if not self.paced:
                now = self._clock()
                self._recent.append(now)
                if len(self._recent) > 64 and now - self._recent[0] > 1.0:
                    self._recent = [t for t in self._recent if now - t <= 1.0]
                return
            self._rate = min(self.max_rate, self._rate + self.increase)
