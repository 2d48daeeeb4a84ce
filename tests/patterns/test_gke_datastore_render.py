"""The gke-datastore pattern: its renders against the saved expected output, the shape of its graph (nothing
waits for the cluster without needing it; the Kubernetes objects wait for it), the identity chain (KSA ->
Workload Identity -> Google service account -> roles/datastore.user, no key), the rules that hold the
manifests together, what a new image changes (the Deployment's spec, nothing else), and the parameter
checks made before any call.

To accept a deliberate change of a render: GCPKIT_UPDATE_EXPECTED=1 pytest tests/patterns, then review
the diff of tests/patterns/expected/gke-datastore.yaml.
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
from gcpkit.planning.graph import build_graph
from gcpkit.planning.plan import changed_fields
from gcpkit.providers.registry import provider_for
from tests.patterns.render_helpers import ancestors, check

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}
CASES = {
    "default": [],
    "ingress-regional": ["exposure=ingress", "location=europe-west1", "release_channel=STABLE",
                         "machine_type=n2-standard-4", "node_count=2", "min_nodes=2", "max_nodes=10",
                         "replicas=6", "max_surge=2", "max_unavailable=1", "container_port=9000",
                         "health_path=/healthz", "database_location=eur3", "database_delete_protection=false",
                         "namespace=shop", "app_name=store", "image=europe-west1-docker.pkg.dev/demo/demo-images/store:2.1"],
}
EXPECTED = Path(__file__).parent / "expected" / "gke-datastore.yaml"
K8S = {"k8s.v1.namespace", "k8s.v1.serviceAccount", "k8s.apps.v1.deployment", "k8s.v1.service",
       "k8s.networking.v1.ingress"}


def render_case(sets, env=ENV):
    pattern = find_pattern("gke-datastore")
    params = resolve_params(pattern, sets, None)
    return params, render(pattern, params, env)




class _Dumper(yaml.SafeDumper):
    pass


@pytest.fixture(scope="module")
def renders():
    return {case: render_case(sets) for case, sets in CASES.items()}


def test_render_matches_expected(renders):
    got = {case: {"params": params,
                  "resources": [{"name": r.name, "type": r.type, "depends_on": r.depends_on,
                                 "properties": r.properties} for r in config.resources],
                  "outputs": config.outputs} for case, (params, config) in renders.items()}
    if os.environ.get("GCPKIT_UPDATE_EXPECTED"):
        EXPECTED.write_text("# Saved render of patterns/gke-datastore (tests/patterns/test_gke_datastore_render.py).\n"
                            f"# env: {json.dumps(ENV)}\n"
                            + yaml.dump(got, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True))
    expected = yaml.safe_load(EXPECTED.read_text())
    assert set(expected) == set(CASES)
    for case in CASES:
        assert got[case] == expected[case], f"render of case {case!r} changed; see the module docstring"


def test_all_cases_pass_the_checks_made_before_any_call(renders):
    for _, config in renders.values():
        check(config)


def test_nothing_waits_for_the_cluster_without_needing_it(renders):
    """A real cluster takes minutes: the database, the repository and the identity are made beside it."""
    _, config = renders["default"]
    graph = build_graph(config)
    for name in ("demo-datastore", "demo-images", "demo-app-sa", "demo-iam-datastore-user"):
        assert "demo-gke" not in ancestors(graph, name) | {name}, name
    assert graph["demo-gke"] == set() and graph["demo-nodes"] == {"demo-gke"}
    # the workload pool PROJECT.svc.id.goog exists only once a cluster with Workload Identity does
    assert graph["demo-workload-identity"] == {"demo-app-sa", "demo-gke"}
    for r in config.resources:
        if r.type in K8S:
            assert "demo-gke" in ancestors(graph, r.name), r.name
    # pods need nodes, their identity and their database; the Service (and its external IP) does not
    # wait for the pods
    assert graph["demo-deployment"] == {"demo-ksa", "demo-nodes", "demo-workload-identity",
                                        "demo-iam-datastore-user", "demo-datastore"}
    assert graph["demo-service"] == {"demo-namespace"}
    ingress = build_graph(renders["ingress-regional"][1])
    assert ingress["demo-ingress"] == {"demo-service"}


def test_cluster_and_node_pool(renders):
    _, config = renders["default"]
    cluster = config.get("demo-gke").properties
    assert cluster["location"] == "us-central1-a" and cluster["removeDefaultNodePool"] is True
    assert cluster["workloadIdentityConfig"] == {"workloadPool": "demo.svc.id.goog"}
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert "managed-by" not in cluster["resourceLabels"]  # the provider adds the ownership labels
    pool = config.get("demo-nodes").properties
    assert pool["cluster"] == "demo-gke" and pool["location"] == "us-central1-a"
    assert pool["autoscaling"] == {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}
    assert pool["config"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert pool["config"]["machineType"] == "e2-medium"
    _, regional = renders["ingress-regional"]
    assert regional.get("demo-gke").properties["location"] == "europe-west1"
    assert regional.get("demo-nodes").properties["initialNodeCount"] == 2


def test_database_registry_and_their_region(renders):
    _, config = renders["default"]
    db = config.get("demo-datastore").properties
    assert db == {"databaseId": "(default)", "type": "DATASTORE_MODE", "locationId": "us-central1",
                  "concurrencyMode": "OPTIMISTIC", "deleteProtectionState": "DELETE_PROTECTION_ENABLED"}
    repo = config.get("demo-images").properties
    assert repo["format"] == "DOCKER" and repo["location"] == "us-central1" and repo["repositoryId"] == "demo-images"
    _, regional = renders["ingress-regional"]
    assert regional.get("demo-datastore").properties["locationId"] == "eur3"
    assert regional.get("demo-datastore").properties["deleteProtectionState"] == "DELETE_PROTECTION_DISABLED"
    assert regional.get("demo-images").properties["location"] == "europe-west1"


def test_identity_chain_has_no_key(renders):
    """KSA --(Workload Identity)--> Google SA --> roles/datastore.user; the pods run as that KSA."""
    for params, config in renders.values():
        ns, ksa = params["namespace"], params["app_name"]
        email = "demo-app@demo.iam.gserviceaccount.com"
        account = config.get("demo-ksa").properties
        assert account["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": email}
        assert (account["metadata"]["namespace"], account["metadata"]["name"]) == (ns, ksa)
        binding = config.get("demo-workload-identity").properties
        assert binding == {"serviceAccount": email, "role": "roles/iam.workloadIdentityUser",
                           "member": f"serviceAccount:demo.svc.id.goog[{ns}/{ksa}]"}
        grant = config.get("demo-iam-datastore-user").properties
        assert grant == {"role": "roles/datastore.user", "member": f"serviceAccount:{email}"}
        pod = config.get("demo-deployment").properties["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == ksa
        assert pod["nodeSelector"] == {"iam.gke.io/gke-metadata-server-enabled": "true"}
        assert not [r for r in config.resources if "key" in r.type.lower()]
        assert "GOOGLE_APPLICATION_CREDENTIALS" not in json.dumps(pod)


def test_deployment_shape(renders):
    _, config = renders["ingress-regional"]
    dep = config.get("demo-deployment").properties
    assert dep["metadata"] == {"name": "store", "namespace": "shop", "labels": {"app": "store"}}
    spec = dep["spec"]
    assert spec["replicas"] == 6
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 1}}
    pod = spec["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 30
    [container] = pod["containers"]
    assert container["image"] == "europe-west1-docker.pkg.dev/demo/demo-images/store:2.1"
    assert container["ports"] == [{"name": "http", "containerPort": 9000}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                      "limits": {"cpu": "500m", "memory": "256Mi"}}
    assert {"name": "PORT", "value": "9000"} in container["env"]


def test_exposure(renders):
    _, config = renders["default"]
    service = config.get("demo-service").properties
    assert service["spec"]["type"] == "LoadBalancer" and "annotations" not in service["metadata"]
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert "demo-ingress" not in config.names()
    out = {o["name"]: o["value"] for o in config.outputs}
    assert out["external-ip"] == "$(ref.demo-service.status.loadBalancer.ingress[0].ip)"
    assert out["url"] == "http://$(ref.demo-service.status.loadBalancer.ingress[0].ip)/"
    _, ingress = renders["ingress-regional"]
    service = ingress.get("demo-service").properties
    assert service["spec"]["type"] == "ClusterIP"
    assert service["metadata"]["annotations"] == {"cloud.google.com/neg": '{"ingress": true}'}
    rule = ingress.get("demo-ingress").properties
    assert rule["spec"] == {"defaultBackend": {"service": {"name": "store", "port": {"number": 80}}}}
    out = {o["name"]: o["value"] for o in ingress.outputs}
    assert out["external-ip"] == "$(ref.demo-ingress.status.loadBalancer.ingress[0].ip)"


def test_outputs(renders):
    _, config = renders["default"]
    out = {o["name"]: o["value"] for o in config.outputs}
    assert out["cluster-name"] == "$(ref.demo-gke.name)" and out["cluster-endpoint"] == "$(ref.demo-gke.endpoint)"
    assert out["database"] == "$(ref.demo-datastore.name)"
    assert out["image-repository"] == "us-central1-docker.pkg.dev/demo/demo-images"
    assert out["image"] == "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0"


def test_a_new_image_changes_the_deployment_spec_and_nothing_else(renders):
    _, before = renders["default"]
    _, after = render_case(["image=us-central1-docker.pkg.dev/demo/demo-images/app:2"])
    changed = {r.name: changed_fields(after.get(r.name).properties, r.properties) for r in before.resources}
    assert {n: c for n, c in changed.items() if c} == {"demo-deployment": ["spec"]}
    assert provider_for("k8s.apps.v1.deployment").updatable(["spec"])  # an update, never a replace


def test_what_providers_read_by_holds_no_ref(renders):
    """`up` reads recorded resources with the properties as written: those a read uses must be plain text."""
    for _, config in renders.values():
        for r in config.resources:
            keys = {"container.v1.nodePool": ("cluster", "location"), "gcpkit.v1.serviceAccountIamMember":
                    ("serviceAccount", "role", "member")}.get(r.type, ("cluster", "location") if r.type in K8S else ())
            for key in keys:
                assert "$(ref." not in str(r.properties[key]), (r.name, key)


@pytest.mark.parametrize("deployment, cluster, account", [
    ("demo", "demo-gke", "demo-app"), ("a", "a-gke", "a-appsa"), ("x" * 40, "x" * 33 + "-gke", "x" * 26 + "-app")])
def test_names_fit_gke_and_iam(deployment, cluster, account):
    _, config = render_case([], dict(ENV, deployment=deployment))
    check(config)
    assert config.get(cluster).type == "container.v1.cluster" and len(cluster) <= 40
    assert config.get(f"{deployment}-app-sa").properties["accountId"] == account


@pytest.mark.parametrize("sets, message", [
    (["release_channel=NIGHTLY"], "parameter release_channel: 'NIGHTLY' is not one of"),
    (["exposure=nodeport"], "parameter exposure: 'nodeport' is not one of"),
    (["replicas=0"], "parameter replicas: 0 is below the minimum 1"),
    (["max_surge=-1"], "parameter max_surge: -1 is below the minimum 0"),
    (["memory_limit=256MB"], "parameter memory_limit: '256MB' does not match"),
    (["image=Not An Image"], "parameter image: 'Not An Image' does not match"),
    (["location=US-CENTRAL1"], "parameter location: 'US-CENTRAL1' does not match"),
    (["database_location=nam9"], "parameter database_location: 'nam9' does not match"),
])
def test_parameter_errors(sets, message):
    with pytest.raises(BadInput) as info:
        resolve_params(find_pattern("gke-datastore"), sets, None)
    assert info.value.message.startswith(message), info.value.message


@pytest.mark.parametrize("sets, message", [
    (["min_nodes=4"], "min_nodes 4 is above max_nodes 3"),
    (["node_count=5"], "node_count 5 is outside min_nodes..max_nodes (1..3)"),
    (["max_surge=0", "max_unavailable=0"], "max_surge and max_unavailable cannot both be 0"),
    (["prestop_seconds=30"], "prestop_seconds 30 must be below termination_grace_seconds 30"),
])
def test_checks_across_parameters(sets, message):
    with pytest.raises(BadInput) as info:
        render_case(sets)
    assert message in info.value.message


@pytest.mark.parametrize("location, message", [
    ("us-central9", "unknown region 'us-central9'"), ("us-central1-z", "us-central1-z"),
])
def test_unknown_locations_are_refused_before_any_call(location, message):
    _, config = render_case([f"location={location}"])
    with pytest.raises(BadInput) as info:
        check(config)
    assert message in info.value.message and "demo-gke" in (info.value.where or "")
