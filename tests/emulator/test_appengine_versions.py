"""App Engine Admin v1 services and versions through google-api-python-client over HTTP, in strict mode:
versions deployed from files staged in the emulated Cloud Storage (every sourceUrl must exist and match its
sha1Sum, else the operation fails as App Engine's does), BASIC and FULL views, traffic splits, and the
deletes App Engine refuses (a version with traffic, the default service)."""

from __future__ import annotations

import pytest
from appengine_helpers import (
    create_app,
    gae_client,
    http_error,
    new_project,
    stage,
    version_body,
    wait,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FILES = {"main.py": b"def app(environ, start_response):\n    pass\n", "requirements.txt": b"gunicorn==23.0.0\n"}


@pytest.fixture(scope="module")
def gae(emulator):
    return gae_client(emulator)


@pytest.fixture
def app(gae, emulator):
    """A fresh application with staged files: (project, manifest)."""
    project = new_project()
    create_app(gae, project)
    _, manifest = stage(emulator, project, FILES)
    return project, manifest


def deploy(gae, project, version_id, manifest, service="default", **extra) -> dict:
    versions = gae.apps().services().versions()
    return wait(gae, versions.create(appsId=project, servicesId=service,
                                     body=version_body(version_id, manifest, **extra)).execute())


def test_the_first_version_creates_the_service_with_all_traffic(gae, app):
    project, manifest = app
    op = deploy(gae, project, "v1", manifest)
    assert "error" not in op
    assert op["metadata"]["method"] == "google.appengine.v1.Versions.CreateVersion"
    assert op["metadata"]["target"] == f"apps/{project}/services/default/versions/v1"
    version = op["response"]
    assert version["@type"] == "type.googleapis.com/google.appengine.v1.Version"
    assert version["servingStatus"] == "SERVING" and version["runtime"] == "python312"
    assert version["versionUrl"] == f"https://v1-dot-{project}.uc.r.appspot.com"
    assert version["diskUsageBytes"] == str(sum(len(d) for d in FILES.values()))

    service = gae.apps().services().get(appsId=project, servicesId="default").execute()
    assert service == {"name": f"apps/{project}/services/default", "id": "default",
                       "split": {"allocations": {"v1": 1}}}
    assert [s["id"] for s in gae.apps().services().list(appsId=project).execute()["services"]] == ["default"]


def test_get_and_list_answer_basic_unless_full_is_asked(gae, app):
    project, manifest = app
    deploy(gae, project, "v1", manifest)
    versions = gae.apps().services().versions()
    basic = versions.get(appsId=project, servicesId="default", versionsId="v1").execute()
    assert "deployment" not in basic and "envVariables" not in basic and "handlers" not in basic
    assert basic["automaticScaling"]["standardSchedulerSettings"]["maxInstances"] == 2
    full = versions.get(appsId=project, servicesId="default", versionsId="v1", view="FULL").execute()
    assert full["envVariables"] == {"GREETING": "hi"} and full["deployment"]["files"] == manifest
    listed = versions.list(appsId=project, servicesId="default", view="FULL").execute()["versions"]
    assert listed == [full]
    status, error = http_error(versions.get(appsId=project, servicesId="default", versionsId="v9"))
    assert (status, error["status"]) == (404, "NOT_FOUND")


def test_a_missing_staged_file_fails_the_operation_and_creates_nothing(gae, app):
    project, manifest = app
    broken = {**manifest, "extra.py": {"sourceUrl": f"https://storage.googleapis.com/{project}-staging/"
                                                    "0000000000000000000000000000000000000000",
                                       "sha1Sum": "0000000000000000000000000000000000000000"}}
    op = deploy(gae, project, "v1", broken)
    assert op["done"] and "response" not in op
    assert op["error"]["code"] == 2
    assert op["error"]["message"] == (
        "The following errors occurred while copying files to App Engine:\n"
        f"Error copying file from GCS: {broken['extra.py']['sourceUrl']} (locally extra.py).")
    assert http_error(gae.apps().services().get(appsId=project, servicesId="default"))[0] == 404


def test_a_sha1_that_does_not_match_the_object_fails_the_operation(gae, app):
    project, manifest = app
    wrong = {**manifest, "main.py": {**manifest["main.py"], "sha1Sum": "1" * 40}}
    op = deploy(gae, project, "v1", wrong)
    assert op["error"]["code"] == 3
    assert op["error"]["message"].startswith("Checksums do not match:\nmain.py: the manifest says sha1 1111")


@pytest.mark.parametrize("change, message", [
    ({"runtime": "python27"}, "Invalid runtime 'python27' specified."),
    ({"instanceClass": "B2"}, "Invalid instance class 'B2' for automaticScaling"),
    ({"basicScaling": {"maxInstances": 1}}, "Only one of automatic_scaling, basic_scaling and manual_scaling"),
    ({"id": "ah-builtin"}, "Invalid version id 'ah-builtin'"),
    ({"deployment": {}}, "Deployment must contain files, a zip or a container image."),
])
def test_an_invalid_version_is_refused_before_any_operation(gae, app, change, message):
    project, manifest = app
    body = {**version_body("v1", manifest), **change}
    status, error = http_error(gae.apps().services().versions().create(appsId=project, servicesId="default",
                                                                        body=body))
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith(message)


def test_the_first_service_must_be_default_and_a_version_id_is_unique(gae, app):
    project, manifest = app
    status, error = http_error(gae.apps().services().versions().create(
        appsId=project, servicesId="api", body=version_body("v1", manifest)))
    assert status == 400 and "must be the 'default' service" in error["message"]
    deploy(gae, project, "v1", manifest)
    status, error = http_error(gae.apps().services().versions().create(
        appsId=project, servicesId="default", body=version_body("v1", manifest)))
    assert (status, error["status"]) == (409, "ALREADY_EXISTS")
    assert deploy(gae, project, "v1", manifest, service="api")["response"]["versionUrl"] == (
        f"https://v1-dot-api-dot-{project}.uc.r.appspot.com")


def test_traffic_moves_then_the_old_version_can_be_deleted(gae, app):
    project, manifest = app
    deploy(gae, project, "v1", manifest)
    deploy(gae, project, "v2", manifest)
    services, versions = gae.apps().services(), gae.apps().services().versions()
    assert services.get(appsId=project, servicesId="default").execute()["split"]["allocations"] == {"v1": 1}

    status, error = http_error(versions.delete(appsId=project, servicesId="default", versionsId="v1"))
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == ("Cannot delete a version with a non-zero traffic allocation. Please update your "
                                "traffic split to remove the allocation for this version and try again.")

    op = wait(gae, services.patch(appsId=project, servicesId="default", updateMask="split", migrateTraffic=True,
                                  body={"split": {"allocations": {"v2": 1}, "shardBy": "IP"}}).execute())
    assert op["response"]["split"] == {"shardBy": "IP", "allocations": {"v2": 1}}
    assert wait(gae, versions.delete(appsId=project, servicesId="default", versionsId="v1").execute())["response"] == {
        "@type": "type.googleapis.com/google.protobuf.Empty"}
    assert [v["id"] for v in versions.list(appsId=project, servicesId="default").execute()["versions"]] == ["v2"]


@pytest.mark.parametrize("split, message", [
    ({"allocations": {"v1": 0.5}}, "Traffic allocations must sum to 1, got 0.5."),
    ({"allocations": {"v3": 1}}, "Version [v3] does not exist in service [default]."),
    ({"allocations": {}}, "split.allocations must name at least one version."),
])
def test_a_bad_split_is_400(gae, app, split, message):
    project, manifest = app
    deploy(gae, project, "v1", manifest)
    status, error = http_error(gae.apps().services().patch(appsId=project, servicesId="default", updateMask="split",
                                                           body={"split": split}))
    assert (status, error["message"]) == (400, message)


def test_services_delete_refuses_default_and_takes_other_services_whole(gae, app):
    project, manifest = app
    deploy(gae, project, "v1", manifest)
    deploy(gae, project, "v1", manifest, service="api")
    services = gae.apps().services()
    status, error = http_error(services.delete(appsId=project, servicesId="default"))
    assert (status, error["message"]) == (400, "The default service cannot be deleted.")
    wait(gae, services.delete(appsId=project, servicesId="api").execute())
    assert [s["id"] for s in services.list(appsId=project).execute()["services"]] == ["default"]
    assert http_error(services.versions().get(appsId=project, servicesId="api", versionsId="v1"))[0] == 404


def test_patch_stops_a_version(gae, app):
    project, manifest = app
    deploy(gae, project, "v1", manifest, automaticScaling=None, instanceClass="B1", basicScaling={"maxInstances": 1})
    versions = gae.apps().services().versions()
    op = wait(gae, versions.patch(appsId=project, servicesId="default", versionsId="v1", updateMask="servingStatus",
                                  body={"servingStatus": "STOPPED"}).execute())
    assert op["response"]["servingStatus"] == "STOPPED"
    assert versions.get(appsId=project, servicesId="default", versionsId="v1").execute()["servingStatus"] == "STOPPED"
