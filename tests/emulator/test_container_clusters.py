"""GKE clusters (container v1, projects.locations.clusters and operations) through google-api-python-client,
over HTTP, against the strict emulator."""

from __future__ import annotations

import base64
import ipaddress
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ZONE = "us-central1-a"


def gke_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("container", "v1", client_options={"api_endpoint": server.endpoints()["container"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


def scale_for(collection: str, verb: str, seconds: float) -> float:
    """A time scale under which the emulator's GKE (collection, verb) operation lasts `seconds`."""
    from gcpkit.emulator.core.latency import Latency

    return seconds / Latency(1.0).duration("container", collection, verb)


@pytest.fixture(scope="module")
def gke(emulator):
    return gke_client(emulator)


@pytest.fixture
def project():
    return f"gke-{uuid.uuid4().hex[:10]}"


def http_error(call) -> tuple[int, dict]:
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def clusters(gke):
    return gke.projects().locations().clusters()


def cluster_name(project: str, name: str, location: str = ZONE) -> str:
    return f"projects/{project}/locations/{location}/clusters/{name}"


def wait(gke, project: str, op: dict, location: str = ZONE, timeout: float = 30.0) -> tuple[list[str], dict]:
    """Poll an operation until DONE: (statuses seen, final operation)."""
    seen = [op["status"]]
    deadline = time.monotonic() + timeout
    name = f"projects/{project}/locations/{location}/operations/{op['name']}"
    while op["status"] != "DONE":
        assert time.monotonic() < deadline, f"operation {op['name']} not DONE after {timeout}s"
        time.sleep(0.01)
        op = gke.projects().locations().operations().get(name=name).execute()
        if op["status"] != seen[-1]:
            seen.append(op["status"])
    return seen, op


def create(gke, project: str, name: str = "web", location: str = ZONE, **cluster) -> dict:
    """Create a cluster (a one-node default pool unless told otherwise) and wait until it runs."""
    cluster = {"name": name, **(cluster or {"initialNodeCount": 1})}
    op = clusters(gke).create(parent=f"projects/{project}/locations/{location}", body={"cluster": cluster}).execute()
    _, done = wait(gke, project, op, location)
    assert "error" not in done, done
    return clusters(gke).get(name=cluster_name(project, name, location)).execute()


# ---- reading -----------------------------------------------------------------------------------

def test_get_unknown_cluster_is_404_in_gke_wording(gke, project):
    status, error = http_error(clusters(gke).get(name=cluster_name(project, "nope")))
    assert status == 404 and error["status"] == "NOT_FOUND"
    # GKE names the cluster in its zonal form even when asked through /locations/ (recordings)
    assert error["message"] == f"Not found: projects/{project}/zones/{ZONE}/clusters/nope."
    assert error["errors"][0]["reason"] == "notFound"


# ---- create ------------------------------------------------------------------------------------

def test_create_provisions_then_runs(make_emulator):
    from cryptography import x509

    server = make_emulator(time_scale=scale_for("clusters", "create", 1.5))
    gke, project = gke_client(server), "p-provision"
    op = clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}", body={"cluster": {
        "name": "web", "initialNodeCount": 1, "releaseChannel": {"channel": "REGULAR"},
        "workloadIdentityConfig": {"workloadPool": f"{project}.svc.id.goog"},
        "resourceLabels": {"managed-by": "gcpkit", "gcpkit-deployment": "shop"}}}).execute()
    assert op["status"] == "RUNNING" and op["operationType"] == "CREATE_CLUSTER"  # as recorded: never PENDING
    assert op["name"].startswith("operation-") and op["zone"] == ZONE and "endTime" not in op
    assert op["targetLink"].endswith(f"/zones/{ZONE}/clusters/web")
    assert op["selfLink"].endswith(f"/zones/{ZONE}/operations/{op['name']}")
    assert clusters(gke).get(name=cluster_name(project, "web")).execute()["status"] == "PROVISIONING"

    seen, done = wait(gke, project, op)
    assert seen == ["RUNNING", "DONE"]
    assert done["endTime"] >= done["startTime"] and done["progress"]["metrics"]
    cluster = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert cluster["status"] == "RUNNING"
    assert ipaddress.ip_address(cluster["endpoint"]).is_global
    assert cluster["privateClusterConfig"]["publicEndpoint"] == cluster["endpoint"]
    ca = x509.load_pem_x509_certificate(base64.b64decode(cluster["masterAuth"]["clusterCaCertificate"]))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cluster["currentMasterVersion"] == cluster["currentNodeVersion"] == cluster["initialClusterVersion"]
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{project}.svc.id.goog"}
    assert cluster["resourceLabels"] == {"managed-by": "gcpkit", "gcpkit-deployment": "shop"}
    assert cluster["location"] == cluster["zone"] == ZONE and cluster["locations"] == [ZONE]
    assert cluster["selfLink"].endswith(f"/projects/{project}/zones/{ZONE}/clusters/web")
    assert cluster["createTime"] and cluster["labelFingerprint"] and cluster["id"]
    [pool] = cluster["nodePools"]
    assert pool["name"] == "default-pool" and pool["status"] == "RUNNING" and pool["initialNodeCount"] == 1
    # Workload Identity on: the nodes serve the GKE metadata server
    assert pool["config"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert cluster["currentNodeCount"] == 1 and cluster["instanceGroupUrls"] == pool["instanceGroupUrls"]

    again = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert again["endpoint"] == cluster["endpoint"]  # deterministic per cluster
    assert again["masterAuth"] == cluster["masterAuth"]  # generated once, stored


def test_regional_cluster_with_a_node_pools_list(gke, project):
    cluster = create(gke, project, "api", location="europe-west1", nodePools=[
        {"name": "workers", "initialNodeCount": 2, "config": {"machineType": "e2-standard-4"},
         "autoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 5}}])
    assert cluster["locations"] == ["europe-west1-a", "europe-west1-b", "europe-west1-c"]
    assert "initialNodeCount" not in cluster
    [pool] = cluster["nodePools"]
    assert pool["autoscaling"] == {"enabled": True, "minNodeCount": 1, "maxNodeCount": 5}
    assert pool["config"]["machineType"] == "e2-standard-4" and len(pool["instanceGroupUrls"]) == 3
    assert cluster["currentNodeCount"] == 6  # two per zone
    assert cluster["nodeConfig"]["machineType"] == "e2-standard-4"


def test_duplicate_name_is_409(gke, project):
    clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}",
                         body={"cluster": {"name": "dup", "initialNodeCount": 1}}).execute()
    status, error = http_error(clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}",
                                                    body={"cluster": {"name": "dup", "initialNodeCount": 1}}))
    assert status == 409 and error["status"] == "ALREADY_EXISTS"
    assert error["message"] == f"Already exists: projects/{project}/zones/{ZONE}/clusters/dup."


