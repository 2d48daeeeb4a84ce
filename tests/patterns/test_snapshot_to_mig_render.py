"""The snapshot-to-mig pattern: its render against the saved expected output, the graph that makes its
steps run in parallel where they can and tear down in the order Google requires, its parameter checks,
and the refs into the source VM's convenience fields.

To accept a deliberate change of the render: GCPKIT_UPDATE_EXPECTED=1 pytest tests/patterns, then
review the diff of tests/patterns/expected/snapshot-to-mig.yaml.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.patterns.loader import find_pattern
from gcpkit.patterns.render import render
from gcpkit.patterns.schema import resolve_params
from gcpkit.planning.graph import build_graph, critical_path, reversed_graph
from gcpkit.planning.validate import validate
from gcpkit.providers.registry import provider_for, type_names
from gcpkit.providers.source_instance import conveniences

ENV = {"project": "demo", "deployment": "web", "region": "us-central1", "zone": "us-central1-a"}
CASES = {
    "default": ["source_instance=vm-1"],
    "domain-host-rules-no-restart": [
        "source_instance=vm-1", "source_zone=europe-west1-b", "domain=example.com", "restart=false",
        "min_replicas=3", "max_replicas=10", "target_size=4", "target_cpu=0.75", "cooldown_sec=120", "port=8080",
        "health_path=/healthz",
        'host_rules=["api.example.com=/v1:web", "api.example.com=/v2/:web", "static.example.com=/:web"]'],
}
EXPECTED = Path(__file__).parent / "expected" / "snapshot-to-mig.yaml"


def render_case(sets, env=ENV):
    pattern = find_pattern("snapshot-to-mig")
    params = resolve_params(pattern, sets, None)
    return params, render(pattern, params, env)


def as_doc(params, config) -> dict:
    return {"params": params,
            "resources": [{"name": r.name, "type": r.type, "depends_on": r.depends_on, "properties": r.properties}
                          for r in config.resources],
            "outputs": config.outputs}


@pytest.fixture(scope="module")
def renders():
    return {case: render_case(sets) for case, sets in CASES.items()}


def test_render_matches_expected(renders):
    got = {case: as_doc(*r) for case, r in renders.items()}
    if os.environ.get("GCPKIT_UPDATE_EXPECTED"):
        EXPECTED.write_text("# Saved render of patterns/snapshot-to-mig "
                            "(tests/patterns/test_snapshot_to_mig_render.py).\n"
                            f"# env: {json.dumps(ENV)}\n" + yaml.safe_dump(got, sort_keys=False, width=120))
    expected = yaml.safe_load(EXPECTED.read_text())
    assert set(expected) == set(CASES)
    for case in CASES:
        assert got[case] == expected[case], f"render of case {case!r} changed; see the module docstring"


def test_validates_with_the_real_providers(renders):
    known = {t: None for t in type_names()}
    for _, config in renders.values():
        validate(config, known_types=known, fields_of=lambda t: provider_for(t).fields())
        for spec in config.resources:
            provider_for(spec.type).check_properties(spec.name, spec.properties)


def test_graph_runs_independent_steps_at_once_and_the_restart_after_the_snapshot(renders):
    graph = build_graph(renders["default"][1])
    roots = {n for n, deps in graph.items() if not deps}
    assert roots == {"web-source", "web-hc", "web-ip"}
    assert graph["web-snapshot"] == {"web-source"}
    assert graph["web-restart"] == {"web-source", "web-snapshot"}
    assert graph["web-image"] == {"web-snapshot"}
    assert graph["web-template"] == {"web-source", "web-image"}
    assert graph["web-mig"] == {"web-template"}
    assert graph["web-autoscaler"] == {"web-mig"}
    assert graph["web-allow-health-checks"] == {"web-source"}
    assert graph["web-backend"] == {"web-hc", "web-mig"}
    assert graph["web-url-map"] == {"web-backend"}
    assert graph["web-http-proxy"] == {"web-url-map"}
    assert graph["web-http-rule"] == {"web-http-proxy", "web-ip"}
    big = build_graph(renders["domain-host-rules-no-restart"][1])
    assert "web-restart" not in big
    assert big["web-dns-apex"] == big["web-dns-www"] == {"web-zone", "web-ip"}
    assert big["web-zone"] == set()


def test_teardown_order_is_what_google_requires(renders):
    """Destroy walks the reversed graph: a resource is deleted only after everything using it."""
    down = reversed_graph(build_graph(renders["domain-host-rules-no-restart"][1]))
    chain = ["web-http-rule", "web-http-proxy", "web-url-map", "web-backend", "web-mig", "web-template",
             "web-image", "web-snapshot"]
    for user, used in zip(chain, chain[1:]):
        assert user in down[used], (user, used)
    assert "web-autoscaler" in down["web-mig"] and "web-backend" in down["web-hc"]
    assert {"web-dns-apex", "web-dns-www"} <= down["web-zone"]


def test_critical_path_is_the_vm_to_load_balancer_chain(renders):
    durations = {name: 1.0 for name in build_graph(renders["default"][1])}
    length, path = critical_path(build_graph(renders["default"][1]), durations)
    assert path == ["web-source", "web-snapshot", "web-image", "web-template", "web-mig", "web-backend",
                    "web-url-map", "web-http-proxy", "web-http-rule"]
    assert length == 9.0


def test_host_rules_become_one_path_matcher_per_host(renders):
    url_map = renders["domain-host-rules-no-restart"][1].get("web-url-map").properties
    backend = "$(ref.web-backend.selfLink)"
    assert url_map["defaultService"] == backend
    assert url_map["hostRules"] == [{"hosts": ["api.example.com"], "pathMatcher": "host-1"},
                                    {"hosts": ["static.example.com"], "pathMatcher": "host-2"}]
    assert url_map["pathMatchers"] == [
        {"name": "host-1", "defaultService": backend,
         "pathRules": [{"paths": ["/v1", "/v1/*"], "service": backend},
                       {"paths": ["/v2", "/v2/*"], "service": backend}]},
        {"name": "host-2", "defaultService": backend, "pathRules": [{"paths": ["/*"], "service": backend}]}]
    assert "hostRules" not in renders["default"][1].get("web-url-map").properties


def test_region_follows_the_source_zone(renders):
    config = renders["domain-host-rules-no-restart"][1]
    assert config.get("web-source").properties["zone"] == "europe-west1-b"
    assert config.get("web-mig").properties["region"] == "europe-west1"
    assert config.get("web-autoscaler").properties["region"] == "europe-west1"
    assert config.get("web-snapshot").properties["storageLocations"] == ["europe-west1"]


def test_defaults(renders):
    params, config = renders["default"]
    assert config.get("web-mig").properties["targetSize"] == 2
    policy = config.get("web-autoscaler").properties["autoscalingPolicy"]
    assert policy == {"minNumReplicas": 2, "maxNumReplicas": 5, "coolDownPeriodSec": 60,
                      "cpuUtilization": {"utilizationTarget": 0.6}}
    fw = config.get("web-allow-health-checks").properties
    assert fw["sourceRanges"] == ["35.191.0.0/16", "130.211.0.0/22"] and fw["targetTags"] == ["web-lb-backend"]
    assert config.get("web-source").properties == {"instance": "vm-1", "zone": "us-central1-a", "stop": True,
                                                   "extraTags": ["web-lb-backend"]}
    assert [o["name"] for o in config.outputs] == ["lb-ip", "lb-url", "instance-group", "instance-group-region",
                                                   "image"]


@pytest.mark.parametrize("sets, message", [
    (["source_instance=vm-1", "min_replicas=5", "max_replicas=2"], "max_replicas (2) is below min_replicas (5)"),
    (["source_instance=vm-1", "target_size=1"], "target_size (1) must be between min_replicas (2) and "
                                                "max_replicas (5)"),
    (["source_instance=vm-1", "host_rules=a.example.com"], 'host_rules: "a.example.com" is not '
                                                            "HOST=PATH_PREFIX:BACKEND (e.g. api.example.com=/v1:web)"),
    (["source_instance=vm-1", "host_rules=a.example.com=/x:db"], 'host_rules: "a.example.com=/x:db": unknown backend '
                                                                  '"db"; the backends are: web'),
    (["source_instance=vm-1", 'host_rules=["a.b=/x:web", "a.b=/x/:web"]'], 'host_rules: "a.b=/x/:web" repeats the '
                                                                            "path /x/ for a.b"),
])
def test_cross_parameter_errors(sets, message):
    with pytest.raises(BadInput) as info:
        render_case(sets)
    assert info.value.message.endswith(message), info.value.message


@pytest.mark.parametrize("sets, message", [
    (["source_instance=Bad"], "parameter source_instance: 'Bad' does not match the pattern"),
    (["source_instance=vm", "target_cpu=1.5"], "parameter target_cpu: 1.5 is above the maximum 1"),
    (["source_instance=vm", "domain=example.com."], "parameter domain: 'example.com.' does not match the pattern"),
    (["source_instance=vm", "health_path=healthz"], "parameter health_path: 'healthz' does not match the pattern"),
])
def test_parameter_errors(sets, message):
    with pytest.raises(BadInput) as info:
        resolve_params(find_pattern("snapshot-to-mig"), sets, None)
    assert info.value.message.startswith(message), info.value.message


def test_source_vm_conveniences_are_what_a_template_takes():
    vm = {"machineType": "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-a/machineTypes/e2-small",
          "disks": [{"boot": False, "source": "data"}, {"boot": True, "source": "boot-disk"}],
          "metadata": {"kind": "compute#metadata", "fingerprint": "x", "items": [{"key": "startup-script",
                                                                                   "value": "echo"}]},
          "tags": {"items": ["http-server", "web-lb-backend"], "fingerprint": "y"},
          "serviceAccounts": [{"email": "sa@p.iam.gserviceaccount.com", "scopes": ["s"]}],
          "networkInterfaces": [{"network": "n", "subnetwork": "s", "networkIP": "10.0.0.2",
                                 "accessConfigs": [{"natIP": "34.1.1.1", "networkTier": "STANDARD"}]}]}
    got = conveniences(vm, {"extraTags": ["web-lb-backend"]})
    assert got == {
        "machineTypeName": "e2-small", "bootDisk": "boot-disk",
        "templateMetadata": {"items": [{"key": "startup-script", "value": "echo"}]},
        "templateServiceAccounts": [{"email": "sa@p.iam.gserviceaccount.com", "scopes": ["s"]}],
        "templateTags": {"items": ["http-server", "web-lb-backend"]},
        "templateNetworkInterfaces": [{"network": "n", "subnetwork": "s", "accessConfigs": [
            {"name": "External NAT", "type": "ONE_TO_ONE_NAT", "networkTier": "STANDARD"}]}]}
    bare = conveniences({"machineType": "zones/z/machineTypes/n2-standard-2", "disks": [],
                         "networkInterfaces": [{"network": "n"}]}, {})
    assert bare["templateMetadata"] == {"items": []} and bare["templateServiceAccounts"] == []
    assert bare["templateTags"] == {"items": []} and bare["bootDisk"] == ""
    assert bare["templateNetworkInterfaces"] == [{"network": "n"}]


@pytest.mark.parametrize("type_name, props, message", [
    ("gcpkit.v1.sourceInstance", {"instance": "vm", "zone": "us-central1-a", "stopp": True}, "unknown field 'stopp'"),
    ("gcpkit.v1.sourceInstance", {"instance": "$(ref.x.name)", "zone": "us-central1-a"},
     "instance must be written out, not a reference"),
    ("gcpkit.v1.sourceInstance", {"instance": "vm", "zone": "us-central1-a", "stop": "yes"}, "stop must be a bool"),
    ("gcpkit.v1.instanceStart", {"zone": "us-central1-a"}, "instance is required"),
    ("dns.v1.managedZone", {"dnsName": "example.com"}, "dnsName must be an absolute DNS name ending with a dot"),
    ("dns.v1.managedZone", {"dnsName": "example.com.", "dnsname": "x"},
     "dns.v1.managedZone has no property 'dnsname' (did you mean 'dnsName'?)"),
    ("dns.v1.managedZone", {"dnsName": "example.com.", "nameServers": []}, "nameServers is set by Cloud DNS"),
    ("dns.v1.resourceRecordSet", {"managedZone": "z", "name": "a.example.com.", "type": "A", "rrdata": ["1.2.3.4"]},
     "dns.v1.resourceRecordSet has no property 'rrdata' (did you mean 'rrdatas'?)"),
    ("dns.v1.resourceRecordSet", {"managedZone": "$(ref.z.name)", "name": "a.example.com.", "type": "A",
                                  "rrdatas": ["1.2.3.4"]}, "managedZone must be written out, not a reference"),
    ("dns.v1.resourceRecordSet", {"managedZone": "z", "name": "a.example.com.", "type": "A", "rrdatas": []},
     "rrdatas must be a non-empty list"),
    ("dns.v1.resourceRecordSet", {"managedZone": "z", "name": "a.example.com.", "type": "A", "rrdatas": ["1.2.3.4"],
                                  "ttl": "300"}, "ttl must be a number of seconds"),
])
def test_provider_property_checks(type_name, props, message):
    with pytest.raises(BadInput) as info:
        provider_for(type_name).check_properties("x", props)
    assert message in info.value.message and info.value.message.startswith("resource x: "), info.value.message
    assert type_name in info.value.message
