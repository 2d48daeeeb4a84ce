"""Firestore Admin v1 databases and their long-running operations through google-api-python-client, over
HTTP, against the strict emulator."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ADMIN = "type.googleapis.com/google.firestore.admin.v1."


def firestore_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("firestore", "v1", client_options={"api_endpoint": server.endpoints()["firestore"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def fs(emulator):
    return firestore_client(emulator)


@pytest.fixture
def project():
    return f"fs-{uuid.uuid4().hex[:10]}"


def databases(fs):
    return fs.projects().databases()


def http_error(call) -> tuple[int, dict]:
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def wait(fs, op: dict, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while not op.get("done"):
        assert time.monotonic() < deadline, f"operation {op['name']} not done after {timeout}s"
        time.sleep(0.01)
        op = databases(fs).operations().get(name=op["name"]).execute()
    return op


def create(fs, project: str, database: str = "(default)", **body) -> dict:
    body = {"type": "DATASTORE_MODE", "locationId": "us-central1", **body}
    op = wait(fs, databases(fs).create(parent=f"projects/{project}", databaseId=database, body=body).execute())
    assert "error" not in op, op
    return databases(fs).get(name=f"projects/{project}/databases/{database}").execute()


def test_get_unknown_database_is_404_as_recorded(fs, project):
    status, error = http_error(databases(fs).get(name=f"projects/{project}/databases/(default)"))
    assert status == 404
    # gRPC-style body, no "errors" list (gcp-golden/firestore--firestoredatabase-minimal.http.log)
    assert error == {"code": 404, "status": "NOT_FOUND",
                     "message": f"Project '{project}' or database '(default)' does not exist."}


def test_create_datastore_mode_default_database(fs, project):
    op = databases(fs).create(parent=f"projects/{project}", databaseId="(default)", body={
        "type": "DATASTORE_MODE", "locationId": "asia-northeast1"}).execute()
    assert op["name"].startswith(f"projects/{project}/databases/(default)/operations/")
    assert op["metadata"] == {"@type": ADMIN + "CreateDatabaseMetadata"}
    assert "done" not in op and op["response"]["@type"] == ADMIN + "Database"  # as recorded
    done = wait(fs, op)
    assert done["done"] is True and done["response"]["name"] == f"projects/{project}/databases/(default)"
    db = databases(fs).get(name=f"projects/{project}/databases/(default)").execute()
    assert db["type"] == "DATASTORE_MODE" and db["locationId"] == "asia-northeast1"
    assert db["deleteProtectionState"] == "DELETE_PROTECTION_DISABLED"
    assert db["concurrencyMode"] == "PESSIMISTIC" and db["appEngineIntegrationMode"] == "DISABLED"
    assert db["versionRetentionPeriod"] == "3600s" and db["freeTier"] is True
    assert len(db["uid"]) == 36 and db["etag"] and db["createTime"] == db["updateTime"]
    listed = databases(fs).list(parent=f"projects/{project}").execute()["databases"]
    assert [d["name"] for d in listed] == [db["name"]]


def test_one_default_database_per_project(fs, project):
    create(fs, project)
    status, error = http_error(databases(fs).create(parent=f"projects/{project}", databaseId="(default)",
                                                    body={"type": "FIRESTORE_NATIVE", "locationId": "nam5"}))
    assert status == 409 and error == {"code": 409, "status": "ALREADY_EXISTS",
                                       "message": "Database already exists. Please use another database_id"}
    named = create(fs, project, "orders", type="FIRESTORE_NATIVE")
    assert named["freeTier"] is False  # the free tier goes to one database per project


@pytest.mark.parametrize("database_id, body, words", [
    (None, {"type": "DATASTORE_MODE", "locationId": "us-central1"}, "database_id is required"),
    ("ab", {"type": "DATASTORE_MODE", "locationId": "us-central1"}, 'Invalid database id "ab"'),
    ("Orders", {"type": "DATASTORE_MODE", "locationId": "us-central1"}, 'Invalid database id "Orders"'),
    ("orders", {"locationId": "us-central1"}, "Invalid database type"),
    ("orders", {"type": "DATASTORE_MODE"}, "locationId is required"),
])
def test_invalid_create_is_400(fs, project, database_id, body, words):
    status, error = http_error(databases(fs).create(parent=f"projects/{project}", databaseId=database_id, body=body))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT" and words in error["message"]
    assert databases(fs).list(parent=f"projects/{project}").execute() == {}


def test_delete_protection(fs, project):
    name = f"projects/{project}/databases/(default)"
    create(fs, project, deleteProtectionState="DELETE_PROTECTION_ENABLED")
    status, error = http_error(databases(fs).delete(name=name))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION" and "delete protected" in error["message"]

    op = databases(fs).patch(name=name, updateMask="deleteProtectionState",
                             body={"deleteProtectionState": "DELETE_PROTECTION_DISABLED"}).execute()
    assert op["metadata"]["@type"] == ADMIN + "UpdateDatabaseMetadata"
    assert wait(fs, op)["response"]["deleteProtectionState"] == "DELETE_PROTECTION_DISABLED"
    db = databases(fs).get(name=name).execute()

    status, error = http_error(databases(fs).delete(name=name, etag="stale"))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION" and "etag" in error["message"]
    op = databases(fs).delete(name=name, etag=db["etag"]).execute()
    assert op["metadata"]["@type"] == ADMIN + "DeleteDatabaseMetadata"
    assert op["response"]["previousId"] == "(default)" and op["response"]["deleteTime"]
    assert wait(fs, op)["response"] == {"@type": ADMIN + "Database"}  # as recorded
    status, _ = http_error(databases(fs).get(name=name))
    assert status == 404
    listed = databases(fs).operations().list(name=name).execute()["operations"]
    assert [o["metadata"]["@type"].rsplit(".", 1)[1] for o in listed] == [
        "DeleteDatabaseMetadata", "UpdateDatabaseMetadata", "CreateDatabaseMetadata"]


def test_patch_refuses_immutable_fields(fs, project):
    create(fs, project)
    status, error = http_error(databases(fs).patch(name=f"projects/{project}/databases/(default)",
                                                   updateMask="locationId", body={"locationId": "europe-west1"}))
    assert status == 400 and "locationId" in error["message"]


def test_point_in_time_recovery_extends_retention(fs, project):
    create(fs, project)
    op = databases(fs).patch(name=f"projects/{project}/databases/(default)", body={
        "pointInTimeRecoveryEnablement": "POINT_IN_TIME_RECOVERY_ENABLED"}).execute()
    assert wait(fs, op)["response"]["versionRetentionPeriod"] == "604800s"


def test_failed_create_creates_nothing(make_emulator):
    server = make_emulator(faults={"rules": [
        {"method_id": "firestore.projects.databases.create", "operation_error": "RESOURCE_EXHAUSTED", "times": 1,
         "message": "Database quota reached."}]})
    fs, project = firestore_client(server), "fs-fault"
    op = wait(fs, databases(fs).create(parent=f"projects/{project}", databaseId="(default)", body={
        "type": "DATASTORE_MODE", "locationId": "us-central1"}).execute())
    assert op["error"] == {"code": 8, "message": "Database quota reached."} and "response" not in op
    status, _ = http_error(databases(fs).get(name=f"projects/{project}/databases/(default)"))
    assert status == 404
