"""Deployment Manager configs (tests/dm_configs): `gcpkit up CONFIG` creates what the config and its
Jinja/Python templates describe, read back with the official clients; outputs (template outputs
included) are printed; `destroy deployment` removes it all. What gcpkit cannot run is listed in one
error (exit 2) before any API call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from e2e_helpers import compute_client

from gcpkit.cli.main import app

PROJECT = "dm-proj"
ZONE = "us-central1-a"
REGION = "us-central1"
FIXTURES = Path(__file__).resolve().parent.parent / "dm_configs"
P = ["--emulator", "--project", PROJECT]


@pytest.fixture
def dm(cli, tmp_path):
    """(runner, emulator handle), with the fixtures copied to ./dm (the working directory is tmp_path)."""
    shutil.copytree(FIXTURES, tmp_path / "dm")
    return cli


def up(runner, config: str, *extra: str) -> dict:
    result = runner.invoke(app, ["up", f"dm/{config}", *P, "--yes", "-o", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def destroy(runner, deployment: str, *extra: str) -> None:
    result = runner.invoke(app, ["destroy", "deployment", deployment, *P, "--yes", *extra])
    assert result.exit_code == 0, result.output


def discovery(emu, api: str, version: str):
    from gcpkit.clients import Target

    return Target(project=PROJECT, endpoints=emu.server.endpoints()).discovery(api, version)


def not_found(call) -> bool:
    from googleapiclient.errors import HttpError

    try:
        call.execute()
    except HttpError as e:
        return e.resp.status == 404
    return False


def test_vm_with_startup_script_up_outputs_again_destroy(dm):
    runner, emu = dm
    out = up(runner, "vm-startup.yaml")
    assert out["deployment"] == "vm-startup"
    instances = compute_client(emu, "InstancesClient")
    vm = instances.get(project=PROJECT, zone=ZONE, instance="vm-startup-web")
    metadata = {item.key: item.value for item in vm.metadata.items}
    script = (FIXTURES / "templates" / "startup.sh").read_text()
    assert metadata["startup-script"] == script  # the imported file, through the Jinja template
    assert vm.machine_type.endswith(f"/zones/{ZONE}/machineTypes/e2-small")  # the schema's default
    assert vm.disks[0].disk_size_gb == 10
    assert list(vm.tags.items) == ["http-server"]
    assert vm.labels["gcpkit-deployment"] == "vm-startup"
    # env.project_number, asked of Resource Manager only because the template reads it
    number = discovery(emu, "cloudresourcemanager", "v3").projects().get(name=f"projects/{PROJECT}").execute()["name"]
    assert vm.service_accounts[0].email == f"{number.split('/')[1]}-compute@developer.gserviceaccount.com"
    assert number.split("/")[1] != "000000000000"
    nat_ip = vm.network_interfaces[0].access_configs[0].nat_i_p
    assert out["outputs"] == {"vmName": "vm-startup-web", "externalIp": nat_ip}  # template outputs

    mark = emu.mark()
    again = runner.invoke(app, ["up", "dm/vm-startup.yaml", *P, "--yes"])
    assert again.exit_code == 0, again.output
    assert [c for c in emu.since(mark) if c["method"] in ("POST", "PUT", "PATCH", "DELETE")
            and not c["method_id"].endswith("Operations.wait")] == []
    assert "externalIp" in again.output and nat_ip in again.output

    destroy(runner, "vm-startup")
    with pytest.raises(Exception, match="404|not found"):
        instances.get(project=PROJECT, zone=ZONE, instance="vm-startup-web")


def test_regional_group_autoscaler_and_http_load_balancer(dm):
    runner, emu = dm
    group_out = up(runner, "mig-autoscaler.yaml")["outputs"]  # a Python template (and its helper module)
    lb_out = up(runner, "http-lb.yaml")["outputs"]  # a Jinja template using the Python one
    igms = compute_client(emu, "RegionInstanceGroupManagersClient")
    igm = igms.get(project=PROJECT, region=REGION, instance_group_manager="mig-autoscaler-app-igm")
    assert igm.target_size == 1 and igm.instance_template.endswith("/instanceTemplates/mig-autoscaler-app-it")
    assert group_out == {"groupManager": "mig-autoscaler-app-igm", "instanceGroup": igm.instance_group}
    scaler = compute_client(emu, "RegionAutoscalersClient").get(project=PROJECT, region=REGION,
                                                                 autoscaler="mig-autoscaler-app-as")
    assert scaler.target == igm.self_link
    assert (scaler.autoscaling_policy.min_num_replicas, scaler.autoscaling_policy.max_num_replicas) == (1, 3)

    hc = compute_client(emu, "HealthChecksClient").get(project=PROJECT, health_check="http-lb-site-hc")
    assert (hc.type_, hc.http_health_check.port, hc.http_health_check.request_path) == ("HTTP", 80, "/")
    lb_group = igms.get(project=PROJECT, region=REGION, instance_group_manager="http-lb-site-group-igm")
    backend = compute_client(emu, "BackendServicesClient").get(project=PROJECT, backend_service="http-lb-site-be")
    assert backend.backends[0].group == lb_group.instance_group  # a template output, through a ref
    assert list(backend.health_checks) == [hc.self_link]
    rule = compute_client(emu, "GlobalForwardingRulesClient").get(project=PROJECT, forwarding_rule="http-lb-site-rule")
    address = compute_client(emu, "GlobalAddressesClient").get(project=PROJECT, address="http-lb-site-ip")
    assert rule.I_p_address == address.address and rule.target.endswith("/targetHttpProxies/http-lb-site-proxy")
    assert lb_out == {"ip": address.address, "url": f"http://{address.address}/"}

    destroy(runner, "http-lb")
    destroy(runner, "mig-autoscaler")
    for client, listing in (("RegionInstanceGroupManagersClient", {"region": REGION}),
                            ("BackendServicesClient", {}), ("GlobalForwardingRulesClient", {}),
                            ("InstanceTemplatesClient", {})):
        assert list(compute_client(emu, client).list(project=PROJECT, **listing)) == []


def test_cloud_sql_instance_with_database(dm):
    runner, emu = dm
    out = up(runner, "cloudsql.yaml")
    sql = discovery(emu, "sqladmin", "v1")
    instance = sql.instances().get(project=PROJECT, instance="cloudsql-db").execute()
    assert (instance["databaseVersion"], instance["settings"]["tier"]) == ("MYSQL_8_0", "db-f1-micro")
    assert instance["settings"]["backupConfiguration"]["enabled"] is True
    db = sql.databases().get(project=PROJECT, instance="cloudsql-db", database="guestbook").execute()
    assert db["charset"] == "utf8mb4"
    assert out["outputs"] == {"instance": "cloudsql-db", "connectionName": instance["connectionName"]}
    destroy(runner, "cloudsql")
    assert not_found(sql.instances().get(project=PROJECT, instance="cloudsql-db"))


def test_bucket_and_dns_zone_with_records(dm):
    runner, emu = dm
    bucket_out = up(runner, "bucket.yaml")["outputs"]
    dns_out = up(runner, "dns.yaml")["outputs"]
    storage = discovery(emu, "storage", "v1")
    bucket = storage.buckets().get(bucket="dm-fixture-assets").execute()
    assert (bucket["location"], bucket["versioning"]["enabled"]) == ("US-CENTRAL1", True)
    assert bucket["labels"]["team"] == "web" and bucket["labels"]["managed-by"] == "gcpkit"
    assert bucket_out == {"bucket": "dm-fixture-assets", "selfLink": bucket["selfLink"]}

    dns = discovery(emu, "dns", "v1")
    zone = dns.managedZones().get(project=PROJECT, managedZone="dm-example-zone").execute()  # properties.name
    assert zone["dnsName"] == "example.com."
    records = dns.resourceRecordSets().list(project=PROJECT, managedZone="dm-example-zone").execute()["rrsets"]
    made = {(r["name"], r["type"]): (r["ttl"], r["rrdatas"]) for r in records if r["type"] in ("A", "MX")}
    assert made == {("www.example.com.", "A"): (300, ["203.0.113.10"]),  # ttl: the schema's default
                    ("mail.example.com.", "MX"): (3600, ["10 mx.example.com."])}
    assert dns_out == {"nameServers": zone["nameServers"]}

    destroy(runner, "dns")
    destroy(runner, "bucket")
    assert not_found(dns.managedZones().get(project=PROJECT, managedZone="dm-example-zone"))
    assert not_found(storage.buckets().get(bucket="dm-fixture-assets"))


def test_project_number_is_asked_for_only_when_a_template_reads_it(dm):
    runner, emu = dm
    rendered = runner.invoke(app, ["render", "dm/vm-startup.yaml", "--project", PROJECT])  # no API call: a placeholder
    assert rendered.exit_code == 0, rendered.output
    accounts = yaml.safe_load(rendered.stdout)["resources"][0]["properties"]["serviceAccounts"]
    assert accounts[0]["email"] == "000000000000-compute@developer.gserviceaccount.com"
    for config, asked in (("vm-startup.yaml", 1), ("bucket.yaml", 0)):
        mark = emu.mark()
        result = runner.invoke(app, ["plan", f"dm/{config}", *P])
        assert result.exit_code == 0, result.output
        assert sum(1 for c in emu.since(mark) if c["method_id"] == "cloudresourcemanager.projects.get") == asked


def test_render_and_plan_make_no_change(dm):
    runner, emu = dm
    rendered = runner.invoke(app, ["render", "dm/http-lb.yaml", "--project", PROJECT])
    assert rendered.exit_code == 0, rendered.output
    doc = yaml.safe_load(rendered.stdout)
    assert [(r["name"], r["type"]) for r in doc["resources"]] == [
        ("http-lb-site-group-it", "compute.v1.instanceTemplate"),
        ("http-lb-site-group-igm", "compute.v1.regionInstanceGroupManager"),
        ("http-lb-site-group-as", "compute.v1.regionAutoscaler"),
        ("http-lb-site-hc", "compute.v1.healthCheck"),  # compute.v1.httpHealthCheck, as a health check
        ("http-lb-site-be", "compute.v1.backendService"),
        ("http-lb-site-map", "compute.v1.urlMap"),
        ("http-lb-site-proxy", "compute.v1.targetHttpProxy"),
        ("http-lb-site-ip", "compute.v1.globalAddress"),
        ("http-lb-site-rule", "compute.v1.globalForwardingRule")]
    assert doc["outputs"] == [{"name": "ip", "value": "$(ref.http-lb-site-ip.address)"},
                              {"name": "url", "value": "http://$(ref.http-lb-site-ip.address)/"}]
    assert emu.requests() == []

    plan = runner.invoke(app, ["plan", "dm/cloudsql.yaml", *P, "-o", "json"])
    assert plan.exit_code == 0, plan.output
    rows = {row["resource"]: row["action"] for row in json.loads(plan.stdout)["plan"]}
    assert rows == {"cloudsql-db": "create", "cloudsql-db-guestbook": "create"}
    assert [c for c in emu.requests() if c["method"] != "GET"] == []


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and all(line.startswith(("error:", "hint:")) for line in lines), result.output
    return errors[0]


def test_everything_unsupported_is_listed_before_any_call(dm):
    runner, emu = dm
    error = one_error(runner.invoke(app, ["up", "dm/unsupported/everything.yaml", *P, "--yes"]))
    source = "dm/unsupported/everything.yaml"
    assert "(6 problems)" in error
    for expected in (f"{source}: resource 'tunnel': type 'compute.v1.vpnTunnel' is not supported",
                     (f"{source}: resource 'function': type 'gcp-types/cloudfunctions-v1:projects.locations."
                      "functions' is not supported"),
                     f"{source}: resource 'add-record': actions are not supported",
                     f"{source}: resource 'vm': metadata.runtimePolicy is not supported",
                     f"{source}: resource 'vm': $(ref.nowhere.selfLink) names no resource of this config",
                     "dm/unsupported/legacy.py (resource 'old-template'): line 5: cannot import: SyntaxError"):
        assert expected in error, error
    assert emu.requests() == []


BAD_PROPERTIES = """\
imports:
- path: templates/records.jinja
resources:
- name: zone
  type: dns.v1.managedZone
  properties: {dnsName: example.com.}
