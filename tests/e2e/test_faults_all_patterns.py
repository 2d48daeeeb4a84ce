"""Faults, over every landed pattern: with the emulator answering 20 % of all requests 429, 20 % 403
rateLimitExceeded and 5 % 503 (seeded), and every new resource invisible to GETs for a while after its
create (eventual consistency), `up` converges through its retries. An exhausted quota failing an operation
(Compute's QUOTA_EXCEEDED, GKE's and App Engine's RESOURCE_EXHAUSTED) is not retried: while it is there,
`up` fails (exit 1) with one line naming the quota and its limit as each API words them, having built
everything that does not depend on it; once it is gone, the next `up` completes under the same transient
faults (a GKE cluster or node pool the failure left in ERROR is deleted and made again). Each run ends
converged (no duplicate, no orphan, nothing left to do) and `destroy deployment`, under the same faults,
leaves nothing of the deployment.

The "hide" rule applies to every create, wherever it names the new resource (body.name for Compute, Cloud
SQL, DNS and buckets; the cluster, databaseId, repositoryId, version id ... elsewhere). The Kubernetes API
of an emulated cluster gets the same error rules as an API server words them: 429 TooManyRequests for
both rate-limit faults, 503 ServiceUnavailable."""

from __future__ import annotations

from collections import Counter

import pytest
from reliability_helpers import (PATTERNS, PROJECT, REGION, SOAK, ZONE, Case, Lab, assert_converged, case_ids,
                                 destroy_leaves_nothing, lab_target)

LIMIT = 8.0


def transient(case: Case) -> list[dict]:
    return [
        {"probability": 0.2, "error": 429},
        {"probability": 0.2, "error": {"status": 403, "reason": "rateLimitExceeded"}},
        {"probability": 0.05, "error": 503},
        {"http_method": "POST", "hide": case.hide_s},  # every create: GETs of it answer 404 for a while
    ]


def quota_rule(case: Case) -> dict:
    return {"method_id": case.quota["method_id"], "operation_error": "QUOTA_EXCEEDED",
            "quota": case.quota["quota"], "region": case.quota["region"], "limit": LIMIT,
            "needed": case.quota.get("needed", 1)}


def quota_error(case: Case) -> tuple[str, str]:
    """(code, message) of the failed operation, as each API words an exhausted quota: Compute Engine's
    operation error (see the recorded traffic in gcp-golden), GKE's and App Engine's google.rpc
    RESOURCE_EXHAUSTED (nothing in use is free: used = limit)."""
    api, quota, needed = case.quota["method_id"].split(".", 1)[0], case.quota["quota"], case.quota.get("needed", 1)
    if api == "container":
        return "RESOURCE_EXHAUSTED", (
            f'Insufficient regional quota to satisfy request: resource "{quota}": request requires '
            f"'{float(needed)}' and is short '{float(needed)}'. project has a quota of '{LIMIT}' with '0.0' "
            f"available. View and manage quotas at https://console.cloud.google.com/iam-admin/quotas?usage=USED"
            f"&project={PROJECT}.")
    if api == "appengine":
        return "RESOURCE_EXHAUSTED", (f"The following quotas were exceeded: {quota} (quota: {LIMIT:g}, used: "
                                      f"{LIMIT:g} + needed: {needed:g}).")
    return "QUOTA_EXCEEDED", f"Quota '{quota}' exceeded.  Limit: {LIMIT} in region {case.quota['region']}."


def faulted(calls: list[dict]) -> Counter:
    return Counter(c["status"] for c in calls if c["status"] in (429, 403, 503))


