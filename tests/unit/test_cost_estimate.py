"""The price table and the per-type cost rules: expected figures are computed here from the shipped
table (gcpkit/data/prices.yaml), so a price update does not break the tests, a wrong rule does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.pricing.rules import resource_cost
from gcpkit.pricing.table import SHIPPED, load_table

PRICES = yaml.safe_load(Path(SHIPPED).read_text())
H = PRICES["hours_per_month"]
C = PRICES["compute"]


@pytest.fixture
def table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .gcpkit/config.yaml here: the shipped table
    return load_table()


def vm(machine="e2-small", spot=False, boot_gb="10", ip=True):
    return {"zone": "us-central1-a", "machineType": f"zones/us-central1-a/machineTypes/{machine}",
            "disks": [{"boot": True, "initializeParams": {"diskSizeGb": boot_gb,
                                                         "diskType": "zones/us-central1-a/diskTypes/pd-balanced"}}],
            "networkInterfaces": [{"network": "$(ref.net.selfLink)",
                                   "accessConfigs": [{"type": "ONE_TO_ONE_NAT"}] if ip else []}],
            "scheduling": {"provisioningModel": "SPOT" if spot else "STANDARD"}}


def test_shipped_table_states_its_date_region_and_currency(table):
    assert table.label() == f"list prices of {PRICES['region']} on {PRICES['date']}, {PRICES['currency']}"


def test_vm_prices_machine_boot_disk_and_external_ip(table):
    cost = resource_cost("compute.v1.instance", vm(), table)
    expected = (C["machine_hourly"]["e2-small"] + C["external_ip_hourly"]) * H + 10 * C["disk_gb_month"]["pd-balanced"]
    assert cost.monthly == pytest.approx(expected)
    assert cost.basis == "e2-small on-demand, boot 10 GB pd-balanced, external IPv4"


def test_spot_vm_is_priced_at_the_spot_rate(table):
    cost = resource_cost("compute.v1.instance", vm("n2-standard-2", spot=True, ip=False), table)
    assert cost.monthly == pytest.approx(C["spot_hourly"]["n2-standard-2"] * H + 10 * C["disk_gb_month"]["pd-balanced"])
    assert cost.basis.startswith("n2-standard-2 Spot")


def test_group_is_target_size_times_its_templates_vm(table):
    template = {"properties": {"machineType": "e2-medium", "disks": [{"boot": True, "initializeParams": {}}]}}
    others = {"t": ("compute.v1.instanceTemplate", template),
              "a": ("compute.v1.regionAutoscaler", {"target": "$(ref.mig.selfLink)",
                                                    "autoscalingPolicy": {"minNumReplicas": 2, "maxNumReplicas": 5}})}
    cost = resource_cost("compute.v1.regionInstanceGroupManager",
                         {"targetSize": 3, "instanceTemplate": "$(ref.t.selfLink)"}, table, name="mig", others=others)
    each = C["machine_hourly"]["e2-medium"] * H + 10 * C["disk_gb_month"]["pd-standard"]
    assert cost.monthly == pytest.approx(3 * each)
    assert cost.basis == "3 x (e2-medium on-demand, boot 10 GB pd-standard); target size, the autoscaler runs 2-5"


def test_machine_type_known_only_after_a_read_gets_no_estimate(table):
    template = {"properties": {"machineType": "$(ref.src.machineTypeName)"}}
    cost = resource_cost("compute.v1.regionInstanceGroupManager",
                         {"targetSize": 2, "instanceTemplate": "$(ref.t.selfLink)"}, table,
                         others={"t": ("compute.v1.instanceTemplate", template)})
    assert cost.monthly is None
    assert cost.basis == "no estimate: the machine type is known only once src exists"


def test_cloud_sql_shared_core_and_per_vcpu_tiers_storage_and_high_availability(table):
    sql = PRICES["sql"]
    micro = resource_cost("sqladmin.v1.instance", {"settings": {"tier": "db-f1-micro", "dataDiskSizeGb": "20",
                                                                "dataDiskType": "PD_SSD"}}, table)
    assert micro.monthly == pytest.approx(sql["tier_month"]["db-f1-micro"] + 20 * sql["storage_gb_month"]["PD_SSD"])
    ha = resource_cost("sqladmin.v1.instance", {"settings": {"tier": "db-custom-2-7680", "dataDiskSizeGb": "10",
                                                             "availabilityType": "REGIONAL"}}, table)
    hourly = 2 * sql["vcpu_hourly"] + 7.5 * sql["memory_gb_hourly"]
    assert ha.monthly == pytest.approx(sql["high_availability_factor"] * (hourly * H + 10 * sql["storage_gb_month"]["PD_SSD"]))
    assert ha.basis == "db-custom-2-7680, 10 GB PD_SSD, high availability"


def test_bucket_is_priced_per_gb_by_storage_class_and_location(table):
    regional = resource_cost("storage.v1.bucket", {"location": "US-CENTRAL1", "storageClass": "NEARLINE"}, table)
    multi = resource_cost("storage.v1.bucket", {"location": "US"}, table)
    assert (regional.monthly, multi.monthly) == (0.0, 0.0)
    assert regional.usage == f"{PRICES['storage']['gb_month']['NEARLINE']:.4g} USD per GB-month stored"
    assert multi.usage == f"{PRICES['storage']['multi_region_gb_month']['STANDARD']:.4g} USD per GB-month stored"


def test_fixed_monthly_prices(table):
    assert resource_cost("dns.v1.managedZone", {}, table).monthly == PRICES["dns"]["managed_zone_month"]
    assert resource_cost("compute.v1.globalForwardingRule", {}, table).monthly == pytest.approx(
        C["forwarding_rule_hourly"] * H)
    assert resource_cost("compute.v1.globalAddress", {}, table).monthly == pytest.approx(C["static_ip_hourly"] * H)


def test_gke_cluster_fee_and_nodes_on_each_zone_of_a_regional_pool(table):
    gke = PRICES["gke"]
    pool = {"initialNodeCount": 2, "config": {"machineType": "e2-standard-2", "diskSizeGb": 50,
                                              "diskType": "pd-standard"}}
    regional = resource_cost("container.v1.cluster", {"cluster": {"location": "us-central1", "nodePools": [pool]}},
                             table)
    node = C["machine_hourly"]["e2-standard-2"] * H + 50 * C["disk_gb_month"]["pd-standard"]
    assert regional.monthly == pytest.approx(gke["cluster_fee_hourly"] * H + 3 * 2 * node)
    zonal_spot = resource_cost("container.v1.nodePool",
                               {"location": "us-central1-a", "nodePool": {"initialNodeCount": 4, "config": {
                                   "machineType": "e2-standard-2", "spot": True}}}, table)
    spot_node = (C["spot_hourly"]["e2-standard-2"] * H
                 + gke["default_disk_size_gb"] * C["disk_gb_month"][gke["default_disk_type"]])
    assert zonal_spot.monthly == pytest.approx(4 * spot_node)
    assert zonal_spot.basis.startswith("4 x e2-standard-2 Spot node")


def test_app_engine_prices_the_always_on_minimum(table):
    hourly = PRICES["appengine"]["instance_hourly"]["F2"]
    version = {"runtime": "python312", "instanceClass": "F2",
               "automaticScaling": {"standardSchedulerSettings": {"minInstances": 2, "maxInstances": 5}}}
    cost = resource_cost("appengine.v1.version", version, table)
    assert cost.monthly == pytest.approx(2 * hourly * H)
    assert "instance hour above that" in cost.usage
    assert resource_cost("appengine.v1.app", {"locationId": "us-central"}, table).monthly == 0.0


def test_app_engine_version_given_as_app_yaml_and_a_cluster_without_its_default_pool(table):
    app_yaml = "runtime: python312\ninstance_class: F4\nautomatic_scaling:\n  min_instances: 1\n"
    cost = resource_cost("appengine.v1.version", {"service": "default", "appYaml": app_yaml}, table)
    assert cost.monthly == pytest.approx(PRICES["appengine"]["instance_hourly"]["F4"] * H)
    cluster = resource_cost("container.v1.cluster", {"location": "us-central1-a", "initialNodeCount": 1,
                                                     "removeDefaultNodePool": True}, table)
    assert cluster.monthly == pytest.approx(PRICES["gke"]["cluster_fee_hourly"] * H)


def test_kubernetes_load_balancer_is_a_forwarding_rule_and_other_objects_are_free(table):
    lb = resource_cost("k8s.v1.service", {"spec": {"type": "LoadBalancer"}}, table)
    assert lb.monthly == pytest.approx(C["forwarding_rule_hourly"] * H)
    assert resource_cost("k8s.apps.v1.deployment", {"spec": {"replicas": 3}}, table).monthly == 0.0


def test_unknown_type_gets_no_estimate_never_zero(table):
    cost = resource_cost("spanner.v1.instance", {"nodeCount": 1}, table)
    assert (cost.monthly, cost.basis) == (None, "no estimate for this type")
    assert resource_cost("compute.v1.firewall", {}, table).monthly == 0.0


def test_user_file_overrides_a_price_and_adds_a_machine_type(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("date: '2026-01-01'\ncompute:\n  machine_hourly:\n    e2-small: 0.5\n"
                                        "    x9-huge: 9\n")
    table = load_table("mine.yaml")
    assert table.label() == f"list prices of {PRICES['region']} on 2026-01-01, USD, with mine.yaml"
    assert resource_cost("compute.v1.instance", vm(ip=False), table).monthly == pytest.approx(
        0.5 * H + 10 * C["disk_gb_month"]["pd-balanced"])
    assert table.get("compute.machine_hourly")["x9-huge"] == 9
    assert table.get("compute.spot_hourly") == C["spot_hourly"]  # the rest is the shipped table


def test_config_file_setting_names_the_price_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gcpkit").mkdir()
    (tmp_path / ".gcpkit" / "config.yaml").write_text("prices: team-prices.yaml\n")
    (tmp_path / "team-prices.yaml").write_text("dns:\n  managed_zone_month: 1.5\n")
    assert resource_cost("dns.v1.managedZone", {}, load_table()).monthly == 1.5


@pytest.mark.parametrize("text, message", [
    ("compute:\n  machine_hourly:\n    e2-small: -1\n",
     "bad.yaml: compute.machine_hourly.e2-small: expected a number >= 0, got -1"),
    ("compute:\n  disk_gb_mnth: {}\n", "bad.yaml: unknown key 'compute.disk_gb_mnth' (did you mean 'disk_gb_month'?)"),
    ("sql: 3\n", "bad.yaml: sql: expected a mapping, got 3"),
    ("dns:\n  managed_zone_month: cheap\n", "bad.yaml: dns.managed_zone_month: expected a number >= 0, got 'cheap'"),
    ("- just a list\n", "bad.yaml: a price file is a mapping of the keys of gcpkit/data/prices.yaml"),
    ("compute: [unclosed\n", "bad.yaml:2: not valid YAML"),
    ("hours_per_month: 0\n", "bad.yaml: hours_per_month: expected a number > 0, got 0"),
])
def test_bad_price_file_names_the_file_and_the_key(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(BadInput) as caught:
        load_table("bad.yaml")
    assert caught.value.message.startswith(message)
    assert caught.value.exit_code == 2


def test_missing_price_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BadInput, match=r"^nope\.yaml: no such price file$"):
        load_table("nope.yaml")


def test_orphans_keeps_using_the_shipped_table():
    from gcpkit.prices import CURRENCY, PRICE_DATE, monthly_cost

    assert (PRICE_DATE, CURRENCY) == (PRICES["date"], PRICES["currency"])
    live_vm = {"machineType": "https://x/zones/us-central1-a/machineTypes/e2-small", "status": "RUNNING"}
    assert monthly_cost("compute.v1.instance", live_vm) == pytest.approx(C["machine_hourly"]["e2-small"] * H)
    assert monthly_cost("compute.v1.instance", {**live_vm, "status": "TERMINATED"}) == 0.0


def test_orphans_prices_with_a_user_file(tmp_path, monkeypatch):
    """`gcpkit orphans --prices FILE` prices with the file merged over the shipped table; a bad file is
    bad input before any call (the project has no emulator here: nothing could be called anyway)."""
    from typer.testing import CliRunner

    from gcpkit.cli.main import app
    from gcpkit.prices import monthly_cost
    from gcpkit.pricing.table import load_table

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text("compute: {machine_hourly: {e2-small: 1.0}}\n")
    live_vm = {"machineType": "https://x/zones/us-central1-a/machineTypes/e2-small", "status": "RUNNING"}
    assert monthly_cost("compute.v1.instance", live_vm, load_table("mine.yaml")) == pytest.approx(1.0 * H)
    (tmp_path / "bad.yaml").write_text("compute: {machine_hourly: {e2-small: cheap}}\n")
    result = CliRunner().invoke(app, ["orphans", "--project", "p", "--endpoints", "missing.json",
                                      "--prices", "bad.yaml"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: bad.yaml"), result.output
