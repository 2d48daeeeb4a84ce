"""Cloud DNS changes and resource record sets through google-api-python-client, against the strict emulator."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ZONE = "zone-r"
APEX = "example.com."


@pytest.fixture(scope="module")
def dns(emulator):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("dns", "v1", client_options={"api_endpoint": emulator.endpoints()["dns"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture
def project(dns):
    project = f"dns-{uuid.uuid4().hex[:10]}"
    dns.managedZones().create(project=project, body={"name": ZONE, "dnsName": APEX, "description": "d"}).execute()
    return project


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def rr(name, type_="A", rrdatas=("192.0.2.1",), ttl=300):
    return {"name": name, "type": type_, "ttl": ttl, "rrdatas": list(rrdatas)}


def change(dns, project, additions=(), deletions=()):
    body = {}
    if additions:
        body["additions"] = list(additions)
    if deletions:
        body["deletions"] = list(deletions)
    return dns.changes().create(project=project, managedZone=ZONE, body=body)


def live(dns, project, **filters):
    resp = dns.resourceRecordSets().list(project=project, managedZone=ZONE, **filters).execute()
    return {(r["name"], r["type"]): r for r in resp.get("rrsets", [])}


def wait_done(dns, project, result):
    deadline = time.time() + 5
    while result["status"] != "done" and time.time() < deadline:
        time.sleep(0.005)
        result = dns.changes().get(project=project, managedZone=ZONE, changeId=result["id"]).execute()
    return result


def test_change_goes_pending_then_done(dns, project):
    result = change(dns, project, additions=[rr("www.example.com.")]).execute()
    assert result["kind"] == "dns#change" and result["id"] == "1"
    assert result["status"] in ("pending", "done") and result["startTime"].endswith("Z")
    assert result["additions"] == [rr("www.example.com.")]
    assert wait_done(dns, project, result)["status"] == "done"
    assert live(dns, project)[("www.example.com.", "A")]["rrdatas"] == ["192.0.2.1"]


def test_change_status_is_pending_under_slow_latency(make_emulator):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    slow = make_emulator(time_scale=1.0)  # 5 s per change: the first reads must say "pending"
    client = build("dns", "v1", client_options={"api_endpoint": slow.endpoints()["dns"]},
                   credentials=AnonymousCredentials(), static_discovery=True)
    client.managedZones().create(project="p", body={"name": ZONE, "dnsName": APEX}).execute()
    result = change(client, "p", additions=[rr("www.example.com.")]).execute()
    assert result["status"] == "pending"
    got = client.changes().get(project="p", managedZone=ZONE, changeId=result["id"]).execute()
    assert got["status"] == "pending"
    # the records are already in the zone's configuration
    assert [r["type"] for r in client.resourceRecordSets().list(
        project="p", managedZone=ZONE, name="www.example.com.").execute()["rrsets"]] == ["A"]


def test_replace_by_deletion_and_addition(dns, project):
    change(dns, project, additions=[rr("www.example.com.", rrdatas=["198.51.100.5", "8.8.8.8"])]).execute()
    result = change(dns, project, additions=[rr("www.example.com.", rrdatas=["8.8.8.8", "198.51.100.10"])],
                    deletions=[rr("www.example.com.", rrdatas=["8.8.8.8", "198.51.100.5"])]).execute()
    assert set(result) >= {"additions", "deletions", "id", "kind", "startTime", "status"}
    assert live(dns, project)[("www.example.com.", "A")]["rrdatas"] == ["8.8.8.8", "198.51.100.10"]


def test_bad_deletion_fails_the_whole_change_with_412(dns, project):
    change(dns, project, additions=[rr("a.example.com.", rrdatas=["192.0.2.1"])]).execute()
    before = live(dns, project)
    status, err = http_error(change(dns, project, additions=[rr("b.example.com.")],
                                    deletions=[rr("a.example.com.", rrdatas=["192.0.2.99"])]))
    assert status == 412
    assert err["errors"][0]["reason"] == "conditionNotMet"
    assert err["message"] == "Precondition not met for 'entity.change.deletions[0]'"
    status, err = http_error(change(dns, project, deletions=[rr("a.example.com.", ttl=60)]))  # wrong ttl
    assert status == 412
    assert live(dns, project) == before  # nothing applied, not even the addition
    changes = dns.changes().list(project=project, managedZone=ZONE).execute()["changes"]
    assert [c["id"] for c in changes] == ["0", "1"]  # no change recorded for the failures


def test_deleting_a_missing_record_set_is_404(dns, project):
    status, err = http_error(change(dns, project, deletions=[rr("x.example.com."), rr("y.example.com.", "TXT",
                                                                                      ['"t"'])]))
    assert status == 404
    assert err["message"] == "The 'entity.change.deletions[0]' resource named 'x.example.com. (A)' does not exist."
    assert [e["reason"] for e in err["errors"]] == ["notFound", "notFound"]
    assert "entity.change.deletions[1]" in err["errors"][1]["message"]


def test_adding_an_existing_name_and_type_is_409(dns, project):
    change(dns, project, additions=[rr("www.example.com.")]).execute()
    status, err = http_error(change(dns, project, additions=[rr("new.example.com."),
                                                             rr("www.example.com.", rrdatas=["192.0.2.7"])]))
    assert status == 409
    assert err["errors"][0]["reason"] == "alreadyExists"
    assert err["message"] == "The resource 'entity.change.additions[1]' named 'www.example.com. (A)' already exists"
    assert ("new.example.com.", "A") not in live(dns, project)
    status, _ = http_error(change(dns, project, additions=[rr("d.example.com."), rr("d.example.com.")]))
    assert status == 409
    status, _ = http_error(change(dns, project, additions=[rr(APEX, "SOA", ["x. y. 1 2 3 4 5"], 21600)]))
    assert status == 409


@pytest.mark.parametrize("bad, field", [
    (rr("www.other.com."), "entity.change.additions[0].name"),
    (rr("www.example.com"), "entity.change.additions[0].name"),
    (rr("www.example.com.", "BOGUS"), "entity.change.additions[0].type"),
    (rr("www.example.com.", rrdatas=["300.1.1.1"]), "entity.change.additions[0].rrdata[0]"),
    (rr("www.example.com.", "AAAA", ["192.0.2.1"]), "entity.change.additions[0].rrdata[0]"),
    (rr("www.example.com.", ttl=-1), "entity.change.additions[0].ttl"),
    (rr("www.example.com.", "CNAME", ["a.example.com.", "b.example.com."]), "entity.change.additions[0].rrdata"),
])
def test_invalid_additions_are_400(dns, project, bad, field):
    status, err = http_error(change(dns, project, additions=[bad]))
    assert status == 400
    assert err["errors"][0]["reason"] == "invalid"
    assert err["message"].startswith(f"Invalid value for '{field}'")


def test_empty_change_is_required(dns, project):
    status, err = http_error(dns.changes().create(project=project, managedZone=ZONE, body={}))
    assert status == 400 and err["errors"][0]["reason"] == "required"
    assert err["message"] == "The 'entity.change' parameter is required but was missing."


def test_apex_soa_and_ns_can_be_replaced_not_removed(dns, project):
    soa = live(dns, project)[(APEX, "SOA")]
    status, err = http_error(change(dns, project, deletions=[soa]))
    assert status == 400
    new_soa = dict(soa, rrdatas=[soa["rrdatas"][0].replace(" 1 21600", " 2 21600")])
    new_soa.pop("kind")
    change(dns, project, additions=[new_soa], deletions=[soa]).execute()
    assert live(dns, project)[(APEX, "SOA")]["rrdatas"] == new_soa["rrdatas"]


def test_cname_must_stand_alone(dns, project):
    change(dns, project, additions=[rr("www.example.com.")]).execute()
    status, err = http_error(change(dns, project, additions=[rr("www.example.com.", "CNAME", ["x.example.net."])]))
    assert status == 400 and err["errors"][0]["reason"] == "cnameResourceRecordSetConflict"
    status, _ = http_error(change(dns, project, additions=[rr(APEX, "CNAME", ["x.example.net."])]))
    assert status == 400
    change(dns, project, additions=[rr("alias.example.com.", "CNAME", ["x.example.net."])]).execute()


def test_changes_list_order_and_pages_and_get_404(dns, project):
    for i in range(4):
        change(dns, project, additions=[rr(f"h{i}.example.com.")]).execute()
    ids, token = [], None
    while True:
        resp = dns.changes().list(project=project, managedZone=ZONE, maxResults=2, pageToken=token).execute()
        assert resp["kind"] == "dns#changesListResponse"
        ids += [c["id"] for c in resp["changes"]]
        token = resp.get("nextPageToken")
        if not token:
            break
    assert ids == ["0", "1", "2", "3", "4"]
    desc = dns.changes().list(project=project, managedZone=ZONE, sortOrder="descending", maxResults=3).execute()
    assert [c["id"] for c in desc["changes"]] == ["4", "3", "2"]
    rest = dns.changes().list(project=project, managedZone=ZONE, sortOrder="descending",
                              pageToken=desc["nextPageToken"]).execute()
    assert [c["id"] for c in rest["changes"]] == ["1", "0"]
    status, err = http_error(dns.changes().get(project=project, managedZone=ZONE, changeId="99"))
    assert status == 404 and err["errors"][0]["reason"] == "notFound"


def test_rrsets_list_filters_and_pagination(dns, project):
    change(dns, project, additions=[rr("www.example.com."), rr("www.example.com.", "TXT", ['"v=1"']),
                                    rr("a.example.com."), rr("z.example.com.", "AAAA", ["2001:db8::1"])]).execute()
    only = live(dns, project, name="www.example.com.", type="A")
    assert list(only) == [("www.example.com.", "A")]
    assert set(live(dns, project, name="www.example.com.")) == {("www.example.com.", "A"),
                                                                ("www.example.com.", "TXT")}
    assert dns.resourceRecordSets().list(project=project, managedZone=ZONE, name="none.example.com.",
                                         type="A").execute() == {"kind": "dns#resourceRecordSetsListResponse"}
    seen, token = [], None
    while True:
        resp = dns.resourceRecordSets().list(project=project, managedZone=ZONE, maxResults=2,
                                             pageToken=token).execute()
        seen += [(r["name"], r["type"]) for r in resp["rrsets"]]
        token = resp.get("nextPageToken")
        if not token:
            break
    assert seen[:2] == [(APEX, "NS"), (APEX, "SOA")]  # apex first, then the tree
    assert len(seen) == 6 and len(set(seen)) == 6
    status, _ = http_error(dns.resourceRecordSets().list(project=project, managedZone=ZONE, type="A"))
    assert status == 400


def test_rrset_verbs(dns, project):
    rrsets = dns.resourceRecordSets()
    created = rrsets.create(project=project, managedZone=ZONE, body=rr("api.example.com.")).execute()
    assert created == {"kind": "dns#resourceRecordSet", **rr("api.example.com.")}
    status, err = http_error(rrsets.create(project=project, managedZone=ZONE, body=rr("api.example.com.")))
    assert status == 409 and err["errors"][0]["reason"] == "alreadyExists"
    got = rrsets.get(project=project, managedZone=ZONE, name="api.example.com.", type="A").execute()
    assert got == created
    patched = rrsets.patch(project=project, managedZone=ZONE, name="api.example.com.", type="A",
                           body={"ttl": 60, "rrdatas": ["192.0.2.9", "192.0.2.10"]}).execute()
    assert patched["ttl"] == 60 and patched["rrdatas"] == ["192.0.2.9", "192.0.2.10"]
    status, _ = http_error(rrsets.patch(project=project, managedZone=ZONE, name="api.example.com.", type="A",
                                        body={"rrdatas": ["not-an-ip"]}))
    assert status == 400
    assert rrsets.delete(project=project, managedZone=ZONE, name="api.example.com.", type="A").execute() == {}
    for call in (rrsets.get(project=project, managedZone=ZONE, name="api.example.com.", type="A"),
                 rrsets.delete(project=project, managedZone=ZONE, name="api.example.com.", type="A"),
                 rrsets.patch(project=project, managedZone=ZONE, name="api.example.com.", type="A",
                              body={"ttl": 5})):
        status, err = http_error(call)
        assert status == 404 and err["errors"][0]["reason"] == "notFound"
    status, _ = http_error(rrsets.delete(project=project, managedZone=ZONE, name=APEX, type="SOA"))
    assert status == 400
    kinds = [sorted(k for k in ("additions", "deletions") if k in c)
             for c in dns.changes().list(project=project, managedZone=ZONE).execute()["changes"]]
    assert kinds == [["additions"], ["additions"], ["additions", "deletions"], ["deletions"]]


def test_change_over_the_additions_quota_is_403(dns, project):
    additions = [rr(f"h{i}.example.com.") for i in range(1001)]
    status, err = http_error(change(dns, project, additions=additions))
    assert status == 403 and err["errors"][0]["reason"] == "quotaExceeded"
    assert len(live(dns, project)) == 2
