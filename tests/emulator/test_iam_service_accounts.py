"""IAM v1 service accounts through google-api-python-client, over HTTP, against the strict emulator."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def iam_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("iam", "v1", client_options={"api_endpoint": server.endpoints()["iam"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def iam(emulator):
    return iam_client(emulator)


@pytest.fixture
def project():
    return f"iam-{uuid.uuid4().hex[:10]}"


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def accounts(iam):
    return iam.projects().serviceAccounts()


def create(iam, project, account_id="app-runner", **sa):
    body = {"accountId": account_id, "serviceAccount": sa or {"displayName": "App runner"}}
    return accounts(iam).create(name=f"projects/{project}", body=body).execute()


def test_create_returns_the_recorded_shape(emulator, iam, project):
    request = accounts(iam).create(name=f"projects/{project}", body={"accountId": "app-runner"})
    assert request.uri.startswith(f"{emulator.url}/iam/v1/projects/{project}/serviceAccounts")
    sa = create(iam, project)
    email = f"app-runner@{project}.iam.gserviceaccount.com"
    assert sa["email"] == email
    assert sa["name"] == f"projects/{project}/serviceAccounts/{email}"
    assert sa["projectId"] == project and sa["displayName"] == "App runner"
    assert sa["uniqueId"].isdigit() and len(sa["uniqueId"]) == 21
    assert sa["oauth2ClientId"] == sa["uniqueId"]
    assert sa["etag"]
    assert set(sa) == {"displayName", "email", "etag", "name", "oauth2ClientId", "projectId", "uniqueId"}


def test_get_by_email_by_unique_id_and_by_wildcard_project(iam, project):
    sa = create(iam, project)
    by_email = accounts(iam).get(name=sa["name"]).execute()
    by_id = accounts(iam).get(name=f"projects/{project}/serviceAccounts/{sa['uniqueId']}").execute()
    wildcard = accounts(iam).get(name=f"projects/-/serviceAccounts/{sa['email']}").execute()
    wildcard_id = accounts(iam).get(name=f"projects/-/serviceAccounts/{sa['uniqueId']}").execute()
    assert by_email == by_id == wildcard == wildcard_id == sa


def test_unknown_account_is_404_as_recorded(iam, project):
    status, error = http_error(accounts(iam).get(
        name=f"projects/{project}/serviceAccounts/nobody-here@{project}.iam.gserviceaccount.com"))
    assert status == 404
    assert error == {"code": 404, "message": "Unknown service account", "status": "NOT_FOUND",
                     "errors": [{"message": "Unknown service account", "domain": "global", "reason": "notFound"}]}
    status, _ = http_error(accounts(iam).get(name=f"projects/{project}/serviceAccounts/123456789012345678901"))
    assert status == 404


def test_account_of_another_project_is_not_found_under_this_one(iam, project):
    sa = create(iam, project)
    other = f"iam-{uuid.uuid4().hex[:10]}"
    status, _ = http_error(accounts(iam).get(name=f"projects/{other}/serviceAccounts/{sa['email']}"))
    assert status == 404


def test_duplicate_account_id_is_409(iam, project):
    create(iam, project)
    status, error = http_error(accounts(iam).create(name=f"projects/{project}", body={"accountId": "app-runner"}))
    assert status == 409 and error["status"] == "ALREADY_EXISTS"
    assert "app-runner" in error["message"]


@pytest.mark.parametrize("account_id", ["short", "a" * 31, "1starts-with-digit", "ends-with-hyphen-",
                                        "Upper-case", "under_score", "has.dot", ""])
def test_invalid_account_ids_are_400(iam, project, account_id):
    status, error = http_error(accounts(iam).create(name=f"projects/{project}", body={"accountId": account_id}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    assert error["errors"][0]["reason"] == "badRequest"


@pytest.mark.parametrize("account_id", ["abcdef", "a" * 30, "a-1-b-2", "sa-with-digits-99"])
def test_valid_account_id_edges(iam, project, account_id):
    assert create(iam, project, account_id)["email"].startswith(account_id + "@")


def test_list_pages_through_a_projects_accounts(iam, project):
    assert accounts(iam).list(name=f"projects/{project}").execute() == {}
    for i in range(5):
        create(iam, project, f"account-{i:02d}")
    create(iam, f"iam-{uuid.uuid4().hex[:10]}", "elsewhere")
    seen, token = [], None
    while True:
        page = accounts(iam).list(name=f"projects/{project}", pageSize=2, pageToken=token).execute()
        seen += [a["email"].split("@")[0] for a in page["accounts"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == [f"account-{i:02d}" for i in range(5)]


def test_patch_answers_the_masked_fields_as_recorded(iam, project):
    sa = create(iam, project)
    out = accounts(iam).patch(name=sa["name"], body={
        "serviceAccount": {"displayName": "Renamed", "etag": sa["etag"]}, "updateMask": "display_name"}).execute()
    assert out == {"displayName": "Renamed", "name": sa["name"]}
    got = accounts(iam).get(name=sa["name"]).execute()
    assert got["displayName"] == "Renamed" and got["uniqueId"] == sa["uniqueId"]
    out = accounts(iam).patch(name=sa["name"], body={
        "serviceAccount": {"description": "runs the app"}, "updateMask": "description"}).execute()
    assert out == {"description": "runs the app", "name": sa["name"]}
    assert accounts(iam).get(name=sa["name"]).execute()["description"] == "runs the app"


def test_patch_errors(iam, project):
    sa = create(iam, project)
    status, error = http_error(accounts(iam).patch(name=sa["name"], body={"serviceAccount": {"displayName": "x"}}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    status, error = http_error(accounts(iam).patch(name=sa["name"], body={
        "serviceAccount": {"email": "x@y"}, "updateMask": "email"}))
    assert status == 400
    status, error = http_error(accounts(iam).patch(name=sa["name"], body={
        "serviceAccount": {"displayName": "x", "etag": "c3RhbGU="}, "updateMask": "display_name"}))
    assert status == 409 and error["status"] == "ABORTED"
    status, _ = http_error(accounts(iam).patch(
        name=f"projects/{project}/serviceAccounts/gone-away@{project}.iam.gserviceaccount.com",
        body={"serviceAccount": {"displayName": "x"}, "updateMask": "display_name"}))
    assert status == 404


def test_delete_then_gone(iam, project):
    sa = create(iam, project)
    assert accounts(iam).delete(name=sa["name"]).execute() == {}
    assert http_error(accounts(iam).get(name=sa["name"]))[0] == 404
    assert http_error(accounts(iam).get(name=f"projects/-/serviceAccounts/{sa['uniqueId']}"))[0] == 404
    assert http_error(accounts(iam).delete(name=sa["name"]))[0] == 404
    again = create(iam, project)  # the account id is free again, with a new unique id
    assert again["uniqueId"] != sa["uniqueId"]


def test_disable_and_enable(iam, project):
    sa = create(iam, project)
    assert accounts(iam).disable(name=sa["name"], body={}).execute() == {}
    assert accounts(iam).get(name=sa["name"]).execute()["disabled"] is True
    accounts(iam).enable(name=sa["name"], body={}).execute()
    assert "disabled" not in accounts(iam).get(name=sa["name"]).execute()
