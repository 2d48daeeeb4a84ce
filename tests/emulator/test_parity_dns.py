"""Parity with real Cloud DNS: replay the recorded traffic of ../shared/gcp-golden (dns--*.http.log)
against the emulator over HTTP and compare normalised shapes: status codes, key sets (recursively,
with JSON value types), and for errors the reasons and messages.

Recorded v1beta2 calls are replayed on v1 (the emulator serves v1; the two versions' managed zone
shapes are the same for these calls). Exchanges with other APIs (compute) are left to their tests.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.emulator import golden

GOLDEN = golden.GOLDEN_DIR
RECORDINGS = ("dns--dnsmanagedzone.http.log", "dns--dnsrecordset.http.log")
_DNS_URL = re.compile(r"^https://dns\.googleapis\.com/dns/(v1|v1beta2)/(.*)$")


def compare(expected_status: int, expected: dict, status: int, got: dict) -> list[str]:
    problems = []
    if status != expected_status:
        problems.append(f"status {status} != {expected_status}")
    if "error" in expected:
        if golden.error_view(got) != golden.error_view(expected):
            problems.append(f"error {golden.error_view(got)} != {golden.error_view(expected)}")
    elif golden.json_shape(got) != golden.json_shape(expected):
        problems.append(f"shape {json.dumps(golden.json_shape(got))} != {json.dumps(golden.json_shape(expected))}")
    return problems


def replay(base: str, exchanges: list[golden.Exchange], values: dict[str, str]) -> tuple[int, int, list[str]]:
    matching, total, mismatches = 0, 0, []

    def fill(text: str) -> str:
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
        return text

    for n, ex in enumerate(exchanges):
        m = _DNS_URL.match(ex.url)
        if not m:
            continue
        total += 1
        url = f"{base}/dns/dns/v1/{fill(m.group(2))}"
        status, got = golden.call(ex.method, url, fill(ex.body) if ex.body else None)
        expected = json.loads(fill(json.dumps(ex.response))) if ex.response is not None else {}
        if ex.method == "POST" and url.split("?")[0].endswith("/changes") and "id" in got:
            values["changeId"] = got["id"]  # the recording's ${changeId} is the id this POST returned
        problems = compare(ex.status, expected, status, got)
        if problems:
            mismatches.append(f"#{n} {ex.method} {m.group(2).split('?')[0]}: " + "; ".join(problems))
        else:
            matching += 1
    return matching, total, mismatches


@pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"no recordings at {GOLDEN}")
def test_dns_parity(emulator, capsys):
    matching = total = 0
    mismatches: list[str] = []
    for name in RECORDINGS:
        path = GOLDEN / name
        if not path.is_file():
            continue
        values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8],
                  "networkID": "computenetwork-parity", "managedZoneId": "0", "changeId": "0"}
        m, t, problems = replay(emulator.url, golden.parse(path), values)
        matching, total = matching + m, total + t
        mismatches += [f"{name} {p}" for p in problems]
    if total == 0:
        pytest.skip("no DNS recordings found")
    with capsys.disabled():
        print(f"\nDNS parity: {matching}/{total} recorded exchanges match")
        for problem in mismatches:
            print("  mismatch:", problem)
    assert matching == total, "\n".join(mismatches)


def test_shape_normalisation():
    assert golden.json_shape({"b": [{"x": 1}, {"y": "s"}], "a": True}) == {"a": "bool", "b": [{"x": "number", "y": "string"}]}
    assert compare(404, {"error": {"code": 404, "errors": [{"reason": "notFound"}]}}, 404,
                   {"error": {"code": 404, "errors": [{"reason": "notFound"}]}}) == []
    assert compare(200, {"kind": "k", "id": "1"}, 200, {"kind": "k", "id": "1", "extra": 1})  # extra key
    assert compare(200, {"ttl": 300}, 200, {"ttl": "300"})  # type
    assert compare(404, {"error": {"code": 404, "errors": [{"reason": "notFound"}]}}, 409,
                   {"error": {"code": 409, "errors": [{"reason": "alreadyExists"}]}})
