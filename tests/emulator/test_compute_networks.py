"""Networks, subnetworks, firewalls, addresses: lifecycle, output-only fields, errors, filters, pagination."""

from __future__ import annotations

import re

import pytest
from google.api_core import exceptions

API = "https://www.googleapis.com/compute/v1/"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-07:00$")
OP_NAME = re.compile(r"^operation-\d{13}-[0-9a-f]{13}-[0-9a-f]{8}-[0-9a-f]{8}$")


def test_fresh_project_has_default_network(gce):
    p = gce.project
    net = gce.networks.get(project=p, network="default")
    assert net.auto_create_subnetworks is True
    assert net.description == "Default network for the project"
    assert f"{API}projects/{p}/regions/us-central1/subnetworks/default" in net.subnetworks
    sub = gce.subnetworks.get(project=p, region="us-central1", subnetwork="default")
    assert sub.ip_cidr_range == "10.128.0.0/20"
    assert sub.gateway_address == "10.128.0.1"
    assert {f.name for f in gce.firewalls.list(project=p)} == {
        "default-allow-icmp", "default-allow-internal", "default-allow-rdp", "default-allow-ssh"}


def test_network_lifecycle_and_operation_shape(gce):
    p = gce.project
    with pytest.raises(exceptions.NotFound) as e:
        gce.networks.get(project=p, network="net1")
    assert gce.error(e) == (404, "notFound", f"The resource 'projects/{p}/global/networks/net1' was not found")
    op = gce.networks.insert(project=p, network_resource=gce.v1.Network(name="net1", auto_create_subnetworks=False))
    assert OP_NAME.match(op.name)
    assert op.operation_type == "insert"
    assert op.target_link == f"{API}projects/{p}/global/networks/net1"
    assert op.self_link == f"{API}projects/{p}/global/operations/{op.name}"
    done = gce.done(op)
    assert done.progress == 100 and done.end_time and TS.match(done.insert_time)
    assert int(done.id) > 0 and done.target_id
    net = gce.networks.get(project=p, network="net1")
    assert net.kind == "compute#network"
    assert net.id == done.target_id
    assert TS.match(net.creation_timestamp)
    assert net.self_link == f"{API}projects/{p}/global/networks/net1"
    assert net.self_link_with_id == f"{API}projects/{p}/global/networks/{net.id}"
    assert not net.routing_config.routing_mode  # GCP shows routingConfig only when it was given (recordings)
    assert not net.subnetworks
    gce.done(gce.networks.delete(project=p, network="net1"))
    with pytest.raises(exceptions.NotFound):
        gce.networks.get(project=p, network="net1")


@pytest.mark.parametrize("name", ["Foo", "1abc", "a-", "a" * 64, "under_score"])
def test_invalid_names_are_rejected(gce, name):
    with pytest.raises(exceptions.BadRequest) as e:
        gce.networks.insert(project=gce.project, network_resource=gce.v1.Network(name=name))
    assert gce.error(e) == (400, "invalid", f"Invalid value for field 'resource.name': '{name}'. Must be a match of "
                                            f"regex '(?:[a-z](?:[-a-z0-9]{{0,61}}[a-z0-9])?)'")


def test_duplicate_is_409(gce):
    p = gce.project
    gce.done(gce.networks.insert(project=p, network_resource=gce.v1.Network(name="dup", auto_create_subnetworks=False)))
    with pytest.raises(exceptions.Conflict) as e:
        gce.networks.insert(project=p, network_resource=gce.v1.Network(name="dup", auto_create_subnetworks=False))
    assert gce.error(e) == (409, "alreadyExists", f"The resource 'projects/{p}/global/networks/dup' already exists")


def test_auto_mode_network_gets_subnets_and_deletes_them(gce):
    p = gce.project
    gce.done(gce.networks.insert(project=p, network_resource=gce.v1.Network(name="auto", auto_create_subnetworks=True)))
    net = gce.networks.get(project=p, network="auto")
    assert f"{API}projects/{p}/regions/asia-northeast1/subnetworks/auto" in net.subnetworks
    assert gce.subnetworks.get(project=p, region="asia-northeast1", subnetwork="auto").ip_cidr_range == "10.146.0.0/20"
    gce.done(gce.networks.delete(project=p, network="auto"))
    with pytest.raises(exceptions.NotFound):
        gce.subnetworks.get(project=p, region="asia-northeast1", subnetwork="auto")


