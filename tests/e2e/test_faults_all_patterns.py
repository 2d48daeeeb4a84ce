"""Faults, over every landed pattern: with the emulator answering 20 % of all requests 429, 20 % 403
rateLimitExceeded and 5 % 503 (seeded), and every new resource invisible to GETs for a while after its
create (eventual consistency), `up` converges through its retries. A QUOTA_EXCEEDED operation failure is
not retried: while it is there, `up` fails (exit 1) with one line naming the quota, its limit and region
as GCP words them, having built everything that does not depend on it; once it is gone, the next `up`
completes under the same transient faults. Each run ends converged (no duplicate, no orphan, nothing
left to do) and `destroy deployment`, under the same faults, leaves nothing labelled."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from reliability_helpers import (PATTERNS, SOAK, Case, Lab, assert_converged, case_ids, destroy_leaves_nothing)

HIDE_S = 1.0  # a new resource answers 404 to GETs for this long after its create was accepted
LIMIT = 8.0


def transient(seed: int) -> list[dict]:
    return [
        {"probability": 0.2, "error": 429},
        {"probability": 0.2, "error": {"status": 403, "reason": "rateLimitExceeded"}},
        {"probability": 0.05, "error": 503},
        {"http_method": "POST", "hide": HIDE_S},  # every create with a name in its body
    ]


def quota_rule(case: Case) -> dict:
    return {"method_id": case.quota["method_id"], "operation_error": "QUOTA_EXCEEDED",
            "quota": case.quota["quota"], "region": case.quota["region"], "limit": LIMIT}


def quota_message(case: Case) -> str:
    """How Compute Engine words the operation error (see the recorded traffic in gcp-golden)."""
    return f"Quota '{case.quota['quota']}' exceeded.  Limit: {LIMIT} in region {case.quota['region']}."


def faulted(calls: list[dict]) -> Counter:
    return Counter(c["status"] for c in calls if c["status"] in (429, 403, 503))


@pytest.mark.parametrize("case", PATTERNS, ids=case_ids(PATTERNS))
def test_transient_faults_are_ridden_out_and_a_quota_is_named(case, tmp_path, monkeypatch, record_property):
    lab = Lab(tmp_path, monkeypatch)
    try:
        if case.setup:
            case.setup(lab)  # what the pattern starts from is built without faults
        mark = lab.emu.mark()
        for seed in range(SOAK):
            lab.set_faults({"seed": f"{case.pattern}:{seed}", "rules": [*transient(seed), quota_rule(case)]})
            for _ in range(2):  # the quota is permanent: failing again the same way, never retried blindly
                t0 = time.time()
                failed = lab.invoke(case.args(), expect=1)
                print("failed run", time.time() - t0)
                causes = [line for line in failed.output.splitlines() if "QUOTA_EXCEEDED" in line
                          and line.startswith("error:")]
                assert len(causes) == 1 and causes[0].endswith(quota_message(case)), failed.output
                assert "run `gcpkit up" in failed.output
            lab.set_faults({"seed": f"{case.pattern}:{seed}:after", "rules": transient(seed)})  # quota raised
            t0 = time.time()
            lab.invoke(case.args(), expect=0)
            print("ok run", time.time() - t0)
            t0 = time.time()
            assert_converged(lab, case)
            print("converged", time.time() - t0)
            t0 = time.time()
            destroy_leaves_nothing(lab, case)
            print("destroy", time.time() - t0)
        calls = lab.emu.since(mark)
        counts = faulted(calls)
        hidden = sum(1 for c in calls if c["method"] == "GET" and c["status"] == 404)
        assert counts[429] and counts[403] and counts[503] and hidden, (counts, hidden)
        record_property("figure", f"faults {case.pattern}: {sum(counts.values())} of {len(calls)} requests faulted "
                                  f"(429: {counts[429]}, 403 rateLimitExceeded: {counts[403]}, 503: {counts[503]}), "
                                  f"{hidden} GETs answered 404 in a consistency window; "
                                  f"{SOAK}/{SOAK} run(s) converged and destroyed, {2 * SOAK} run(s) stopped by "
                                  "QUOTA_EXCEEDED named the quota")
    finally:
        lab.stop()
