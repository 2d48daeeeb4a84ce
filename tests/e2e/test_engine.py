"""The engine through the CLI against the emulator: failures skip only dependents and name root causes,
transient errors are retried, existing resources are adopted only when they are ours, locks hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import compute_client, start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

SMALL = str(Path(__file__).parent / "patterns" / "small")
UP = ["up", SMALL, "--deployment", "small", "--emulator", "--project", "engine", "--yes"]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def make_cli(tmp_path, monkeypatch):
    servers = []

    def make(faults=None):
        handle = start_emulator(tmp_path, faults=faults)
        servers.append(handle)
        monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
        return CliRunner(), handle

    monkeypatch.chdir(tmp_path)
    yield make
    for handle in servers:
        handle.server.stop()


def _mutations(calls):
    return sorted((c["method"], c["path"].rsplit("/", 1)[-1]) for c in calls if c["method"] in MUTATING
                  and "/operations/" not in c["path"])


def test_failure_skips_dependents_names_root_cause_and_resumes(make_cli):
    runner, emu = make_cli({"rules": [{"method_id": "compute.subnetworks.insert",
                                       "operation_error": "QUOTA_EXCEEDED", "quota": "SUBNETWORKS", "times": 1}]})
    failed = runner.invoke(app, UP)
    assert failed.exit_code == 1, failed.output
    errors = [line for line in failed.output.splitlines() if line.startswith("error:")]
    assert errors[0].startswith("error: small-subnet: QUOTA_EXCEEDED")
    assert "SUBNETWORKS" in errors[0]
    assert not any("small-vm-0:" in line for line in errors)
    assert "1 resource(s) failed; 1 dependent resource(s) skipped" in failed.output
    assert "run `gcpkit up" in failed.output
    # the independent branch finished
    assert compute_client(emu, "FirewallsClient").get(project="engine", firewall="small-fw").name == "small-fw"

    mark = emu.mark()
    resumed = runner.invoke(app, UP)
    assert resumed.exit_code == 0, resumed.output
    assert _mutations(emu.since(mark)) == [("POST", "instances"), ("POST", "subnetworks")]


def test_transient_errors_are_retried(make_cli):
    runner, emu = make_cli({"seed": 3, "rules": [
        {"http_method": "POST", "path": "/compute/v1/projects/*/global/*", "probability": 0.5, "error": 429},
        {"http_method": "POST", "path": "/compute/v1/projects/*/regions/*", "probability": 0.5, "error": 403},
        {"http_method": "GET", "probability": 0.2, "error": 503}]})
    result = runner.invoke(app, UP)
    assert result.exit_code == 0, result.output
    statuses = [c["status"] for c in emu.requests()]
    assert 429 in statuses and 403 in statuses
    # exactly one resource of each, despite the retries
    assert [n.name for n in compute_client(emu, "NetworksClient").list(project="engine")
            if n.name.startswith("small")] == ["small-net"]


def test_existing_resource_is_adopted_only_with_our_marker(make_cli):
    from google.cloud import compute_v1

    runner, emu = make_cli()
    networks = compute_client(emu, "NetworksClient")
    ours = compute_v1.Network(name="small-net", auto_create_subnetworks=False,
                              description="[managed-by=gcpkit gcpkit-deployment=small]")
    _wait(emu, networks.insert_unary(project="engine", network_resource=ours))
    result = runner.invoke(app, UP)
    assert result.exit_code == 0, result.output

    theirs = compute_v1.Network(name="other-net", auto_create_subnetworks=False, description="hand-made")
    _wait(emu, networks.insert_unary(project="engine", network_resource=theirs))
    conflict = runner.invoke(app, ["up", SMALL, "--deployment", "other", "--emulator", "--project", "engine",
                                   "--yes"])
    assert conflict.exit_code == 1, conflict.output
    assert "other-net" in conflict.output and "was not created by deployment 'other'" in conflict.output
    assert networks.get(project="engine", network="other-net").description == "hand-made"


def test_second_up_on_a_locked_deployment_exits_3_naming_the_holder(make_cli):
    from gcpkit.state.local import LocalState

    runner, emu = make_cli()
    with LocalState(".gcpkit/state.db").lock("small", "gcpkit up"):
        result = runner.invoke(app, UP)
    assert result.exit_code == 3, result.output
    assert "locked by pid" in result.output
    assert _mutations(emu.requests()) == []


def _wait(emu, op):
    ops = compute_client(emu, "GlobalOperationsClient")
    while op.status.name != "DONE":
        op = ops.wait(project="engine", operation=op.name)
