"""Secret Manager v1 secrets and secret IAM policies through google-api-python-client, over HTTP.

Secret Manager is not in gcpkit/emulator/core/services.py yet: this module mounts it for its own
emulator by patching services.SERVICES (undone afterwards)."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACCESSOR = "roles/secretmanager.secretAccessor"


def secretmanager_service():
    from gcpkit.emulator.core.services import Service

    return Service("secretmanager", "secretmanager.v1.json", "/secretmanager", "gcpkit.emulator.secretmanager")


@pytest.fixture(scope="module")
def sm_server(tmp_path_factory):
    """An emulator with Secret Manager mounted, logging requests to a file (see the secrecy tests)."""
    from gcpkit.emulator.core import services
    from gcpkit.emulator.core.server import EmulatorServer

    patch = pytest.MonkeyPatch()
    if "secretmanager" not in services.SERVICES:
        patch.setitem(services.SERVICES, "secretmanager", secretmanager_service())
    log = tmp_path_factory.mktemp("smlog") / "requests.jsonl"
    server = EmulatorServer(port=0, in_memory=True, strict=True, time_scale=0.002, log_requests=log)
    server.request_log_path = log
    server.start()
    yield server
    server.stop()
    patch.undo()


def sm_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("secretmanager", "v1", client_options={"api_endpoint": server.endpoints()["secretmanager"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def sm(sm_server):
    return sm_client(sm_server)


@pytest.fixture
def project():
    return f"sm-{uuid.uuid4().hex[:10]}"


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def secrets(sm):
    return sm.projects().secrets()


def make_secret(sm, project, secret_id="db-password", **extra):
    body = {"replication": {"automatic": {}}, **extra}
    return secrets(sm).create(parent=f"projects/{project}", secretId=secret_id, body=body).execute()


def test_create_shape(sm_server, sm, project):
    from gcpkit.emulator.resourcemanager.lifecycle import project_number

    request = secrets(sm).create(parent=f"projects/{project}", secretId="x", body={})
    assert request.uri.startswith(f"{sm_server.url}/secretmanager/v1/projects/{project}/secrets")
    s = make_secret(sm, project, labels={"managed-by": "gcpkit"})
    assert s["name"] == f"projects/{project_number(project)}/secrets/db-password"
    assert s["replication"] == {"automatic": {}}
    assert s["labels"] == {"managed-by": "gcpkit"}
    assert s["createTime"].endswith("Z") and s["etag"].startswith('"')
    assert set(s) == {"name", "replication", "createTime", "etag", "labels"}


def test_get_by_project_id_or_number(sm, project):
    s = make_secret(sm, project)
    assert secrets(sm).get(name=f"projects/{project}/secrets/db-password").execute() == s
    assert secrets(sm).get(name=s["name"]).execute() == s


def test_create_errors(sm, project):
    make_secret(sm, project)
    status, error = http_error(secrets(sm).create(parent=f"projects/{project}", secretId="db-password",
                                                  body={"replication": {"automatic": {}}}))
    assert status == 409 and error["status"] == "ALREADY_EXISTS" and "errors" not in error
    for secret_id in ("bad id", "bad/id", "x" * 256, None):
        status, error = http_error(secrets(sm).create(parent=f"projects/{project}", secretId=secret_id,
                                                      body={"replication": {"automatic": {}}}))
        assert status == 400 and error["status"] == "INVALID_ARGUMENT", secret_id
    for body in ({}, {"replication": {}}, {"replication": {"automatic": {}, "userManaged": {"replicas": [
            {"location": "europe-west1"}]}}}, {"replication": {"userManaged": {"replicas": []}}}):
        status, _ = http_error(secrets(sm).create(parent=f"projects/{project}", secretId="other", body=body))
        assert status == 400, body


def test_user_managed_replication(sm, project):
    s = make_secret(sm, project, replication={"userManaged": {"replicas": [{"location": "europe-west1"}]}})
    assert s["replication"] == {"userManaged": {"replicas": [{"location": "europe-west1"}]}}


def test_unknown_secret_is_404(sm, project):
    from gcpkit.emulator.resourcemanager.lifecycle import project_number

    status, error = http_error(secrets(sm).get(name=f"projects/{project}/secrets/missing"))
    assert status == 404
    assert error == {"code": 404, "status": "NOT_FOUND", "message":
                     f"Secret [projects/{project_number(project)}/secrets/missing] not found or has no versions."}


def test_list_pages_and_filters(sm, project):
    assert secrets(sm).list(parent=f"projects/{project}").execute() == {}
    for i in range(3):
        make_secret(sm, project, f"secret-{i}", labels={"tier": "web" if i else "db"})
    listed = secrets(sm).list(parent=f"projects/{project}").execute()
    assert [s["name"].rsplit("/", 1)[1] for s in listed["secrets"]] == ["secret-0", "secret-1", "secret-2"]
    assert listed["totalSize"] == 3
    first = secrets(sm).list(parent=f"projects/{project}", pageSize=2).execute()
    rest = secrets(sm).list(parent=f"projects/{project}", pageSize=2, pageToken=first["nextPageToken"]).execute()
    assert len(first["secrets"]) == 2 and len(rest["secrets"]) == 1 and "nextPageToken" not in rest
    web = secrets(sm).list(parent=f"projects/{project}", filter="labels.tier=web").execute()
    assert [s["name"].rsplit("/", 1)[1] for s in web["secrets"]] == ["secret-1", "secret-2"]


def test_patch_labels_changes_the_etag(sm, project):
    s = make_secret(sm, project)
    out = secrets(sm).patch(name=s["name"], updateMask="labels", body={"labels": {"a": "b"}}).execute()
    assert out["labels"] == {"a": "b"} and out["etag"] != s["etag"]
    status, error = http_error(secrets(sm).patch(name=s["name"], updateMask="labels",
                                                 body={"labels": {}, "etag": s["etag"]}))
    assert status == 409 and error["status"] == "ABORTED"


def test_delete_removes_secret_and_versions(sm, project):
    s = make_secret(sm, project)
    secrets(sm).addVersion(parent=s["name"], body={"payload": {"data": "aGk="}}).execute()
    status, error = http_error(secrets(sm).delete(name=s["name"], etag='"stale"'))
    assert status == 409 and error["status"] == "ABORTED"
    assert secrets(sm).delete(name=s["name"], etag=s["etag"]).execute() == {}
    assert http_error(secrets(sm).get(name=s["name"]))[0] == 404
    assert http_error(secrets(sm).delete(name=s["name"]))[0] == 404
    again = make_secret(sm, project)
    assert secrets(sm).versions().list(parent=again["name"]).execute() == {}


def test_secret_iam_policy_for_one_accessor(sm, project):
    s = make_secret(sm, project)
    empty = secrets(sm).getIamPolicy(resource=s["name"]).execute()
    assert empty == {"version": 1, "etag": "ACAB"}
    member = f"serviceAccount:app-runner@{project}.iam.gserviceaccount.com"
    out = secrets(sm).setIamPolicy(resource=s["name"], body={"policy": {
        "etag": empty["etag"], "bindings": [{"role": ACCESSOR, "members": [member]}]}}).execute()
    assert out["bindings"] == [{"role": ACCESSOR, "members": [member]}]
    assert secrets(sm).getIamPolicy(resource=f"projects/{project}/secrets/db-password").execute() == out
    status, error = http_error(secrets(sm).setIamPolicy(resource=s["name"], body={"policy": {
        "etag": empty["etag"], "bindings": []}}))
    assert status == 409 and error["status"] == "ABORTED"
    assert http_error(secrets(sm).getIamPolicy(resource=f"projects/{project}/secrets/nope"))[0] == 404


def test_a_deleted_project_hides_its_secrets(sm_server, sm, project):
    from tests.emulator.test_resourcemanager_projects import crm_client, wait

    crm = crm_client(sm_server)
    s = make_secret(sm, project)
    wait(crm, crm.projects().delete(name=f"projects/{project}").execute())
    for name in (s["name"], f"projects/{project}/secrets/db-password"):
        status, error = http_error(secrets(sm).get(name=name))
        assert status == 403 and error["status"] == "PERMISSION_DENIED"
    wait(crm, crm.projects().undelete(name=f"projects/{project}", body={}).execute())
    assert secrets(sm).get(name=s["name"]).execute() == s
