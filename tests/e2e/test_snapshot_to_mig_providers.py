"""The providers snapshot-to-mig added, driven directly over real HTTP against the emulator with the
official clients: Cloud DNS zones and record sets (errors translated, changes waited for, ownership via
the zone), and the source-VM types (stop/start, never touching the VM on delete)."""

from __future__ import annotations

import pytest
from e2e_helpers import compute_client, start_emulator

from gcpkit.clients import Target
from gcpkit.errors import OperationFailed
from gcpkit.providers.base import Conflict, Ctx, InUse, NotFound
from gcpkit.providers.registry import provider_for

PROJECT = "prov"


@pytest.fixture
def ctx(tmp_path):
    handle = start_emulator(tmp_path)
    context = Ctx(Target(project=PROJECT, endpoints=handle.server.endpoints()), "dep",
                  {"project": PROJECT, "deployment": "dep", "region": "us-central1", "zone": "us-central1-a"})
    yield context, handle
    handle.server.stop()


def test_zone_and_records_lifecycle(ctx):
    ctx, emu = ctx
    zones, records = provider_for("dns.v1.managedZone"), provider_for("dns.v1.resourceRecordSet")
    with pytest.raises(NotFound):
        zones.read(ctx, "dep-zone", {})
    zone = zones.create(ctx, "dep-zone", {"dnsName": "example.com.", "visibility": "public"}, "r1")
    assert zone.body["labels"] == {"managed-by": "gcpkit", "gcpkit-deployment": "dep"}
    assert zones.owner(zones.read(ctx, "dep-zone", {})) == "dep"
    assert len(zone.body["nameServers"]) == 4
    with pytest.raises(Conflict):
        zones.create(ctx, "dep-zone", {"dnsName": "example.com."}, "r2")

    props = {"managedZone": "dep-zone", "name": "www.example.com.", "type": "A", "ttl": 60, "rrdatas": ["34.0.0.9"]}
    mark = emu.mark()
    made = records.create(ctx, "dep-www", props, "r3")
    assert made.body["rrdatas"] == ["34.0.0.9"]
    assert records.owned_by_parent and records.owner(made) is None  # it belongs to its zone
    calls = [c["method_id"] for c in emu.since(mark)]
    assert calls[0] == "dns.changes.create" and set(calls[1:]) <= {"dns.changes.get"}
    with pytest.raises(Conflict):
        records.create(ctx, "dep-www", props, "r4")
    live = records.read(ctx, "dep-www", props)
    assert live.body["ttl"] == 60

    assert records.updatable(["rrdatas", "ttl"]) and not records.updatable(["name"])
    records.update(ctx, "dep-www", {**props, "rrdatas": ["34.0.0.10"], "ttl": 300}, live, ["rrdatas", "ttl"])
    assert records.read(ctx, "dep-www", props).body["rrdatas"] == ["34.0.0.10"]

    zones.update(ctx, "dep-zone", {"dnsName": "example.com.", "description": "new"}, zone, ["description"])
    assert zones.read(ctx, "dep-zone", {}).body["description"] == "new"
    assert zones.read(ctx, "dep-zone", {}).body["labels"]["gcpkit-deployment"] == "dep"

    with pytest.raises(InUse):  # a record set remains in the zone
        zones.delete(ctx, "dep-zone", {})
    records.delete(ctx, "dep-www", props)
    records.delete(ctx, "dep-www", props)  # already gone: fine
    with pytest.raises(NotFound):
        records.read(ctx, "dep-www", props)
    zones.delete(ctx, "dep-zone", {})
    zones.delete(ctx, "dep-zone", {})
    records.delete(ctx, "dep-www", props)  # zone gone too: fine


def test_bad_record_data_is_an_operation_failure_naming_the_field(ctx):
    ctx, emu = ctx
    provider_for("dns.v1.managedZone").create(ctx, "dep-zone", {"dnsName": "example.com."}, "r1")
    records = provider_for("dns.v1.resourceRecordSet")
    props = {"managedZone": "dep-zone", "name": "bad.example.com.", "type": "A", "rrdatas": ["not-an-ip"]}
    with pytest.raises(OperationFailed) as info:
        records.create(ctx, "y", props, "r2")
    assert info.value.message == ("HTTP 400: Invalid value for 'entity.change.additions[0].rrdata[0]': "
                                  "'not-an-ip'")
    with pytest.raises(NotFound):
        records.read(ctx, "y", props)


def test_source_instance_stops_and_start_starts_and_delete_leaves_the_vm(ctx):
    from google.cloud import compute_v1

    ctx, emu = ctx  # the emulated project has its default network
    instances = compute_client(emu, "InstancesClient")
    boot = compute_v1.AttachedDisk(boot=True, initialize_params=compute_v1.AttachedDiskInitializeParams(
        source_image="projects/debian-cloud/global/images/family/debian-12"))
    vm = compute_v1.Instance(name="hand-made", machine_type="zones/us-central1-a/machineTypes/e2-medium",
                             disks=[boot],
                             network_interfaces=[compute_v1.NetworkInterface(network="global/networks/default")])
    op = instances.insert_unary(project=PROJECT, zone="us-central1-a", instance_resource=vm)
    compute_client(emu, "ZoneOperationsClient").wait(project=PROJECT, zone="us-central1-a", operation=op.name)

    source, start = provider_for("gcpkit.v1.sourceInstance"), provider_for("gcpkit.v1.instanceStart")
    assert source.external and start.external
    props = {"instance": "hand-made", "zone": "us-central1-a", "stop": True, "extraTags": ["lb"]}
    live = source.create(ctx, "dep-source", props, "req-1")
    assert live.body["status"] == "TERMINATED"
    assert live.body["machineTypeName"] == "e2-medium" and live.body["templateTags"] == {"items": ["lb"]}
    assert live.body["bootDisk"].endswith("/zones/us-central1-a/disks/hand-made")
    assert live.body["templateNetworkInterfaces"][0]["network"].endswith("/global/networks/default")
    assert "accessConfigs" not in live.body["templateNetworkInterfaces"][0]
    assert source.owner(live) is None

    again = source.create(ctx, "dep-source", props, "req-2")  # already stopped: no second stop
    assert again.body["status"] == "TERMINATED"
    started = start.create(ctx, "dep-restart", {"instance": "hand-made", "zone": "us-central1-a"}, "req-3")
    assert started.body["status"] in ("PROVISIONING", "STAGING", "RUNNING")

    mark = emu.mark()
    source.delete(ctx, "dep-source", props)
    start.delete(ctx, "dep-restart", props)
    assert [c for c in emu.since(mark) if c["method"] != "GET"] == []
    assert instances.get(project=PROJECT, zone="us-central1-a", instance="hand-made").name == "hand-made"
    with pytest.raises(NotFound):
        source.read(ctx, "x", {"instance": "nope", "zone": "us-central1-a"})
    with pytest.raises(OperationFailed, match="source instance 'nope' not found in zone us-central1-a"):
        source.create(ctx, "x", {"instance": "nope", "zone": "us-central1-a"}, "req-4")
