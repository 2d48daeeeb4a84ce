"""Fault injection: each action over HTTP, seeded repeatability, Nth call, bounded firing, bad files."""

from __future__ import annotations

import json
import time

import pytest
import requests

from gcpkit.emulator.core.errors import ConfigError
from gcpkit.emulator.core.faults import Faults
from gcpkit.emulator.core.registry import HANDLERS

GET = "compute.interconnects.get"
INSERT = "compute.interconnects.insert"
COLLECTION = "/compute/v1/projects/p/global/interconnects"


@pytest.fixture(autouse=True)
def fake_interconnects(monkeypatch):
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect",
                                                         "name": req.params["interconnect"]})
    monkeypatch.setitem(HANDLERS, INSERT, lambda ctx, req: {"kind": "compute#operation", "name": "op",
                                                            "status": "DONE"})


@pytest.mark.parametrize("status, reason", [(429, "rateLimitExceeded"), (403, "rateLimitExceeded"),
                                            (500, "backendError"), (503, "backendError")])
def test_error_action_answers_in_google_format(make_emulator, status, reason):
    server = make_emulator(faults={"rules": [{"method_id": GET, "error": status}]})
    r = requests.get(f"{server.url}{COLLECTION}/x")
    assert r.status_code == status
    err = r.json()["error"]
    assert err["code"] == status and err["errors"][0]["reason"] == reason


def test_error_matches_by_path_glob_and_http_method(make_emulator):
    server = make_emulator(faults={"rules": [{"http_method": "POST", "path": "/compute/v1/projects/*/global/*",
                                              "error": 503}]})
    assert requests.get(f"{server.url}{COLLECTION}/x").status_code == 200
    assert requests.post(f"{server.url}{COLLECTION}", json={"name": "a"}).status_code == 503
    assert requests.post(f"{server.url}/compute/v1/projects/p/regions/r/addresses",
                         json={"name": "a"}).status_code != 503


def test_nth_call_and_times(make_emulator):
    server = make_emulator(faults={"rules": [{"method_id": GET, "nth": 3, "times": 2, "error": 429}]})
    codes = [requests.get(f"{server.url}{COLLECTION}/x").status_code for _ in range(6)]
    assert codes == [200, 200, 429, 429, 200, 200]


def test_probability_is_repeatable_with_a_seed(make_emulator):
    rules = {"seed": 7, "rules": [{"method_id": GET, "probability": 0.5, "error": 503}]}
    runs = []
    for _ in range(2):
        server = make_emulator(faults=rules)
        runs.append([requests.get(f"{server.url}{COLLECTION}/x").status_code for _ in range(40)])
    assert runs[0] == runs[1]
    assert 5 < runs[0].count(503) < 35
    other = make_emulator(faults={"seed": 8, "rules": rules["rules"]})
    assert [requests.get(f"{other.url}{COLLECTION}/x").status_code for _ in range(40)] != runs[0]


def test_latency_action_delays_the_answer(make_emulator):
    server = make_emulator(faults={"rules": [{"method_id": GET, "latency": 0.4}]})
    started = time.monotonic()
    assert requests.get(f"{server.url}{COLLECTION}/x").status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    requests.post(f"{server.url}{COLLECTION}", json={"name": "a"})
    assert time.monotonic() - started < 0.3


def test_hide_window_makes_a_new_resource_404_then_visible(make_emulator):
    server = make_emulator(faults={"rules": [{"method_id": INSERT, "hide": 0.6}]})
    assert requests.post(f"{server.url}{COLLECTION}", json={"name": "fresh"}).status_code == 200
    r = requests.get(f"{server.url}{COLLECTION}/fresh")
    assert r.status_code == 404
    assert r.json()["error"]["errors"][0] == {
        "message": "The resource 'projects/p/global/interconnects/fresh' was not found", "domain": "global",
        "reason": "notFound"}
    assert requests.get(f"{server.url}{COLLECTION}/other").status_code == 200
    time.sleep(0.7)
    assert requests.get(f"{server.url}{COLLECTION}/fresh").status_code == 200


