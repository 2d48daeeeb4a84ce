"""destroy project / undelete project against the emulator's Resource Manager v3: confirmation (typed or
--yes --confirm), inventory before anything is deleted, liens, refusals, and the 30-day undelete."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import start_emulator
from teardown_helpers import make_firewall
from typer.testing import CliRunner

from gcpkit.cli import teardown_cmds
from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "td-project-1"


def _rm(emu):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    from gcpkit.emulator.core.services import endpoints

    return build("cloudresourcemanager", "v3", credentials=AnonymousCredentials(), static_discovery=True,
                 cache_discovery=False, client_options={"api_endpoint": endpoints(emu.url)["cloudresourcemanager"]})


def _state(emu, project: str = PROJECT) -> str:
    return _rm(emu).projects().get(name=f"projects/{project}").execute()["state"]


def _up(runner, project: str = PROJECT):
    result = runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", project, "--yes",
                                 "--set", "vm_count=1"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args, message", [
    (["NotAProject"], "is not a project ID"),
    (["ab"], "is not a project ID"),
    ([PROJECT, "--yes"], "--yes needs --confirm"),
    ([PROJECT, "--yes", "--confirm", "td-project-2"], "does not match"),
    ([PROJECT, "--confirm", "td-project-2"], "does not match"),
    ([PROJECT], "no terminal"),
])
def test_bad_input_exits_2_without_a_call(cli, args, message):
    runner, emu = cli
    mark = emu.mark()
    result = runner.invoke(app, ["destroy", "project", *args, "--emulator"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1
    assert emu.since(mark) == []


def test_undelete_bad_input_exits_2(cli):
    runner, emu = cli
    result = runner.invoke(app, ["undelete", "project", "Bad_Id", "--emulator"])
    assert result.exit_code == 2 and "is not a project ID" in result.output
    assert emu.requests() == []


def test_flagged_delete_shows_inventory_then_undelete_restores(cli):
    runner, emu = cli
    _up(runner)
    make_firewall(emu, PROJECT, "hand-made-rule", "not gcpkit's")
    result = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT,
                                 "-o", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["state"] == "DELETE_REQUESTED" and out["undelete"] == f"gcpkit undelete project {PROJECT}"
    kinds = {r["kind"]: r for r in out["inventory"]}
    assert kinds["instance"]["deployments"] == {"gce-custom": 1}
    assert kinds["firewall"]["deployments"] == {"gce-custom": 2} and kinds["firewall"]["not_gcpkit"] >= 1
    assert "30 days" in result.stderr and f"gcpkit undelete project {PROJECT}" in result.stderr
    # the inventory is shown before the delete call
    calls = [c["method_id"] for c in emu.requests()]
    delete_at = calls.index("cloudresourcemanager.projects.delete")
    assert "compute.instances.aggregatedList" in calls[:delete_at]
    assert _state(emu) == "DELETE_REQUESTED"

    again = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT])
    assert again.exit_code == 1 and "already being deleted" in again.output, again.output

    restored = runner.invoke(app, ["undelete", "project", PROJECT, "--emulator", "-o", "json"])
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)["state"] == "ACTIVE"
    assert _state(emu) == "ACTIVE"
    twice = runner.invoke(app, ["undelete", "project", PROJECT, "--emulator"])
    assert twice.exit_code == 1 and "not being deleted" in twice.output


def test_typed_confirmation(cli, monkeypatch):
    runner, emu = cli
    monkeypatch.setattr(teardown_cmds, "interactive", lambda: True)
    wrong = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator"], input="td-project-9\n")
    assert wrong.exit_code == 1, wrong.output
    assert "nothing was deleted" in wrong.output
    assert "cloudresourcemanager.projects.delete" not in [c["method_id"] for c in emu.requests()]
    assert _state(emu) == "ACTIVE"
    right = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator"], input=f"{PROJECT}\n")
    assert right.exit_code == 0, right.output
    assert _state(emu) == "DELETE_REQUESTED"


def test_liens_stop_it_unless_removed(cli):
    runner, emu = cli
    rm = _rm(emu)
    lien = rm.liens().create(body={"parent": f"projects/{PROJECT}", "restrictions":
                                   ["resourcemanager.projects.delete"], "reason": "keep the audit logs",
                                   "origin": "compliance-team"}).execute()
    result = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT])
    assert result.exit_code == 3, result.output
    assert lien["name"] in result.output and "--remove-liens" in result.output
    assert "cloudresourcemanager.projects.delete" not in [c["method_id"] for c in emu.requests()]
    assert _state(emu) == "ACTIVE"

    result = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT,
                                 "--remove-liens"])
    assert result.exit_code == 0, result.output
    assert f"Removed lien {lien['name']}" in result.output
    assert _state(emu) == "DELETE_REQUESTED"
    assert rm.liens().list(parent=f"projects/{PROJECT}").execute().get("liens") is None


@pytest.mark.parametrize("method, expected", [
    ("cloudresourcemanager.projects.get", "does not exist, or these credentials cannot see it"),
    ("cloudresourcemanager.projects.delete", "these credentials cannot delete project"),
])
def test_forbidden_is_refused_clearly(tmp_path, monkeypatch, method, expected):
    faults = {"rules": [{"method_id": method, "error": {"status": 403, "reason": "forbidden",
                                                        "message": "The caller does not have permission"}}]}
    emu = start_emulator(tmp_path, faults=faults)
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        result = CliRunner().invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT])
        assert result.exit_code == 1, result.output
        assert expected in result.output and "HTTP 403" in result.output
        assert "Traceback" not in result.output
    finally:
        emu.server.stop()
