"""Instances, disks, snapshots, images: lifecycle, status progressions, fingerprints, in-use rules, faults."""

from __future__ import annotations

import time

import pytest
from google.api_core import exceptions

API = "https://www.googleapis.com/compute/v1/"
ZONE = "us-central1-a"
DEBIAN = "projects/debian-cloud/global/images/family/debian-12"


def vm(gce, name="vm1", *, zone=ZONE, external=True, extra_disks=(), **kw):
    v1 = gce.v1
    nic = v1.NetworkInterface(network="global/networks/default",
                              access_configs=[v1.AccessConfig(name="External NAT", type_="ONE_TO_ONE_NAT")]
                              if external else [])
    disks = [v1.AttachedDisk(boot=True, auto_delete=True,
                             initialize_params=v1.AttachedDiskInitializeParams(source_image=DEBIAN, disk_size_gb=20))]
    disks += list(extra_disks)
    return v1.Instance(name=name, machine_type=f"zones/{zone}/machineTypes/e2-small", disks=disks,
                       network_interfaces=[nic], **kw)


def test_instance_insert_shape_and_references(gce):
    p = gce.project
    op = gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(
        gce, labels={"managed-by": "gcpkit", "gcpkit-deployment": "d1"}, tags=gce.v1.Tags(items=["web"])))
    assert op.zone == f"{API}projects/{p}/zones/{ZONE}"
    assert op.operation_type == "insert"
    gce.done(op)
    i = gce.instances.get(project=p, zone=ZONE, instance="vm1")
    assert i.kind == "compute#instance" and i.status == "RUNNING"
    assert i.machine_type == f"{API}projects/{p}/zones/{ZONE}/machineTypes/e2-small"
    assert i.zone == f"{API}projects/{p}/zones/{ZONE}"
    nic = i.network_interfaces[0]
    assert nic.network == f"{API}projects/{p}/global/networks/default"
    assert nic.subnetwork == f"{API}projects/{p}/regions/us-central1/subnetworks/default"
    assert nic.network_i_p.startswith("10.128.0.") and nic.name == "nic0"
    assert nic.access_configs[0].nat_i_p and nic.access_configs[0].type_ == "ONE_TO_ONE_NAT"
    boot = i.disks[0]
    assert boot.boot and boot.auto_delete and boot.source == f"{API}projects/{p}/zones/{ZONE}/disks/vm1"
    disk = gce.disks.get(project=p, zone=ZONE, disk="vm1")
    assert disk.size_gb == 20 and disk.status == "READY"
    assert disk.source_image.startswith(f"{API}projects/debian-cloud/global/images/debian-12-")
    assert list(disk.users) == [i.self_link]
    assert i.label_fingerprint and i.metadata.fingerprint and i.tags.fingerprint
    assert not i.fingerprint  # not in GCP's instance answers (recordings)
    # the two instances get distinct internal and external IPs
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce, "vm2")))
    j = gce.instances.get(project=p, zone=ZONE, instance="vm2")
    assert j.network_interfaces[0].network_i_p != nic.network_i_p
    assert j.network_interfaces[0].access_configs[0].nat_i_p != nic.access_configs[0].nat_i_p
    # filters on labels (how gcpkit finds its resources)
    req = gce.v1.ListInstancesRequest(project=p, zone=ZONE, filter="labels.gcpkit-deployment = d1")
    assert [x.name for x in gce.instances.list(request=req)] == ["vm1"]


def test_instance_reference_errors(gce):
    p = gce.project
    bad_image = vm(gce, "x")
    bad_image.disks[0].initialize_params.source_image = "projects/debian-cloud/global/images/family/debian-99"
    with pytest.raises(exceptions.NotFound) as e:
        gce.instances.insert(project=p, zone=ZONE, instance_resource=bad_image)
    assert gce.error(e) == (404, "notFound",
                            "The resource 'projects/debian-cloud/global/images/family/debian-99' was not found")
    bad_net = vm(gce, "y")
    bad_net.network_interfaces[0].network = f"projects/{p}/global/networks/missing"
    with pytest.raises(exceptions.NotFound) as e:
        gce.instances.insert(project=p, zone=ZONE, instance_resource=bad_net)
    assert gce.error(e)[2] == f"The resource 'projects/{p}/global/networks/missing' was not found"
    bad_mt = vm(gce, "z")
    bad_mt.machine_type = "zones/us-central1-a/machineTypes/e9-huge"
    with pytest.raises(exceptions.BadRequest) as e:
        gce.instances.insert(project=p, zone=ZONE, instance_resource=bad_mt)
    assert gce.error(e)[:2] == (400, "invalid")
    assert not list(gce.instances.list(project=p, zone=ZONE))


