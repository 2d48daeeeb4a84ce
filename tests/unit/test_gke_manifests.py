"""The Kubernetes manifests gke-datastore renders validate against the official `kubernetes` client's models,
and broken manifests are refused before any call with the path of what is wrong: directly
(kube_manifests.validate_manifest) and as `gcpkit up` meets them (the provider's check_properties -> one
BadInput naming the resource)."""

from __future__ import annotations

import copy

import pytest
from kubernetes import client as k8s

from gcpkit.errors import BadInput
from gcpkit.patterns.loader import find_pattern
from gcpkit.patterns.render import render
from gcpkit.patterns.schema import resolve_params
from gcpkit.providers.kube_manifests import ManifestError, validate_manifest
from gcpkit.providers.registry import provider_for

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}
MODEL_OF = {"k8s.v1.namespace": k8s.V1Namespace, "k8s.v1.serviceAccount": k8s.V1ServiceAccount,
            "k8s.apps.v1.deployment": k8s.V1Deployment, "k8s.v1.service": k8s.V1Service,
            "k8s.networking.v1.ingress": k8s.V1Ingress}


def rendered(*sets: str) -> dict[str, tuple[str, dict]]:
    pattern = find_pattern("gke-datastore")
    config = render(pattern, resolve_params(pattern, list(sets), None), ENV)
    return {r.name: (r.type, r.properties) for r in config.resources if r.type in MODEL_OF}


def manifest_of(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if k not in ("cluster", "location")}


@pytest.fixture(scope="module")
def deployment() -> dict:
    return manifest_of(rendered()["demo-deployment"][1])


@pytest.mark.parametrize("sets", [[], ["exposure=ingress", "max_surge=0", "max_unavailable=2"],
                                  ["cpu_request=1", "cpu_limit=2", "memory_request=1Gi", "memory_limit=1Gi"]])
def test_every_rendered_manifest_is_a_valid_model(sets):
    objects = rendered(*sets)
    ingress = "exposure=ingress" in sets
    assert {t for t, _ in objects.values()} == set(MODEL_OF) - ({"k8s.networking.v1.ingress"} if not ingress else set())
    for name, (type_name, properties) in objects.items():
        obj = validate_manifest(manifest_of(properties))
        assert isinstance(obj, MODEL_OF[type_name]), name
        provider_for(type_name).check_properties(name, properties)  # what `up` runs before any call
    resources = manifest_of(objects["demo-deployment"][1])["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert all(isinstance(q, str) for q in (*resources["requests"].values(), *resources["limits"].values()))


def test_model_reads_the_fields_the_pattern_relies_on(deployment):
    obj = validate_manifest(deployment)
    spec = obj.spec
    assert spec.replicas == 2 and spec.strategy.rolling_update.max_surge == 1
    assert spec.strategy.rolling_update.max_unavailable == 0
    container = spec.template.spec.containers[0]
    assert container.readiness_probe.http_get.path == "/" and container.liveness_probe.http_get.port == "http"
    assert container.lifecycle.pre_stop.sleep.seconds == 5
    assert container.resources.limits == {"cpu": "500m", "memory": "256Mi"}
    assert spec.template.spec.termination_grace_period_seconds == 30


def _broken(deployment: dict, edit) -> dict:
    m = copy.deepcopy(deployment)
    edit(m)
    return m


def _container(m: dict) -> dict:
    return m["spec"]["template"]["spec"]["containers"][0]


BROKEN = [
    ("no container name", lambda m: _container(m).pop("name"),
     "Deployment spec.template.spec.containers[0].name: field required"),
    ("port as text", lambda m: _container(m)["ports"][0].update(containerPort="8080"),
     "Deployment spec.template.spec.containers[0].ports[0].containerPort: input should be a valid integer"),
    ("misspelt probe", lambda m: _container(m).update(readynessProbe=_container(m).pop("readinessProbe")),
     "Deployment spec.template.spec.containers[0].readynessProbe: unknown field"),
    ("replicas as text", lambda m: m["spec"].update(replicas="two"),
     "Deployment spec.replicas: input should be a valid integer"),
    ("no selector", lambda m: m["spec"].pop("selector"), "Deployment spec.selector: field required"),
    ("selector does not match", lambda m: m["spec"]["selector"]["matchLabels"].update(app="other"),
     "Deployment spec.template.metadata.labels: does not match spec.selector (app=other missing)"),
    ("surge and unavailable both 0", lambda m: m["spec"]["strategy"]["rollingUpdate"].update(maxSurge=0, maxUnavailable="0%"),
     "maxSurge and maxUnavailable cannot both be 0"),
    ("bad name", lambda m: m["metadata"].update(name="Web_App"), "Deployment metadata.name: 'Web_App' is not a valid"),
    ("no name", lambda m: m["metadata"].pop("name"), "Deployment metadata.name: field required"),
    ("unknown kind", lambda m: m.update(kind="StatefulSet"), "unsupported apiVersion/kind 'apps/v1'/'StatefulSet'"),
    ("duplicate containers", lambda m: m["spec"]["template"]["spec"]["containers"].append(copy.deepcopy(_container(m))),
     "container names must be unique"),
]


@pytest.mark.parametrize("label, edit, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_deployments_are_refused_with_the_path(deployment, label, edit, message):
    with pytest.raises(ManifestError) as info:
        validate_manifest(_broken(deployment, edit))
    assert message in str(info.value), str(info.value)


def test_load_balancer_service_needs_a_port():
    service = manifest_of(rendered()["demo-service"][1])
    service["spec"]["ports"] = []
    with pytest.raises(ManifestError, match="a LoadBalancer Service needs at least one port"):
        validate_manifest(service)


def test_not_a_mapping():
    with pytest.raises(ManifestError, match="a manifest must be a mapping, got list"):
        validate_manifest([])


def test_provider_check_is_one_bad_input_naming_the_resource(deployment):
    provider = provider_for("k8s.apps.v1.deployment")
    props = {"cluster": "demo-gke", "location": "us-central1-a",
             **_broken(deployment, lambda m: _container(m).pop("image") and _container(m).pop("name"))}
    with pytest.raises(BadInput) as info:
        provider.check_properties("demo-deployment", props)
    assert info.value.message == (
        "resource demo-deployment: invalid manifest: Deployment spec.template.spec.containers[0].name: field required")
    assert info.value.where == "resource demo-deployment"


def test_provider_refuses_a_manifest_of_another_kind():
    service = rendered()["demo-service"][1]
    with pytest.raises(BadInput, match="k8s.apps.v1.deployment takes apiVersion apps/v1 kind Deployment, not v1 Service"):
        provider_for("k8s.apps.v1.deployment").check_properties("demo-service", service)


@pytest.mark.parametrize("key, value", [("cluster", None), ("location", ""), ("cluster", "$(ref.demo-gke.name)")])
def test_provider_needs_the_cluster_written_out(deployment, key, value):
    props = {"cluster": "demo-gke", "location": "us-central1-a", **deployment, key: value}
    with pytest.raises(BadInput, match=f"needs '{key}' written out"):
        provider_for("k8s.apps.v1.deployment").check_properties("demo-deployment", props)
