"""snapshot-to-mig end to end, as the issue's "done" describes it: build a VM with gce-custom, scale it out
with `gcpkit snapshot-to-mig`, check every piece with the official clients and `status`, run it again (no
mutating call), destroy it (nothing labelled remains, the source VM still runs). Also the same flow as
`gcpkit up snapshot-to-mig --set ...`, and an unknown source VM."""

from __future__ import annotations

import json

from e2e_helpers import compute_client

from gcpkit.cli.main import app

PROJECT = "s2m"
ZONE = "us-central1-a"
VM = "gce-custom-vm-1"
DEP = "web"
LABEL = f"labels.gcpkit-deployment = {DEP}"
CMD = ["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--deployment", DEP, "--emulator", "--project",
       PROJECT, "--yes", "--min", "2", "--max", "4", "--size", "3", "--target-cpu", "0.7", "--cooldown", "90",
       "--port", "8080", "--health-path", "/healthz", "--domain", "example.com",
       "--host-rule", "api.example.com=/v1:web", "--host-rule", "api.example.com=/v2/:web"]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Read-only calls that the Compute API nevertheless sends as POST.
READ_ONLY_POSTS = ("compute.regionInstanceGroupManagers.listManagedInstances",)
NAMES = [f"{DEP}-{s}" for s in ("source", "snapshot", "restart", "image", "template", "mig", "autoscaler",
                                "allow-health-checks", "hc", "backend", "url-map", "http-proxy", "ip",
                                "http-rule", "zone", "dns-apex", "dns-www")]


def build_source_vm(runner) -> None:
    made = runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", PROJECT, "--zone", ZONE, "--yes"])
    assert made.exit_code == 0, made.output


def dns_client(emu):
    from gcpkit.clients import Target

    return Target(project=PROJECT, endpoints=emu.server.endpoints()).discovery("dns", "v1")


def mutations(calls: list[dict]) -> list[str]:
    return [c["method_id"] for c in calls if c["method"] in MUTATING and c["method_id"] not in READ_ONLY_POSTS
            and not c["method_id"].endswith("Operations.wait")]


def first_index(calls: list[dict], method_id: str) -> int:
    return next(i for i, c in enumerate(calls) if c["method_id"] == method_id)


