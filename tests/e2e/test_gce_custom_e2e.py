"""gce-custom end to end: the CLI as a user runs it, against the emulator, checked with the official client."""

from __future__ import annotations

import json

from e2e_helpers import compute_client

from gcpkit.cli.main import app

PROJECT = "e2e-demo"
UP = ["up", "gce-custom", "--emulator", "--project", PROJECT, "--yes"]

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def test_up_again_plan_status_outputs_destroy(cli):
    runner, emu = cli
    result = runner.invoke(app, UP)
    assert result.exit_code == 0, result.output
    assert "Done." in result.output

    instances = compute_client(emu, "InstancesClient")
    vm = instances.get(project=PROJECT, zone="us-central1-a", instance="gce-custom-vm-1")
    assert vm.status == "RUNNING" or vm.status in ("PROVISIONING", "STAGING")
    assert vm.labels["managed-by"] == "gcpkit"
    assert vm.labels["gcpkit-deployment"] == "gce-custom"
    firewalls = compute_client(emu, "FirewallsClient")
    ssh = [f for f in firewalls.list(project=PROJECT) if f.name == "gce-custom-allow-ssh"]
    assert [list(f.source_ranges) for f in ssh] == [["35.235.240.0/20"]]
    assert "gcpkit-deployment=gce-custom" in ssh[0].description

    # up again: nothing changes and no mutating call is made
    mark = emu.mark()
    again = runner.invoke(app, UP)
    assert again.exit_code == 0, again.output
    assert "to create" not in again.output
    calls = emu.since(mark)
    assert [c for c in calls if c["method"] in MUTATING] == []

    planned = runner.invoke(app, ["plan", "gce-custom", "--emulator", "--project", PROJECT, "-o", "json"])
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["changes"] is False
    assert {row["action"] for row in plan["plan"]} == {"no change"}

    status = runner.invoke(app, ["status", "gce-custom", "--emulator", "-o", "json"])
    assert status.exit_code == 0, status.output
    rows = json.loads(status.stdout)["resources"]
    assert all(r["exists"] for r in rows) and len(rows) == len(plan["plan"])

    outputs = runner.invoke(app, ["outputs", "gce-custom", "-o", "json"])
    assert outputs.exit_code == 0, outputs.output
    values = json.loads(outputs.stdout)
    assert values["vm-1-url"] == f"http://{vm.network_interfaces[0].access_configs[0].nat_i_p}/"

    destroyed = runner.invoke(app, ["destroy", "deployment", "gce-custom", "--emulator", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    left = list(instances.list(request={"project": PROJECT, "zone": "us-central1-a",
                                        "filter": "labels.gcpkit-deployment = gce-custom"}))
    assert left == []
    assert [f.name for f in firewalls.list(project=PROJECT) if "gce-custom" in f.name] == []
    gone = runner.invoke(app, ["status", "-o", "json"])
    assert json.loads(gone.stdout) == []
