"""Parity with real Cloud SQL Admin: replay the recorded traffic of ../shared/gcp-golden (sql--*.http.log)
against the emulator over HTTP and compare normalised shapes: status codes, key sets (recursively, with
JSON value types), and for errors the code, status, message and reasons.

The recordings are v1beta4 calls (/sql/v1beta4/...); they are replayed on v1, which the emulator serves
(same resources and shapes for these calls). Like the recorded client, the replay polls an operation
until it is DONE before replaying a recorded GET that shows it DONE, so that timing (the emulator's
scaled durations) does not count as a difference. "startTime"/"endTime" of an operation follow its
status, so their presence is not compared (the status value, a string, is compared by type).
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from tests.emulator import golden

GOLDEN = golden.GOLDEN_DIR
_SQL_URL = re.compile(r"^https://sqladmin\.googleapis\.com/sql/v1beta4/(.*)$")
OPERATION_TIMING_KEYS = {"startTime", "endTime"}


def shape(value):
    """golden.json_shape without a Cloud SQL operation's timing keys (they come and go with its status)."""
    return golden.json_shape(value, lambda doc, key: doc.get("kind") == "sql#operation"
                             and key in OPERATION_TIMING_KEYS)



def compare(expected_status: int, expected: dict, status: int, got: dict) -> list[str]:
    problems = []
    if status != expected_status:
        problems.append(f"status {status} != {expected_status}")
    if "error" in expected:
        if golden.error_view(got) != golden.error_view(expected):
            problems.append(f"error {golden.error_view(got)} != {golden.error_view(expected)}")
    else:
        problems += golden.deep_shape_diff(shape(expected), shape(got))
    return problems



def replay(base: str, exchanges: list[golden.Exchange], values: dict[str, str]) -> tuple[int, int, list[str]]:
    matching, total, mismatches = 0, 0, []

    def fill(text: str) -> str:
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
        return text

    for n, ex in enumerate(exchanges):
        m = _SQL_URL.match(ex.url)
        if not m:
            continue
        total += 1
        url = f"{base}/sqladmin/v1/{fill(m.group(1))}"
        expected = json.loads(fill(ex.response_text)) if ex.response_text else {}
        if ex.method == "GET" and "/operations/" in url and expected.get("status") == "DONE":
            deadline = time.monotonic() + 30
            while golden.call("GET", url, None)[1].get("status") != "DONE" and time.monotonic() < deadline:
                time.sleep(0.01)
        status, got = golden.call(ex.method, url, fill(ex.body).encode() if ex.body else None)
        if got.get("kind") == "sql#operation" and ex.method != "GET":
            values["operationID"] = got["name"]  # the recording's ${operationID} is what this call returned
        problems = compare(ex.status, expected, status, got)
        if problems:
            mismatches.append(f"#{n} {ex.method} {m.group(1).split('?')[0]}: " + "; ".join(problems))
        else:
            matching += 1
    return matching, total, mismatches


@pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"no recordings at {GOLDEN}")
def test_sql_parity(emulator, capsys):
    matching = total = 0
    mismatches: list[str] = []
    for path in sorted(GOLDEN.glob("sql--*.http.log")):
        values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8],
                  "operationID": "unknown", "projectNumber": "123456789012"}
        m, t, problems = replay(emulator.url, golden.parse(path), values)
        matching, total = matching + m, total + t
        mismatches += [f"{path.name} {p}" for p in problems]
    if total == 0:
        pytest.skip("no Cloud SQL recordings found")
    with capsys.disabled():
        print(f"\nCloud SQL parity: {matching}/{total} recorded exchanges match")
        for problem in mismatches:
            print("  mismatch:", problem)
    assert matching == total, "\n".join(mismatches)


def test_shape_normalisation():
    op = {"kind": "sql#operation", "status": "DONE", "startTime": "t", "endTime": "t"}
    assert shape(op) == {"kind": "string", "status": "string"}
    assert compare(200, {"a": [{"x": 1}], "b": "s"}, 200, {"a": [{"x": 2}], "b": "t"}) == []
    assert compare(200, {"a": {"x": 1}}, 200, {"a": {"x": "1"}}) == ['a.x: "string" != "number"']
    assert compare(200, {"a": 1}, 200, {"a": 1, "b": 2}) == ["extra b"]
    assert compare(404, {"error": {"code": 404, "message": "m", "errors": [{"reason": "r"}]}}, 404,
                   {"error": {"code": 404, "message": "m", "status": "NOT_FOUND", "errors": [{"reason": "r"}]}})
