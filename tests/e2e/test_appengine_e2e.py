"""appengine end to end: the CLI as a user runs it, against the emulator, checked with the official client.

Up (the application created, a version deployed from files staged under their SHA1s, all traffic on it,
the outputs), up again (no change, no mutating request), changes (a new version, traffic moved, this
deployment's versions pruned to keep_versions, a version gcpkit did not make left alone, unchanged files
not uploaded again), destroy (versions and staging gone, the application and the default service's
serving version kept, and said so), an application that exists in another region, a staged file that
changed behind gcpkit's back (staged again), and bad parameters (exit 2, no request)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from gcpkit.cli.main import app

PROJECT = "e2e-gae"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
TEMPLATE_FILES = ("main.py", "requirements.txt")


def mutations(calls: list[dict]) -> list[str]:
    return [c["method_id"] or c["path"] for c in calls if c["method"] in MUTATING]


def clients(emu):
    from gcpkit.clients import Target

    target = Target(project=PROJECT, endpoints=emu.server.endpoints())
    return target.discovery("appengine", "v1"), target.discovery("storage", "v1")


def up(runner, *extra, code=0):
    result = runner.invoke(app, ["up", "appengine", "--emulator", "--project", PROJECT, "--yes", *extra])
    assert result.exit_code == code, result.output
    return result


def outputs(runner) -> dict:
    return json.loads(runner.invoke(app, ["outputs", "appengine", "-o", "json"]).stdout)


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│┃━╇─]", " ", text).split())


def version_ids(gae, service="default") -> list[str]:
    listed = gae.apps().services().versions().list(appsId=PROJECT, servicesId=service).execute()
    return sorted(v["id"] for v in listed.get("versions", []))


def allocations(gae, service="default") -> dict:
    return gae.apps().services().get(appsId=PROJECT, servicesId=service).execute()["split"]["allocations"]


def test_up_up_again_change_prune_and_destroy(cli):
    from pathlib import Path

    runner, emu = cli
    up(runner)
    gae, gcs = clients(emu)
    application = gae.apps().get(appsId=PROJECT).execute()
    assert application["locationId"] == "us-central" and application["servingStatus"] == "SERVING"
    out = outputs(runner)
    first = out["serving-version"]
    assert re.fullmatch(r"appengine-[0-9a-f]{12}", first)
    assert out["url"] == f"https://{PROJECT}.uc.r.appspot.com"
    assert out["version-url"] == f"https://{first}-dot-{PROJECT}.uc.r.appspot.com"
    assert allocations(gae) == {first: 1}

    # The version was deployed from the staged files: each named by the SHA1 of the template's content.
    version = gae.apps().services().versions().get(appsId=PROJECT, servicesId="default", versionsId=first,
                                                   view="FULL").execute()
    assert version["envVariables"] == {"GREETING": "Hello from App Engine"} and version["runtime"] == "python312"
    bucket = out["staging-bucket"]
    templates = Path(__file__).resolve().parents[2] / "templates" / "appengine"
    for path in TEMPLATE_FILES:
        digest = hashlib.sha1((templates / path).read_bytes()).hexdigest()
        assert version["deployment"]["files"][path] == {
            "sourceUrl": f"https://storage.googleapis.com/{bucket}/{digest}", "sha1Sum": digest}
        staged = gcs.objects().get_media(bucket=bucket, object=digest).execute()
        assert hashlib.sha1(staged).hexdigest() == digest
    labels = gcs.buckets().get(bucket=bucket).execute()["labels"]
    assert labels["managed-by"] == "gcpkit" and labels["gcpkit-deployment"] == "appengine"

    # up again: nothing to deploy, no mutating request at all
    mark = emu.mark()
    again = up(runner)
    assert "Plan: 3 unchanged." in flat(again.output)
    assert mutations(emu.since(mark)) == []

    # A version someone deployed by hand, without traffic: gcpkit never touches it.
    manifest = version["deployment"]["files"]
    op = gae.apps().services().versions().create(appsId=PROJECT, servicesId="default", body={
        "id": "handmade", "runtime": "python312", "deployment": {"files": manifest}}).execute()
    while not op.get("done"):
        op = gae.apps().operations().get(appsId=PROJECT, operationsId=op["name"].rsplit("/", 1)[1]).execute()

    # Three changes with keep_versions=2: each a new version with all traffic, two of ours kept.
    served = [first]
    for greeting in ("Hi", "Hola", "Salut"):
        mark = emu.mark()
        changed = up(runner, "--set", f'env_variables={{"GREETING": "{greeting}"}}', "--set", "keep_versions=2")
        assert "update appengine.v1.version" in flat(changed.output).replace("appengine-version ", "")
        calls = emu.since(mark)
        # main.py and requirements.txt did not change: the only upload is the new version's claim
        uploads = [c for c in calls if c["method_id"] == "storage.objects.insert"]
        assert len(uploads) == 1
        served.append(outputs(runner)["serving-version"])
        assert allocations(gae) == {served[-1]: 1}
        full = gae.apps().services().versions().get(appsId=PROJECT, servicesId="default", versionsId=served[-1],
                                                    view="FULL").execute()
        assert full["envVariables"] == {"GREETING": greeting}
    assert len(set(served)) == 4
    assert version_ids(gae) == sorted([*served[-2:], "handmade"])

    # destroy: ours go except the one serving "default" (App Engine refuses); the bucket goes; the app stays
    destroyed = runner.invoke(app, ["destroy", "deployment", "appengine", "--emulator", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    said = flat(destroyed.output)
    assert "kept: App Engine cannot delete an application" in said
    assert (f"The App Engine application {PROJECT} (us-central) remains until the project is deleted: App Engine "
            "cannot delete an application, nor the version serving its default service.") in said
    assert version_ids(gae) == sorted([served[-1], "handmade"])
    assert gae.apps().get(appsId=PROJECT).execute()["locationId"] == "us-central"
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as gone:
        gcs.buckets().get(bucket=bucket).execute()
    assert gone.value.resp.status == 404
    assert json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout) == []


def test_an_application_in_another_region_is_used_only_from_its_region(cli):
    runner, emu = cli
    gae, _ = clients(emu)
    op = gae.apps().create(body={"id": PROJECT, "locationId": "europe-west"}).execute()
    while not op.get("done"):
        op = gae.apps().operations().get(appsId=PROJECT, operationsId=op["name"].rsplit("/", 1)[1]).execute()

    refused = up(runner, code=1)
    said = flat(refused.output)
    assert f"project {PROJECT} already has an App Engine application, in europe-west, not us-central" in said
    assert "an application can never move" in said
    assert "appengine.apps.services.versions.create" not in mutations(emu.requests())

    mark = emu.mark()
    up(runner, "--region", "europe-west1")
    assert "appengine.apps.create" not in mutations(emu.since(mark))  # deployed into it, not created
    assert outputs(runner)["url"] == f"https://{PROJECT}.ew.r.appspot.com"
    destroyed = runner.invoke(app, ["destroy", "deployment", "appengine", "--emulator", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    assert gae.apps().get(appsId=PROJECT).execute()["locationId"] == "europe-west"


def test_a_staged_file_changed_behind_gcpkits_back_is_staged_again(cli):
    from pathlib import Path

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    runner, emu = cli
    up(runner)
    gae, gcs = clients(emu)
    bucket = outputs(runner)["staging-bucket"]
    source = (Path(__file__).resolve().parents[2] / "templates" / "appengine" / "main.py").read_bytes()
    digest = hashlib.sha1(source).hexdigest()
    storage.Client(project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": emu.url}) \
        .bucket(bucket).blob(digest).upload_from_string(b"print('not what was staged')\n")

    # Deploying from it as it is would fail App Engine's hash check: gcpkit sees the MD5 differ and writes it again.
    up(runner, "--set", 'env_variables={"GREETING": "changed"}')
    assert gcs.objects().get_media(bucket=bucket, object=digest).execute() == source
    serving = outputs(runner)["serving-version"]
    assert allocations(gae) == {serving: 1}
    assert gae.apps().services().versions().get(appsId=PROJECT, servicesId="default", versionsId=serving,
                                                view="FULL").execute()["envVariables"] == {"GREETING": "changed"}


@pytest.mark.parametrize("args, message", [
    (["--set", "keep_versions=0"], "keep_versions"),
    (["--set", "min_instances=3", "--set", "max_instances=1"], "min_instances (3) is above max_instances (1)"),
    (["--set", 'env_variables={"PORT": "9000"}'], "env_variables: PORT is set by App Engine itself"),
    (["--set", "env_variables=GREETING=hi"], "expected a JSON object"),
    (["--set", "runtime=nodejs20"], "runtime"),
    (["--set", "service=My_Service"], "service"),
    (["--set", "staging_bucket=Bad.Bucket"], "staging_bucket"),
])
def test_bad_parameters_exit_2_before_any_request(cli, args, message):
    runner, emu = cli
    result = runner.invoke(app, ["up", "appengine", "--emulator", "--project", PROJECT, "--yes", *args])
    assert result.exit_code == 2, result.output
    first = result.output.strip().splitlines()[0]
    assert first.startswith("error:") and message in first
    assert emu.requests() == []
