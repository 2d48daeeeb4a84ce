"""Artifact Registry v1 repositories and operations through google-api-python-client, over HTTP, against the
strict emulator."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

V1 = "type.googleapis.com/google.devtools.artifactregistry.v1."
LOCATION = "us-central1"


def registry_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("artifactregistry", "v1", client_options={"api_endpoint": server.endpoints()["artifactregistry"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def ar(emulator):
    return registry_client(emulator)


@pytest.fixture
def project():
    return f"ar-{uuid.uuid4().hex[:10]}"


def repositories(ar):
    return ar.projects().locations().repositories()


def parent(project: str) -> str:
    return f"projects/{project}/locations/{LOCATION}"


def http_error(call) -> tuple[int, dict]:
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def wait(ar, op: dict, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while not op.get("done"):
        assert time.monotonic() < deadline, f"operation {op['name']} not done after {timeout}s"
        time.sleep(0.01)
        op = ar.projects().locations().operations().get(name=op["name"]).execute()
    return op


def create(ar, project: str, repository: str = "images", **body) -> dict:
    body = {"format": "DOCKER", **body}
    op = wait(ar, repositories(ar).create(parent=parent(project), repositoryId=repository, body=body).execute())
    assert "error" not in op, op
    return op["response"]


def test_create_a_docker_repository(ar, project):
    labels = {"managed-by": "gcpkit", "gcpkit-deployment": "shop"}
    op = repositories(ar).create(parent=parent(project), repositoryId="images", body={
        "format": "DOCKER", "description": "app images", "labels": labels}).execute()
    assert op["name"].startswith(f"{parent(project)}/operations/")
    assert op["metadata"] == {"@type": V1 + "OperationMetadata"}
    done = wait(ar, op)
    assert done["response"]["@type"] == V1 + "Repository"
    repo = repositories(ar).get(name=f"{parent(project)}/repositories/images").execute()
    assert repo["name"] == f"{parent(project)}/repositories/images"
    assert repo["format"] == "DOCKER" and repo["mode"] == "STANDARD_REPOSITORY" and repo["labels"] == labels
    assert repo["registryUri"] == f"{LOCATION}-docker.pkg.dev/{project}/images"
    assert repo["description"] == "app images" and repo["createTime"] == repo["updateTime"]


def test_duplicate_and_missing_repositories(ar, project):
    create(ar, project)
    status, error = http_error(repositories(ar).create(parent=parent(project), repositoryId="images",
                                                       body={"format": "DOCKER"}))
    assert status == 409 and error == {"code": 409, "status": "ALREADY_EXISTS",
                                       "message": "the repository already exists"}
    status, error = http_error(repositories(ar).get(name=f"{parent(project)}/repositories/nope"))
    assert status == 404 and error == {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found."}
    status, _ = http_error(repositories(ar).delete(name=f"{parent(project)}/repositories/nope"))
    assert status == 404


@pytest.mark.parametrize("repository_id, body, words", [
    (None, {"format": "DOCKER"}, "Invalid repository id"),
    ("Images", {"format": "DOCKER"}, 'Invalid repository id "Images"'),
    ("images", {}, "format is required"),
])
def test_invalid_create_is_400(ar, project, repository_id, body, words):
    status, error = http_error(repositories(ar).create(parent=parent(project), repositoryId=repository_id, body=body))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT" and words in error["message"]
    assert repositories(ar).list(parent=parent(project)).execute() == {}


@pytest.mark.parametrize("location", ["eu-west3", "us-central-1", "mars-east1"])
def test_a_location_artifact_registry_does_not_offer_is_400(ar, project, location):
    status, error = http_error(repositories(ar).create(
        parent=f"projects/{project}/locations/{location}", repositoryId="images", body={"format": "DOCKER"}))
    assert (status, error["status"], error["message"]) == (400, "INVALID_ARGUMENT", "Request contains an invalid argument.")


def test_list_filters_by_labels_and_pages(ar, project):
    for i in range(5):
        create(ar, project, f"repo-{i}", labels={"managed-by": "gcpkit", "team": "a" if i % 2 else "b"})
    create(ar, project, "handmade")
    mine = repositories(ar).list(parent=parent(project), filter='labels.managed-by="gcpkit" AND labels.team=a').execute()
    assert [r["name"].rsplit("/", 1)[1] for r in mine["repositories"]] == ["repo-1", "repo-3"]
    first = repositories(ar).list(parent=parent(project), filter="labels.managed-by", pageSize=3,
                                  orderBy="name desc").execute()
    assert [r["name"].rsplit("/", 1)[1] for r in first["repositories"]] == ["repo-4", "repo-3", "repo-2"]
    rest = repositories(ar).list(parent=parent(project), filter="labels.managed-by", pageSize=3,
                                 orderBy="name desc", pageToken=first["nextPageToken"]).execute()
    assert [r["name"].rsplit("/", 1)[1] for r in rest["repositories"]] == ["repo-1", "repo-0"]
    assert "nextPageToken" not in rest
    status, error = http_error(repositories(ar).list(parent=parent(project), filter="labels.team OR name"))
    assert status == 400 and "Invalid filter" in error["message"]


def test_patch_labels(ar, project):
    create(ar, project, labels={"a": "1"}, description="kept")
    repo = repositories(ar).patch(name=f"{parent(project)}/repositories/images", updateMask="labels",
                                  body={"labels": {"a": "2", "b": "3"}, "description": "ignored"}).execute()
    assert repo["labels"] == {"a": "2", "b": "3"} and repo["description"] == "kept"
    status, error = http_error(repositories(ar).patch(name=f"{parent(project)}/repositories/images",
                                                      updateMask="format", body={"format": "NPM"}))
    assert status == 400 and "format" in error["message"]


def test_delete(ar, project):
    create(ar, project)
    op = repositories(ar).delete(name=f"{parent(project)}/repositories/images").execute()
    assert wait(ar, op)["response"] == {"@type": "type.googleapis.com/google.protobuf.Empty"}
    status, _ = http_error(repositories(ar).get(name=f"{parent(project)}/repositories/images"))
    assert status == 404
    assert create(ar, project)["name"].endswith("/repositories/images")  # the id is free again


def test_locations_are_the_regions_and_multi_regions(ar, project):
    from gcpkit.emulator.compute.catalog import REGIONS

    listed = ar.projects().locations().list(name=f"projects/{project}").execute()
    assert set(listed) == {"locations"}
    ids = [loc["locationId"] for loc in listed["locations"]]
    assert ids == sorted(set(REGIONS) | {"asia", "europe", "us"})
    by_id = {loc["locationId"]: loc for loc in listed["locations"]}
    assert by_id[LOCATION] == {"name": f"projects/{project}/locations/{LOCATION}", "locationId": LOCATION,
                               "displayName": "Iowa"}
    assert by_id["us"]["displayName"] == "United States" and by_id["europe"]["displayName"] == "Europe"
    assert ar.projects().locations().get(name=f"projects/{project}/locations/europe-west1").execute() == {
        "name": f"projects/{project}/locations/europe-west1", "locationId": "europe-west1", "displayName": "Belgium"}
    status, error = http_error(ar.projects().locations().get(name=f"projects/{project}/locations/mars-north1"))
    assert status == 404 and error["status"] == "NOT_FOUND" and "mars-north1" in error["message"]


def test_locations_page_and_filter(ar, project):
    locations = ar.projects().locations()
    seen, token, pages = [], None, 0
    while True:
        page = locations.list(name=f"projects/{project}", pageSize=4, pageToken=token).execute()
        assert len(page["locations"]) <= 4
        seen += [loc["locationId"] for loc in page["locations"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    everything = [loc["locationId"] for loc in locations.list(name=f"projects/{project}").execute()["locations"]]
    assert seen == everything and pages == -(-len(everything) // 4)
    tokyo = locations.list(name=f"projects/{project}", filter='displayName="Tokyo"').execute()
    assert [loc["locationId"] for loc in tokyo["locations"]] == ["asia-northeast1"]
    assert locations.list(name=f"projects/{project}", filter="locationId=nowhere").execute() == {}
    status, error = http_error(locations.list(name=f"projects/{project}", filter="labels.a:b"))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT" and "Invalid filter" in error["message"]
