"""Cloud DNS managed zones through google-api-python-client, over HTTP, against the strict emulator."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def dns_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("dns", "v1", client_options={"api_endpoint": server.endpoints()["dns"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def dns(emulator):
    return dns_client(emulator)


@pytest.fixture
def project():
    return f"dns-{uuid.uuid4().hex[:10]}"


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def make_zone(dns, project, name="zone-a", dns_name="example.com.", **extra):
    body = {"name": name, "dnsName": dns_name, "description": "test zone", **extra}
    return dns.managedZones().create(project=project, body=body).execute()


def test_client_calls_land_on_the_dns_prefix(emulator, dns, project):
    request = dns.managedZones().list(project=project)
    assert request.uri.startswith(f"{emulator.url}/dns/dns/v1/projects/{project}/managedZones")
    assert request.execute() == {"kind": "dns#managedZonesListResponse"}


def test_create_returns_the_real_shape(dns, project):
    zone = make_zone(dns, project, labels={"managed-by": "gcpkit", "env": "test"})
    assert zone["kind"] == "dns#managedZone"
    assert zone["name"] == "zone-a" and zone["dnsName"] == "example.com."
    assert zone["id"].isdigit()
    assert zone["visibility"] == "public"
    assert zone["nameServers"] == [f"ns-cloud-a{i}.googledomains.com." for i in range(1, 5)]
    assert zone["cloudLoggingConfig"] == {"kind": "dns#managedZoneCloudLoggingConfig"}
    assert zone["labels"] == {"managed-by": "gcpkit", "env": "test"}
    assert zone["creationTime"].endswith("Z") and zone["creationTime"][:4].isdigit()
    assert dns.managedZones().get(project=project, managedZone="zone-a").execute() == zone


def test_create_makes_soa_and_ns_and_change_zero(dns, project):
    zone = make_zone(dns, project)
    listed = dns.resourceRecordSets().list(project=project, managedZone="zone-a").execute()
    by_type = {rr["type"]: rr for rr in listed["rrsets"]}
    assert set(by_type) == {"NS", "SOA"}
    assert by_type["NS"]["rrdatas"] == zone["nameServers"]
    assert by_type["NS"]["ttl"] == 21600 and by_type["NS"]["kind"] == "dns#resourceRecordSet"
    assert by_type["SOA"]["rrdatas"] == [
        "ns-cloud-a1.googledomains.com. cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300"]
    changes = dns.changes().list(project=project, managedZone="zone-a").execute()["changes"]
    assert [c["id"] for c in changes] == ["0"]
    assert changes[0]["status"] == "done"
    assert {a["type"] for a in changes[0]["additions"]} == {"NS", "SOA"}


def test_private_zone_and_overlapping_zone_get_other_name_servers(dns, project):
    private = make_zone(dns, project, name="priv", visibility="private", privateVisibilityConfig={"networks": [
        {"networkUrl": f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/default"}]})
    assert private["visibility"] == "private"
    assert private["privateVisibilityConfig"]["networks"][0]["networkUrl"].endswith("/networks/default")
    public = make_zone(dns, project, name="pub", privateVisibilityConfig={"networks": []})
    assert public["privateVisibilityConfig"] == {}  # empty lists are dropped, as the real API does
    assert public["nameServers"][0] == "ns-cloud-b1.googledomains.com."  # a1.. is taken by "priv"


def test_create_validation(dns, project):
    status, err = http_error(dns.managedZones().create(project=project, body={"name": "z", "dnsName": "example.com"}))
    assert status == 400 and err["errors"][0]["reason"] == "invalid"
    assert err["message"] == "Invalid value for 'entity.managedZone.dnsName': 'example.com'"
    status, err = http_error(dns.managedZones().create(project=project, body={"name": "Bad_Name",
                                                                              "dnsName": "example.com."}))
    assert status == 400 and "entity.managedZone.name" in err["message"]
    status, err = http_error(dns.managedZones().create(project=project, body={"name": "z"}))
    assert status == 400 and err["errors"][0]["reason"] == "required"
    status, err = http_error(dns.managedZones().create(project=project, body={
        "name": "z", "dnsName": "example.com.", "labels": {"Bad": "x"}}))
    assert status == 400 and err["errors"][0]["reason"] == "invalid"
    status, err = http_error(dns.managedZones().create(project=project, body={
        "name": "z", "dnsName": "example.com.", "visibility": "secret"}))
    assert status == 400  # not in the discovery enum


def test_duplicate_zone_is_409(dns, project):
    make_zone(dns, project)
    status, err = http_error(dns.managedZones().create(project=project, body={"name": "zone-a",
                                                                              "dnsName": "other.com."}))
    assert status == 409
    assert err["errors"][0]["reason"] == "alreadyExists"
    assert err["message"] == "The resource 'entity.managedZone' named 'zone-a' already exists"


def test_missing_zone_is_404_with_the_real_message(dns, project):
    for call in (dns.managedZones().get(project=project, managedZone="nope"),
                 dns.managedZones().delete(project=project, managedZone="nope"),
                 dns.changes().list(project=project, managedZone="nope"),
                 dns.resourceRecordSets().list(project=project, managedZone="nope")):
        status, err = http_error(call)
        assert status == 404
        assert err == {"code": 404, "status": "NOT_FOUND",
                       "message": f'managedZone "projects/{project}/managedZones/nope" not found',
                       "errors": [{"domain": "global", "reason": "notFound",
                                   "message": f'managedZone "projects/{project}/managedZones/nope" not found'}]}


def test_update_returns_an_operation_and_replaces_fields(dns, project):
    zone = make_zone(dns, project, labels={"a": "1"})
    op = dns.managedZones().update(project=project, managedZone="zone-a", body={
        "name": "zone-a", "dnsName": "example.com.", "description": "updated"}).execute()
    assert op["kind"] == "dns#operation" and op["type"] == "UPDATE"
    assert op["status"] in ("pending", "done") and op["user"]
    assert op["zoneContext"]["oldValue"] == zone
    new = op["zoneContext"]["newValue"]
    assert new["description"] == "updated" and "labels" not in new  # PUT replaces
    assert new["id"] == zone["id"] and new["nameServers"] == zone["nameServers"]
    got = dns.managedZones().get(project=project, managedZone="zone-a").execute()
    assert got == new
    deadline = time.time() + 5
    while op["status"] != "done" and time.time() < deadline:
        time.sleep(0.01)
        op = dns.managedZoneOperations().get(project=project, managedZone="zone-a", operation=op["id"]).execute()
    assert op["status"] == "done"
    ops = dns.managedZoneOperations().list(project=project, managedZone="zone-a").execute()
    assert [o["id"] for o in ops["operations"]] == [op["id"]]


def test_patch_merges_labels_and_keeps_the_rest(dns, project):
    make_zone(dns, project, labels={"a": "1"})
    op = dns.managedZones().patch(project=project, managedZone="zone-a",
                                  body={"labels": {"a": "2", "b": "3"}}).execute()
    new = op["zoneContext"]["newValue"]
    assert new["labels"] == {"a": "2", "b": "3"} and new["description"] == "test zone"
    status, err = http_error(dns.managedZones().patch(project=project, managedZone="zone-a",
                                                      body={"dnsName": "other.com."}))
    assert status == 400 and "entity.managedZone.dnsName" in err["message"]
    status, _ = http_error(dns.managedZones().patch(project=project, managedZone="zone-a",
                                                    body={"labels": {"UPPER": "x"}}))
    assert status == 400
    assert dns.managedZones().get(project=project, managedZone="zone-a").execute()["labels"] == {"a": "2", "b": "3"}


def test_delete_non_empty_zone_is_container_not_empty(dns, project):
    make_zone(dns, project)
    dns.changes().create(project=project, managedZone="zone-a", body={"additions": [
        {"name": "www.example.com.", "type": "A", "ttl": 300, "rrdatas": ["192.0.2.1"]}]}).execute()
    status, err = http_error(dns.managedZones().delete(project=project, managedZone="zone-a"))
    assert status == 400
    assert err["errors"][0]["reason"] == "containerNotEmpty"
    dns.resourceRecordSets().delete(project=project, managedZone="zone-a", name="www.example.com.",
                                    type="A").execute()
    assert dns.managedZones().delete(project=project, managedZone="zone-a").execute() == b"{}"
    status, _ = http_error(dns.managedZones().get(project=project, managedZone="zone-a"))
    assert status == 404


def test_recreated_zone_starts_empty(dns, project):
    first = make_zone(dns, project)
    dns.managedZones().delete(project=project, managedZone="zone-a").execute()
    second = make_zone(dns, project, dns_name="example.org.")
    assert second["id"] != first["id"]
    rrsets = dns.resourceRecordSets().list(project=project, managedZone="zone-a").execute()["rrsets"]
    assert {rr["name"] for rr in rrsets} == {"example.org."}
    changes = dns.changes().list(project=project, managedZone="zone-a").execute()["changes"]
    assert [c["id"] for c in changes] == ["0"]


def test_list_filters_and_pages(dns, project):
    for i in range(5):
        make_zone(dns, project, name=f"zone-{i}", dns_name=f"ex{i % 2}.com.")
    names, token = [], None
    while True:
        resp = dns.managedZones().list(project=project, maxResults=2, pageToken=token).execute()
        assert len(resp["managedZones"]) <= 2
        names += [z["name"] for z in resp["managedZones"]]
        token = resp.get("nextPageToken")
        if not token:
            break
    assert names == [f"zone-{i}" for i in range(5)]
    filtered = dns.managedZones().list(project=project, dnsName="ex1.com.").execute()["managedZones"]
    assert [z["name"] for z in filtered] == ["zone-1", "zone-3"]
    other = dns.managedZones().list(project=project + "-other").execute()
    assert "managedZones" not in other


def test_state_is_shared_by_processes_using_one_data_dir(make_emulator, tmp_path):
    a = make_emulator(data_dir=tmp_path)
    b = make_emulator(data_dir=tmp_path)
    dns_a, dns_b = dns_client(a), dns_client(b)
    make_zone(dns_a, "shared")
    change = dns_b.changes().create(project="shared", managedZone="zone-a", body={"additions": [
        {"name": "a.example.com.", "type": "TXT", "ttl": 60, "rrdatas": ['"hello"']}]}).execute()
    assert change["id"] == "1"
    again = dns_a.changes().create(project="shared", managedZone="zone-a", body={"additions": [
        {"name": "b.example.com.", "type": "TXT", "ttl": 60, "rrdatas": ['"hello"']}]}).execute()
    assert again["id"] == "2"
    listed = dns_a.resourceRecordSets().list(project="shared", managedZone="zone-a", name="a.example.com.").execute()
    assert [rr["type"] for rr in listed["rrsets"]] == ["TXT"]


def test_project_quota_and_public_zone_limits(dns, project):
    got = dns.projects().get(project=project).execute()
    assert got["kind"] == "dns#project" and got["id"] == project and got["number"].isdigit()
    assert got["quota"]["managedZones"] == 10000 and got["quota"]["rrsetAdditionsPerChange"] == 1000
    status, err = http_error(dns.managedZones().create(project=project, body={
        "name": "fwd", "dnsName": "example.com.",
        "forwardingConfig": {"targetNameServers": [{"ipv4Address": "10.0.0.2"}]}}))
    assert status == 400 and "entity.managedZone.forwardingConfig" in err["message"]
    fwd = make_zone(dns, project, name="fwd", visibility="private",
                    forwardingConfig={"targetNameServers": [{"ipv4Address": "10.0.0.2"}]})
    assert fwd["forwardingConfig"]["targetNameServers"] == [{"ipv4Address": "10.0.0.2"}]


def test_zone_can_be_addressed_by_its_numeric_id(dns, project):
    zone = make_zone(dns, project)
    assert dns.managedZones().get(project=project, managedZone=zone["id"]).execute() == zone
    dns.changes().create(project=project, managedZone=zone["id"], body={"additions": [
        {"name": "id.example.com.", "type": "A", "ttl": 300, "rrdatas": ["192.0.2.1"]}]}).execute()
    got = dns.resourceRecordSets().get(project=project, managedZone="zone-a", name="id.example.com.",
                                       type="A").execute()
    assert got["rrdatas"] == ["192.0.2.1"]
    assert len(dns.changes().list(project=project, managedZone=zone["id"]).execute()["changes"]) == 2
    status, _ = http_error(dns.managedZones().get(project=project, managedZone="12345"))
    assert status == 404
    status, err = http_error(dns.resourceRecordSets().list(project=project, managedZone="zone-a",
                                                           filter="name = 'x.'"))
    assert status == 501 and err["errors"][0]["reason"] == "notImplemented"
