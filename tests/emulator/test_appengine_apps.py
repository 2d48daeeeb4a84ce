"""App Engine Admin v1 applications and operations through google-api-python-client over HTTP, in strict
mode (every response checked against the discovery schema): create once (409 in App Engine's words the
second time), get (404 when absent), patch, and google.longrunning operations."""

from __future__ import annotations

import pytest
from appengine_helpers import create_app, gae_client, http_error, new_project, wait

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def gae(emulator):
    return gae_client(emulator)


def test_create_answers_an_operation_that_completes_with_the_application(gae):
    project = new_project()
    op = gae.apps().create(body={"id": project, "locationId": "asia-northeast1"}).execute()
    assert op["name"].startswith(f"apps/{project}/operations/")
    meta = op["metadata"]
    assert meta["@type"] == "type.googleapis.com/google.appengine.v1.OperationMetadataV1"
    assert meta["method"] == "google.appengine.v1.Applications.CreateApplication"
    assert meta["target"] == f"apps/{project}" and "insertTime" in meta

    done = wait(gae, op)
    assert done["done"] is True and "error" not in done and "endTime" in done["metadata"]
    app = done["response"]
    assert app["@type"] == "type.googleapis.com/google.appengine.v1.Application"
    assert app["name"] == f"apps/{project}" and app["id"] == project
    assert app["locationId"] == "asia-northeast1" and app["servingStatus"] == "SERVING"
    assert app["defaultHostname"] == f"{project}.an.r.appspot.com"
    assert app["codeBucket"] == f"staging.{project}.appspot.com" and app["defaultBucket"] == f"{project}.appspot.com"

    got = gae.apps().get(appsId=project).execute()
    assert got == {k: v for k, v in app.items() if k != "@type"}


def test_a_second_create_is_refused_in_app_engines_words(gae):
    project = new_project()
    create_app(gae, project)
    status, error = http_error(gae.apps().create(body={"id": project, "locationId": "europe-west"}))
    assert (status, error["status"]) == (409, "ALREADY_EXISTS")
    assert error["message"] == "This application already exists and cannot be re-created."
    assert gae.apps().get(appsId=project).execute()["locationId"] == "us-central"  # never moved


def test_get_of_a_project_without_application_is_404(gae):
    project = new_project()
    status, error = http_error(gae.apps().get(appsId=project))
    assert (status, error["status"], error["message"]) == (404, "NOT_FOUND", f'Could not find Application "{project}".')


@pytest.mark.parametrize("body, message", [
    ({"locationId": "us-central"}, "Application.id is required"),
    ({"id": "p"}, "Application.location_id is required."),
    ({"id": "p", "locationId": "us-central1"}, "Location 'us-central1' is not a valid App Engine location"),
])
def test_create_with_a_bad_body_is_400(gae, body, message):
    status, error = http_error(gae.apps().create(body=body))
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith(message)


def test_patch_changes_cheap_fields_and_needs_a_mask(gae):
    project = new_project()
    create_app(gae, project)
    op = wait(gae, gae.apps().patch(appsId=project, updateMask="servingStatus",
                                    body={"servingStatus": "USER_DISABLED"}).execute())
    assert op["metadata"]["method"] == "google.appengine.v1.Applications.UpdateApplication"
    assert op["response"]["servingStatus"] == "USER_DISABLED"
    assert gae.apps().get(appsId=project).execute()["servingStatus"] == "USER_DISABLED"

    status, error = http_error(gae.apps().patch(appsId=project, body={"servingStatus": "SERVING"}))
    assert (status, error["message"]) == (400, "update_mask must be specified.")
    status, error = http_error(gae.apps().patch(appsId=project, updateMask="locationId",
                                                body={"locationId": "europe-west"}))
    assert status == 400 and "cannot be updated: locationId" in error["message"]


def test_operations_get_and_list(gae):
    project = new_project()
    create_app(gae, project)
    patched = gae.apps().patch(appsId=project, updateMask="authDomain", body={"authDomain": "example.com"}).execute()
    listed = gae.apps().operations().list(appsId=project).execute()["operations"]
    assert [o["metadata"]["method"].rsplit(".", 1)[1] for o in listed] == ["UpdateApplication", "CreateApplication"]
    assert listed[0]["name"] == patched["name"]

    first = gae.apps().operations().list(appsId=project, pageSize=1).execute()
    rest = gae.apps().operations().list(appsId=project, pageSize=1, pageToken=first["nextPageToken"]).execute()
    assert [o["name"] for o in first["operations"] + rest["operations"]] == [o["name"] for o in listed]
    assert "nextPageToken" not in rest

    status, error = http_error(gae.apps().operations().get(appsId=project, operationsId="nope"))
    assert (status, error["status"]) == (404, "NOT_FOUND")


def test_an_injected_operation_error_fails_the_create_and_creates_nothing(make_emulator):
    server = make_emulator(faults={"rules": [{"method_id": "appengine.apps.create",
                                              "operation_error": "RESOURCE_EXHAUSTED"}]})
    gae = gae_client(server)
    project = new_project()
    done = wait(gae, gae.apps().create(body={"id": project, "locationId": "us-central"}).execute())
    assert done["error"]["code"] == 8 and "response" not in done
    assert http_error(gae.apps().get(appsId=project))[0] == 404