@pytest.mark.parametrize("cluster, words", [
    ({"name": "Bad_Name", "initialNodeCount": 1}, 'Invalid value for field "cluster.name"'),
    ({"name": "x" * 41, "initialNodeCount": 1}, "no longer than 40 characters"),
    ({"name": "nodes"}, "initial_node_count must be greater than zero"),
    ({"name": "both", "initialNodeCount": 1, "nodePools": [{"name": "p", "initialNodeCount": 1}]},
     "must not be set when Cluster.node_pools is specified"),
    ({"name": "wi", "initialNodeCount": 1, "workloadIdentityConfig": {"workloadPool": "other.svc.id.goog"}},
     "must be"),
    ({"name": "scale", "nodePools": [{"name": "p", "initialNodeCount": 1,
                                      "autoscaling": {"enabled": True, "minNodeCount": 4, "maxNodeCount": 2}}]},
     "Invalid autoscaling configuration"),
])
def test_invalid_create_is_400_and_creates_nothing(gke, project, cluster, words):
    status, error = http_error(clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}",
                                                    body={"cluster": cluster}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT" and words in error["message"]
    assert clusters(gke).list(parent=f"projects/{project}/locations/-").execute() == {}


def test_bad_location_is_400(gke, project):
    status, error = http_error(clusters(gke).create(parent=f"projects/{project}/locations/mars",
                                                    body={"cluster": {"name": "c", "initialNodeCount": 1}}))
    assert status == 400 and 'Location "mars"' in error["message"]


# ---- one operation at a time -------------------------------------------------------------------

def test_busy_cluster_refuses_a_second_operation(make_emulator):
    server = make_emulator(time_scale=scale_for("clusters", "create", 2.0))
    gke, project = gke_client(server), "p-busy"
    op = clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}",
                              body={"cluster": {"name": "busy", "initialNodeCount": 1}}).execute()
    name = cluster_name(project, "busy")
    calls = [clusters(gke).update(name=name, body={"update": {"desiredReleaseChannel": {"channel": "STABLE"}}}),
             clusters(gke).delete(name=name),
             clusters(gke).setResourceLabels(name=name, body={"resourceLabels": {"a": "b"}}),
             clusters(gke).nodePools().create(parent=name, body={"nodePool": {"name": "p2", "initialNodeCount": 1}})]
    for call in calls:
        status, error = http_error(call)
        assert status == 400 and error["status"] == "FAILED_PRECONDITION"
        assert error["message"] == f"Cluster is running incompatible operation {op['name']}."
        assert error["errors"][0]["reason"] == "failedPrecondition"
        assert error["details"][0]["reason"] == "CLUSTER_ALREADY_HAS_OPERATION"
    # nothing was changed by the refused calls
    cluster = clusters(gke).get(name=name).execute()
    assert cluster["status"] == "PROVISIONING" and cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert [p["name"] for p in cluster["nodePools"]] == ["default-pool"]


