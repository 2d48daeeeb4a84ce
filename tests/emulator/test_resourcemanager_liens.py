"""Resource Manager v3 liens: create/get/list/delete, and a lien blocking project deletion (412)."""

from __future__ import annotations

import pytest

from tests.emulator.test_resourcemanager_projects import create, crm_client, http_error, new_id, wait

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DELETE = "resourcemanager.projects.delete"


@pytest.fixture(scope="module")
def crm(emulator):
    return crm_client(emulator)


def lien(crm, parent: str, **extra) -> dict:
    body = {"parent": parent, "restrictions": [DELETE], "reason": "holds prod data", "origin": "gcpkit-test",
            **extra}
    return crm.liens().create(body=body).execute()


def test_lien_shape_get_list_delete(crm):
    pid = new_id()
    create(crm, pid)
    made = lien(crm, f"projects/{pid}")
    assert made["name"].startswith("liens/") and made["parent"] == f"projects/{pid}"
    assert made["restrictions"] == [DELETE] and made["reason"] == "holds prod data"
    assert made["origin"] == "gcpkit-test" and made["createTime"].endswith("Z")
    assert crm.liens().get(name=made["name"]).execute() == made
    assert crm.liens().list(parent=f"projects/{pid}").execute() == {"liens": [made]}
    assert crm.liens().delete(name=made["name"]).execute() == {}
    assert crm.liens().list(parent=f"projects/{pid}").execute() == {}
    status, error = http_error(crm.liens().get(name=made["name"]))
    assert status == 404 and error["status"] == "NOT_FOUND"
    assert http_error(crm.liens().delete(name=made["name"]))[0] == 404


def test_a_lien_blocks_delete_with_412_naming_it(crm):
    pid = new_id()
    project = create(crm, pid)
    made = lien(crm, project["name"])  # by number: it still guards the project
    status, error = http_error(crm.projects().delete(name=f"projects/{pid}"))
    assert status == 412 and error["status"] == "FAILED_PRECONDITION"
    assert "A lien to prevent deletion was placed on the project by [gcpkit-test]" in error["message"]
    assert made["name"] in error["message"]
    assert error["details"][0]["violations"][0]["subject"] == made["name"]
    assert crm.projects().get(name=f"projects/{pid}").execute()["state"] == "ACTIVE"
    crm.liens().delete(name=made["name"]).execute()
    done = wait(crm, crm.projects().delete(name=f"projects/{pid}").execute())
    assert done["response"]["state"] == "DELETE_REQUESTED"


def test_a_lien_on_an_implicit_project_blocks_too(crm):
    pid = new_id()
    lien(crm, f"projects/{pid}")
    assert http_error(crm.projects().delete(name=f"projects/{pid}"))[0] == 412


def test_list_pages_and_is_per_project(crm):
    pid, other = new_id(), new_id()
    names = [lien(crm, f"projects/{pid}", reason=f"reason {i}")["name"] for i in range(3)]
    lien(crm, f"projects/{other}")
    first = crm.liens().list(parent=f"projects/{pid}", pageSize=2).execute()
    rest = crm.liens().list(parent=f"projects/{pid}", pageSize=2, pageToken=first["nextPageToken"]).execute()
    assert [l["name"] for l in first["liens"] + rest["liens"]] == names
    assert "nextPageToken" not in rest


@pytest.mark.parametrize("override", [{"restrictions": []}, {"restrictions": ["compute.instances.delete"]},
                                      {"reason": ""}, {"origin": ""}, {"parent": "folders/12"}])
def test_invalid_liens_are_400(crm, override):
    body = {"parent": f"projects/{new_id()}", "restrictions": [DELETE], "reason": "r", "origin": "o", **override}
    status, error = http_error(crm.liens().create(body=body))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"


def test_list_needs_a_parent(crm):
    assert http_error(crm.liens().list())[0] == 400
