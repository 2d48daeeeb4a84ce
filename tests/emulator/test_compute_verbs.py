"""The less common verbs answer like GCP and keep responses valid against the schema (strict mode)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

API = "https://www.googleapis.com/compute/v1/"
ZONE = "europe-west1-b"
DEBIAN = "projects/debian-cloud/global/images/family/debian-12"


def _vm(v1, name):
    return v1.Instance(name=name, machine_type="e2-micro", disks=[v1.AttachedDisk(
        boot=True, initialize_params=v1.AttachedDiskInitializeParams(source_image=DEBIAN))],
        network_interfaces=[v1.NetworkInterface()])


def test_instance_disk_verbs(gce):
    p, v1 = gce.project, gce.v1
    gce.done(gce.instances.insert(project=p, zone=ZONE, instance_resource=_vm(v1, "vm")))
    gce.done(gce.disks.insert(project=p, zone=ZONE, disk_resource=v1.Disk(name="extra", size_gb=10)))
    op = gce.instances.attach_disk(project=p, zone=ZONE, instance="vm", attached_disk_resource=v1.AttachedDisk(
        source=f"{API}projects/{p}/zones/{ZONE}/disks/extra", device_name="extra"))
    assert op.operation_type == "attachDisk"
    gce.done(op)
    assert [d.device_name for d in gce.instances.get(project=p, zone=ZONE, instance="vm").disks] == [
        "persistent-disk-0", "extra"]
    assert gce.disks.get(project=p, zone=ZONE, disk="extra").users == [f"{API}projects/{p}/zones/{ZONE}/instances/vm"]
    gce.done(gce.instances.detach_disk(project=p, zone=ZONE, instance="vm", device_name="extra"))
    assert not gce.disks.get(project=p, zone=ZONE, disk="extra").users
    with pytest.raises(exceptions.BadRequest):
        gce.instances.detach_disk(project=p, zone=ZONE, instance="vm", device_name="nope")
    # resize: only grows; GCP answers it DONE at once
    resized = gce.disks.resize(project=p, zone=ZONE, disk="extra",
                               disks_resize_request_resource=v1.DisksResizeRequest(size_gb=30))
    assert resized.status == v1.Operation.Status.DONE
    assert gce.disks.get(project=p, zone=ZONE, disk="extra").size_gb == 30
    with pytest.raises(exceptions.BadRequest) as e:
        gce.disks.resize(project=p, zone=ZONE, disk="extra", disks_resize_request_resource=v1.DisksResizeRequest(size_gb=20))
    assert gce.error(e)[1] == "invalid"
    # setMachineType / setServiceAccount need a stopped instance
    with pytest.raises(exceptions.BadRequest):
        gce.instances.set_machine_type(project=p, zone=ZONE, instance="vm",
                                       instances_set_machine_type_request_resource=v1.InstancesSetMachineTypeRequest(
                                           machine_type="e2-small"))
    gce.done(gce.instances.stop(project=p, zone=ZONE, instance="vm"))
    gce.done(gce.instances.set_service_account(
        project=p, zone=ZONE, instance="vm",
        instances_set_service_account_request_resource=v1.InstancesSetServiceAccountRequest(
            email="sa@p.iam.gserviceaccount.com", scopes=["cloud-platform"])))
    sa = gce.instances.get(project=p, zone=ZONE, instance="vm").service_accounts[0]
    assert list(sa.scopes) == ["https://www.googleapis.com/auth/cloud-platform"]
    gce.done(gce.instances.set_scheduling(project=p, zone=ZONE, instance="vm",
                                          scheduling_resource=v1.Scheduling(automatic_restart=False)))
    assert gce.instances.get(project=p, zone=ZONE, instance="vm").scheduling.automatic_restart is False
    # deletion protection
    gce.done(gce.instances.set_deletion_protection(request=v1.SetDeletionProtectionInstanceRequest(
        project=p, zone=ZONE, resource="vm", deletion_protection=True)))
    with pytest.raises(exceptions.BadRequest) as e:
        gce.instances.delete(project=p, zone=ZONE, instance="vm")
    assert gce.error(e)[1] == "resourceIsProtected"
    gce.done(gce.instances.set_deletion_protection(request=v1.SetDeletionProtectionInstanceRequest(
        project=p, zone=ZONE, resource="vm", deletion_protection=False)))
    gce.done(gce.instances.delete(project=p, zone=ZONE, instance="vm"))
    # zonal operations list and aggregated disks
    ops = list(gce.zone_operations.list(project=p, zone=ZONE))
    assert {"insert", "attachDisk", "detachDisk", "stop", "delete"} <= {o.operation_type for o in ops}
    agg = dict(gce.disks.aggregated_list(request=v1.AggregatedListDisksRequest(project=p)))
    assert [d.name for d in agg[f"zones/{ZONE}"].disks] == ["extra"]
    assert [o for _, scoped in gce.global_operations.aggregated_list(
        request=v1.AggregatedListGlobalOperationsRequest(project=p)) for o in scoped.operations]


def test_image_patch_labels_deprecate(gce):
    p, v1 = gce.project, gce.v1
    gce.done(gce.disks.insert(project=p, zone=ZONE, disk_resource=v1.Disk(name="src", source_image=DEBIAN)))
    gce.done(gce.images.insert(project=p, image_resource=v1.Image(name="img-1", source_disk=f"zones/{ZONE}/disks/src",
                                                                  family="fam")))
    img = gce.images.get(project=p, image="img-1")
    done = gce.images.set_labels(project=p, resource="img-1", global_set_labels_request_resource=v1.GlobalSetLabelsRequest(
        labels={"a": "1"}, label_fingerprint=img.label_fingerprint))
    assert done.status == v1.Operation.Status.DONE  # GCP answers setLabels already DONE
    gce.done(gce.images.patch(project=p, image="img-1", image_resource=v1.Image(description="golden")))
    assert gce.images.get(project=p, image="img-1").description == "golden"
    gce.done(gce.images.deprecate(project=p, image="img-1", deprecation_status_resource=v1.DeprecationStatus(
        state="DEPRECATED")))
    assert gce.images.get(project=p, image="img-1").deprecated.state == "DEPRECATED"
    with pytest.raises(exceptions.NotFound):
        gce.images.get_from_family(project=p, family="fam")


def test_subnetwork_and_lb_patch_verbs(gce):
    p, v1 = gce.project, gce.v1
    sub = gce.subnetworks.get(project=p, region="europe-west1", subnetwork="default")
    gce.done(gce.subnetworks.set_private_ip_google_access(
        project=p, region="europe-west1", subnetwork="default",
        subnetworks_set_private_ip_google_access_request_resource=v1.SubnetworksSetPrivateIpGoogleAccessRequest(
            private_ip_google_access=True)))
    assert gce.subnetworks.get(project=p, region="europe-west1", subnetwork="default").private_ip_google_access
    with pytest.raises(exceptions.PreconditionFailed):
        gce.subnetworks.patch(project=p, region="europe-west1", subnetwork="default",
                              subnetwork_resource=v1.Subnetwork(fingerprint=sub.fingerprint, description="x"))
    cur = gce.subnetworks.get(project=p, region="europe-west1", subnetwork="default")
    gce.done(gce.subnetworks.patch(project=p, region="europe-west1", subnetwork="default",
                                   subnetwork_resource=v1.Subnetwork(fingerprint=cur.fingerprint, description="x")))
    gce.done(gce.health_checks.insert(project=p, health_check_resource=v1.HealthCheck(
        name="hc", type_="HTTP", http_health_check=v1.HTTPHealthCheck(port=80))))
    gce.done(gce.health_checks.patch(project=p, health_check="hc", health_check_resource=v1.HealthCheck(
        check_interval_sec=10)))
    assert gce.health_checks.get(project=p, health_check="hc").check_interval_sec == 10
    gce.done(gce.health_checks.update(project=p, health_check="hc", health_check_resource=v1.HealthCheck(
        name="hc", type_="TCP", tcp_health_check=v1.TCPHealthCheck(port=443))))
    hc = gce.health_checks.get(project=p, health_check="hc")
    assert hc.type_ == "TCP" and hc.tcp_health_check.port == 443 and hc.check_interval_sec == 5
    gce.done(gce.backend_services.insert(project=p, backend_service_resource=v1.BackendService(
        name="bs", health_checks=["global/healthChecks/hc"])))
    gce.done(gce.url_maps.insert(project=p, url_map_resource=v1.UrlMap(name="um1", default_service="global/backendServices/bs")))
    gce.done(gce.url_maps.insert(project=p, url_map_resource=v1.UrlMap(name="um2", default_service="global/backendServices/bs")))
    op = gce.target_http_proxies.insert(project=p, target_http_proxy_resource=v1.TargetHttpProxy(
        name="px", url_map="global/urlMaps/um1"))
    assert op.status == v1.Operation.Status.DONE  # GCP answers proxy and url map operations DONE
    gce.done(gce.target_http_proxies.set_url_map(project=p, target_http_proxy="px",
                                                 url_map_reference_resource=v1.UrlMapReference(url_map="global/urlMaps/um2")))
    assert gce.target_http_proxies.get(project=p, target_http_proxy="px").url_map.endswith("/urlMaps/um2")
    gce.done(gce.url_maps.delete(project=p, url_map="um1"))  # no longer used
    gce.done(gce.target_http_proxies.insert(project=p, target_http_proxy_resource=v1.TargetHttpProxy(
        name="px2", url_map="global/urlMaps/um2")))
    gce.done(gce.global_forwarding_rules.insert(project=p, forwarding_rule_resource=v1.ForwardingRule(
        name="fr", target="global/targetHttpProxies/px", port_range="8080")))
    fr = gce.global_forwarding_rules.get(project=p, forwarding_rule="fr")
    op = gce.global_forwarding_rules.set_target(project=p, forwarding_rule="fr", target_reference_resource=v1.TargetReference(
        target="global/targetHttpProxies/px2"))
    assert op.operation_type == "SetTarget"
    gce.done(op)
    fr2 = gce.global_forwarding_rules.get(project=p, forwarding_rule="fr")
    assert fr2.target.endswith("/targetHttpProxies/px2") and fr2.I_p_address == fr.I_p_address
    gce.done(gce.target_http_proxies.delete(project=p, target_http_proxy="px"))
    with pytest.raises(exceptions.BadRequest):
        gce.target_http_proxies.delete(project=p, target_http_proxy="px2")
