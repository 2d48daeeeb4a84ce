"""Deletion protection in the teardown plan (Cloud SQL: kept unless --force-unprotect, and the plan says so
before asking), a Cloud SQL instance found by its userLabels, the kind order of resources no graph recorded,
and the price table."""

from __future__ import annotations

import json

from teardown_helpers import census
from typer.testing import CliRunner

from gcpkit.cli.main import app

PATTERN = """\
{%- set d = env.deployment -%}
resources:
- name: {{ d }}-db
  type: sqladmin.v1.instance
  properties:
    region: {{ env.region }}
    databaseVersion: MYSQL_8_0
    settings:
      tier: db-f1-micro
      dataDiskSizeGb: '10'
      deletionProtectionEnabled: true
- name: {{ d }}-net
  type: compute.v1.network
  properties:
    autoCreateSubnetworks: false
"""


def _pattern(tmp_path):
    folder = tmp_path / "sqlpat"
    folder.mkdir()
    (folder / "pattern.yaml").write_text(PATTERN)
    (folder / "schema.yaml").write_text("description: A protected Cloud SQL instance and a network.\nproperties: {}\n")
    return str(folder)


def _sql(emu):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    from gcpkit.emulator.core.services import endpoints

    return build("sqladmin", "v1", credentials=AnonymousCredentials(), static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": endpoints(emu.url)["sqladmin"]})


def test_protected_sql_kept_unless_force_unprotect(cli, tmp_path):
    runner, emu = cli
    project = "td-protect"
    up = runner.invoke(app, ["up", _pattern(tmp_path), "--deployment", "db", "--emulator", "--project", project,
                             "--yes"])
    assert up.exit_code == 0, up.output
    # a labelled instance a crashed run left, not in the state: found through settings.userLabels
    labels = {"managed-by": "gcpkit", "gcpkit-deployment": "db"}
    op = _sql(emu).instances().insert(project=project, body={
        "name": "db-stray", "region": "us-central1", "databaseVersion": "MYSQL_8_0",
        "settings": {"tier": "db-f1-micro", "userLabels": labels}}).execute()
    assert op["name"]

    dry = runner.invoke(app, ["destroy", "deployment", "db", "--emulator", "--dry-run", "-o", "json"])
    assert dry.exit_code == 0, dry.output
    rows = {r["resource"]: r for r in json.loads(dry.stdout)["plan"]}
    assert "kept unless you pass --force-unprotect" in rows["db-db"]["note"]
    assert rows["db-stray"]["found_by"] == "labels" and rows["db-stray"]["type"] == "sqladmin.v1.instance"

    kept = runner.invoke(app, ["destroy", "deployment", "db", "--emulator", "--yes"])
    assert kept.exit_code == 1, kept.output
    assert "error: db-db: Cloud SQL instance 'db-db' has deletion protection on" in kept.output, kept.output
    assert "hint: pass --force-unprotect to turn it off" in kept.output, kept.output
    assert census(emu, project, "db") == ["sqladmin.v1.instance:db-db"], kept.output

    dry = runner.invoke(app, ["destroy", "deployment", "db", "--emulator", "--dry-run", "--force-unprotect",
                              "-o", "json"])
    assert "will be turned OFF" in json.loads(dry.stdout)["plan"][0]["note"]
    forced = CliRunner().invoke(app, ["destroy", "deployment", "db", "--emulator", "--yes", "--force-unprotect"])
    assert forced.exit_code == 0, forced.output
    assert census(emu, project, "db") == []


def test_kind_order_for_resources_without_a_recorded_graph():
    from gcpkit.execution.teardown import DISCOVERED, RECORDED, Item, _order_unrecorded
    from gcpkit.execution.walker import reverse
    from graphlib import TopologicalSorter

    items = {
        "net": Item("net", "compute.v1.network", "net", RECORDED),
        "subnet": Item("subnet", "compute.v1.subnetwork", "subnet", RECORDED, depends_on={"net"}),
        "vm": Item("vm", "compute.v1.instance", "vm", DISCOVERED),
        "rule": Item("rule", "compute.v1.globalForwardingRule", "rule", DISCOVERED),
        "proxy": Item("proxy", "compute.v1.targetHttpProxy", "proxy", DISCOVERED),
        "disk": Item("disk", "compute.v1.disk", "disk", DISCOVERED),
    }
    _order_unrecorded(items)
    order = list(TopologicalSorter(reverse({k: i.depends_on for k, i in items.items()})).static_order())
    assert order.index("rule") < order.index("proxy") < order.index("vm") < order.index("disk") \
        < order.index("subnet") < order.index("net")


def test_price_table():
    from gcpkit.prices import PRICE_DATE, monthly_cost

    assert PRICE_DATE
    vm = monthly_cost("compute.v1.instance", {"machineType": "zones/us-central1-a/machineTypes/e2-small",
                                              "status": "RUNNING"})
    assert 10 < vm < 15
    assert monthly_cost("compute.v1.disk", {"sizeGb": "100", "type": "zones/z/diskTypes/pd-balanced"}) == 10.0
    assert 7 < monthly_cost("sqladmin.v1.instance", {"settings": {"tier": "db-f1-micro",
                                                                  "dataDiskSizeGb": "10"}}) < 10
    assert 3 < monthly_cost("compute.v1.address", {}) < 4
    assert 18 < monthly_cost("compute.v1.globalForwardingRule", {}) < 19
    assert monthly_cost("compute.v1.network", {}) == 0.0
    assert monthly_cost("compute.v1.instance", {"machineType": "x/unknown-type"}) is None
