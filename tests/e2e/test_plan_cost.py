"""`gcpkit plan` and `gcpkit up` end their plan with an estimated monthly cost per resource and in total,
labelled an estimate with the price table's region and date; `--prices FILE` (or `prices:` in
.gcpkit/config.yaml) overrides prices, and a bad price file stops before any API call. Expected
figures are computed from the shipped table, not written in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gcpkit.cli.main import app
from gcpkit.pricing.table import SHIPPED

PRICES = yaml.safe_load(Path(SHIPPED).read_text())
H = PRICES["hours_per_month"]
C = PRICES["compute"]
SQL = PRICES["sql"]
BASE = ["--emulator", "--project", "costs"]


def _vm(machine: str = "e2-small", spot: bool = False, hourly: float | None = None) -> float:
    rate = hourly if hourly is not None else C["spot_hourly" if spot else "machine_hourly"][machine]
    return (rate + C["external_ip_hourly"]) * H + 10 * C["disk_gb_month"]["pd-balanced"]  # the boot disk


def _plan(runner, pattern: str, *args: str) -> tuple[dict, str]:
    result = runner.invoke(app, ["plan", pattern, *BASE, "--output", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["estimate"], result.stderr


def _costs(estimate: dict) -> dict[str, float | None]:
    return {row["resource"]: row["monthly_cost"] for row in estimate["resources"]}


def test_plan_ends_with_each_resources_monthly_cost_and_the_total(cli):
    runner, _ = cli
    estimate, stderr = _plan(runner, "gce-custom", "--set", "vm_count=2", "--set", "extra_disk_size_gb=20")
    disk = 20 * C["disk_gb_month"]["pd-balanced"]
    assert _costs(estimate) == {
        "gce-custom-net": 0.0, "gce-custom-subnet": 0.0, "gce-custom-allow-http": 0.0, "gce-custom-allow-ssh": 0.0,
        "gce-custom-vm-1": round(_vm(), 2), "gce-custom-vm-2": round(_vm(), 2),
        "gce-custom-vm-1-data": round(disk, 2), "gce-custom-vm-2-data": round(disk, 2)}
    total = 2 * _vm() + 2 * disk
    assert estimate["total_monthly_cost"] == round(total, 2)
    assert (estimate["price_date"], estimate["price_region"], estimate["currency"]) == (
        PRICES["date"], PRICES["region"], "USD")
    assert estimate["no_estimate"] == []
    label = f"list prices of {PRICES['region']} on {PRICES['date']}, USD"
    assert f"Estimated monthly cost ({label})" in stderr
    # the plan ends with the total, labelled an estimate
    assert stderr.rstrip().splitlines()[-2:] == [
        f"Estimated total: {total:.2f} USD/month.",
        "An estimate from list prices: no discounts, free tiers, egress or taxes."]


def test_spot_vms_are_priced_as_spot(cli):
    runner, _ = cli
    on_demand, _ = _plan(runner, "gce-custom", "--set", "machine_type=n2-standard-2")
    spot, _ = _plan(runner, "gce-custom", "--set", "machine_type=n2-standard-2", "--set", "spot=true")
    assert _costs(on_demand)["gce-custom-vm-1"] == round(_vm("n2-standard-2"), 2)
    assert _costs(spot)["gce-custom-vm-1"] == round(_vm("n2-standard-2", spot=True), 2)
    row = next(r for r in spot["resources"] if r["resource"] == "gce-custom-vm-1")
    assert row["basis"] == "n2-standard-2 Spot, boot 10 GB pd-balanced, external IPv4"


def test_gce_sql_prices_the_instance_tier_and_storage_and_the_secret(cli):
    runner, _ = cli
    estimate, stderr = _plan(runner, "gce-sql", "--set", "tier=db-custom-1-3840", "--set", "storage_size_gb=50",
                             "--set", "auth=password")
    costs = _costs(estimate)
    instance = (SQL["vcpu_hourly"] + 3.75 * SQL["memory_gb_hourly"]) * H + 50 * SQL["storage_gb_month"]["PD_SSD"]
    secret = PRICES["secretmanager"]["version_month"]
    assert costs["gce-sql-mysql"] == round(instance, 2)
    assert costs["gce-sql-db-password"] == secret
    assert costs["gce-sql-db"] == costs["gce-sql-db-user"] == costs["gce-sql-web-sa"] == 0.0
    assert estimate["total_monthly_cost"] == round(instance + secret + _vm(), 2)
    assert f"Estimated total: {instance + secret + _vm():.2f} USD/month, plus what is billed by use" in stderr


def test_a_user_price_file_overrides_a_price(cli, tmp_path):
    runner, _ = cli
    Path("team.yaml").write_text("date: '2026-02-01'\ncompute:\n  machine_hourly:\n    e2-small: 0.05\n")
    estimate, stderr = _plan(runner, "gce-custom", "--prices", "team.yaml")
    assert _costs(estimate)["gce-custom-vm-1"] == round(_vm(hourly=0.05), 2)
    assert (estimate["price_date"], estimate["prices"]) == ("2026-02-01", "team.yaml")
    assert f"list prices of {PRICES['region']} on 2026-02-01, USD, with team.yaml" in stderr
    # the same file named in the project's config file
    Path(".gcpkit").mkdir(exist_ok=True)
    Path(".gcpkit/config.yaml").write_text("prices: team.yaml\n")
    configured, _ = _plan(runner, "gce-custom")
    assert configured == estimate


@pytest.mark.parametrize("command", [["plan", "gce-custom"], ["up", "gce-custom", "--yes"]])
def test_a_bad_price_file_exits_2_with_one_line_and_no_call(cli, command):
    runner, emu = cli
    Path("bad.yaml").write_text("compute:\n  machine_hourly:\n    e2-small: -1\n")
    mark = emu.mark()
    result = runner.invoke(app, [*command, *BASE, "--prices", "bad.yaml"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        "error: bad.yaml: compute.machine_hourly.e2-small: expected a number >= 0, got -1"]
    assert emu.since(mark) == []


def test_up_shows_the_estimate_before_applying_and_in_its_json(cli):
    runner, _ = cli
    result = runner.invoke(app, ["up", "gce-custom", *BASE, "--yes", "--output", "json"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    total = next(i for i, line in enumerate(lines) if line.startswith("Estimated total:"))
    first_progress = next(i for i, line in enumerate(lines) if line.startswith("create gce-custom-net: done"))
    assert total < first_progress
    out = json.loads(result.stdout)
    assert out["estimate"]["total_monthly_cost"] == round(_vm(), 2)
    assert lines[total] == f"Estimated total: {_vm():.2f} USD/month."