def test_status_progression_stop_start_reset(make_gce):
    h = make_gce(time_scale=0.08)  # insert 1.6 s, stop 2.4 s, start 1.6 s: each state seen on a busy machine
    p = h.project
    op = h.instances.insert(project=p, zone=ZONE, instance_resource=vm(h))
    seen = [h.instances.get(project=p, zone=ZONE, instance="vm1").status]
    while True:
        cur = h.zone_operations.get(project=p, zone=ZONE, operation=op.name)
        s = h.instances.get(project=p, zone=ZONE, instance="vm1").status
        if s != seen[-1]:
            seen.append(s)
        if cur.status == h.v1.Operation.Status.DONE:
            break
        time.sleep(0.02)
    seen.append(h.instances.get(project=p, zone=ZONE, instance="vm1").status)
    assert seen[0] == "PROVISIONING" and seen[-1] == "RUNNING"
    assert [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]] == ["PROVISIONING", "STAGING", "RUNNING"]
    stop = h.instances.stop(project=p, zone=ZONE, instance="vm1")
    assert stop.operation_type == "stop"
    assert h.instances.get(project=p, zone=ZONE, instance="vm1").status == "STOPPING"
    h.done(stop)
    assert h.instances.get(project=p, zone=ZONE, instance="vm1").status == "TERMINATED"
    with pytest.raises(exceptions.BadRequest) as e:
        h.instances.reset(project=p, zone=ZONE, instance="vm1")
    assert h.error(e)[1] == "resourceNotReady"
    h.done(h.instances.set_machine_type(project=p, zone=ZONE, instance="vm1",
                                        instances_set_machine_type_request_resource=h.v1.InstancesSetMachineTypeRequest(
                                            machine_type=f"zones/{ZONE}/machineTypes/e2-medium")))
    start = h.instances.start(project=p, zone=ZONE, instance="vm1")
    assert h.instances.get(project=p, zone=ZONE, instance="vm1").status in ("PROVISIONING", "STAGING")
    h.done(start)
    i = h.instances.get(project=p, zone=ZONE, instance="vm1")
    assert i.status == "RUNNING" and i.machine_type.endswith("/machineTypes/e2-medium")
    h.done(h.instances.reset(project=p, zone=ZONE, instance="vm1"))


def test_labels_metadata_tags_fingerprints(gce):
    p = gce.project
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce, labels={"env": "dev"})))
    i = gce.instances.get(project=p, zone=ZONE, instance="vm1")
    v1 = gce.v1
    with pytest.raises(exceptions.PreconditionFailed) as e:
        gce.instances.set_labels(project=p, zone=ZONE, instance="vm1",
                                 instances_set_labels_request_resource=v1.InstancesSetLabelsRequest(
                                     labels={"env": "prod"}, label_fingerprint="AAAAAAAAAAA="))
    assert gce.error(e) == (412, "conditionNotMet", "Labels fingerprint either invalid or resource labels have changed")
    gce.done(gce.instances.set_labels(project=p, zone=ZONE, instance="vm1",
                                      instances_set_labels_request_resource=v1.InstancesSetLabelsRequest(
                                          labels={"env": "prod"}, label_fingerprint=i.label_fingerprint)))
    j = gce.instances.get(project=p, zone=ZONE, instance="vm1")
    assert dict(j.labels) == {"env": "prod"} and j.label_fingerprint != i.label_fingerprint
    # metadata
    with pytest.raises(exceptions.PreconditionFailed) as e:
        gce.instances.set_metadata(project=p, zone=ZONE, instance="vm1", metadata_resource=v1.Metadata(
            fingerprint="AAAAAAAAAAA=", items=[v1.Items(key="a", value="b")]))
    assert gce.error(e) == (412, "conditionNotMet", "Supplied fingerprint does not match current metadata fingerprint.")
    op = gce.instances.set_metadata(project=p, zone=ZONE, instance="vm1", metadata_resource=v1.Metadata(
        fingerprint=j.metadata.fingerprint, items=[v1.Items(key="startup-script", value="echo hi")]))
    assert op.operation_type == "setMetadata"
    gce.done(op)
    k = gce.instances.get(project=p, zone=ZONE, instance="vm1")
    assert [(m.key, m.value) for m in k.metadata.items] == [("startup-script", "echo hi")]
    assert k.metadata.fingerprint != j.metadata.fingerprint
    # tags
    with pytest.raises(exceptions.PreconditionFailed):
        gce.instances.set_tags(project=p, zone=ZONE, instance="vm1",
                               tags_resource=v1.Tags(items=["web"], fingerprint="AAAAAAAAAAA="))
    gce.done(gce.instances.set_tags(project=p, zone=ZONE, instance="vm1",
                                    tags_resource=v1.Tags(items=["web"], fingerprint=k.tags.fingerprint)))
    assert list(gce.instances.get(project=p, zone=ZONE, instance="vm1").tags.items) == ["web"]


