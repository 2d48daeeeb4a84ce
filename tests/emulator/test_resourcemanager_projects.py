"""Resource Manager v3 projects: create/get/list/search/patch, delete/undelete as long-running
operations, implicit projects, and the lifecycle helper, through google-api-python-client."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def crm_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("cloudresourcemanager", "v3",
                 client_options={"api_endpoint": server.endpoints()["cloudresourcemanager"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def crm(emulator):
    return crm_client(emulator)


def new_id(prefix: str = "rm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def project_id():
    return new_id()


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def wait(crm, op: dict, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while not op.get("done"):
        assert time.monotonic() < deadline, f"operation {op['name']} not done after {timeout}s"
        time.sleep(0.005)
        op = crm.operations().get(name=op["name"]).execute()
    return op


def create(crm, project_id: str, **extra) -> dict:
    body = {"projectId": project_id, "displayName": "Test project", **extra}
    return wait(crm, crm.projects().create(body=body).execute())["response"]


def test_create_is_an_operation_answering_the_project(emulator, crm, project_id):
    op = crm.projects().create(body={"projectId": project_id, "displayName": "KCC one",
                                     "parent": "organizations/123456", "labels": {"env": "test"}}).execute()
    assert set(op) == {"name"} and op["name"].startswith("operations/")  # not done yet, as recorded
    done = wait(crm, op)
    assert done["done"] is True
    assert done["metadata"] == {"@type": "type.googleapis.com/google.cloudresourcemanager.v3.CreateProjectMetadata",
                                "gettable": True, "ready": True}
    project = done["response"]
    assert project["@type"] == "type.googleapis.com/google.cloudresourcemanager.v3.Project"
    assert project["projectId"] == project_id and project["state"] == "ACTIVE"
    assert project["name"].startswith("projects/") and project["name"].split("/")[1].isdigit()
    assert project["parent"] == "organizations/123456" and project["labels"] == {"env": "test"}
    got = crm.projects().get(name=f"projects/{project_id}").execute()
    assert got == {k: v for k, v in project.items() if k != "@type"}
    assert crm.projects().get(name=project["name"]).execute() == got  # by number


def test_create_errors(crm, project_id):
    create(crm, project_id)
    status, error = http_error(crm.projects().create(body={"projectId": project_id}))
    assert status == 409 and error["status"] == "ALREADY_EXISTS" and "errors" not in error
    for bad in ("short", "1-starts-with-digit", "ends-with-", "UPPER-case-id", "x" * 31):
        status, error = http_error(crm.projects().create(body={"projectId": bad}))
        assert status == 400 and error["status"] == "INVALID_ARGUMENT", bad
    status, _ = http_error(crm.projects().create(body={"projectId": new_id(), "parent": "orgs/1"}))
    assert status == 400
    status, _ = http_error(crm.projects().create(body={}))
    assert status == 400


def test_a_project_never_created_is_active_on_first_touch(crm, project_id):
    got = crm.projects().get(name=f"projects/{project_id}").execute()
    assert got["projectId"] == project_id and got["state"] == "ACTIVE"
    assert crm.projects().get(name=f"projects/{project_id}").execute()["createTime"] == got["createTime"]
    # creating it explicitly adopts it (the other APIs touched it first)
    adopted = create(crm, project_id, displayName="Adopted now")
    assert adopted["displayName"] == "Adopted now" and adopted["name"] == got["name"]


def test_an_unknown_project_number_is_403_as_on_gcp(crm):
    status, error = http_error(crm.projects().get(name="projects/999999999999999"))
    assert status == 403
    assert error == {"code": 403, "message": "The caller does not have permission", "status": "PERMISSION_DENIED"}


def test_delete_and_undelete_are_operations(crm, project_id):
    create(crm, project_id)
    op = crm.projects().delete(name=f"projects/{project_id}").execute()
    done = wait(crm, op)
    assert done["metadata"]["@type"].endswith("v3.DeleteProjectMetadata")
    assert done["response"]["state"] == "DELETE_REQUESTED" and "deleteTime" in done["response"]
    got = crm.projects().get(name=f"projects/{project_id}").execute()
    assert got["state"] == "DELETE_REQUESTED"
    status, error = http_error(crm.projects().delete(name=f"projects/{project_id}"))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION"

    done = wait(crm, crm.projects().undelete(name=f"projects/{project_id}", body={}).execute())
    assert done["metadata"]["@type"].endswith("v3.UndeleteProjectMetadata")
    assert done["response"]["state"] == "ACTIVE" and "deleteTime" not in done["response"]
    assert crm.projects().get(name=f"projects/{project_id}").execute()["state"] == "ACTIVE"
    status, error = http_error(crm.projects().undelete(name=f"projects/{project_id}", body={}))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION"


def test_an_implicit_project_can_be_deleted_and_undeleted(crm, project_id):
    wait(crm, crm.projects().delete(name=f"projects/{project_id}").execute())
    assert crm.projects().get(name=f"projects/{project_id}").execute()["state"] == "DELETE_REQUESTED"
    status, _ = http_error(crm.projects().create(body={"projectId": project_id}))  # the id stays taken
    assert status == 409
    wait(crm, crm.projects().undelete(name=f"projects/{project_id}", body={}).execute())
    assert crm.projects().get(name=f"projects/{project_id}").execute()["state"] == "ACTIVE"


def test_unknown_operation_is_404(crm):
    status, error = http_error(crm.operations().get(name="operations/cp.0"))
    assert status == 404 and error["status"] == "NOT_FOUND"


def test_patch_updates_display_name_and_labels(crm, project_id):
    before = create(crm, project_id, labels={"a": "1"})
    done = wait(crm, crm.projects().patch(name=f"projects/{project_id}", updateMask="displayName,labels",
                                          body={"displayName": "Renamed one", "labels": {"b": "2"}}).execute())
    assert done["response"]["displayName"] == "Renamed one" and done["response"]["labels"] == {"b": "2"}
    got = crm.projects().get(name=f"projects/{project_id}").execute()
    assert got["displayName"] == "Renamed one" and got["labels"] == {"b": "2"} and got["etag"] != before["etag"]
    status, _ = http_error(crm.projects().patch(name=f"projects/{project_id}", updateMask="projectId",
                                                body={"projectId": "other-id-1"}))
    assert status == 400


def test_list_by_parent_and_show_deleted(crm):
    org = f"organizations/{uuid.uuid4().int % 10**12}"
    ids = sorted(new_id("lst") for _ in range(3))
    for pid in ids:
        create(crm, pid, parent=org)
    create(crm, new_id("other"), parent="folders/42")
    listed = crm.projects().list(parent=org).execute()["projects"]
    assert [p["projectId"] for p in listed] == ids
    wait(crm, crm.projects().delete(name=f"projects/{ids[0]}").execute())
    assert [p["projectId"] for p in crm.projects().list(parent=org).execute()["projects"]] == ids[1:]
    assert len(crm.projects().list(parent=org, showDeleted=True).execute()["projects"]) == 3
    first = crm.projects().list(parent=org, pageSize=1).execute()
    second = crm.projects().list(parent=org, pageSize=1, pageToken=first["nextPageToken"]).execute()
    assert [p["projectId"] for p in first["projects"] + second["projects"]] == ids[1:]
    assert "nextPageToken" not in second
    status, _ = http_error(crm.projects().list())
    assert status == 400


def test_search(crm):
    tag = uuid.uuid4().hex[:8]
    a = create(crm, new_id("srch"), labels={"tag": tag, "tier": "web"}, parent="folders/7")
    b = create(crm, new_id("srch"), labels={"tag": tag, "tier": "db"})
    found = crm.projects().search(query=f"labels.tag:{tag}").execute()["projects"]
    assert {p["projectId"] for p in found} == {a["projectId"], b["projectId"]}
    found = crm.projects().search(query=f"labels.tag:{tag} AND labels.tier=web").execute()["projects"]
    assert [p["projectId"] for p in found] == [a["projectId"]]
    found = crm.projects().search(query=f"id:{b['projectId']}").execute()["projects"]
    assert [p["projectId"] for p in found] == [b["projectId"]]
    found = crm.projects().search(query=f"labels.tag:{tag} parent:folders/7").execute()["projects"]
    assert [p["projectId"] for p in found] == [a["projectId"]]
    wait(crm, crm.projects().delete(name=f"projects/{b['projectId']}").execute())
    found = crm.projects().search(query=f"labels.tag:{tag} state:DELETE_REQUESTED").execute()["projects"]
    assert [p["projectId"] for p in found] == [b["projectId"]]
    assert crm.projects().search(query=f"labels.tag:nothing-{tag}").execute() == {}
    status, _ = http_error(crm.projects().search(query="colour:red"))
    assert status == 400


def test_lifecycle_helper_reads_the_store(emulator, crm, project_id):
    from gcpkit.emulator.resourcemanager.lifecycle import project_number, project_state

    assert project_state(emulator.store, project_id) == "ACTIVE"  # never touched
    number = crm.projects().get(name=f"projects/{project_id}").execute()["name"].split("/")[1]
    assert number == project_number(project_id)
    wait(crm, crm.projects().delete(name=f"projects/{project_id}").execute())
    assert project_state(emulator.store, project_id) == "DELETE_REQUESTED"
    assert project_state(emulator.store, number) == "DELETE_REQUESTED"
    wait(crm, crm.projects().undelete(name=f"projects/{project_id}", body={}).execute())
    assert project_state(emulator.store, project_id) == "ACTIVE"


def test_a_deleted_project_hides_its_service_accounts(emulator, crm, project_id):
    from tests.emulator.test_iam_service_accounts import accounts, create as create_sa, iam_client

    iam = iam_client(emulator)
    sa = create_sa(iam, project_id)
    wait(crm, crm.projects().delete(name=f"projects/{project_id}").execute())
    status, error = http_error(accounts(iam).get(name=sa["name"]))
    assert status == 403 and error["status"] == "PERMISSION_DENIED"
    wait(crm, crm.projects().undelete(name=f"projects/{project_id}", body={}).execute())
    assert accounts(iam).get(name=sa["name"]).execute() == sa


def test_an_injected_operation_error_fails_the_operation_and_changes_nothing(make_emulator):
    server = make_emulator(faults={"rules": [
        {"method_id": "cloudresourcemanager.projects.delete", "operation_error": "FAILED_PRECONDITION",
         "message": "Billing account is closed (injected)."},
        {"method_id": "cloudresourcemanager.projects.create", "operation_error": "QUOTA_EXCEEDED"}]})
    crm = crm_client(server)
    pid = new_id()
    done = wait(crm, crm.projects().delete(name=f"projects/{pid}").execute())
    assert done["error"] == {"code": 9, "message": "Billing account is closed (injected)."}
    assert "response" not in done
    assert crm.projects().get(name=f"projects/{pid}").execute()["state"] == "ACTIVE"
    done = wait(crm, crm.projects().create(body={"projectId": new_id()}).execute())
    assert done["error"]["code"] == 8