# ---- update ------------------------------------------------------------------------------------

def test_update_applies_and_reconciles(make_emulator):
    server = make_emulator(time_scale=scale_for("clusters", "update", 1.5))
    gke, project = gke_client(server), "p-update"
    create(gke, project, "web")
    name = cluster_name(project, "web")
    op = clusters(gke).update(name=name, body={"update": {
        "desiredReleaseChannel": {"channel": "STABLE"},
        "desiredWorkloadIdentityConfig": {"workloadPool": f"{project}.svc.id.goog"}}}).execute()
    assert op["operationType"] == "UPDATE_CLUSTER" and op["status"] == "RUNNING"
    assert clusters(gke).get(name=name).execute()["status"] == "RECONCILING"
    wait(gke, project, op)
    op = clusters(gke).update(name=name, body={"update": {
        "desiredNodePoolId": "default-pool",
        "desiredNodePoolAutoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 4}}}).execute()
    wait(gke, project, op)
    cluster = clusters(gke).get(name=name).execute()
    assert cluster["status"] == "RUNNING"
    assert cluster["releaseChannel"] == {"channel": "STABLE"}
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{project}.svc.id.goog"}
    assert cluster["nodePools"][0]["autoscaling"] == {"enabled": True, "minNodeCount": 1, "maxNodeCount": 4}

    listed = gke.projects().locations().operations().list(parent=f"projects/{project}/locations/{ZONE}").execute()
    assert [o["operationType"] for o in listed["operations"]] == ["CREATE_CLUSTER", "UPDATE_CLUSTER",
                                                                  "UPDATE_CLUSTER"]
    assert {o["status"] for o in listed["operations"]} == {"DONE"}


def test_update_checks_its_fields(gke, project):
    create(gke, project, "web")
    name = cluster_name(project, "web")
    status, error = http_error(clusters(gke).update(name=name, body={"update": {
        "desiredNodePoolAutoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}}}))
    assert status == 400 and "desiredNodePoolId" in error["message"]
    status, error = http_error(clusters(gke).update(name=name, body={"update": {
        "desiredNodePoolId": "ghost", "desiredNodePoolAutoscaling": {"enabled": True, "maxNodeCount": 3}}}))
    assert status == 404 and "ghost" in error["message"]
    status, error = http_error(clusters(gke).update(name=name, body={"update": {}}))
    assert status == 400
    assert clusters(gke).get(name=name).execute()["status"] == "RUNNING"  # no operation was started


def test_set_resource_labels_checks_the_fingerprint(gke, project):
    cluster = create(gke, project, "web", initialNodeCount=1, resourceLabels={"a": "1"})
    name = cluster_name(project, "web")
    status, error = http_error(clusters(gke).setResourceLabels(name=name, body={
        "resourceLabels": {"a": "2"}, "labelFingerprint": "stale"}))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION"
    op = clusters(gke).setResourceLabels(name=name, body={
        "resourceLabels": {"a": "2"}, "labelFingerprint": cluster["labelFingerprint"]}).execute()
    assert op["operationType"] == "SET_LABELS"
    wait(gke, project, op)
    after = clusters(gke).get(name=name).execute()
    assert after["resourceLabels"] == {"a": "2"} and after["labelFingerprint"] != cluster["labelFingerprint"]


# ---- delete ------------------------------------------------------------------------------------

def test_delete_stops_then_forgets(make_emulator):
    from gcpkit.emulator.container.lookup import cluster_state

    server = make_emulator(time_scale=scale_for("clusters", "delete", 1.5))
    gke, project = gke_client(server), "p-delete"
    create(gke, project, "web")
    assert cluster_state(server.store, project, ZONE, "web") == "RUNNING"
    op = clusters(gke).delete(name=cluster_name(project, "web")).execute()
    assert op["operationType"] == "DELETE_CLUSTER" and op["status"] == "RUNNING"
    cluster = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert cluster["status"] == "STOPPING" and cluster["nodePools"][0]["status"] == "STOPPING"
    assert cluster_state(server.store, project, ZONE, "web") == "STOPPING"
    seen, done = wait(gke, project, op)
    assert seen == ["RUNNING", "DONE"] and "error" not in done
    status, _ = http_error(clusters(gke).get(name=cluster_name(project, "web")))
    assert status == 404
    assert cluster_state(server.store, project, ZONE, "web") is None
    assert clusters(gke).list(parent=f"projects/{project}/locations/{ZONE}").execute() == {}
    assert create(gke, project, "web")["status"] == "RUNNING"  # the name is free again


def test_cluster_state_for_the_kubernetes_emulation(gke, emulator, project):
    from gcpkit.emulator.container.lookup import cluster_ca, cluster_state

    assert cluster_state(emulator.store, project, ZONE, "absent") is None
    assert cluster_ca(emulator.store, project, ZONE, "absent") is None
    cluster = create(gke, project, "web")
    assert cluster_state(emulator.store, project, ZONE, "web") == "RUNNING"
    cert, key = cluster_ca(emulator.store, project, ZONE, "web")
    assert base64.b64decode(cluster["masterAuth"]["clusterCaCertificate"]).decode() == cert
    assert key.startswith("-----BEGIN PRIVATE KEY-----")


def test_failed_create_leaves_a_cluster_in_error(make_emulator):
    server = make_emulator(faults={"rules": [
        {"method_id": "container.projects.locations.clusters.create", "operation_error": "GCE_STOCKOUT", "times": 1,
         "message": "Try a different location, or try again later."}]})
    gke, project = gke_client(server), "p-stockout"
    op = clusters(gke).create(parent=f"projects/{project}/locations/{ZONE}",
                              body={"cluster": {"name": "web", "initialNodeCount": 1}}).execute()
    _, done = wait(gke, project, op)
    assert done["status"] == "DONE" and done["statusMessage"] == "Try a different location, or try again later."
    assert done["error"] == {"code": 8, "message": "Try a different location, or try again later."}
    cluster = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert cluster["status"] == "ERROR" and cluster["statusMessage"] == done["statusMessage"]
    _, deleted = wait(gke, project, clusters(gke).delete(name=cluster_name(project, "web")).execute())
    assert "error" not in deleted  # a cluster in ERROR can be deleted


def test_list_across_locations(gke, project):
    for location, name in (("us-central1-a", "a"), ("europe-west1", "b")):
        clusters(gke).create(parent=f"projects/{project}/locations/{location}",
                             body={"cluster": {"name": name, "initialNodeCount": 1}}).execute()
    every = clusters(gke).list(parent=f"projects/{project}/locations/-").execute()["clusters"]
    assert [(c["location"], c["name"]) for c in every] == [("europe-west1", "b"), ("us-central1-a", "a")]
    one = clusters(gke).list(parent=f"projects/{project}/locations/europe-west1").execute()["clusters"]
    assert [c["name"] for c in one] == ["b"]
    ops = gke.projects().locations().operations().list(parent=f"projects/{project}/locations/-").execute()
    assert len(ops["operations"]) == 2


def test_unknown_operation_is_404(gke, project):
    status, error = http_error(gke.projects().locations().operations().get(
        name=f"projects/{project}/locations/{ZONE}/operations/operation-123"))
    assert status == 404 and error["status"] == "NOT_FOUND"


def test_zonal_aliases_reach_the_same_clusters(gke, project):
    zones = gke.projects().zones()
    op = zones.clusters().create(projectId=project, zone=ZONE,
                                 body={"cluster": {"name": "old-style", "initialNodeCount": 1}}).execute()
    done = zones.operations().get(projectId=project, zone=ZONE, operationId=op["name"]).execute()
    assert done["operationType"] == "CREATE_CLUSTER"
    wait(gke, project, op)
    assert clusters(gke).get(name=cluster_name(project, "old-style")).execute()["status"] == "RUNNING"
    assert zones.clusters().get(projectId=project, zone=ZONE, clusterId="old-style").execute()["name"] == "old-style"
    listed = zones.clusters().nodePools().list(projectId=project, zone=ZONE, clusterId="old-style").execute()
    assert [p["name"] for p in listed["nodePools"]] == ["default-pool"]
    _, deleted = wait(gke, project, zones.clusters().delete(projectId=project, zone=ZONE,
                                                            clusterId="old-style").execute())
    assert deleted["operationType"] == "DELETE_CLUSTER"
    assert zones.clusters().list(projectId=project, zone=ZONE).execute() == {}