def test_subnetworks_references_and_in_use(gce):
    p = gce.project
    # unknown network: 404 naming it; the reference may be given in any form GCP accepts
    with pytest.raises(exceptions.NotFound) as e:
        gce.subnetworks.insert(project=p, region="us-central1", subnetwork_resource=gce.v1.Subnetwork(
            name="s1", network=f"https://compute.googleapis.com/compute/v1/projects/{p}/global/networks/nope",
            ip_cidr_range="10.0.0.0/24"))
    assert gce.error(e) == (404, "notFound", f"The resource 'projects/{p}/global/networks/nope' was not found")
    gce.done(gce.networks.insert(project=p, network_resource=gce.v1.Network(name="vpc", auto_create_subnetworks=False)))
    op = gce.subnetworks.insert(project=p, region="us-central1", subnetwork_resource=gce.v1.Subnetwork(
        name="s1", network=f"projects/{p}/global/networks/vpc", ip_cidr_range="10.0.0.0/24"))
    assert op.region == f"{API}projects/{p}/regions/us-central1"
    gce.done(op)
    sub = gce.subnetworks.get(project=p, region="us-central1", subnetwork="s1")
    assert sub.network == f"{API}projects/{p}/global/networks/vpc"
    assert sub.gateway_address == "10.0.0.1"
    assert sub.fingerprint
    assert gce.networks.get(project=p, network="vpc").subnetworks == [sub.self_link]
    with pytest.raises(exceptions.BadRequest) as e:
        gce.subnetworks.insert(project=p, region="us-central1", subnetwork_resource=gce.v1.Subnetwork(
            name="s2", network="global/networks/vpc", ip_cidr_range="10.0.0.128/25"))
    assert gce.error(e)[:2] == (400, "invalid")
    assert "conflicts with existing subnetwork 's1'" in gce.error(e)[2]
    with pytest.raises(exceptions.BadRequest) as e:
        gce.networks.delete(project=p, network="vpc")
    assert gce.error(e) == (400, "resourceInUseByAnotherResource",
                            f"The network resource 'projects/{p}/global/networks/vpc' is already being used by "
                            f"'projects/{p}/regions/us-central1/subnetworks/s1'")
    gce.done(gce.subnetworks.delete(project=p, region="us-central1", subnetwork="s1"))
    assert not gce.networks.get(project=p, network="vpc").subnetworks
    gce.done(gce.networks.delete(project=p, network="vpc"))


def test_reference_to_resource_still_being_created_is_not_ready(make_gce):
    h = make_gce(time_scale=1.0)  # a network insert takes 15 s
    p = h.project
    h.networks.insert(project=p, network_resource=h.v1.Network(name="slow", auto_create_subnetworks=False))
    with pytest.raises(exceptions.BadRequest) as e:
        h.subnetworks.insert(project=p, region="us-central1", subnetwork_resource=h.v1.Subnetwork(
            name="s1", network="global/networks/slow", ip_cidr_range="10.0.0.0/24"))
    assert h.error(e) == (400, "resourceNotReady", f"The resource 'projects/{p}/global/networks/slow' is not ready")


def test_operation_status_progresses_from_stored_timestamps(make_gce):
    h = make_gce(time_scale=0.1)  # network insert: 1.5 s (still RUNNING when read on a busy machine)
    p = h.project
    op = h.networks.insert(project=p, network_resource=h.v1.Network(name="n", auto_create_subnetworks=False))
    assert op.status == h.v1.Operation.Status.RUNNING and op.progress == 0
    got = h.global_operations.get(project=p, operation=op.name)
    assert got.status == h.v1.Operation.Status.RUNNING
    waited = h.global_operations.wait(project=p, operation=op.name)
    assert waited.status == h.v1.Operation.Status.DONE and waited.progress == 100
    listed = {o.name: o for o in h.global_operations.list(project=p)}
    assert listed[op.name].status == h.v1.Operation.Status.DONE
    h.global_operations.delete(project=p, operation=op.name)
    with pytest.raises(exceptions.NotFound):
        h.global_operations.get(project=p, operation=op.name)


