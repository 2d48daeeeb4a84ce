"""Instance templates, regional MIGs and instance groups, autoscalers, HTTP load balancing chain."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

API = "https://www.googleapis.com/compute/v1/"
REGION = "asia-northeast1"
DEBIAN = "projects/debian-cloud/global/images/family/debian-12"


def template(gce, name="tmpl", machine_type="e2-small"):
    v1 = gce.v1
    return v1.InstanceTemplate(name=name, properties=v1.InstanceProperties(
        machine_type=machine_type,
        disks=[v1.AttachedDisk(boot=True, auto_delete=True,
                               initialize_params=v1.AttachedDiskInitializeParams(source_image=DEBIAN))],
        network_interfaces=[v1.NetworkInterface(network="global/networks/default")],
        labels={"managed-by": "gcpkit"}))


def mig(gce, name="mig", size=3, tmpl="tmpl", **kw):
    return gce.v1.InstanceGroupManager(name=name, base_instance_name="app", target_size=size,
                                       instance_template=f"global/instanceTemplates/{tmpl}", **kw)


def managed(gce, name="mig"):
    resp = gce.region_instance_group_managers.list_managed_instances(project=gce.project, region=REGION,
                                                                      instance_group_manager=name)
    return list(resp)


def test_instance_template_lifecycle(gce):
    p = gce.project
    op = gce.instance_templates.insert(project=p, instance_template_resource=template(gce))
    assert op.operation_type == "compute.instanceTemplates.insert"
    gce.done(op)
    t = gce.instance_templates.get(project=p, instance_template="tmpl")
    assert t.kind == "compute#instanceTemplate" and t.self_link == f"{API}projects/{p}/global/instanceTemplates/tmpl"
    assert t.properties.machine_type == "e2-small"
    assert t.properties.disks[0].kind == "compute#attachedDisk" and t.properties.network_interfaces[0].name == "nic0"
    with pytest.raises(exceptions.Conflict):
        gce.instance_templates.insert(project=p, instance_template_resource=template(gce))
    bad = template(gce, "bad")
    bad.properties.network_interfaces[0].network = "global/networks/missing"
    with pytest.raises(exceptions.NotFound) as e:
        gce.instance_templates.insert(project=p, instance_template_resource=bad)
    assert gce.error(e)[2] == f"The resource 'projects/{p}/global/networks/missing' was not found"
    gce.done(gce.instance_templates.delete(project=p, instance_template="tmpl"))


def test_mig_spreads_instances_resizes_and_cascades(gce):
    p = gce.project
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    op = gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                   instance_group_manager_resource=mig(gce, size=3))
    assert op.region == f"{API}projects/{p}/regions/{REGION}"
    gce.done(op)
    m = gce.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig")
    assert m.kind == "compute#instanceGroupManager" and m.target_size == 3 and m.fingerprint
    assert m.instance_group == f"{API}projects/{p}/regions/{REGION}/instanceGroups/mig"
    assert m.instance_template == f"{API}projects/{p}/global/instanceTemplates/tmpl"
    # GCP shows no distributionPolicy it was not given (recordings); the instances still spread over 3 zones
    assert not m.distribution_policy.zones
    members = managed(gce)
    assert len(members) == 3
    zones = sorted(mi.instance.split("/zones/")[1].split("/")[0] for mi in members)
    assert zones == [f"{REGION}-a", f"{REGION}-b", f"{REGION}-c"]
    for mi in members:
        name = mi.instance.rsplit("/", 1)[1]
        assert name.startswith("app-") and len(name) == 8
        assert mi.version.instance_template == m.instance_template
    # members are real instances with boot disks from the template
    first = members[0].instance
    zone, name = first.split("/zones/")[1].split("/instances/")
    inst = gce.instances.get(project=p, zone=zone, instance=name)
    assert inst.machine_type.endswith("/machineTypes/e2-small") and dict(inst.labels) == {"managed-by": "gcpkit"}
    assert gce.disks.get(project=p, zone=zone, disk=name).source_image.startswith(
        f"{API}projects/debian-cloud/global/images/debian-12-")
    # the instance group view
    ig = gce.region_instance_groups.get(project=p, region=REGION, instance_group="mig")
    assert ig.size == 3 and ig.kind == "compute#instanceGroup"
    gce.done(gce.region_instance_groups.set_named_ports(
        project=p, region=REGION, instance_group="mig",
        region_instance_groups_set_named_ports_request_resource=gce.v1.RegionInstanceGroupsSetNamedPortsRequest(
            named_ports=[gce.v1.NamedPort(name="http", port=8080)], fingerprint=ig.fingerprint)))
    with pytest.raises(exceptions.PreconditionFailed) as e:
        gce.region_instance_groups.set_named_ports(
            project=p, region=REGION, instance_group="mig",
            region_instance_groups_set_named_ports_request_resource=gce.v1.RegionInstanceGroupsSetNamedPortsRequest(
                named_ports=[], fingerprint=ig.fingerprint))
    assert gce.error(e)[:2] == (412, "conditionNotMet")
    listed = list(gce.region_instance_groups.list_instances(
        project=p, region=REGION, instance_group="mig",
        region_instance_groups_list_instances_request_resource=gce.v1.RegionInstanceGroupsListInstancesRequest(
            instance_state="ALL")))
    assert len(listed) == 3 and listed[0].named_ports[0].port == 8080
    # resize up and down, spread stays even
    gce.done(gce.region_instance_group_managers.resize(project=p, region=REGION, instance_group_manager="mig", size=5))
    assert len(managed(gce)) == 5
    assert gce.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig").target_size == 5
    gce.done(gce.region_instance_group_managers.resize(project=p, region=REGION, instance_group_manager="mig", size=2))
    members = managed(gce)
    assert len(members) == 2
    assert len({mi.instance.split("/zones/")[1].split("/")[0] for mi in members}) == 2
    # the template is in use by the group
    with pytest.raises(exceptions.BadRequest) as e:
        gce.instance_templates.delete(project=p, instance_template="tmpl")
    assert gce.error(e) == (400, "resourceInUseByAnotherResource",
                            f"The instance_template resource 'projects/{p}/global/instanceTemplates/tmpl' is already "
                            f"being used by 'projects/{p}/regions/{REGION}/instanceGroupManagers/mig'")
    # setInstanceTemplate moves the group to a new template
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce, "tmpl2", "e2-medium")))
    gce.done(gce.region_instance_group_managers.set_instance_template(
        project=p, region=REGION, instance_group_manager="mig",
        region_instance_group_managers_set_template_request_resource=gce.v1.RegionInstanceGroupManagersSetTemplateRequest(
            instance_template="global/instanceTemplates/tmpl2")))
    gce.done(gce.instance_templates.delete(project=p, instance_template="tmpl"))
    # deleting the group deletes its instances and their disks
    gce.done(gce.region_instance_group_managers.delete(project=p, region=REGION, instance_group_manager="mig"))
    for z in ("a", "b", "c"):
        assert not list(gce.instances.list(project=p, zone=f"{REGION}-{z}"))
        assert not list(gce.disks.list(project=p, zone=f"{REGION}-{z}"))
    with pytest.raises(exceptions.NotFound):
        gce.region_instance_groups.get(project=p, region=REGION, instance_group="mig")


def test_mig_errors(gce):
    p = gce.project
    with pytest.raises(exceptions.NotFound) as e:
        gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                  instance_group_manager_resource=mig(gce, tmpl="nope"))
    assert gce.error(e) == (404, "notFound", f"The resource 'projects/{p}/global/instanceTemplates/nope' was not found")
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    gce.done(gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                       instance_group_manager_resource=mig(gce, size=1)))
    with pytest.raises(exceptions.Conflict) as e:
        gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                  instance_group_manager_resource=mig(gce, size=1))
    assert gce.error(e)[2] == f"The resource 'projects/{p}/regions/{REGION}/instanceGroupManagers/mig' already exists"


def test_mig_status_becomes_stable(make_gce):
    h = make_gce(time_scale=0.03)
    p = h.project
    h.done(h.instance_templates.insert(project=p, instance_template_resource=template(h)))
    h.region_instance_group_managers.insert(project=p, region=REGION, instance_group_manager_resource=mig(h, size=2))
    m = h.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig")
    # no currentActions in GCP's answers (recordings): status.isStable and the managed instances tell progress
    assert m.status.is_stable is False and not m.current_actions.creating
    assert {mi.current_action for mi in managed(h)} == {"CREATING"}
    import time
    deadline = time.monotonic() + 10
    while not h.region_instance_group_managers.get(project=p, region=REGION,
                                                   instance_group_manager="mig").status.is_stable:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    m = h.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig")
    assert {mi.instance_status for mi in managed(h)} == {"RUNNING"}
    assert {mi.current_action for mi in managed(h)} == {"NONE"}


def test_region_autoscaler(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    gce.done(gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                       instance_group_manager_resource=mig(gce, size=1)))
    target = f"projects/{p}/regions/{REGION}/instanceGroupManagers/mig"
    a = v1.Autoscaler(name="as", target=target, autoscaling_policy=v1.AutoscalingPolicy(
        min_num_replicas=2, max_num_replicas=5, cpu_utilization=v1.AutoscalingPolicyCpuUtilization(utilization_target=0.7)))
    gce.done(gce.region_autoscalers.insert(project=p, region=REGION, autoscaler_resource=a))
    got = gce.region_autoscalers.get(project=p, region=REGION, autoscaler="as")
    assert got.kind == "compute#autoscaler" and got.status == "ACTIVE" and got.target == API + target
    assert got.autoscaling_policy.cool_down_period_sec == 60
    assert len(managed(gce)) == 2  # raised to minNumReplicas
    m = gce.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig")
    assert m.status.autoscaler == got.self_link
    gce.done(gce.region_autoscalers.patch(request=v1.PatchRegionAutoscalerRequest(
        project=p, region=REGION, autoscaler="as", autoscaler_resource=v1.Autoscaler(
            name="as", autoscaling_policy=v1.AutoscalingPolicy(min_num_replicas=3, max_num_replicas=5)))))
    assert gce.region_autoscalers.get(project=p, region=REGION, autoscaler="as").autoscaling_policy.min_num_replicas == 3
    assert len(managed(gce)) == 3
    gce.done(gce.region_autoscalers.update(request=v1.UpdateRegionAutoscalerRequest(
        project=p, region=REGION, autoscaler="as", autoscaler_resource=v1.Autoscaler(
            name="as", target=target, autoscaling_policy=v1.AutoscalingPolicy(min_num_replicas=1, max_num_replicas=2)))))
    assert gce.region_autoscalers.get(project=p, region=REGION, autoscaler="as").autoscaling_policy.max_num_replicas == 2
    assert len(managed(gce)) == 2
    assert [x.name for x in gce.region_autoscalers.list(project=p, region=REGION)] == ["as"]
    with pytest.raises(exceptions.BadRequest) as e:
        gce.region_instance_group_managers.delete(project=p, region=REGION, instance_group_manager="mig")
    assert gce.error(e)[1:] == ("resourceInUseByAnotherResource",
                                f"The instance_group_manager resource '{target}' is already being used by "
                                f"'projects/{p}/regions/{REGION}/autoscalers/as'")
    gce.done(gce.region_autoscalers.delete(project=p, region=REGION, autoscaler="as"))
    gce.done(gce.region_instance_group_managers.delete(project=p, region=REGION, instance_group_manager="mig"))


def test_http_load_balancer_chain_and_in_use_rules(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    gce.done(gce.region_instance_group_managers.insert(project=p, region=REGION,
                                                       instance_group_manager_resource=mig(gce, size=1)))
    gce.done(gce.health_checks.insert(project=p, health_check_resource=v1.HealthCheck(
        name="hc", type_="HTTP", http_health_check=v1.HTTPHealthCheck(port=8080, request_path="/healthz"))))
    hc = gce.health_checks.get(project=p, health_check="hc")
    assert (hc.check_interval_sec, hc.timeout_sec, hc.http_health_check.port) == (5, 5, 8080)
    with pytest.raises(exceptions.NotFound) as e:
        gce.backend_services.insert(project=p, backend_service_resource=v1.BackendService(
            name="bs", health_checks=["global/healthChecks/missing"]))
    assert gce.error(e)[2] == f"The resource 'projects/{p}/global/healthChecks/missing' was not found"
    group = f"projects/{p}/regions/{REGION}/instanceGroups/mig"
    gce.done(gce.backend_services.insert(project=p, backend_service_resource=v1.BackendService(
        name="bs", protocol="HTTP", port_name="http", health_checks=["global/healthChecks/hc"],
        backends=[v1.Backend(group=group)])))
    bs = gce.backend_services.get(project=p, backend_service="bs")
    assert bs.backends[0].group == API + group and bs.health_checks == [hc.self_link] and bs.fingerprint
    gce.done(gce.url_maps.insert(project=p, url_map_resource=v1.UrlMap(
        name="um", default_service="global/backendServices/bs",
        host_rules=[v1.HostRule(hosts=["example.com"], path_matcher="pm")],
        path_matchers=[v1.PathMatcher(name="pm", default_service="global/backendServices/bs",
                                      path_rules=[v1.PathRule(paths=["/api/*"], service="global/backendServices/bs")])])))
    um = gce.url_maps.get(project=p, url_map="um")
    assert um.path_matchers[0].path_rules[0].service == bs.self_link
    with pytest.raises(exceptions.BadRequest):
        gce.url_maps.insert(project=p, url_map_resource=v1.UrlMap(
            name="um2", default_service="global/backendServices/bs",
            host_rules=[v1.HostRule(hosts=["x.com"], path_matcher="nope")]))
    gce.done(gce.target_http_proxies.insert(project=p, target_http_proxy_resource=v1.TargetHttpProxy(
        name="proxy", url_map="global/urlMaps/um")))
    gce.done(gce.global_addresses.insert(project=p, address_resource=v1.Address(name="ip")))
    ip = gce.global_addresses.get(project=p, address="ip")
    gce.done(gce.global_forwarding_rules.insert(project=p, forwarding_rule_resource=v1.ForwardingRule(
        name="fr", target="global/targetHttpProxies/proxy", I_p_address="global/addresses/ip", port_range="80",
        labels={"managed-by": "gcpkit"})))
    fr = gce.global_forwarding_rules.get(project=p, forwarding_rule="fr")
    assert fr.I_p_address == ip.address and fr.port_range == "80-80"
    assert fr.target == f"{API}projects/{p}/global/targetHttpProxies/proxy"
    assert not fr.self_link_with_id  # the recordings show none on forwarding rules
    ip = gce.global_addresses.get(project=p, address="ip")
    assert ip.status == "IN_USE" and list(ip.users) == [fr.self_link]
    # every link of the chain refuses deletion while used, naming its user
    cases = [
        (lambda: gce.global_addresses.delete(project=p, address="ip"),
         f"The address resource 'projects/{p}/global/addresses/ip' is already being used by "
         f"'projects/{p}/global/forwardingRules/fr'"),
        (lambda: gce.target_http_proxies.delete(project=p, target_http_proxy="proxy"),
         f"The target_http_proxy resource 'projects/{p}/global/targetHttpProxies/proxy' is already being used by "
         f"'projects/{p}/global/forwardingRules/fr'"),
        (lambda: gce.url_maps.delete(project=p, url_map="um"),
         f"The url_map resource 'projects/{p}/global/urlMaps/um' is already being used by "
         f"'projects/{p}/global/targetHttpProxies/proxy'"),
        (lambda: gce.backend_services.delete(project=p, backend_service="bs"),
         f"The backend_service resource 'projects/{p}/global/backendServices/bs' is already being used by "
         f"'projects/{p}/global/urlMaps/um'"),
        (lambda: gce.health_checks.delete(project=p, health_check="hc"),
         f"The health_check resource 'projects/{p}/global/healthChecks/hc' is already being used by "
         f"'projects/{p}/global/backendServices/bs'"),
        (lambda: gce.region_instance_group_managers.delete(project=p, region=REGION, instance_group_manager="mig"),
         f"The instance_group resource '{group}' is already being used by 'projects/{p}/global/backendServices/bs'"),
    ]
    for call, message in cases:
        with pytest.raises(exceptions.BadRequest) as e:
            call()
        assert gce.error(e) == (400, "resourceInUseByAnotherResource", message)
    # update with a stale fingerprint is refused; with the current one it applies
    with pytest.raises(exceptions.PreconditionFailed):
        gce.backend_services.update(project=p, backend_service="bs", backend_service_resource=v1.BackendService(
            name="bs", fingerprint="AAAAAAAAAAA=", health_checks=["global/healthChecks/hc"], timeout_sec=60))
    gce.done(gce.backend_services.patch(project=p, backend_service="bs", backend_service_resource=v1.BackendService(
        fingerprint=bs.fingerprint, timeout_sec=60)))
    bs2 = gce.backend_services.get(project=p, backend_service="bs")
    assert bs2.timeout_sec == 60 and bs2.fingerprint != bs.fingerprint and bs2.backends[0].group == API + group
    # tear down in dependency order
    gce.done(gce.global_forwarding_rules.delete(project=p, forwarding_rule="fr"))
    gce.done(gce.global_addresses.delete(project=p, address="ip"))
    gce.done(gce.target_http_proxies.delete(project=p, target_http_proxy="proxy"))
    gce.done(gce.url_maps.delete(project=p, url_map="um"))
    gce.done(gce.backend_services.delete(project=p, backend_service="bs"))
    gce.done(gce.health_checks.delete(project=p, health_check="hc"))
    gce.done(gce.region_instance_group_managers.delete(project=p, region=REGION, instance_group_manager="mig"))


def test_health_check_used_by_mig_autohealing(gce):
    p = gce.project
    v1 = gce.v1
    gce.done(gce.health_checks.insert(project=p, health_check_resource=v1.HealthCheck(
        name="hc", type_="TCP", tcp_health_check=v1.TCPHealthCheck(port=22))))
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    gce.done(gce.region_instance_group_managers.insert(project=p, region=REGION, instance_group_manager_resource=mig(
        gce, size=0, auto_healing_policies=[v1.InstanceGroupManagerAutoHealingPolicy(
            health_check="global/healthChecks/hc", initial_delay_sec=300)])))
    m = gce.region_instance_group_managers.get(project=p, region=REGION, instance_group_manager="mig")
    assert m.auto_healing_policies[0].health_check == f"{API}projects/{p}/global/healthChecks/hc"
    with pytest.raises(exceptions.BadRequest) as e:
        gce.health_checks.delete(project=p, health_check="hc")
    assert gce.error(e)[2] == (f"The health_check resource 'projects/{p}/global/healthChecks/hc' is already being "
                               f"used by 'projects/{p}/regions/{REGION}/instanceGroupManagers/mig'")


def test_zonal_mig_autoscaler_and_unmanaged_group(gce):
    p, v1 = gce.project, gce.v1
    zone = "us-central1-a"
    gce.done(gce.instance_templates.insert(project=p, instance_template_resource=template(gce)))
    op = gce.instance_group_managers.insert(project=p, zone=zone, instance_group_manager_resource=mig(gce, size=2))
    assert op.zone == f"{API}projects/{p}/zones/{zone}"
    gce.done(op)
    m = gce.instance_group_managers.get(project=p, zone=zone, instance_group_manager="mig")
    assert m.zone == f"{API}projects/{p}/zones/{zone}" and not m.distribution_policy.zones
    assert m.instance_group == f"{API}projects/{p}/zones/{zone}/instanceGroups/mig"
    members = list(gce.instance_group_managers.list_managed_instances(project=p, zone=zone, instance_group_manager="mig"))
    assert len(members) == 2 and all(f"/zones/{zone}/instances/app-" in mi.instance for mi in members)
    gce.done(gce.autoscalers.insert(project=p, zone=zone, autoscaler_resource=v1.Autoscaler(
        name="as", target=f"zones/{zone}/instanceGroupManagers/mig",
        autoscaling_policy=v1.AutoscalingPolicy(min_num_replicas=3, max_num_replicas=4))))
    assert gce.instance_groups.get(project=p, zone=zone, instance_group="mig").size == 3
    gce.done(gce.autoscalers.delete(project=p, zone=zone, autoscaler="as"))
    gce.done(gce.instance_group_managers.delete(project=p, zone=zone, instance_group_manager="mig"))
    assert not list(gce.instances.list(project=p, zone=zone))
    # an unmanaged group of hand-made instances, used by a backend service
    gce.done(gce.instances.insert(project=p, zone=zone, instance_resource=v1.Instance(
        name="web", machine_type="e2-small", network_interfaces=[v1.NetworkInterface()],
        disks=[v1.AttachedDisk(boot=True, initialize_params=v1.AttachedDiskInitializeParams(source_image=DEBIAN))])))
    gce.done(gce.instance_groups.insert(project=p, zone=zone, instance_group_resource=v1.InstanceGroup(
        name="ig", named_ports=[v1.NamedPort(name="http", port=80)])))
    gce.done(gce.instance_groups.add_instances(
        project=p, zone=zone, instance_group="ig",
        instance_groups_add_instances_request_resource=v1.InstanceGroupsAddInstancesRequest(
            instances=[v1.InstanceReference(instance=f"zones/{zone}/instances/web")])))
    listed = list(gce.instance_groups.list_instances(
        project=p, zone=zone, instance_group="ig",
        instance_groups_list_instances_request_resource=v1.InstanceGroupsListInstancesRequest(instance_state="ALL")))
    assert [i.instance for i in listed] == [f"{API}projects/{p}/zones/{zone}/instances/web"]
    assert gce.instance_groups.get(project=p, zone=zone, instance_group="ig").size == 1
    gce.done(gce.health_checks.insert(project=p, health_check_resource=v1.HealthCheck(
        name="hc", type_="TCP", tcp_health_check=v1.TCPHealthCheck(port=80))))
    gce.done(gce.backend_services.insert(project=p, backend_service_resource=v1.BackendService(
        name="bs", health_checks=["global/healthChecks/hc"],
        backends=[v1.Backend(group=f"zones/{zone}/instanceGroups/ig")])))
    with pytest.raises(exceptions.BadRequest) as e:
        gce.instance_groups.delete(project=p, zone=zone, instance_group="ig")
    assert gce.error(e) == (400, "resourceInUseByAnotherResource",
                            f"The instance_group resource 'projects/{p}/zones/{zone}/instanceGroups/ig' is already "
                            f"being used by 'projects/{p}/global/backendServices/bs'")
    gce.done(gce.backend_services.delete(project=p, backend_service="bs"))
    gce.done(gce.instance_groups.remove_instances(
        project=p, zone=zone, instance_group="ig",
        instance_groups_remove_instances_request_resource=v1.InstanceGroupsRemoveInstancesRequest(
            instances=[v1.InstanceReference(instance=f"zones/{zone}/instances/web")])))
    assert gce.instance_groups.get(project=p, zone=zone, instance_group="ig").size == 0
    gce.done(gce.instance_groups.delete(project=p, zone=zone, instance_group="ig"))
