"""Changing parameters: the plan names updates with their changed fields, replacements and deletes,
and `up` carries them out in place where the API allows it."""

from __future__ import annotations

import json

from e2e_helpers import compute_client

from gcpkit.cli.main import app

BASE = ["--emulator", "--project", "changes"]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _plan(runner, *sets: str) -> dict[str, dict]:
    args = ["plan", "gce-custom", *BASE, "-o", "json"]
    for s in sets:
        args += ["--set", s]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return {row["resource"]: row for row in json.loads(result.stdout)["plan"]}


def test_update_replace_and_delete_are_planned_and_applied(cli):
    runner, emu = cli
    first = runner.invoke(app, ["up", "gce-custom", *BASE, "--yes", "--set", "vm_count=2"])
    assert first.exit_code == 0, first.output

    plan = _plan(runner, "vm_count=1", "ssh_source_range=10.0.0.0/8", "machine_type=e2-medium")
    assert plan["gce-custom-allow-ssh"]["action"] == "update"
    assert plan["gce-custom-allow-ssh"]["changed"] == ["description", "sourceRanges"]
    assert plan["gce-custom-vm-1"]["action"] == "replace"
    assert "machineType" in plan["gce-custom-vm-1"]["changed"]
    assert plan["gce-custom-vm-2"]["action"] == "delete"
    assert plan["gce-custom-net"]["action"] == "no change"

    mark = emu.mark()
    applied = runner.invoke(app, ["up", "gce-custom", *BASE, "--yes", "--set", "vm_count=1",
                                  "--set", "ssh_source_range=10.0.0.0/8", "--set", "machine_type=e2-medium"])
    assert applied.exit_code == 0, applied.output
    calls = [(c["method"], c["path"].split("/projects/changes/", 1)[1]) for c in emu.since(mark)
             if c["method"] in MUTATING]
    assert ("PATCH", "global/firewalls/gce-custom-allow-ssh") in calls
    assert ("DELETE", "zones/us-central1-a/instances/gce-custom-vm-2") in calls
    assert ("DELETE", "zones/us-central1-a/instances/gce-custom-vm-1") in calls
    assert ("POST", "zones/us-central1-a/instances") in calls

    firewall = compute_client(emu, "FirewallsClient").get(project="changes", firewall="gce-custom-allow-ssh")
    assert list(firewall.source_ranges) == ["10.0.0.0/8"]
    vm = compute_client(emu, "InstancesClient").get(project="changes", zone="us-central1-a",
                                                    instance="gce-custom-vm-1")
    assert vm.machine_type.endswith("/machineTypes/e2-medium")
    assert set(_plan(runner, "vm_count=1", "ssh_source_range=10.0.0.0/8", "machine_type=e2-medium")) == {
        "gce-custom-net", "gce-custom-subnet", "gce-custom-allow-http", "gce-custom-allow-ssh", "gce-custom-vm-1"}
    settled = _plan(runner, "vm_count=1", "ssh_source_range=10.0.0.0/8", "machine_type=e2-medium")
    assert {row["action"] for row in settled.values()} == {"no change"}
