"""Fault rules beyond Compute, through the official clients over real HTTP: the "hide" window (a new
resource answers 404 for a while: eventual consistency) for APIs that name a new resource in the query
(Firestore's databaseId), in a wrapped body (GKE's cluster.name) or by account id (IAM's e-mail), and the
error and latency rules on each emulated cluster's Kubernetes API, worded as an API server words them."""

from __future__ import annotations

import time
import uuid

import pytest
from googleapiclient.errors import HttpError
from test_kubernetes_api import Kube, api_error, create_cluster

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HIDE_S = 2.0


def _client(server, api: str, version: str):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build(api, version, client_options={"api_endpoint": server.endpoints()[api]},
                 credentials=AnonymousCredentials(), static_discovery=True)


def _status(call) -> int:
    try:
        call.execute()
    except HttpError as exc:
        return exc.resp.status
    return 200


def _hidden_then_visible(get, started: float) -> None:
    assert _status(get) == 404
    time.sleep(max(0.0, started + HIDE_S + 0.2 - time.monotonic()))
    assert _status(get) == 200


def test_a_new_firestore_database_gke_cluster_and_service_account_answer_404_for_a_while(make_emulator):
    server = make_emulator(faults={"rules": [{"http_method": "POST", "hide": HIDE_S}]})
    project = f"hide-{uuid.uuid4().hex[:8]}"

    databases = _client(server, "firestore", "v1").projects().databases()
    started = time.monotonic()
    op = databases.create(parent=f"projects/{project}", databaseId="orders",
                          body={"type": "DATASTORE_MODE", "locationId": "us-central1"}).execute()
    assert op["name"]
    _hidden_then_visible(databases.get(name=f"projects/{project}/databases/orders"), started)

    started = time.monotonic()
    create_cluster(server, project, "c1", wait=False)
    clusters = _client(server, "container", "v1").projects().locations().clusters()
    _hidden_then_visible(clusters.get(name=f"projects/{project}/locations/us-central1-a/clusters/c1"), started)

    accounts = _client(server, "iam", "v1").projects().serviceAccounts()
    started = time.monotonic()
    accounts.create(name=f"projects/{project}", body={"accountId": "runner", "serviceAccount": {}}).execute()
    _hidden_then_visible(accounts.get(name=f"projects/{project}/serviceAccounts/runner@{project}.iam.gserviceaccount.com"),
                         started)
    assert server.faults.hidden_served == 3


@pytest.mark.parametrize("error, status, reason", [
    (429, 429, "TooManyRequests"),
    ({"status": 403, "reason": "rateLimitExceeded"}, 429, "TooManyRequests"),  # no such 403 in Kubernetes
    (503, 503, "ServiceUnavailable"),
    (500, 500, "InternalError"),
])
def test_kubernetes_api_faults_are_status_objects(make_emulator, error, status, reason):
    server = make_emulator()
    project = f"kf-{uuid.uuid4().hex[:8]}"
    create_cluster(server, project, "c1")
    kube = Kube(server, project, "c1")
    server.ctx.faults = server.faults = type(server.faults).load(
        {"rules": [{"api": "kubernetes", "method_id": "kubernetes.namespaces.list", "nth": 1, "error": error}]})
    got, body = api_error(kube.core.list_namespace)
    assert (got, body["kind"], body["reason"], body["code"]) == (status, "Status", reason, status)
    assert {n.metadata.name for n in kube.core.list_namespace().items} >= {"default", "kube-system"}  # once only


def test_kubernetes_api_latency_and_a_fault_changes_nothing(make_emulator):
    server = make_emulator()
    project = f"kl-{uuid.uuid4().hex[:8]}"
    create_cluster(server, project, "c1")
    kube = Kube(server, project, "c1")
    server.ctx.faults = server.faults = type(server.faults).load({"rules": [
        {"api": "kubernetes", "http_method": "GET", "latency": 0.3},
        {"api": "kubernetes", "method_id": "kubernetes.namespaces.create", "nth": 1, "error": 503}]})
    started = time.monotonic()
    kube.core.list_namespace()
    assert time.monotonic() - started >= 0.3
    body = kube.k8s.V1Namespace(metadata=kube.k8s.V1ObjectMeta(name="once"))
    assert api_error(kube.core.create_namespace, body)[0] == 503
    names = {n.metadata.name for n in kube.core.list_namespace().items}
    assert "once" not in names  # the faulted create made nothing
    kube.core.create_namespace(body)
    assert "once" in {n.metadata.name for n in kube.core.list_namespace().items}


def test_a_new_service_account_is_not_yet_usable_in_a_policy(make_emulator):
    """Google's well-known "Service account X does not exist." (400) for a member created moments ago."""
    server = make_emulator(faults={"rules": [{"method_id": "iam.projects.serviceAccounts.create", "hide": HIDE_S}]})
    project = f"iam-{uuid.uuid4().hex[:8]}"
    email = f"runner@{project}.iam.gserviceaccount.com"
    started = time.monotonic()
    _client(server, "iam", "v1").projects().serviceAccounts().create(
        name=f"projects/{project}", body={"accountId": "runner", "serviceAccount": {}}).execute()
    projects = _client(server, "cloudresourcemanager", "v3").projects()
    policy = projects.getIamPolicy(resource=f"projects/{project}", body={}).execute()
    policy["bindings"] = [*policy.get("bindings", []), {"role": "roles/viewer", "members": [f"serviceAccount:{email}"]}]
    with pytest.raises(HttpError) as refused:
        projects.setIamPolicy(resource=f"projects/{project}", body={"policy": policy}).execute()
    assert refused.value.resp.status == 400
    assert f"Service account {email} does not exist." in refused.value.content.decode()
    time.sleep(max(0.0, started + HIDE_S + 0.2 - time.monotonic()))
    projects.setIamPolicy(resource=f"projects/{project}", body={"policy": policy}).execute()
    bindings = projects.getIamPolicy(resource=f"projects/{project}", body={}).execute()["bindings"]
    assert {"role": "roles/viewer", "members": [f"serviceAccount:{email}"]} in bindings