def test_operation_error_for_services():
    faults = Faults({"rules": [
        {"method_id": "compute.instances.insert", "operation_error": "QUOTA_EXCEEDED", "quota": "CPUS", "limit": 8},
        {"method_id": "compute.disks.insert", "nth": 2, "operation_error": "ZONE_RESOURCE_POOL_EXHAUSTED"},
        {"method_id": "compute.networks.insert", "operation_error": {"code": "RESOURCE_IN_USE", "message": "busy"}},
    ]})
    path = "/compute/v1/projects/p/zones/us-central1-a/instances"
    assert faults.operation_error("compute", "compute.instances.insert", path) == {
        "code": "QUOTA_EXCEEDED", "message": "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1."}
    disks = "/compute/v1/projects/p/zones/europe-west1-b/disks"
    assert faults.operation_error("compute", "compute.disks.insert", disks) is None
    second = faults.operation_error("compute", "compute.disks.insert", disks)
    assert second["code"] == "ZONE_RESOURCE_POOL_EXHAUSTED"
    assert "'projects/p/zones/europe-west1-b'" in second["message"]
    assert faults.operation_error("compute", "compute.disks.insert", disks) is None  # nth fires once
    assert faults.operation_error("compute", "compute.networks.insert", "/x") == {"code": "RESOURCE_IN_USE",
                                                                                  "message": "busy"}
    # request-time hooks never fire operation errors
    assert faults.before("compute", "POST", "compute.instances.insert", path) == (None, 0.0, 0.0)


def test_operation_error_fails_a_compute_insert(make_emulator, anonymous_credentials):
    """Through the compute service, if it has landed: the operation fails and no instance exists."""
    if "compute.instances.insert" not in HANDLERS:
        pytest.skip("the compute service does not handle instances.insert yet")
    from google.api_core.client_options import ClientOptions
    from google.cloud import compute_v1

    server = make_emulator(faults={"rules": [{"method_id": "compute.instances.insert",
                                              "operation_error": "QUOTA_EXCEEDED"}]})
    opts = ClientOptions(api_endpoint=server.url)
    instances = compute_v1.InstancesClient(credentials=anonymous_credentials, client_options=opts)
    ops = compute_v1.ZoneOperationsClient(credentials=anonymous_credentials, client_options=opts)
    zone = "us-central1-a"
    body = compute_v1.Instance(name="vm-1", machine_type=f"zones/{zone}/machineTypes/e2-small", disks=[
        compute_v1.AttachedDisk(boot=True, auto_delete=True, initialize_params=compute_v1.AttachedDiskInitializeParams(
            source_image="projects/debian-cloud/global/images/family/debian-12"))],
        network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")])
    op = instances.insert(project="p", zone=zone, instance_resource=body)
    deadline = time.monotonic() + 10
    while True:
        cur = ops.wait(project="p", zone=zone, operation=op.name)
        if cur.status == compute_v1.Operation.Status.DONE or time.monotonic() > deadline:
            break
    assert cur.error.errors[0].code == "QUOTA_EXCEEDED"
    assert "Quota 'CPUS' exceeded." in cur.error.errors[0].message
    assert requests.get(f"{server.url}/compute/v1/projects/p/zones/{zone}/instances/vm-1").status_code == 404


def test_reset_replays_the_same_faults(make_emulator):
    server = make_emulator(faults={"seed": 3, "rules": [{"method_id": GET, "probability": 0.5, "error": 503}]})
    first = [requests.get(f"{server.url}{COLLECTION}/x").status_code for _ in range(20)]
    requests.post(f"{server.url}/_emulator/reset")
    assert [requests.get(f"{server.url}{COLLECTION}/x").status_code for _ in range(20)] == first


@pytest.mark.parametrize("config, words", [
    ({"rules": [{"method_id": GET}]}, "exactly one action"),
    ({"rules": [{"error": 418}]}, "429, 403, 500, 503"),
    ({"rules": [{"latency": -1}]}, "latency"),
    ({"rules": [{"error": 429, "probability": 2}]}, "probability"),
    ({"rules": [{"error": 429, "nth": 0}]}, "nth"),
    ({"rules": [{"error": 429, "colour": "red"}]}, "unknown key"),
    ({"rules": [{"operation_error": "quota please"}]}, "GCP error code"),
    ({"rules": "nope"}, "'rules' must be a list"),
    ({"seeds": 1}, "unknown top-level"),
])
def test_malformed_rules_raise_a_clear_error(config, words):
    with pytest.raises(ConfigError, match=words):
        Faults(config)


def test_faults_file_yaml_json_and_errors(tmp_path):
    yml = tmp_path / "faults.yaml"
    yml.write_text("seed: 1\nrules:\n  - method_id: compute.networks.get\n    error: 429\n")
    assert Faults.load(yml).rules[0].value == 429
    js = tmp_path / "faults.json"
    js.write_text(json.dumps({"rules": [{"latency": 1}]}))
    assert Faults.load(js).rules[0].action == "latency"
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML") as e:
        Faults.load(bad)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="cannot read"):
        Faults.load(tmp_path / "missing.yaml")
