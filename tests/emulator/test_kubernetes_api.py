"""The Kubernetes API of emulated GKE clusters, driven by the official `kubernetes` client over HTTP:
discovery, create/get/list/replace/patch/delete of every kind served, Kubernetes Status errors, load
balancer addresses, and what happens to a cluster's objects when the cluster goes.

Clusters are created through the GKE API (google-api-python-client) and used once RUNNING. The helpers
at the top are shared with test_kubernetes_rollout.py."""

from __future__ import annotations

import ipaddress
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ZONE = "us-central1-a"


# ---- helpers (also used by test_kubernetes_rollout.py) ----------------------------------------------

def gke_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("container", "v1", client_options={"api_endpoint": server.endpoints()["container"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


def cluster_path(project: str, name: str, location: str = ZONE) -> str:
    return f"projects/{project}/locations/{location}/clusters/{name}"


def wait_cluster(server, project: str, name: str, status: str | None = "RUNNING", location: str = ZONE,
                 timeout: float = 30.0) -> None:
    """Until the cluster has `status` (None: until it is gone)."""
    from googleapiclient.errors import HttpError

    clusters = gke_client(server).projects().locations().clusters()
    deadline = time.monotonic() + timeout
    while True:
        try:
            current = clusters.get(name=cluster_path(project, name, location)).execute()["status"]
        except HttpError as e:
            if e.resp.status != 404:
                raise
            current = None
        if current == status:
            return
        assert time.monotonic() < deadline, f"cluster {name} still {current} after {timeout}s (want {status})"
        time.sleep(0.02)


def create_cluster(server, project: str, name: str, location: str = ZONE, wait: bool = True) -> None:
    gke_client(server).projects().locations().clusters().create(
        parent=f"projects/{project}/locations/{location}",
        body={"cluster": {"name": name, "initialNodeCount": 1}}).execute()
    if wait:
        wait_cluster(server, project, name, location=location)


class Kube:
    """The official clients for one cluster's Kubernetes API, as gcpkit configures them."""

    def __init__(self, server, project: str, cluster: str, location: str = ZONE):
        from kubernetes import client as k8s

        from gcpkit.emulator.kubernetes import kubernetes_host

        self.k8s = k8s
        config = k8s.Configuration()
        config.host = kubernetes_host(server.url, project, location, cluster)
        config.api_key = {"authorization": "Bearer anything"}
        self.api = k8s.ApiClient(config)
        self.core, self.apps, self.net = k8s.CoreV1Api(self.api), k8s.AppsV1Api(self.api), k8s.NetworkingV1Api(self.api)

    def namespace(self) -> str:
        """A fresh namespace, so tests sharing a cluster do not see each other's objects."""
        name = f"t-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace(self.k8s.V1Namespace(metadata=self.k8s.V1ObjectMeta(name=name)))
        return name

    def deployment(self, name: str = "web", image: str = "nginx:1.25", replicas: int = 3, strategy=None,
                   labels: dict | None = None):
        k8s = self.k8s
        labels = labels or {"app": name}
        return k8s.V1Deployment(
            metadata=k8s.V1ObjectMeta(name=name, labels=labels),
            spec=k8s.V1DeploymentSpec(
                replicas=replicas, selector=k8s.V1LabelSelector(match_labels=labels), strategy=strategy,
                template=k8s.V1PodTemplateSpec(
                    metadata=k8s.V1ObjectMeta(labels=labels),
                    spec=k8s.V1PodSpec(containers=[k8s.V1Container(
                        name=name, image=image, ports=[k8s.V1ContainerPort(container_port=8080, name="http")])]))))


def api_error(call, *args, **kwargs) -> tuple[int, dict]:
    """(HTTP status, Status body) of a call that must fail with ApiException."""
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        call(*args, **kwargs)
    return info.value.status, json.loads(info.value.body)


def raw_call(kube: Kube, method: str, path: str, body=None) -> tuple[int, dict]:
    """A request through the client's transport without its model checks: what kubectl or a client in
    another language may send (the `kubernetes` models refuse e.g. a Deployment without a selector)."""
    response = kube.api.call_api(method, kube.api.configuration.host + path, header_params={
        "Content-Type": "application/json", "Accept": "application/json", "Authorization": "Bearer anything"},
        body=body)
    response.read()
    return response.status, json.loads(response.data)


def until(read, done, timeout: float = 15.0, what: str = "condition"):
    """Poll read() until done(result); the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = read()
        if done(result):
            return result
        assert time.monotonic() < deadline, f"{what} not reached after {timeout}s: {result}"
        time.sleep(0.01)


def rolled_out(dep) -> bool:
    s, want = dep.status, dep.spec.replicas
    return (s.observed_generation or 0) >= dep.metadata.generation and \
        (s.updated_replicas or 0) == (s.available_replicas or 0) == (s.replicas or 0) == want


# ---- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def running(emulator):
    """(server, project, cluster): one RUNNING cluster for the module, on the session emulator."""
    project, name = f"k8s-{uuid.uuid4().hex[:10]}", "apps"
    create_cluster(emulator, project, name)
    return emulator, project, name


@pytest.fixture
def kube(running) -> Kube:
    return Kube(*running)


@pytest.fixture
def ns(kube) -> str:
    return kube.namespace()


# ---- discovery and the cluster -------------------------------------------------------------------

def test_discovery_documents_describe_what_is_served(kube):
    k8s = kube.k8s
    version = k8s.VersionApi(kube.api).get_code()
    assert (version.major, version.git_version.startswith(f"v1.{version.minor}.")) == ("1", True)
    assert k8s.CoreApi(kube.api).get_api_versions().versions == ["v1"]
    groups = {g.name: g.preferred_version.group_version for g in k8s.ApisApi(kube.api).get_api_versions().groups}
    assert groups == {"apps": "apps/v1", "networking.k8s.io": "networking.k8s.io/v1"}
    core = {r.name: r for r in kube.core.get_api_resources().resources}
    assert set(core) == {"namespaces", "serviceaccounts", "configmaps", "services", "pods"}
    assert (core["pods"].verbs, core["namespaces"].namespaced) == (["get", "list"], False)
    apps = {r.name: r.kind for r in kube.apps.get_api_resources().resources}
    assert apps == {"deployments": "Deployment", "deployments/scale": "Scale", "replicasets": "ReplicaSet"}
    assert [r.name for r in kube.net.get_api_resources().resources] == ["ingresses"]


def test_a_new_cluster_has_the_default_namespaces_service_account_and_kubernetes_service(kube):
    namespaces = {n.metadata.name: n.status.phase for n in kube.core.list_namespace().items}
    assert namespaces == {"default": "Active", "kube-node-lease": "Active", "kube-public": "Active",
                          "kube-system": "Active"}
    assert kube.core.read_namespaced_service_account("default", "kube-system").metadata.name == "default"
    service = kube.core.read_namespaced_service("kubernetes", "default")
    assert (service.spec.cluster_ip, service.spec.ports[0].port) == ("34.118.224.1", 443)


def test_an_unknown_cluster_is_a_404_status_naming_it(emulator):
    kube = Kube(emulator, f"none-{uuid.uuid4().hex[:8]}", "ghost")
    status, body = api_error(kube.core.list_namespace)
    assert (status, body["reason"], body["details"]["name"]) == (404, "NotFound", "ghost")
    assert body["message"].startswith(f'GKE cluster "projects/{kube.api.configuration.host.split("/")[-3]}/'
                                      f'locations/{ZONE}/clusters/ghost" not found')


def test_a_provisioning_cluster_answers_503(make_emulator):
    server = make_emulator(time_scale=0.05)  # the cluster takes 16 s to create: it is surely PROVISIONING
    project = f"prov-{uuid.uuid4().hex[:8]}"
    create_cluster(server, project, "slow", wait=False)
    status, body = api_error(Kube(server, project, "slow").core.list_namespace)
    assert (status, body["reason"], body["code"]) == (503, "ServiceUnavailable", 503)
    assert f"clusters/slow\" is PROVISIONING" in body["message"]


def test_an_emulator_requiring_auth_rejects_a_request_without_a_valid_token(make_emulator):
    server = make_emulator(require_auth=True)
    status, body = api_error(Kube(server, "p", "c").core.list_namespace)
    assert (status, body) == (401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401})


def test_unknown_paths_and_verbs_are_kubernetes_errors(kube, ns):
    status, body = api_error(kube.k8s.BatchV1Api(kube.api).list_namespaced_job, ns)  # not served here
    assert (status, body["reason"], body["message"]) == (404, "NotFound",
                                                         "the server could not find the requested resource")
    pod = kube.k8s.V1Pod(metadata=kube.k8s.V1ObjectMeta(name="p"),
                         spec=kube.k8s.V1PodSpec(containers=[kube.k8s.V1Container(name="c", image="i")]))
    status, body = api_error(kube.core.create_namespaced_pod, ns, pod)
    assert (status, body["reason"]) == (405, "MethodNotAllowed")
    assert body["message"] == 'the gcpkit emulator generates pods from Deployments: "create" is not supported on pods'


# ---- namespaces, service accounts, config maps ----------------------------------------------------

def test_namespace_create_get_list_conflict_and_terminating_delete(kube):
    k8s = kube.k8s
    name = f"team-{uuid.uuid4().hex[:6]}"
    created = kube.core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name, labels={"team": "a"})))
    assert (created.status.phase, created.metadata.labels) == ("Active", {"team": "a",
                                                                          "kubernetes.io/metadata.name": name})
    assert created.metadata.uid and created.metadata.creation_timestamp and created.spec.finalizers == ["kubernetes"]
    status, body = api_error(kube.core.create_namespace, k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
    assert (status, body["reason"], body["message"], body["details"]) == (
        409, "AlreadyExists", f'namespaces "{name}" already exists', {"name": name, "kind": "namespaces"})
    assert [n.metadata.name for n in kube.core.list_namespace(label_selector=f"team=a,kubernetes.io/metadata.name="
                                                                             f"{name}").items] == [name]

    kube.core.create_namespaced_config_map(name, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="settings")))
    deleted = kube.core.delete_namespace(name)
    assert (deleted["status"]["phase"], "deletionTimestamp" in deleted["metadata"]) == ("Terminating", True)
    assert kube.core.list_namespaced_config_map(name).items == []  # its contents go first
    status, body = api_error(kube.core.create_namespaced_config_map, name,
                             k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="late")))
    assert (status, body["reason"], body["message"]) == (
        403, "Forbidden", f'configmaps "late" is forbidden: unable to create new content in namespace {name} '
                          "because it is being terminated")
    until(lambda: [n.metadata.name for n in kube.core.list_namespace().items], lambda names: name not in names,
          what="namespace deletion")
    status, body = api_error(kube.core.read_namespace, name)
    assert (status, body["message"]) == (404, f'namespaces "{name}" not found')


def test_default_namespaces_cannot_be_deleted(kube):
    status, body = api_error(kube.core.delete_namespace, "kube-system")
    assert (status, body["reason"], body["message"]) == (
        403, "Forbidden", 'namespaces "kube-system" is forbidden: this namespace may not be deleted')


def test_objects_need_an_existing_namespace(kube):
    k8s = kube.k8s
    status, body = api_error(kube.core.create_namespaced_service_account, "nowhere",
                             k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name="app")))
    assert (status, body["reason"], body["message"]) == (404, "NotFound", 'namespaces "nowhere" not found')


def test_service_account_crud_with_resource_versions(kube, ns):
    k8s = kube.k8s
    annotation = {"iam.gke.io/gcp-service-account": "app@p.iam.gserviceaccount.com"}
    sa = kube.core.create_namespaced_service_account(ns, k8s.V1ServiceAccount(
        metadata=k8s.V1ObjectMeta(name="app", annotations=annotation)))
    assert (sa.metadata.namespace, sa.metadata.annotations) == (ns, annotation)
    first = int(sa.metadata.resource_version)

    sa.metadata.annotations = {"iam.gke.io/gcp-service-account": "other@p.iam.gserviceaccount.com"}
    replaced = kube.core.replace_namespaced_service_account("app", ns, sa)
    assert int(replaced.metadata.resource_version) > first
    assert replaced.metadata.uid == sa.metadata.uid
    status, body = api_error(kube.core.replace_namespaced_service_account, "app", ns, sa)  # sa's version is stale
    assert (status, body["reason"], body["message"]) == (
        409, "Conflict", 'Operation cannot be fulfilled on serviceaccounts "app": the object has been modified; '
                         "please apply your changes to the latest version and try again")

    assert [a.metadata.name for a in kube.core.list_namespaced_service_account(ns).items] == ["app", "default"]
    done = kube.core.delete_namespaced_service_account("app", ns)
    assert (done.kind, done.metadata.name) == ("ServiceAccount", "app")  # answered with the deleted object
    status, body = api_error(kube.core.read_namespaced_service_account, "app", ns)
    assert (status, body["reason"], body["message"], body["details"]) == (
        404, "NotFound", 'serviceaccounts "app" not found', {"name": "app", "kind": "serviceaccounts"})
    status, _ = api_error(kube.core.delete_namespaced_service_account, "app", ns)
    assert status == 404


def test_config_map_patches_strategic_merge_json_merge_and_json_patch(kube, ns):
    k8s = kube.k8s
    kube.core.create_namespaced_config_map(ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="cfg"),
                                                               data={"a": "1", "b": "2"}))
    assert kube.core.patch_namespaced_config_map("cfg", ns, {"data": {"b": None, "c": "3"}}).data == \
        {"a": "1", "c": "3"}
    merged = kube.core.patch_namespaced_config_map("cfg", ns, {"data": {"a": "9"}},
                                                   _content_type="application/merge-patch+json")
    assert merged.data == {"a": "9", "c": "3"}
    patched = kube.core.patch_namespaced_config_map("cfg", ns, [{"op": "add", "path": "/data/d", "value": "4"},
                                                                {"op": "remove", "path": "/data/a"}])
    assert patched.data == {"c": "3", "d": "4"}
    status, body = api_error(kube.core.patch_namespaced_config_map, "cfg", ns,
                             [{"op": "remove", "path": "/data/missing"}])
    assert (status, body["reason"]) == (422, "Invalid")
    status, body = api_error(kube.core.create_namespaced_config_map, ns, k8s.V1ConfigMap(
        metadata=k8s.V1ObjectMeta(name="bad"), data={"no spaces": "x"}))
    assert (status, body["reason"], body["details"]["causes"][0]["field"]) == (422, "Invalid", "data[no spaces]")
    assert kube.core.delete_namespaced_config_map("cfg", ns)["status"] == "Success"


def test_names_and_bodies_are_checked_like_the_api_server(kube, ns):
    k8s = kube.k8s
    status, body = api_error(kube.core.create_namespaced_config_map, ns,
                             k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="Not_Valid")))
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["message"].startswith('ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": '
                                      "a lowercase RFC 1123 subdomain")
    status, body = api_error(kube.core.create_namespaced_config_map, ns, {"metadata": {}})
    assert (status, body["message"]) == (422, 'ConfigMap "" is invalid: metadata.name: Required value: name or '
                                              "generateName is required")
    status, body = raw_call(kube, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments",
                            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert (status, body["reason"], body["message"]) == (
        400, "BadRequest", "the API version in the data (v1) does not match the expected API version (apps/v1)")
    generated = kube.core.create_namespaced_config_map(ns, {"metadata": {"generateName": "cfg-"}})
    assert generated.metadata.name.startswith("cfg-") and len(generated.metadata.name) == 9


# ---- deployments ----------------------------------------------------------------------------------

def test_deployment_lifecycle_status_pods_and_replica_sets(kube, ns):
    created = kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=3))
    assert (created.metadata.generation, created.status.observed_generation) == (1, 1)
    assert created.spec.strategy.rolling_update.max_surge == "25%"  # the API server's defaults
    assert created.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"

    dep = until(lambda: kube.apps.read_namespaced_deployment("web", ns), rolled_out, what="rollout")
    conditions = {c.type: (c.status, c.reason) for c in dep.status.conditions}
    assert conditions == {"Available": ("True", "MinimumReplicasAvailable"),
                          "Progressing": ("True", "NewReplicaSetAvailable")}
    assert dep.status.unavailable_replicas is None and dep.metadata.annotations == {
        "deployment.kubernetes.io/revision": "1"}

    pods = kube.core.list_namespaced_pod(ns, label_selector="app=web").items
    [rs] = kube.apps.list_namespaced_replica_set(ns).items
    assert (rs.spec.replicas, rs.status.ready_replicas, rs.metadata.owner_references[0].name) == (3, 3, "web")
    assert {p.metadata.labels["pod-template-hash"] for p in pods} == {rs.metadata.labels["pod-template-hash"]}
    assert [(p.status.phase, p.status.container_statuses[0].ready, p.spec.containers[0].image) for p in pods] == \
        [("Running", True, "nginx:1.25")] * 3
    one = kube.core.read_namespaced_pod(pods[0].metadata.name, ns)
    assert (one.metadata.owner_references[0].kind, one.metadata.name) == ("ReplicaSet", pods[0].metadata.name)
    status, body = api_error(kube.core.delete_namespaced_pod, pods[0].metadata.name, ns)
    assert (status, body["reason"]) == (405, "MethodNotAllowed")

    done = kube.apps.delete_namespaced_deployment("web", ns, propagation_policy="Foreground")
    assert (done["status"], done["details"]["kind"], done["details"]["group"]) == ("Success", "deployments", "apps")
    assert kube.core.list_namespaced_pod(ns).items == []
    assert kube.apps.list_namespaced_replica_set(ns).items == []


def test_patching_the_image_is_a_rollout_to_the_new_image(kube, ns):
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=2))
    until(lambda: kube.apps.read_namespaced_deployment("web", ns), rolled_out, what="first rollout")
    patched = kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.27"}]}}}})
    assert patched.metadata.generation == 2
    # strategic merge: the container merged by name, keeping its ports
    assert [(c.image, c.ports[0].container_port) for c in patched.spec.template.spec.containers] == [("nginx:1.27",
                                                                                                        8080)]
    dep = until(lambda: kube.apps.read_namespaced_deployment("web", ns), rolled_out, what="image rollout")
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    pods = kube.core.list_namespaced_pod(ns).items
    assert [p.spec.containers[0].image for p in pods] == ["nginx:1.27"] * 2
    replica_sets = sorted((rs.metadata.annotations["deployment.kubernetes.io/revision"], rs.spec.replicas)
                          for rs in kube.apps.list_namespaced_replica_set(ns).items)
    assert replica_sets == [("1", 0), ("2", 2)]


def test_generation_counts_spec_changes_and_resource_version_every_change(kube, ns):
    created = kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=1))
    labelled = kube.apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"tier": "front"}}})
    assert labelled.metadata.generation == 1
    assert int(labelled.metadata.resource_version) > int(created.metadata.resource_version)
    same = kube.apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"tier": "front"}}})
    assert same.metadata.resource_version == labelled.metadata.resource_version  # nothing changed
    status, body = api_error(kube.apps.patch_namespaced_deployment, "web", ns,
                             {"metadata": {"resourceVersion": created.metadata.resource_version},
                              "spec": {"replicas": 2}})
    assert (status, body["reason"]) == (409, "Conflict")
    assert kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 2}}).metadata.generation == 2


def test_scale_subresource_and_scaling_converge(kube, ns):
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=1))
    scale = kube.apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 4}})
    assert (scale.spec.replicas, scale.status.selector) == (4, "app=web")
    until(lambda: kube.apps.read_namespaced_deployment("web", ns), rolled_out, what="scale up")
    assert len(kube.core.list_namespaced_pod(ns).items) == 4
    kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 1}})
    assert len(kube.core.list_namespaced_pod(ns).items) == 1  # scaling down is immediate here
    assert kube.apps.read_namespaced_deployment_scale("web", ns).status.replicas == 1


@pytest.mark.parametrize("change, field, message", [
    ({"selector": None}, "spec.selector", "Required value"),
    ({"selector": {"matchLabels": {"app": "other"}}}, "spec.template.metadata.labels",
     'Invalid value: {"app":"web"}: `selector` does not match template `labels`'),
    ({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}},
     "spec.strategy.rollingUpdate.maxUnavailable", 'Invalid value: "0%": may not be 0 when `maxSurge` is 0'),
    ({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "1x", "maxUnavailable": 1}}},
     "spec.strategy.rollingUpdate.maxSurge", "Invalid value: \"1x\": a valid percent string must be a numeric "
                                             "string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
                                             "for validation is '[0-9]+%')"),
    ({"replicas": -1}, "spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
])
def test_invalid_deployments_are_422_with_causes(kube, ns, change, field, message):
    body = kube.api.sanitize_for_serialization(kube.deployment())
    for key, value in change.items():
        if value is None:
            body["spec"].pop(key)
        else:
            body["spec"][key] = value
    status, error = raw_call(kube, "POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body)
    assert (status, error["reason"], error["code"]) == (422, "Invalid", 422)
    assert error["message"] == f'Deployment.apps "web" is invalid: {field}: {message}'
    assert error["details"]["causes"][0]["field"] == field
    assert (error["details"]["group"], error["details"]["kind"]) == ("apps", "Deployment")


def test_a_deployment_selector_is_immutable(kube, ns):
    kube.apps.create_namespaced_deployment(ns, kube.deployment())
    status, error = api_error(kube.apps.patch_namespaced_deployment, "web", ns, {"spec": {
        "selector": {"matchLabels": {"app": "web", "v": "2"}},
        "template": {"metadata": {"labels": {"app": "web", "v": "2"}}}}})
    assert (status, error["details"]["causes"][0]["field"]) == (422, "spec.selector")
    assert error["message"].endswith("field is immutable")


# ---- services and ingresses -----------------------------------------------------------------------

def test_cluster_ip_service_and_its_validation(kube, ns):
    k8s = kube.k8s
    service = kube.core.create_namespaced_service(ns, k8s.V1Service(
        metadata=k8s.V1ObjectMeta(name="web"),
        spec=k8s.V1ServiceSpec(selector={"app": "web"}, ports=[k8s.V1ServicePort(port=80, target_port="http")])))
    assert ipaddress.ip_address(service.spec.cluster_ip) in ipaddress.ip_network("34.118.224.0/20")
    assert (service.spec.type, service.spec.ports[0].protocol, service.status.load_balancer.ingress) == \
        ("ClusterIP", "TCP", None)
    # a replace without the allocated clusterIP keeps it
    body = kube.api.sanitize_for_serialization(service)
    del body["spec"]["clusterIP"], body["spec"]["clusterIPs"]
    body["metadata"]["labels"] = {"app": "web"}
    assert kube.core.replace_namespaced_service("web", ns, body).spec.cluster_ip == service.spec.cluster_ip
    assert kube.core.delete_namespaced_service("web", ns).metadata.name == "web"

    status, error = api_error(kube.core.create_namespaced_service, ns, {"metadata": {"name": "noports"},
                                                                        "spec": {"type": "ClusterIP"}})
    assert (status, error["message"]) == (422, 'Service "noports" is invalid: spec.ports: Required value')
    status, error = api_error(kube.core.create_namespaced_service, ns, {"metadata": {"name": "1st"},
                                                                        "spec": {"ports": [{"port": 80}]}})
    assert (status, error["details"]["causes"][0]["field"]) == (422, "metadata.name")  # Services: RFC 1035


def test_load_balancer_service_gets_an_external_ip_and_releases_it_on_delete(kube, ns):
    k8s = kube.k8s
    created = kube.core.create_namespaced_service(ns, k8s.V1Service(
        metadata=k8s.V1ObjectMeta(name="front"),
        spec=k8s.V1ServiceSpec(type="LoadBalancer", selector={"app": "web"}, ports=[k8s.V1ServicePort(port=80)])))
    assert created.status.load_balancer.ingress is None  # not yet: the load balancer takes a while
    assert 30000 <= created.spec.ports[0].node_port <= 32767
    assert created.metadata.finalizers == ["service.kubernetes.io/load-balancer-cleanup"]
    ready = until(lambda: kube.core.read_namespaced_service("front", ns), lambda s: s.status.load_balancer.ingress,
                  what="external IP")
    ip = ipaddress.ip_address(ready.status.load_balancer.ingress[0].ip)
    assert ip.version == 4 and ip.is_global
    assert kube.core.read_namespaced_service("front", ns).status.load_balancer.ingress[0].ip == str(ip)  # stable

    deleting = kube.core.delete_namespaced_service("front", ns)
    assert deleting.metadata.deletion_timestamp is not None  # the finalizer releases the load balancer first
    until(lambda: [s.metadata.name for s in kube.core.list_namespaced_service(ns).items],
          lambda names: "front" not in names, what="service deletion")


def test_a_service_changed_to_load_balancer_gets_an_ip(kube, ns):
    kube.core.create_namespaced_service(ns, {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    changed = kube.core.patch_namespaced_service("svc", ns, {"spec": {"type": "LoadBalancer"}})
    assert changed.spec.ports[0].node_port and changed.status.load_balancer.ingress is None
    until(lambda: kube.core.read_namespaced_service("svc", ns), lambda s: s.status.load_balancer.ingress,
          what="external IP after the type change")


def test_ingress_gets_an_ip_and_is_validated(kube, ns):
    k8s = kube.k8s
    backend = k8s.V1IngressBackend(service=k8s.V1IngressServiceBackend(name="web",
                                                                        port=k8s.V1ServiceBackendPort(number=80)))
    created = kube.net.create_namespaced_ingress(ns, k8s.V1Ingress(
        metadata=k8s.V1ObjectMeta(name="web", annotations={"kubernetes.io/ingress.class": "gce"}),
        spec=k8s.V1IngressSpec(default_backend=backend)))
    assert (created.metadata.generation, created.status.load_balancer.ingress) == (1, None)
    ready = until(lambda: kube.net.read_namespaced_ingress("web", ns), lambda i: i.status.load_balancer.ingress,
                  what="ingress IP")
    assert ipaddress.ip_address(ready.status.load_balancer.ingress[0].ip).is_global

    status, error = api_error(kube.net.create_namespaced_ingress, ns, {"metadata": {"name": "empty"}, "spec": {}})
    assert (status, error["details"]["causes"][0]["field"]) == (422, "spec")
    assert error["message"].endswith("either `defaultBackend` or `rules` must be specified")
    path = {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}  # no pathType
    status, error = raw_call(kube, "POST", f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses", {
        "metadata": {"name": "nopathtype"}, "spec": {"rules": [{"http": {"paths": [path]}}]}})
    assert (status, error["details"]["causes"][0]["field"]) == (422, "spec.rules[0].http.paths[0].pathType")

    assert "deletionTimestamp" in kube.net.delete_namespaced_ingress("web", ns)["metadata"]  # GKE's finalizer
    until(lambda: kube.net.list_namespaced_ingress(ns).items, lambda items: items == [], what="ingress deletion")


# ---- the client's own models round-trip ------------------------------------------------------------

def test_objects_built_from_the_clients_models_round_trip(kube, ns):
    """Everything answered deserialises into the client's (strict, pydantic) models, and an object as read
    is accepted back by replace without changing it."""
    k8s = kube.k8s
    kube.core.create_namespaced_service_account(ns, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name="app")))
    kube.core.create_namespaced_config_map(ns, k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="cfg"), data={"k": "v"}))
    probe = k8s.V1Probe(http_get=k8s.V1HTTPGetAction(path="/healthz", port="http"), period_seconds=5)
    dep = kube.deployment(strategy=k8s.V1DeploymentStrategy(
        type="RollingUpdate", rolling_update=k8s.V1RollingUpdateDeployment(max_surge=1, max_unavailable=0)))
    container = dep.spec.template.spec.containers[0]
    container.readiness_probe = probe
    container.resources = k8s.V1ResourceRequirements(requests={"cpu": "100m", "memory": "128Mi"},
                                                     limits={"cpu": "100m", "memory": "128Mi"})
    container.env = [k8s.V1EnvVar(name="PORT", value="8080")]
    dep.spec.template.spec.service_account_name = "app"
    kube.apps.create_namespaced_deployment(ns, dep)
    kube.core.create_namespaced_service(ns, k8s.V1Service(metadata=k8s.V1ObjectMeta(name="web"), spec=k8s.V1ServiceSpec(
        type="LoadBalancer", selector={"app": "web"}, ports=[k8s.V1ServicePort(name="http", port=80,
                                                                               target_port="http")])))
    kube.net.create_namespaced_ingress(ns, k8s.V1Ingress(metadata=k8s.V1ObjectMeta(name="web"), spec=k8s.V1IngressSpec(
        rules=[k8s.V1IngressRule(http=k8s.V1HTTPIngressRuleValue(paths=[k8s.V1HTTPIngressPath(
            path="/", path_type="Prefix", backend=k8s.V1IngressBackend(service=k8s.V1IngressServiceBackend(
                name="web", port=k8s.V1ServiceBackendPort(name="http"))))]))])))
    until(lambda: kube.apps.read_namespaced_deployment("web", ns), rolled_out, what="rollout")

    lists = [kube.core.list_namespaced_service_account(ns), kube.core.list_namespaced_config_map(ns),
             kube.apps.list_namespaced_deployment(ns), kube.apps.list_namespaced_replica_set(ns),
             kube.core.list_namespaced_pod(ns), kube.core.list_namespaced_service(ns),
             kube.net.list_namespaced_ingress(ns), kube.core.list_namespace(),
             kube.apps.list_deployment_for_all_namespaces(), kube.core.list_pod_for_all_namespaces()]
    assert [type(x).__name__ for x in lists] == [
        "V1ServiceAccountList", "V1ConfigMapList", "V1DeploymentList", "V1ReplicaSetList", "V1PodList",
        "V1ServiceList", "V1IngressList", "V1NamespaceList", "V1DeploymentList", "V1PodList"]
    pod = lists[4].items[0]
    assert (pod.status.qos_class, pod.spec.service_account_name, pod.spec.containers[0].readiness_probe.period_seconds,
            pod.spec.containers[0].readiness_probe.timeout_seconds) == ("Guaranteed", "app", 5, 1)

    for read, replace in [(kube.apps.read_namespaced_deployment, kube.apps.replace_namespaced_deployment),
                          (kube.core.read_namespaced_service, kube.core.replace_namespaced_service),
                          (kube.net.read_namespaced_ingress, kube.net.replace_namespaced_ingress)]:
        current = read("web", ns)
        again = replace("web", ns, current)
        assert again.metadata.resource_version == current.metadata.resource_version, type(current).__name__


def test_lists_filter_by_label_and_field_selectors_and_page(kube, ns):
    for name, tier in [("a", "front"), ("b", "back"), ("c", "front")]:
        kube.core.create_namespaced_config_map(ns, {"metadata": {"name": name, "labels": {"tier": tier}}})
    names = lambda **kw: [c.metadata.name for c in kube.core.list_namespaced_config_map(ns, **kw).items]  # noqa: E731
    assert names(label_selector="tier=front") == ["a", "c"]
    assert names(label_selector="tier!=front") == ["b"]
    assert names(label_selector="tier in (back, front),!missing") == ["a", "b", "c"]
    assert names(field_selector="metadata.name=b") == ["b"]
    first = kube.core.list_namespaced_config_map(ns, limit=2)
    assert ([c.metadata.name for c in first.items], first.metadata.remaining_item_count) == (["a", "b"], 1)
    assert names(limit=2, _continue=first.metadata._continue) == ["c"]
    status, error = api_error(kube.core.list_namespaced_config_map, ns, label_selector="tier in front")
    assert (status, error["reason"]) == (400, "BadRequest")


# ---- the cluster's lifetime -----------------------------------------------------------------------

def test_deleting_the_cluster_forgets_its_objects(make_emulator):
    server = make_emulator(time_scale=0.002)
    project = f"gone-{uuid.uuid4().hex[:8]}"
    create_cluster(server, project, "tmp")
    kube = Kube(server, project, "tmp")
    kube.apps.create_namespaced_deployment("default", kube.deployment())
    gke_client(server).projects().locations().clusters().delete(name=cluster_path(project, "tmp")).execute()
    wait_cluster(server, project, "tmp", status=None)
    status, body = api_error(kube.apps.list_namespaced_deployment, "default")
    assert (status, body["details"]["kind"]) == (404, "clusters")

    create_cluster(server, project, "tmp")  # the same name again: a new, empty cluster
    assert kube.apps.list_namespaced_deployment("default").items == []
    assert len(kube.core.list_namespace().items) == 4


def test_forget_cluster_drops_only_that_clusters_objects(make_emulator):
    from gcpkit.emulator.kubernetes import forget_cluster

    server = make_emulator()
    project = f"fg-{uuid.uuid4().hex[:8]}"
    for name in ("one", "two"):
        create_cluster(server, project, name)
        Kube(server, project, name).core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    forget_cluster(server.store, project, ZONE, "one")  # what the GKE emulation calls once a deletion is done
    assert Kube(server, project, "one").core.list_namespaced_config_map("default").items == []
    assert [c.metadata.name for c in Kube(server, project, "two").core.list_namespaced_config_map("default").items] \
        == ["cfg"]


def test_kubernetes_requests_are_in_the_request_log(make_emulator):
    server = make_emulator()
    project = f"log-{uuid.uuid4().hex[:8]}"
    create_cluster(server, project, "c")
    kube = Kube(server, project, "c")
    kube.core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    api_error(kube.core.read_namespaced_config_map, "missing", "default")
    counts = server.log.counts()
    assert (counts["by_method"]["kubernetes.configmaps.create"], counts["by_method"]["kubernetes.configmaps.get"]) \
        == (1, 1)
