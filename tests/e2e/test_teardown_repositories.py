"""Artifact Registry repositories in gcpkit's inventory, through the CLI against the emulator: `gcpkit orphans`
lists a stray labelled repository in any location (and --delete removes only it); `destroy deployment` of a
gke-datastore deletes a labelled stray repository the state never recorded, and never touches an unlabelled
one or another deployment's. An Artifact Registry that cannot be listed is a problem reported, never an empty
list."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "td-repos"
REGION = "us-central1"
D = "gke-datastore"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def registry(emu):
    from gcpkit.clients import Target

    target = Target(project=PROJECT, endpoints=emu.server.endpoints())
    return target.discovery("artifactregistry", "v1").projects().locations()


def make_repository(emu, location: str, repository_id: str, deployment: str | None = None) -> None:
    from gcpkit.providers.base import ownership_labels

    locations = registry(emu)
    body = {"format": "DOCKER", "labels": ownership_labels(deployment) if deployment else {"team": "web"}}
    op = locations.repositories().create(parent=f"projects/{PROJECT}/locations/{location}",
                                         repositoryId=repository_id, body=body).execute()
    while not op.get("done"):
        op = locations.operations().get(name=op["name"]).execute()
    assert "error" not in op, op


def repositories(emu) -> set[str]:
    """location/id of every repository in the project."""
    locations = registry(emu)
    ids = [loc["locationId"] for loc in locations.list(name=f"projects/{PROJECT}").execute()["locations"]]
    return {f"{loc}/{r['name'].rsplit('/', 1)[-1]}" for loc in ids
            for r in locations.repositories().list(parent=f"projects/{PROJECT}/locations/{loc}").execute()
            .get("repositories", [])}


def test_orphans_lists_a_stray_labelled_repository(cli):
    runner, emu = cli
    make_repository(emu, "europe-west1", "ghost-images", deployment="ghost")  # its deployment is in no state
    make_repository(emu, REGION, "handmade")  # not gcpkit's: never an orphan

    mark = emu.mark()
    listed = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    assert [c for c in emu.since(mark) if c["method"] in MUTATING] == []
    out = json.loads(listed.stdout)
    assert out["problems"] == []
    assert [(r["kind"], r["type"], r["name"], r["where"], r["deployment"], r["why"]) for r in out["orphans"]] == [
        ("repository", "artifactregistry.v1.repository", "ghost-images", "europe-west1", "ghost",
         "deployment 'ghost' is not in the state")]
    assert out["orphans"][0]["age_s"] is not None
    # one locations.list, then one repositories.list per location it names
    reads = [c["method_id"] for c in emu.since(mark) if (c["method_id"] or "").startswith("artifactregistry.")]
    assert reads.count("artifactregistry.projects.locations.list") == 1
    assert reads.count("artifactregistry.projects.locations.repositories.list") == len(
        registry(emu).list(name=f"projects/{PROJECT}").execute()["locations"])

    deleted = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "--delete", "--yes", "-o", "json"])
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout)["deleted"] == ["ghost-images"]
    assert repositories(emu) == {f"{REGION}/handmade"}
    again = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["orphans"] == []


def test_destroy_deployment_deletes_a_labelled_stray_repository_only(cli):
    runner, emu = cli
    up = runner.invoke(app, ["up", D, "--emulator", "--project", PROJECT, "--yes"])
    assert up.exit_code == 0, up.output
    # nothing of a deployment whose state is intact is an orphan (its repository and service account included)
    clean = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["orphans"] == [], clean.output

    make_repository(emu, REGION, f"{D}-stray", deployment=D)  # what a killed run could leave, its journal gone
    make_repository(emu, "us", f"{D}-stray-us", deployment=D)  # in a multi-region, another location
    make_repository(emu, REGION, f"{D}-look")  # named like the deployment's, without its labels
    make_repository(emu, REGION, f"{D}-other", deployment=f"{D}x")  # another deployment's
    listed = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    assert {(r["name"], r["where"], r["why"]) for r in json.loads(listed.stdout)["orphans"]} == {
        (f"{D}-stray", REGION, f"not recorded in deployment {D!r} (a killed or failed run?)"),
        (f"{D}-stray-us", "us", f"not recorded in deployment {D!r} (a killed or failed run?)"),
        (f"{D}-other", REGION, f"deployment '{D}x' is not in the state")}

    mark = emu.mark()
    dry = runner.invoke(app, ["destroy", "deployment", D, "--emulator", "--dry-run", "-o", "json"])
    assert dry.exit_code == 0, dry.output
    assert [c for c in emu.since(mark) if c["method"] in MUTATING] == []
    plan = {r["resource"]: r for r in json.loads(dry.stdout)["plan"]}
    repos = {name: (r["found_by"], r["where"]) for name, r in plan.items()
             if r["type"] == "artifactregistry.v1.repository"}
    assert repos == {f"{D}-images": ("recorded", REGION), f"{D}-stray": ("labels", REGION),
                     f"{D}-stray-us": ("labels", "us")}
    assert plan[f"{D}-gke"]["where"] == "us-central1-a"  # a cluster's location

    gone = runner.invoke(app, ["destroy", "deployment", D, "--emulator", "--yes", "--force-unprotect"])
    assert gone.exit_code == 0, gone.output
    assert repositories(emu) == {f"{REGION}/{D}-look", f"{REGION}/{D}-other"}
    assert json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout) == []


DISABLED = {"status": 403, "reason": "SERVICE_DISABLED",
            "message": "Artifact Registry API has not been used in project td-repos before or it is disabled."}


@pytest.mark.parametrize("rule", [
    {"method_id": "artifactregistry.projects.locations.list", "error": DISABLED},
    # one location of many cannot be listed: the rest are not taken for everything
    {"method_id": "artifactregistry.projects.locations.repositories.list", "path": "*/locations/europe-west1/*",
     "error": DISABLED},
], ids=["locations", "one-location"])
def test_a_registry_that_cannot_be_listed_is_a_problem_not_an_empty_list(tmp_path, monkeypatch, rule):
    from gcpkit.clients import Target
    from gcpkit.inventory import inventory

    emu = start_emulator(tmp_path, faults={"rules": [rule]})
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        make_repository(emu, REGION, "ghost-images", deployment="ghost")  # listed in a location that answers
        inv = inventory(Target(project=PROJECT, endpoints=emu.server.endpoints()), PROJECT)
        assert [p.split(":", 1)[0] for p in inv.problems] == ["artifactregistry"]
        assert "has not been used" in inv.problems[0]
        assert [f for f in inv.items if f.type == "artifactregistry.v1.repository"] == []
        listed = CliRunner().invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
        assert listed.exit_code == 0, listed.output
        out = json.loads(listed.stdout)
        assert out["orphans"] == [] and out["problems"] == inv.problems
        assert "warning: could not list artifactregistry:" in " ".join(listed.stderr.split())
    finally:
        emu.server.stop()