def test_disks_attach_in_use_and_delete_cascade(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.disks.insert(project=p, zone=ZONE, disk_resource=v1.Disk(
        name="data", size_gb=50, type_=f"zones/{ZONE}/diskTypes/pd-ssd", labels={"k": "v"})))
    d = gce.disks.get(project=p, zone=ZONE, disk="data")
    assert (d.size_gb, d.type_, d.status) == (50, f"{API}projects/{p}/zones/{ZONE}/diskTypes/pd-ssd", "READY")
    assert d.label_fingerprint and d.physical_block_size_bytes == 4096
    data = v1.AttachedDisk(source=f"projects/{p}/zones/{ZONE}/disks/data", device_name="data")
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce, extra_disks=[data])))
    with pytest.raises(exceptions.BadRequest) as e:
        gce.disks.delete(project=p, zone=ZONE, disk="data")
    assert gce.error(e) == (400, "resourceInUseByAnotherResource",
                            f"The disk resource 'projects/{p}/zones/{ZONE}/disks/data' is already being used by "
                            f"'projects/{p}/zones/{ZONE}/instances/vm1'")
    # a second instance cannot attach it read-write
    with pytest.raises(exceptions.BadRequest) as e:
        gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce, "vm2", extra_disks=[data]))
    assert gce.error(e)[1] == "resourceInUseByAnotherResource"
    gce.done(gce.instances.delete(project=p, zone=ZONE, instance="vm1"))
    with pytest.raises(exceptions.NotFound):
        gce.instances.get(project=p, zone=ZONE, instance="vm1")
    # the boot disk (autoDelete) went with the instance; the attached data disk stays
    assert [x.name for x in gce.disks.list(project=p, zone=ZONE)] == ["data"]
    assert not gce.disks.get(project=p, zone=ZONE, disk="data").users
    gce.done(gce.disks.delete(project=p, zone=ZONE, disk="data"))


def test_snapshots_and_images(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce)))
    # an image from the boot disk of a RUNNING instance is refused unless forceCreate
    img = v1.Image(name="golden", source_disk=f"zones/{ZONE}/disks/vm1", family="app")
    with pytest.raises(exceptions.BadRequest) as e:
        gce.images.insert(project=p, image_resource=img)
    assert gce.error(e) == (400, "resourceInUseByAnotherResource",
                            f"The disk resource 'projects/{p}/zones/{ZONE}/disks/vm1' is already being used by "
                            f"'projects/{p}/zones/{ZONE}/instances/vm1'")
    gce.done(gce.images.insert(request=v1.InsertImageRequest(project=p, image_resource=img, force_create=True)))
    got = gce.images.get(project=p, image="golden")
    assert got.status == "READY" and got.source_disk == f"{API}projects/{p}/zones/{ZONE}/disks/vm1"
    assert got.disk_size_gb == 20
    assert gce.images.get_from_family(project=p, family="app").name == "golden"
    # snapshot via disks.createSnapshot: zonal operation on the disk, global snapshot
    op = gce.disks.create_snapshot(project=p, zone=ZONE, disk="vm1", snapshot_resource=v1.Snapshot(name="snap1"))
    assert op.operation_type == "createSnapshot" and op.target_link.endswith(f"/zones/{ZONE}/disks/vm1")
    gce.done(op)
    snap = gce.snapshots.get(project=p, snapshot="snap1")
    assert snap.status == "READY" and snap.source_disk == f"{API}projects/{p}/zones/{ZONE}/disks/vm1"
    assert snap.disk_size_gb == 20
    # image from a snapshot, disk from a snapshot
    gce.done(gce.images.insert(project=p, image_resource=v1.Image(name="from-snap", source_snapshot="global/snapshots/snap1")))
    assert gce.images.get(project=p, image="from-snap").source_snapshot == f"{API}projects/{p}/global/snapshots/snap1"
    gce.done(gce.disks.insert(project=p, zone=ZONE, disk_resource=v1.Disk(name="restored",
                                                                         source_snapshot="global/snapshots/snap1")))
    assert gce.disks.get(project=p, zone=ZONE, disk="restored").size_gb == 20
    with pytest.raises(exceptions.NotFound) as e:
        gce.images.insert(project=p, image_resource=v1.Image(name="x", source_snapshot="global/snapshots/nope"))
    assert gce.error(e)[2] == f"The resource 'projects/{p}/global/snapshots/nope' was not found"
    # after stopping, no force is needed
    gce.done(gce.instances.stop(project=p, zone=ZONE, instance="vm1"))
    gce.done(gce.images.insert(project=p, image_resource=v1.Image(name="golden-2", source_disk=f"zones/{ZONE}/disks/vm1",
                                                                  family="app")))
    assert gce.images.get_from_family(project=p, family="app").name == "golden-2"
    for name in ("golden", "golden-2", "from-snap"):
        gce.done(gce.images.delete(project=p, image=name))
    gce.done(gce.snapshots.delete(project=p, snapshot="snap1"))


