"""Retry policy: classification of real client exceptions, deterministic backoff, deadlines, pacing."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
from pathlib import Path

import httplib2
import pytest
import requests
import urllib3
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from googleapiclient.errors import HttpError

from gcpkit.execution.retry import (
    RateGovernor,
    call_with_retry,
    is_rate_limited,
    is_transient,
    is_transient_operation_error,
    retry_after,
)

ROOT = Path(__file__).resolve().parents[2]


def http_error(status: int, body: dict | None = None, **headers: str) -> HttpError:
    resp = httplib2.Response({"status": status, **{k.lower().replace("_", "-"): v for k, v in headers.items()}})
    return HttpError(resp, json.dumps(body or {"error": {"code": status, "message": "x"}}).encode())


def google_error_body(status: int, message: str, reason: str | None = None, info_reason: str | None = None) -> dict:
    error: dict = {"code": status, "message": message}
    if reason:
        error["errors"] = [{"message": message, "domain": "usageLimits", "reason": reason}]
    if info_reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": info_reason,
                             "domain": "googleapis.com"}]
    return {"error": error}


def api_core_from_response(status: int, body: dict, **headers: str) -> gexc.GoogleAPICallError:
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode()
    resp.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    resp.request = requests.Request("POST", "https://compute.googleapis.com/compute/v1/x").prepare()
    return gexc.from_http_response(resp)


# ----------------------------------------------------------------- classification

@pytest.mark.parametrize("exc", [
    gexc.TooManyRequests("slow down"),
    gexc.ServiceUnavailable("try later"),
    gexc.InternalServerError("oops"),
    gexc.BadGateway("gw"),
    gexc.GatewayTimeout("gw"),
    gexc.DeadlineExceeded("deadline"),
    gexc.Forbidden("quota", errors=[{"reason": "rateLimitExceeded", "message": "Rate Limit Exceeded"}]),
    gexc.Forbidden("quota", errors=[{"reason": "userRateLimitExceeded"}]),
    gexc.Forbidden("quota", error_info={"reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com"}),
    gexc.Forbidden("The rateLimitExceeded quota was hit"),
    api_core_from_response(403, google_error_body(403, "Rate Limit Exceeded", reason="rateLimitExceeded")),
    api_core_from_response(429, google_error_body(429, "Quota exceeded for quota metric")),
    api_core_from_response(503, google_error_body(503, "backend")),
    http_error(429),
    http_error(500),
    http_error(503),
    http_error(403, google_error_body(403, "Rate Limit Exceeded", reason="rateLimitExceeded")),
    http_error(403, google_error_body(403, "Too many", reason="userRateLimitExceeded",
                                      info_reason="RATE_LIMIT_EXCEEDED")),
    http_error(403, google_error_body(403, "Too many", info_reason="RATE_LIMIT_EXCEEDED")),
    requests.exceptions.ConnectionError("reset"),
    requests.exceptions.ReadTimeout("read timed out"),
    requests.exceptions.ChunkedEncodingError("broken"),
    urllib3.exceptions.ProtocolError("Connection aborted."),
    urllib3.exceptions.MaxRetryError(None, "/x", reason=urllib3.exceptions.NewConnectionError(None, "refused")),
    ConnectionResetError(104, "reset by peer"),
    ConnectionRefusedError(111, "refused"),
    TimeoutError("timed out"),
    socket.timeout("timed out"),
    auth_exc.TransportError("token endpoint unreachable"),
], ids=lambda e: type(e).__name__)
def test_transient(exc):
    assert is_transient(exc) is True


@pytest.mark.parametrize("exc", [
    gexc.BadRequest("bad"),
    gexc.NotFound("gone"),
    gexc.Conflict("exists"),
    gexc.Unauthorized("who"),
    gexc.Forbidden("permission denied", errors=[{"reason": "forbidden"}]),
    gexc.Forbidden("quota", errors=[{"reason": "quotaExceeded"}]),
    gexc.Forbidden("daily", errors=[{"reason": "dailyLimitExceeded"}]),
    api_core_from_response(403, google_error_body(403, "Permission denied", reason="forbidden")),
    api_core_from_response(400, google_error_body(400, "Invalid value", reason="invalid")),
    http_error(400),
    http_error(404),
    http_error(409),
    http_error(403, google_error_body(403, "The caller does not have permission", reason="forbidden")),
    ValueError("programming error"),
    KeyError("k"),
    requests.exceptions.SSLError("certificate verify failed"),
    KeyboardInterrupt(),
], ids=lambda e: type(e).__name__)
def test_not_transient(exc):
    assert is_transient(exc) is False


def test_rate_limited_is_narrower_than_transient():
    assert is_rate_limited(gexc.TooManyRequests("x"))
    assert is_rate_limited(http_error(403, google_error_body(403, "x", reason="rateLimitExceeded")))
    assert not is_rate_limited(gexc.ServiceUnavailable("x"))
    assert not is_rate_limited(gexc.Forbidden("nope", errors=[{"reason": "forbidden"}]))


def test_operation_error_codes():
    for code in ("RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE", "RESOURCE_NOT_READY",
                 "RESOURCE_OPERATION_RATE_EXCEEDED", "rate_limit_exceeded"):
        assert is_transient_operation_error(code), code
    for code in ("QUOTA_EXCEEDED", "ZONE_RESOURCE_POOL_EXHAUSTED", "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                 "RESOURCE_NOT_FOUND", "RESOURCE_ALREADY_EXISTS", ""):
        assert not is_transient_operation_error(code), code

    class OperationError(Exception):  # what a provider raises for a failed long-running operation
        def __init__(self, code):
            super().__init__(code)
            self.code = code

    assert is_transient(OperationError("INTERNAL_ERROR"))
    assert not is_transient(OperationError("QUOTA_EXCEEDED"))
    assert not is_transient(OperationError("ZONE_RESOURCE_POOL_EXHAUSTED"))


def test_chained_cause_is_classified():
    try:
        try:
            raise requests.exceptions.ConnectionError("reset")
        except requests.exceptions.ConnectionError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_retry_after_from_real_exceptions():
    assert retry_after(api_core_from_response(429, google_error_body(429, "x"), Retry_After="7")) == 7.0
    assert retry_after(http_error(429, Retry_After="3")) == 3.0
    assert retry_after(gexc.TooManyRequests("no header")) is None
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert retry_after(http_error(503, Retry_After=date), now=lambda: 1445412480.0 - 10) == pytest.approx(10.0)


def test_retry_module_imports_no_google_library():
    code = ("import sys; import gcpkit.execution, gcpkit.execution.retry, gcpkit.execution.walker, gcpkit.state; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('google', 'googleapiclient', 'requests', "
            "'urllib3', 'httplib2')]; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ----------------------------------------------------------------- call_with_retry

class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def flaky(errors: list[BaseException], value="ok"):
    calls = []

    def fn():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return value

    fn.calls = calls
    return fn


def test_retries_transient_then_succeeds_with_full_jitter_backoff():
    t = FakeTime()
    fn = flaky([gexc.ServiceUnavailable("a"), gexc.TooManyRequests("b"), http_error(500)])
    retries = []
    result = call_with_retry(fn, sleep=t.sleep, clock=t.clock, rng=random.Random(42), base_s=1, cap_s=3,
                             on_retry=lambda attempt, exc, delay: retries.append((attempt, type(exc).__name__)))
    assert result == "ok" and len(fn.calls) == 4
    expected_rng = random.Random(42)
    assert t.sleeps == [expected_rng.uniform(0, 1), expected_rng.uniform(0, 2), expected_rng.uniform(0, 3)]
    assert retries == [(0, "ServiceUnavailable"), (1, "TooManyRequests"), (2, "HttpError")]


def test_same_seed_same_schedule_without_a_clock():
    def schedule():
        t = FakeTime()
        fn = flaky([gexc.ServiceUnavailable("x")] * 5)
        call_with_retry(fn, sleep=t.sleep, rng=random.Random(7))  # no fake clock: the sleeps count
        return t.sleeps

    first = schedule()
    assert first == schedule() and len(first) == 5
    assert all(0 <= s <= min(20, 0.5 * 2 ** i) for i, s in enumerate(first))


def test_non_transient_is_raised_at_once():
    t = FakeTime()
    err = gexc.NotFound("gone")
    fn = flaky([err])
    with pytest.raises(gexc.NotFound) as got:
        call_with_retry(fn, sleep=t.sleep, clock=t.clock, rng=random.Random(1))
    assert got.value is err and len(fn.calls) == 1 and t.sleeps == []


def test_deadline_is_respected_and_last_error_raised():
    t = FakeTime()
    errors = [gexc.ServiceUnavailable(f"try {i}") for i in range(1000)]
    fn = flaky(list(errors))
    with pytest.raises(gexc.ServiceUnavailable) as got:
        call_with_retry(fn, sleep=t.sleep, rng=random.Random(3), deadline_s=30, base_s=1, cap_s=8)
    assert sum(t.sleeps) <= 30
    assert got.value is errors[len(fn.calls) - 1]  # the last error, not the first
    assert len(t.sleeps) == len(fn.calls) - 1 and len(fn.calls) > 3


def test_deadline_counts_time_spent_in_calls():
    t = FakeTime()

    def fn():
        t.now += 50  # each call itself takes 50 s
        raise gexc.ServiceUnavailable("slow")

    with pytest.raises(gexc.ServiceUnavailable):
        call_with_retry(fn, sleep=t.sleep, clock=t.clock, rng=random.Random(0), deadline_s=120)
    assert t.now <= 120 + 50  # no sleep started that would end past the deadline
    assert len(t.sleeps) == 2


def test_retry_after_is_honoured_and_bounded_by_deadline():
    t = FakeTime()
    fn = flaky([api_core_from_response(429, google_error_body(429, "x"), Retry_After="12")])
    assert call_with_retry(fn, sleep=t.sleep, clock=t.clock, rng=random.Random(0)) == "ok"
    assert t.sleeps == [12.0]
    t2 = FakeTime()
    fn2 = flaky([http_error(429, Retry_After="500")])
    with pytest.raises(HttpError):
        call_with_retry(fn2, sleep=t2.sleep, clock=t2.clock, rng=random.Random(0), deadline_s=120)
    assert t2.sleeps == []


def test_keyboard_interrupt_is_not_retried():
    fn = flaky([KeyboardInterrupt()])
    with pytest.raises(KeyboardInterrupt):
        call_with_retry(fn, sleep=lambda s: None, rng=random.Random(0))
    assert len(fn.calls) == 1


# ----------------------------------------------------------------- RateGovernor

def test_governor_paces_requests_evenly():
    t = FakeTime()
    gov = RateGovernor(rate=4, clock=t.clock, sleep=t.sleep)
    waits = [gov.acquire() for _ in range(4)]
    assert waits == [0.0, 0.25, 0.25, 0.25]
    assert t.now == pytest.approx(0.75)


def test_governor_aimd():
    t = FakeTime()
    gov = RateGovernor(rate=10, min_rate=1, increase=1, decrease=0.5, cooldown_s=1, clock=t.clock, sleep=t.sleep)
    gov.on_throttled()
    assert gov.rate == 5
    gov.on_throttled()  # a burst of 429s from many threads within the cooldown counts once
    assert gov.rate == 5
    t.now += 1
    gov.on_throttled()
    assert gov.rate == 2.5
    for _ in range(3):
        t.now += 1
        gov.on_throttled()
    assert gov.rate == 1  # never below min_rate
    for _ in range(100):
        gov.on_success()
    assert gov.rate == 10  # never above the starting (max) rate


def test_governor_is_used_by_call_with_retry():
    t = FakeTime()
    gov = RateGovernor(rate=10, cooldown_s=0, clock=t.clock, sleep=t.sleep, increase=0)
    fn = flaky([gexc.TooManyRequests("x"), gexc.ServiceUnavailable("y")])
    assert call_with_retry(fn, sleep=t.sleep, clock=t.clock, rng=random.Random(0), governor=gov) == "ok"
    assert gov.rate == 5  # one throttling answer halved it; the 503 did not