@pytest.mark.parametrize("case", PATTERNS, ids=case_ids(PATTERNS))
def test_transient_faults_are_ridden_out_and_a_quota_is_named(case, tmp_path, monkeypatch, record_property):
    lab = Lab(tmp_path, monkeypatch, time_scale=case.time_scale)
    try:
        if case.setup:
            case.setup(lab)  # what the pattern starts from is built without faults
        mark = lab.emu.mark()
        for seed in range(SOAK):
            lab.set_faults({"seed": f"{case.pattern}:{seed}", "rules": [*transient(case), quota_rule(case)]})
            for _ in range(2):  # the quota is permanent: failing again the same way, never retried blindly
                failed = lab.invoke(case.args(), expect=1)
                code, message = quota_error(case)
                causes = [line for line in failed.output.splitlines() if code in line and line.startswith("error:")]
                assert len(causes) == 1 and causes[0].endswith(f"{code}: {message}"), failed.output
                assert "run `gcpkit up" in failed.output
            lab.set_faults({"seed": f"{case.pattern}:{seed}:after", "rules": transient(case)})  # quota raised
            lab.invoke(case.args(), expect=0)
            assert_converged(lab, case)
            destroy_leaves_nothing(lab, case)
        calls = lab.emu.since(mark)
        counts = faulted(calls)
        hidden = sum(f.hidden_served for f in lab.fault_sets)
        kube = sum(faulted([c for c in calls if c["api"] == "kubernetes"]).values())
        assert counts[429] and counts[403] and counts[503] and hidden, (counts, hidden)
        assert kube or case.pattern != "gke-datastore", "no fault reached the cluster's Kubernetes API"
        record_property("figure", f"faults {case.pattern}: {sum(counts.values())} of {len(calls)} requests faulted "
                                  f"(429: {counts[429]}, 403 rateLimitExceeded: {counts[403]}, 503: {counts[503]}"
                                  f"{f'; {kube} on the Kubernetes API' if kube else ''}), "
                                  f"{hidden} GETs answered 404 in a consistency window; "
                                  f"{SOAK}/{SOAK} run(s) converged and destroyed, {2 * SOAK} run(s) stopped by "
                                  f"{quota_error(case)[0]} named the quota")
    finally:
        lab.stop()


def test_a_gke_cluster_whose_creation_failed_on_a_quota_is_made_again(tmp_path, monkeypatch):
    """GKE leaves a cluster whose creation failed in ERROR, and it cannot be repaired: once the quota is
    raised, the next `up` meets it (409 on create), deletes it and creates it again, then goes on."""
    case = next(c for c in PATTERNS if c.pattern == "gke-datastore")
    quota = {**case.quota, "method_id": "container.projects.locations.clusters.create"}
    lab = Lab(tmp_path, monkeypatch, time_scale=case.time_scale,
              faults={"rules": [quota_rule(Case(case.pattern, quota=quota))]})
    try:
        failed = lab.invoke(case.args(), expect=1)
        code, message = quota_error(Case(case.pattern, quota=quota))
        assert f"error: gke-datastore-gke: GKE CREATE_CLUSTER of cluster gke-datastore-gke failed: {code}: {message}" \
            in failed.output.splitlines(), failed.output
        lab.set_faults(None)
        mark = lab.emu.mark()
        lab.invoke(case.args(), expect=0)
        cluster_calls = [f"{c['method']} {c['status']}" for c in lab.emu.since(mark)
                         if c["path"].endswith("/clusters/gke-datastore-gke") and c["method"] != "GET"
                         or c["path"].endswith("/clusters") and c["method"] == "POST"]
        assert cluster_calls == ["POST 409", "DELETE 200", "POST 200"], cluster_calls
        assert_converged(lab, case)
        destroy_leaves_nothing(lab, case)
    finally:
        lab.stop()


def test_grants_wait_for_a_service_account_iam_does_not_know_yet(tmp_path, monkeypatch, record_property):
    """A new service account can stay unknown to IAM policies for a while (400 "Service account X does not
    exist."), even once it can be read: gcpkit's grant waits for it instead of failing. (A whole `up` reads
    the new account until found first, which rides out the emulator's single window before any grant.)"""
    from gcpkit.providers.base import Ctx
    from gcpkit.providers.iam import ProjectGrantProvider

    lab = Lab(tmp_path, monkeypatch, faults={"rules": [{"method_id": "iam.projects.serviceAccounts.create",
                                                         "hide": 2.0}]})
    try:
        target = lab_target(lab)
        account = target.discovery("iam", "v1").projects().serviceAccounts().create(
            name=f"projects/{PROJECT}", body={"accountId": "fresh-runner", "serviceAccount": {}}).execute()
        mark = lab.emu.mark()
        ctx = Ctx(target, "grants", {"project": PROJECT, "deployment": "grants", "region": REGION, "zone": ZONE})
        member = f"serviceAccount:{account['email']}"
        ProjectGrantProvider().create(ctx, "grant", {"role": "roles/viewer", "member": member}, "")
        calls = [c for c in lab.emu.since(mark) if c["method_id"] == "cloudresourcemanager.projects.setIamPolicy"]
        assert [c["status"] for c in calls][-1] == 200 and 400 in {c["status"] for c in calls}, calls
        policy = target.discovery("cloudresourcemanager", "v3").projects().getIamPolicy(
            resource=f"projects/{PROJECT}", body={}).execute()
        assert {"role": "roles/viewer", "members": [member]} in policy["bindings"]
        record_property("figure", f"new service account: {len(calls) - 1} grant attempt(s) refused while IAM did "
                                  "not know it yet, then granted")
    finally:
        lab.stop()
