"""Parity with real Cloud Storage: replay the recorded traffic of ../shared/gcp-golden
(storage--*.http.log, never copied into the repo) against the emulator over HTTP and compare
normalised shapes: status codes, key sets (recursively, with JSON value types), and for errors
the code, reasons and message.

One recorded answer cannot be reproduced from the recorded requests, and is reported as a known
divergence rather than faked: the object list of a freshly created, empty bucket that the real API
answered with "prefixes": ["testfolder", "testmanagedfolder"] (folders made outside the recorded
traffic; the list call names no delimiter, so no request in the log could have produced them).
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.emulator import golden

GOLDEN = golden.GOLDEN_DIR
_STORAGE_URL = re.compile(r"^https://storage\.googleapis\.com(/.*)$")
# (recording, exchange index) -> why the emulator's answer differs from the recorded one
KNOWN = {("storage--storagebucketbasic.http.log", 5): "prefixes of folders created outside the recorded traffic"}


def compare(expected_status: int, expected, status: int, got) -> list[str]:
    problems = []
    if status != expected_status:
        problems.append(f"status {status} != {expected_status}")
    if isinstance(expected, dict) and "error" in expected:
        if golden.error_view(got) != golden.error_view(expected):
            problems.append(f"error {golden.error_view(got)} != {golden.error_view(expected)}")
    elif golden.json_shape(got) != golden.json_shape(expected):
        problems.append(f"shape {json.dumps(golden.json_shape(got))} != {json.dumps(golden.json_shape(expected))}")
    return problems


def replay(base: str, name: str, exchanges: list[golden.Exchange]) -> tuple[int, int, list[str], list[str]]:
    """(matching, total, unexpected mismatches, known divergences seen)."""
    values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8],
              "projectNumber": "123456789012", "kccVersion": "0.0.0"}

    def fill(s: str) -> str:
        for key, value in values.items():
            s = s.replace("${" + key + "}", value)
        return s

    matching = total = 0
    unexpected, known = [], []
    for n, ex in enumerate(exchanges):
        method, url, body, want_status, want_text = ex.method, ex.url, ex.body, ex.status, ex.response_text
        m = _STORAGE_URL.match(url)
        if not m:
            continue
        total += 1
        status, got = golden.call(method, base + fill(m.group(1)), fill(body) if body else None)
        expected = json.loads(fill(want_text)) if want_text else {}
        problems = compare(want_status, expected, status, got)
        line = f"#{n} {method} {m.group(1).split('?')[0]}: " + "; ".join(problems)
        if not problems:
            matching += 1
        elif (name, n) in KNOWN:
            known.append(f"{line} (known: {KNOWN[(name, n)]})")
        else:
            unexpected.append(line)
    return matching, total, unexpected, known


@pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"no recordings at {GOLDEN}")
def test_storage_parity(emulator, capsys):
    matching = total = 0
    unexpected: list[str] = []
    known: list[str] = []
    for path in sorted(GOLDEN.glob("storage--*.http.log")):
        m, t, u, k = replay(emulator.url, path.name, golden.parse(path))
        matching, total = matching + m, total + t
        unexpected += [f"{path.name} {p}" for p in u]
        known += [f"{path.name} {p}" for p in k]
    if total == 0:
        pytest.skip("no storage recordings found")
    with capsys.disabled():
        print(f"\nStorage parity: {matching}/{total} recorded exchanges match")
        for line in known:
            print("  known divergence:", line)
        for line in unexpected:
            print("  mismatch:", line)
    assert not unexpected, "\n".join(unexpected)
    assert matching == total - len(known)
    assert matching >= 6  # the figure when this test was written: 6/7


def test_shape_normalisation():
    assert golden.json_shape({"b": [{"x": 1}, {"y": "s"}], "a": True}) == {"a": "bool", "b": [{"x": "number", "y": "string"}]}
    assert compare(404, {"error": {"code": 404, "message": "m", "errors": [{"reason": "notFound"}]}}, 404,
                   {"error": {"code": 404, "message": "m", "errors": [{"reason": "notFound"}]}}) == []
    assert compare(200, {"kind": "k"}, 200, {"kind": "k", "extra": 1})
    assert compare(200, {"metageneration": "1"}, 200, {"metageneration": 1})