def test_snapshot_to_mig_status_again_destroy(cli):
    runner, emu = cli
    build_source_vm(runner)
    instances = compute_client(emu, "InstancesClient")
    source_before = instances.get(project=PROJECT, zone=ZONE, instance=VM)

    mark = emu.mark()
    result = runner.invoke(app, [*CMD, "-o", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    calls = emu.since(mark)

    # 1. stopped before the snapshot, started again once it exists; the VM runs again
    stop, snap = first_index(calls, "compute.instances.stop"), first_index(calls, "compute.snapshots.insert")
    start, image = first_index(calls, "compute.instances.start"), first_index(calls, "compute.images.insert")
    assert stop < snap < start and snap < image
    assert instances.get(project=PROJECT, zone=ZONE, instance=VM).status == "RUNNING"
    snapshot = compute_client(emu, "SnapshotsClient").get(project=PROJECT, snapshot=f"{DEP}-snapshot")
    assert snapshot.source_disk.endswith(f"/zones/{ZONE}/disks/{VM}")
    assert snapshot.labels["gcpkit-deployment"] == DEP

    # 2. the image, in the deployment's family
    images = compute_client(emu, "ImagesClient")
    assert images.get_from_family(project=PROJECT, family=DEP).name == f"{DEP}-image"
    assert images.get(project=PROJECT, image=f"{DEP}-image").source_snapshot == snapshot.self_link

    # 3. the template keeps the VM's machine type (bare name), metadata, service accounts and tags
    template = compute_client(emu, "InstanceTemplatesClient").get(project=PROJECT,
                                                                  instance_template=f"{DEP}-template")
    props = template.properties
    assert props.machine_type == "e2-small"
    assert props.disks[0].initialize_params.source_image.endswith(f"/global/images/{DEP}-image")
    assert list(props.tags.items) == [*source_before.tags.items, f"{DEP}-lb-backend"]
    source_meta = {i.key: i.value for i in source_before.metadata.items}
    assert {i.key: i.value for i in props.metadata.items} == source_meta and "startup-script" in source_meta
    assert list(props.service_accounts) == list(source_before.service_accounts)
    assert props.network_interfaces[0].subnetwork == source_before.network_interfaces[0].subnetwork

    # 4. the regional group, its named port and autoscaler
    migs = compute_client(emu, "RegionInstanceGroupManagersClient")
    mig = migs.get(project=PROJECT, region="us-central1", instance_group_manager=f"{DEP}-mig")
    assert [(p.name, p.port) for p in mig.named_ports] == [("http", 8080)]
    assert mig.instance_template == template.self_link and mig.target_size == 3
    policy = compute_client(emu, "RegionAutoscalersClient").get(
        project=PROJECT, region="us-central1", autoscaler=f"{DEP}-autoscaler").autoscaling_policy
    assert (policy.min_num_replicas, policy.max_num_replicas, policy.cool_down_period_sec) == (2, 4, 90)
    assert abs(policy.cpu_utilization.utilization_target - 0.7) < 1e-9

    # 5. health checkers may reach port 8080 of the tagged VMs
    fw = compute_client(emu, "FirewallsClient").get(project=PROJECT, firewall=f"{DEP}-allow-health-checks")
    assert sorted(fw.source_ranges) == ["130.211.0.0/22", "35.191.0.0/16"]
    assert list(fw.target_tags) == [f"{DEP}-lb-backend"]
    assert [(a.I_p_protocol, list(a.ports)) for a in fw.allowed] == [("tcp", ["8080"])]

    # 6. the load balancer
    hc = compute_client(emu, "HealthChecksClient").get(project=PROJECT, health_check=f"{DEP}-hc")
    assert (hc.http_health_check.port, hc.http_health_check.request_path) == (8080, "/healthz")
    backend = compute_client(emu, "BackendServicesClient").get(project=PROJECT, backend_service=f"{DEP}-backend")
    assert [b.group for b in backend.backends] == [mig.instance_group] and backend.port_name == "http"
    url_map = compute_client(emu, "UrlMapsClient").get(project=PROJECT, url_map=f"{DEP}-url-map")
    assert url_map.default_service == backend.self_link
    assert [list(h.hosts) for h in url_map.host_rules] == [["api.example.com"]]
    assert [list(r.paths) for r in url_map.path_matchers[0].path_rules] == [["/v1", "/v1/*"], ["/v2", "/v2/*"]]
    address = compute_client(emu, "GlobalAddressesClient").get(project=PROJECT, address=f"{DEP}-ip").address
    rule = compute_client(emu, "GlobalForwardingRulesClient").get(project=PROJECT, forwarding_rule=f"{DEP}-http-rule")
    assert (rule.I_p_address, rule.port_range) == (address, "80-80")
    assert rule.target.endswith(f"/targetHttpProxies/{DEP}-http-proxy")

    # 7. DNS: a public zone with our labels, apex and www pointing at the load balancer
    dns = dns_client(emu)
    zone = dns.managedZones().get(project=PROJECT, managedZone=f"{DEP}-zone").execute()
    assert zone["dnsName"] == "example.com." and zone["labels"]["gcpkit-deployment"] == DEP
    for name in ("example.com.", "www.example.com."):
        record = dns.resourceRecordSets().get(project=PROJECT, managedZone=f"{DEP}-zone", name=name,
                                              type="A").execute()
        assert record["rrdatas"] == [address]

    # 8. outputs and the group's instances, printed after the apply
    assert out["outputs"]["lb-ip"] == address and out["outputs"]["lb-url"] == f"http://{address}/"
    assert out["outputs"]["name-servers"] == zone["nameServers"]
    assert len(out["instances"]) == 3 and {i["zone"] for i in out["instances"]} <= {
        "us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"}
    assert len({i["zone"] for i in out["instances"]}) == 3  # spread over the region's zones
    text = runner.invoke(app, CMD)
    assert text.exit_code == 0, text.output
    assert "Register these name servers for example.com at your domain registrar" in text.output
    assert f"Instances of {DEP}-mig" in text.output

    # status: every piece exists; the group has its instances
    status = runner.invoke(app, ["status", DEP, "--emulator", "--project", PROJECT, "-o", "json"])
    assert status.exit_code == 0, status.output
    rows = json.loads(status.stdout)["resources"]
    assert sorted(r["resource"] for r in rows) == sorted(NAMES)
    assert all(r["exists"] for r in rows)
    managed = list(migs.list_managed_instances(project=PROJECT, region="us-central1",
                                               instance_group_manager=f"{DEP}-mig"))
    assert len(managed) == 3 and all(m.instance_status == "RUNNING" for m in managed)

    # again: nothing changes, no mutating call
    mark = emu.mark()
    again = runner.invoke(app, [*CMD, "-o", "json"])
    assert again.exit_code == 0, again.output
    assert {row["action"] for row in json.loads(again.stdout)["plan"]} == {"no change"}
    assert mutations(emu.since(mark)) == []
    planned = runner.invoke(app, ["plan", "snapshot-to-mig", "--deployment", DEP, "--zone", ZONE, "--emulator",
                                  "--project", PROJECT, "-o", "json", "--set", f"source_instance={VM}",
                                  "--set", "min_replicas=2", "--set", "max_replicas=4", "--set", "target_size=3",
                                  "--set", "target_cpu=0.7", "--set", "cooldown_sec=90", "--set", "port=8080",
                                  "--set", "health_path=/healthz", "--set", "domain=example.com", "--set",
                                  'host_rules=["api.example.com=/v1:web", "api.example.com=/v2/:web"]'])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["changes"] is False

    # destroy: in the order Google requires; nothing labelled remains; the source VM is untouched and runs
    mark = emu.mark()
    destroyed = runner.invoke(app, ["destroy", "deployment", DEP, "--emulator", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    deletes = [c["method_id"] for c in emu.since(mark) if c["method"] == "DELETE"]
    order = ["compute.globalForwardingRules.delete", "compute.targetHttpProxies.delete", "compute.urlMaps.delete",
             "compute.backendServices.delete", "compute.regionInstanceGroupManagers.delete",
             "compute.instanceTemplates.delete", "compute.images.delete", "compute.snapshots.delete"]
    assert [deletes.index(m) for m in order] == sorted(deletes.index(m) for m in order)
    assert deletes.index("compute.regionAutoscalers.delete") < deletes.index(
        "compute.regionInstanceGroupManagers.delete")
    assert deletes.index("compute.backendServices.delete") < deletes.index("compute.healthChecks.delete")
    assert max(deletes.index("dns.resourceRecordSets.delete"), len(deletes) - 1 - deletes[::-1].index(
        "dns.resourceRecordSets.delete")) < deletes.index("dns.managedZones.delete")
    assert not any("/instances/" + VM in c["path"] for c in emu.since(mark) if c["method"] in MUTATING)

    for client, kwargs in (("ImagesClient", {}), ("SnapshotsClient", {}), ("GlobalAddressesClient", {}),
                           ("GlobalForwardingRulesClient", {})):
        left = list(compute_client(emu, client).list(request={"project": PROJECT, "filter": LABEL, **kwargs}))
        assert left == [], client
    for zone_name in ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"):
        left = list(instances.list(request={"project": PROJECT, "zone": zone_name, "filter": LABEL}))
        assert left == []
    for client, field in (("InstanceTemplatesClient", "instance_template"), ("HealthChecksClient", "health_check"),
                          ("BackendServicesClient", "backend_service"), ("UrlMapsClient", "url_map"),
                          ("FirewallsClient", "firewall")):
        assert [x.name for x in compute_client(emu, client).list(project=PROJECT) if x.name.startswith(DEP)] == []
    assert dns.managedZones().list(project=PROJECT).execute().get("managedZones", []) == []
    after = instances.get(project=PROJECT, zone=ZONE, instance=VM)
    assert after.status == "RUNNING"
    assert dict(after.labels) == dict(source_before.labels) and after.disks[0].source == source_before.disks[0].source
    gone = runner.invoke(app, ["status", "-o", "json"])
    assert [d["deployment"] for d in json.loads(gone.stdout)] == ["gce-custom"]


def test_up_pattern_form_with_no_restart_then_destroy_leaves_the_vm_stopped(cli):
    runner, emu = cli
    build_source_vm(runner)
    up = ["up", "snapshot-to-mig", "--deployment", "lite", "--zone", ZONE, "--emulator", "--project", PROJECT,
          "--yes", "--set", f"source_instance={VM}", "--set", "restart=false", "--set", "min_replicas=1",
          "--set", "max_replicas=2", "-o", "json"]
    result = runner.invoke(app, up)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = {row["resource"] for row in data["plan"]}
    assert "lite-restart" not in names and "lite-zone" not in names and "lite-source" in names
    assert set(data["outputs"]) == {"lb-ip", "lb-url", "instance-group", "instance-group-region", "image"}
    instances = compute_client(emu, "InstancesClient")
    assert instances.get(project=PROJECT, zone=ZONE, instance=VM).status == "TERMINATED"
    assert not any(c["method_id"] == "compute.instances.start" for c in emu.requests())

    mark = emu.mark()
    destroyed = runner.invoke(app, ["destroy", "deployment", "lite", "--emulator", "--yes"])
    assert destroyed.exit_code == 0, destroyed.output
    assert not any(VM in c["path"] for c in emu.since(mark) if c["method"] in MUTATING)
    assert instances.get(project=PROJECT, zone=ZONE, instance=VM).status == "TERMINATED"


def test_no_restart_flag_and_an_already_stopped_vm_is_not_stopped_again(cli):
    runner, emu = cli
    build_source_vm(runner)
    first = runner.invoke(app, ["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--deployment", "one",
                                "--emulator", "--project", PROJECT, "--yes", "--no-restart", "--min", "1"])
    assert first.exit_code == 0, first.output
    instances = compute_client(emu, "InstancesClient")
    assert instances.get(project=PROJECT, zone=ZONE, instance=VM).status == "TERMINATED"
    mark = emu.mark()
    second = runner.invoke(app, ["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--deployment", "two",
                                 "--emulator", "--project", PROJECT, "--yes", "--min", "1"])
    assert second.exit_code == 0, second.output
    ids = [c["method_id"] for c in emu.since(mark)]
    assert "compute.instances.stop" not in ids and ids.count("compute.instances.start") == 1
    assert instances.get(project=PROJECT, zone=ZONE, instance=VM).status == "RUNNING"


def test_unknown_source_vm_fails_with_one_root_cause(cli):
    runner, emu = cli
    build_source_vm(runner)
    result = runner.invoke(app, ["snapshot-to-mig", "--instance", "nope", "--zone", ZONE, "--emulator",
                                 "--project", PROJECT, "--yes"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors[0] == (f"error: nope-mig-source: source instance 'nope' not found in zone {ZONE} of project "
                         f"{PROJECT}")
    assert "dependent resource(s) skipped" in errors[-1]
    assert not any(c["method_id"] in ("compute.snapshots.insert", "compute.instances.stop")
                   for c in emu.requests())
