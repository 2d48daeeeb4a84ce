"""`gcpkit plan` reads live Compute resources as JSON (one list per type and scope, a get for the rest)
without importing google.cloud.compute_v1, whose ~2 s import a plan of 1,000 resources cannot afford;
the client library still makes every change. And bad Compute properties at any depth stop before any
call, checked against Compute's discovery schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from e2e_helpers import compute_client

from gcpkit.cli.main import app

BASE = ["--emulator", "--project", "reads"]
DISKS = 5  # planning.build.LIST_FROM: from this many of one type on, they are listed

PATTERN = """resources:
- name: {{ env.deployment }}-net
  type: compute.v1.network
  properties: {autoCreateSubnetworks: false}
{%- for i in range(1, 6) %}
- name: {{ env.deployment }}-disk-{{ i }}
  type: compute.v1.disk
  properties: {zone: us-central1-a, sizeGb: '10'}
{%- endfor %}
"""

# The plan as a user runs it, in its own interpreter; the last stderr line says whether the library loaded.
PLAN = ("import atexit, sys\n"
        "atexit.register(lambda: print('compute_v1 imported:', 'google.cloud.compute_v1' in sys.modules,"
        " file=sys.stderr))\n"
        "from gcpkit.cli.main import run\n"
        "sys.argv = ['gcpkit', *sys.argv[1:]]\n"
        "run()\n")


def _pattern(tmp_path, name: str, text: str) -> str:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pattern.yaml").write_text(text)
    (folder / "schema.yaml").write_text("description: a test pattern\nproperties: {}\n")
    return f"./{name}"


def _plan(tmp_path, emu) -> tuple[dict, str]:
    import os

    env = {**os.environ, "GCPKIT_EMULATOR_HOST": emu.url}
    proc = subprocess.run([sys.executable, "-c", PLAN, "plan", "./disks", *BASE, "--output", "json"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr.strip().splitlines()[-1]


def test_plan_lists_live_resources_without_the_client_library(cli, tmp_path):
    runner, emu = cli
    pattern = _pattern(tmp_path, "disks", PATTERN)
    up = runner.invoke(app, ["up", pattern, *BASE, "--yes"])
    assert up.exit_code == 0, up.output

    mark = emu.mark()
    plan, marker = _plan(tmp_path, emu)
    assert marker == "compute_v1 imported: False"
    assert plan["changes"] is False
    assert {row["resource"]: row["action"] for row in plan["plan"]} == {
        "disks-net": "no change", **{f"disks-disk-{i}": "no change" for i in range(1, DISKS + 1)}}
    reads = sorted(r["path"].split("/projects/reads/", 1)[1] for r in emu.since(mark) if r["method"] == "GET")
    assert reads == ["global/networks/disks-net", "zones/us-central1-a/disks"]


def test_a_resource_deleted_behind_gcpkits_back_is_planned_for_creation(cli, tmp_path):
    runner, emu = cli
    pattern = _pattern(tmp_path, "disks", PATTERN)
    assert runner.invoke(app, ["up", pattern, *BASE, "--yes"]).exit_code == 0
    op = compute_client(emu, "DisksClient").delete_unary(project="reads", zone="us-central1-a", disk="disks-disk-3")
    operations = compute_client(emu, "ZoneOperationsClient")  # .result() would poll compute.googleapis.com
    while op.status.name != "DONE":
        op = operations.wait(project="reads", zone="us-central1-a", operation=op.name)

    mark = emu.mark()
    plan, _ = _plan(tmp_path, emu)
    rows = {row["resource"]: row for row in plan["plan"]}
    assert plan["changes"] is True
    assert (rows["disks-disk-3"]["action"], rows["disks-disk-3"]["note"]) == (
        "create", "recorded but missing; will be recreated")
    assert {n: r["action"] for n, r in rows.items() if n != "disks-disk-3"} == {
        "disks-net": "no change", **{f"disks-disk-{i}": "no change" for i in (1, 2, 4, 5)}}
    # The list did not show it, so it was asked for by name, and the 404 meant "missing".
    statuses = {r["path"].split("/projects/reads/", 1)[1]: r["status"] for r in emu.since(mark)}
    assert statuses["zones/us-central1-a/disks/disks-disk-3"] == 404


INSTANCE = ("  type: compute.v1.instance\n  properties:\n    zone: us-central1-a\n"
            "    machineType: zones/us-central1-a/machineTypes/e2-small\n"
            "    disks: [{boot: true, initializeParms: {sourceImage: x}}]\n")
WHERE = "error: resource x-thing: "
BAD = [
    ("unknown-nested", INSTANCE,
     WHERE + "compute.v1.instance properties: unknown field 'disks[0].initializeParms' (did you mean 'initializeParams'?)"),
    ("wrong-type", "  type: compute.v1.network\n  properties: {autoCreateSubnetworks: 'no'}\n",
     WHERE + 'compute.v1.network properties: autoCreateSubnetworks must be true or false, not "no"'),
    ("bad-enum", "  type: compute.v1.firewall\n  properties: {network: n, direction: INBOUND}\n",
     WHERE + "compute.v1.firewall properties: direction: 'INBOUND' is not one of EGRESS, INGRESS"),
    ("not-a-number", "  type: compute.v1.disk\n  properties: {zone: us-central1-a, sizeGb: ten}\n",
     WHERE + 'compute.v1.disk properties: sizeGb must be an integer, not "ten"'),
]


@pytest.mark.parametrize("name,body,line", BAD, ids=[b[0] for b in BAD])
def test_bad_compute_properties_exit_2_naming_the_field_with_no_call(cli, tmp_path, name, body, line):
    runner, emu = cli
    pattern = _pattern(tmp_path, name, "resources:\n- name: x-thing\n" + body)
    result = runner.invoke(app, ["plan", pattern, *BASE])
    assert result.exit_code == 2, result.output
    assert [ln for ln in result.output.splitlines() if ln.strip()] == [line]
    assert emu.requests() == []


def test_refs_stand_for_any_type_until_apply(cli, tmp_path):
    """A ref in a numeric or list field is not a type error: it is resolved at apply."""
    runner, _ = cli
    pattern = _pattern(tmp_path, "refs", "resources:\n- name: refs-net\n  type: compute.v1.network\n"
                       "  properties: {autoCreateSubnetworks: false}\n"
                       "- name: refs-fw\n  type: compute.v1.firewall\n"
                       "  properties: {network: $(ref.refs-net.selfLink), priority: $(ref.refs-net.id),"
                       " sourceTags: [$(ref.refs-net.name)], allowed: [{IPProtocol: tcp}]}\n")
    result = runner.invoke(app, ["plan", pattern, *BASE, "--output", "json"])
    assert result.exit_code == 0, result.output
    assert {r["resource"]: r["action"] for r in json.loads(result.stdout)["plan"]} == {
        "refs-net": "create", "refs-fw": "create"}