- name: recs
  type: templates/records.jinja
  properties:
    zone: $(ref.zone.name)
    domain: example.com
    ttl: -1
    records: [{name: www, type: SRV, rrdatas: [x]}]
  metadata: {dependsOn: [zonee]}
- name: good-recs
  type: templates/records.jinja
  properties: {zone: $(ref.zone.name), domain: example.com., records: [{name: www, type: A, rrdatas: [x]}]}
- name: missing
  type: templates/nothing.jinja
outputs:
- name: x
  value: $(ref.good-recs.nameServers)
- name: y
  value: $(ref.recs.nameServers)
"""


def test_schema_violations_and_unknown_names_are_listed_before_any_call(dm, tmp_path):
    runner, emu = dm
    (tmp_path / "dm" / "bad.yaml").write_text(BAD_PROPERTIES)
    error = one_error(runner.invoke(app, ["up", "dm/bad.yaml", *P, "--yes"]))
    schema = "dm/templates/records.jinja.schema (resource 'recs')"
    for expected in (f"{schema}: properties.domain: \"example.com\" does not match \\.$",
                     f"{schema}: properties.ttl: -1 is below the minimum 0",
                     f"{schema}: properties.records[0].type: \"SRV\" is not one of",
                     "dm/bad.yaml: resource 'missing': template 'templates/nothing.jinja' is not imported",
                     "metadata.dependsOn names no resource of this config: 'zonee'",
                     ("dm/bad.yaml: output 'x': $(ref.good-recs.nameServers): template resource 'good-recs' has "
                      "no output 'nameServers' (its outputs: none)")):
        assert expected in error, error
    assert "(6 problems)" in error  # nothing more: a template with bad properties is not rendered
    assert emu.requests() == []
