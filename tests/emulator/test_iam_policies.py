"""IAM v1 service account IAM policies (roles/iam.workloadIdentityUser bindings) over HTTP."""

from __future__ import annotations

import uuid

import pytest

from tests.emulator.test_iam_service_accounts import accounts, create, http_error, iam_client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WI_ROLE = "roles/iam.workloadIdentityUser"


@pytest.fixture(scope="module")
def iam(emulator):
    return iam_client(emulator)


@pytest.fixture
def sa(iam):
    return create(iam, f"iam-{uuid.uuid4().hex[:10]}", "workload-sa")


def test_new_account_has_an_empty_policy(iam, sa):
    assert accounts(iam).getIamPolicy(resource=sa["name"]).execute() == {"version": 1, "etag": "ACAB"}


def test_workload_identity_binding_round_trip(iam, sa):
    project = sa["projectId"]
    member = f"serviceAccount:{project}.svc.id.goog[default/app]"
    policy = accounts(iam).getIamPolicy(resource=sa["name"]).execute()
    policy["bindings"] = [{"role": WI_ROLE, "members": [member]}]
    out = accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": policy}).execute()
    assert out["bindings"] == [{"role": WI_ROLE, "members": [member]}]
    assert out["etag"] != policy["etag"]
    assert accounts(iam).getIamPolicy(resource=sa["name"]).execute() == out
    by_id = f"projects/{project}/serviceAccounts/{sa['uniqueId']}"
    assert accounts(iam).getIamPolicy(resource=by_id).execute() == out


def test_stale_etag_is_409_aborted(iam, sa):
    first = accounts(iam).getIamPolicy(resource=sa["name"]).execute()
    accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": {
        "etag": first["etag"], "bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["user:a@example.com"]}]}}
    ).execute()
    status, error = http_error(accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": {
        "etag": first["etag"], "bindings": [{"role": WI_ROLE, "members": ["user:b@example.com"]}]}}))
    assert status == 409 and error["status"] == "ABORTED"
    assert error["message"] == ("There were concurrent policy changes. Please retry the whole read-modify-write "
                                "with exponential backoff.")


def test_bindings_are_merged_and_sorted(iam, sa):
    out = accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": {"bindings": [
        {"role": WI_ROLE, "members": ["user:b@example.com"]},
        {"role": "roles/iam.serviceAccountUser", "members": ["user:a@example.com"]},
        {"role": WI_ROLE, "members": ["user:a@example.com", "user:b@example.com"]},
        {"role": "roles/viewer", "members": []}]}}).execute()
    assert out["bindings"] == [
        {"role": "roles/iam.serviceAccountUser", "members": ["user:a@example.com"]},
        {"role": WI_ROLE, "members": ["user:a@example.com", "user:b@example.com"]}]


@pytest.mark.parametrize("binding", [{"role": WI_ROLE, "members": ["not-a-member"]},
                                     {"role": WI_ROLE, "members": ["user:no-at-sign"]},
                                     {"role": "owner", "members": ["user:a@example.com"]}])
def test_invalid_bindings_are_400(iam, sa, binding):
    status, error = http_error(accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": {"bindings": [binding]}}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"


def test_policy_of_unknown_account_is_404(iam):
    project = f"iam-{uuid.uuid4().hex[:10]}"
    name = f"projects/{project}/serviceAccounts/ghost-account@{project}.iam.gserviceaccount.com"
    assert http_error(accounts(iam).getIamPolicy(resource=name))[0] == 404
    assert http_error(accounts(iam).setIamPolicy(resource=name, body={"policy": {}}))[0] == 404


def test_deleting_the_account_drops_its_policy(iam, sa):
    accounts(iam).setIamPolicy(resource=sa["name"], body={"policy": {"bindings": [
        {"role": WI_ROLE, "members": ["user:a@example.com"]}]}}).execute()
    accounts(iam).delete(name=sa["name"]).execute()
    again = create(iam, sa["projectId"], "workload-sa")
    assert accounts(iam).getIamPolicy(resource=again["name"]).execute() == {"version": 1, "etag": "ACAB"}