def test_firewall_patch_update_and_network_in_use(gce):
    p = gce.project
    gce.done(gce.networks.insert(project=p, network_resource=gce.v1.Network(name="fwnet", auto_create_subnetworks=False)))
    fw = gce.v1.Firewall(name="allow-ssh", network="global/networks/fwnet", source_ranges=["35.235.240.0/20"],
                         target_tags=["ssh"], allowed=[gce.v1.Allowed(I_p_protocol="tcp", ports=["22"])])
    gce.done(gce.firewalls.insert(project=p, firewall_resource=fw))
    got = gce.firewalls.get(project=p, firewall="allow-ssh")
    assert (got.direction, got.priority, got.network) == ("INGRESS", 1000, f"{API}projects/{p}/global/networks/fwnet")
    gce.done(gce.firewalls.patch(project=p, firewall="allow-ssh", firewall_resource=gce.v1.Firewall(
        priority=900, source_ranges=["10.0.0.0/8"])))
    got = gce.firewalls.get(project=p, firewall="allow-ssh")
    assert got.priority == 900 and list(got.source_ranges) == ["10.0.0.0/8"] and list(got.target_tags) == ["ssh"]
    with pytest.raises(exceptions.BadRequest) as e:
        gce.networks.delete(project=p, network="fwnet")
    assert gce.error(e)[1:] == ("resourceInUseByAnotherResource",
                                f"The network resource 'projects/{p}/global/networks/fwnet' is already being used "
                                f"by 'projects/{p}/global/firewalls/allow-ssh'")
    gce.done(gce.firewalls.delete(project=p, firewall="allow-ssh"))
    gce.done(gce.networks.delete(project=p, network="fwnet"))


def test_addresses_regional_and_global(gce):
    p = gce.project
    op = gce.addresses.insert(project=p, region="asia-northeast1", address_resource=gce.v1.Address(
        name="ext", labels={"managed-by": "gcpkit"}))
    gce.done(op)
    a = gce.addresses.get(project=p, region="asia-northeast1", address="ext")
    assert a.address and a.status == "RESERVED" and a.address_type == "EXTERNAL" and a.network_tier == "PREMIUM"
    assert a.label_fingerprint and dict(a.labels) == {"managed-by": "gcpkit"}
    gce.done(gce.addresses.insert(project=p, region="asia-northeast1", address_resource=gce.v1.Address(
        name="int", address_type="INTERNAL")))
    internal = gce.addresses.get(project=p, region="asia-northeast1", address="int")
    assert internal.address.startswith("10.146.0.")
    assert not internal.subnetwork  # allocated from the default subnetwork, which GCP does not show
    gce.done(gce.global_addresses.insert(project=p, address_resource=gce.v1.Address(name="lb-ip")))
    g = gce.global_addresses.get(project=p, address="lb-ip")
    assert g.address and g.address != a.address and g.self_link == f"{API}projects/{p}/global/addresses/lb-ip"
    assert not g.region
    # setLabels with a stale fingerprint -> 412
    with pytest.raises(exceptions.PreconditionFailed) as e:
        gce.addresses.set_labels(project=p, region="asia-northeast1", resource="ext",
                                 region_set_labels_request_resource=gce.v1.RegionSetLabelsRequest(
                                     labels={"a": "b"}, label_fingerprint="AAAAAAAAAAA="))
    assert gce.error(e)[:2] == (412, "conditionNotMet")
    gce.done(gce.addresses.set_labels(project=p, region="asia-northeast1", resource="ext",
                                      region_set_labels_request_resource=gce.v1.RegionSetLabelsRequest(
                                          labels={"a": "b"}, label_fingerprint=a.label_fingerprint)))
    a2 = gce.addresses.get(project=p, region="asia-northeast1", address="ext")
    assert dict(a2.labels) == {"a": "b"} and a2.label_fingerprint != a.label_fingerprint
    gce.done(gce.addresses.delete(project=p, region="asia-northeast1", address="ext"))
    gce.done(gce.global_addresses.delete(project=p, address="lb-ip"))


def _mknets(gce, names, labels=None):
    for n in names:
        gce.done(gce.networks.insert(project=gce.project, network_resource=gce.v1.Network(
            name=n, auto_create_subnetworks=False, description=(labels or {}).get(n, ""))))