def test_image_not_ready_while_being_created(make_gce):
    h = make_gce(time_scale=0.2)  # image insert: 14 s
    p = h.project
    h.done(h.disks.insert(project=p, zone=ZONE, disk_resource=h.v1.Disk(name="d", source_image=DEBIAN)))
    op = h.images.insert(project=p, image_resource=h.v1.Image(name="img", source_disk=f"zones/{ZONE}/disks/d"))
    assert h.images.get(project=p, image="img").status == "PENDING"
    with pytest.raises(exceptions.BadRequest) as e:
        h.disks.insert(project=p, zone=ZONE, disk_resource=h.v1.Disk(name="d2", source_image="global/images/img"))
    assert h.error(e) == (400, "resourceNotReady", f"The resource 'projects/{p}/global/images/img' is not ready")
    assert op.status == h.v1.Operation.Status.RUNNING


def test_injected_quota_fault_fails_operation_without_resource(make_gce):
    h = make_gce(faults={"rules": [{"method_id": "compute.instances.insert", "operation_error": "QUOTA_EXCEEDED",
                                    "quota": "CPUS", "limit": 8, "region": "us-central1"}]})
    p = h.project
    op = h.instances.insert(project=p, zone=ZONE, instance_resource=vm(h))
    done = h.wait(op)
    assert done.status == h.v1.Operation.Status.DONE
    assert done.error.errors[0].code == "QUOTA_EXCEEDED"
    assert done.error.errors[0].message == "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1."
    assert done.http_error_status_code == 403 and done.http_error_message == "FORBIDDEN"
    with pytest.raises(exceptions.NotFound):
        h.instances.get(project=p, zone=ZONE, instance="vm1")
    assert not list(h.disks.list(project=p, zone=ZONE))
    # without nth/times the rule fires on every matching call
    op2 = h.instances.insert(project=p, zone=ZONE, instance_resource=vm(h))
    assert h.wait(op2).error.errors[0].code == "QUOTA_EXCEEDED"


def test_aggregated_list_and_instance_from_template(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=vm(gce, "a", labels={"managed-by": "gcpkit"})))
    gce.done(gce.instances.insert(project=p, zone="europe-west1-b", instance_resource=vm(
        gce, "b", zone="europe-west1-b", labels={"managed-by": "gcpkit"})))
    gce.done(gce.instances.insert(project=p, zone="europe-west1-b", instance_resource=vm(gce, "c", zone="europe-west1-b")))
    req = v1.AggregatedListInstancesRequest(project=p, filter="labels.managed-by = gcpkit")
    found = {scope: [i.name for i in scoped.instances] for scope, scoped in gce.instances.aggregated_list(request=req)}
    assert found == {f"zones/{ZONE}": ["a"], "zones/europe-west1-b": ["b"]}
    # instances.insert?sourceInstanceTemplate= takes the template's properties
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=v1.InstanceTemplate(
        name="t", properties=v1.InstanceProperties(
            machine_type="e2-medium", labels={"from": "template"},
            disks=[v1.AttachedDisk(boot=True, initialize_params=v1.AttachedDiskInitializeParams(source_image=DEBIAN))],
            network_interfaces=[v1.NetworkInterface(network="global/networks/default")]))))
    gce.done(gce.instances.insert(request=v1.InsertInstanceRequest(
        project=p, zone=ZONE, instance_resource=v1.Instance(name="from-t"),
        source_instance_template=f"projects/{p}/global/instanceTemplates/t")))
    i = gce.instances.get(project=p, zone=ZONE, instance="from-t")
    assert i.machine_type.endswith("/machineTypes/e2-medium") and dict(i.labels) == {"from": "template"}
    assert i.disks[0].source.endswith(f"/zones/{ZONE}/disks/from-t")