def test_list_filters(gce):
    p = gce.project
    for name, env in [("web-1", "prod"), ("web-2", "dev"), ("db-1", "prod")]:
        gce.done(gce.addresses.insert(project=p, region="us-central1", address_resource=gce.v1.Address(
            name=name, labels={"env": env, "managed-by": "gcpkit"})))

    def names(flt):
        req = gce.v1.ListAddressesRequest(project=p, region="us-central1", filter=flt)
        return sorted(a.name for a in gce.addresses.list(request=req))

    assert names("name = web-1") == ["web-1"]
    assert names('name = "db-1"') == ["db-1"]
    assert names("name != web-1") == ["db-1", "web-2"]
    assert names("name eq web-.*") == ["web-1", "web-2"]
    assert names("name ne web-.*") == ["db-1"]
    assert names("labels.env = prod") == ["db-1", "web-1"]
    assert names("(labels.env = prod) (name = web-1)") == ["web-1"]
    assert names("(labels.env = prod) AND (labels.managed-by = gcpkit)") == ["db-1", "web-1"]
    assert names("(name = web-2) OR (name = db-1)") == ["db-1", "web-2"]
    assert names("name = web-*") == ["web-1", "web-2"]
    assert names("labels.env:*") == ["db-1", "web-1", "web-2"]
    assert names("labels.missing = x") == []
    with pytest.raises(exceptions.BadRequest) as e:
        names("name = (")
    assert gce.error(e)[:2] == (400, "invalid")


def test_pagination(gce):
    p = gce.project
    _mknets(gce, [f"n{i:02d}" for i in range(7)])
    pager = gce.networks.list(request=gce.v1.ListNetworksRequest(project=p, max_results=3))
    pages = list(pager.pages)
    assert [len(pg.items) for pg in pages] == [3, 3, 2]  # 7 + the default network
    assert pages[0].next_page_token and not pages[-1].next_page_token
    assert [n.name for pg in pages for n in pg.items] == ["default"] + [f"n{i:02d}" for i in range(7)]
    first = gce.networks.list(request=gce.v1.ListNetworksRequest(project=p, max_results=2, filter="name eq n0[0-4]"))
    assert [n.name for n in first] == ["n00", "n01", "n02", "n03", "n04"]


def test_state_is_shared_between_emulators_on_one_data_dir(make_gce, tmp_path):
    """Two emulators on one data dir (as separate CLI processes would be): an operation started by one
    finishes for the other, because status is computed from stored timestamps, not kept in memory."""
    a = make_gce(time_scale=0.02, data_dir=tmp_path)
    b = make_gce(time_scale=0.02, data_dir=tmp_path)
    b.project = a.project
    op = a.networks.insert(project=a.project, network_resource=a.v1.Network(name="shared", auto_create_subnetworks=False))
    assert b.global_operations.get(project=a.project, operation=op.name).status == a.v1.Operation.Status.RUNNING
    assert b.global_operations.wait(project=a.project, operation=op.name).status == a.v1.Operation.Status.DONE
    assert b.networks.get(project=a.project, network="shared").id == a.networks.get(project=a.project, network="shared").id
    with pytest.raises(exceptions.Conflict):
        b.networks.insert(project=a.project, network_resource=a.v1.Network(name="shared"))


def test_request_id_makes_retries_idempotent(gce):
    p = gce.project
    req = gce.v1.InsertNetworkRequest(project=p, request_id="4f0c1d1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
                                      network_resource=gce.v1.Network(name="retry", auto_create_subnetworks=False))
    first = gce.networks.insert(request=req)
    again = gce.networks.insert(request=req)  # a retry after a lost answer: same operation, no 409
    assert again.name == first.name
    gce.done(again)
    with pytest.raises(exceptions.Conflict):
        gce.networks.insert(project=p, network_resource=gce.v1.Network(name="retry", auto_create_subnetworks=False))


def test_label_constraints(gce):
    with pytest.raises(exceptions.BadRequest) as e:
        gce.addresses.insert(project=gce.project, region="us-central1", address_resource=gce.v1.Address(
            name="a", labels={"Env": "prod"}))
    assert gce.error(e)[:2] == (400, "invalid")
    assert "Label key 'Env' violates format constraints" in gce.error(e)[2]
    with pytest.raises(exceptions.BadRequest) as e:
        gce.addresses.insert(project=gce.project, region="us-central1", address_resource=gce.v1.Address(
            name="a", labels={"env": "Prod"}))
    assert "Label value 'Prod' violates format constraints" in gce.error(e)[2]
