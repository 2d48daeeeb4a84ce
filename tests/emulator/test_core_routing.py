"""Routing from discovery documents, Google-format 404/405/501, client quirks, admin surface, endpoints."""

from __future__ import annotations

import requests

from gcpkit.emulator.core.registry import HANDLERS

# Compute methods the compute service has no reason to implement; tests install fakes on them.
FAKE_GET = "compute.interconnects.get"
FAKE_INSERT = "compute.interconnects.insert"


def _interconnect(ctx, req):
    return {"kind": "compute#interconnect", "name": req.params["interconnect"], "id": "1234567890123456789",
            "selfLink": f"{ctx.base_url}{req.path}"}


def test_route_reaches_the_handler_with_path_params(emulator, monkeypatch):
    seen = {}

    def handler(ctx, req):
        seen.update(params=req.params, method=req.http_method, api=req.api, method_id=req.method_id)
        return _interconnect(ctx, req)

    monkeypatch.setitem(HANDLERS, FAKE_GET, handler)
    r = requests.get(f"{emulator.url}/compute/v1/projects/p1/global/interconnects/ic-1")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert r.json()["name"] == "ic-1"
    assert seen == {"params": {"project": "p1", "interconnect": "ic-1"}, "method": "GET", "api": "compute",
                    "method_id": FAKE_GET}


def test_unknown_url_is_404_in_google_format(emulator):
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/nothing-here")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == 404 and err["status"] == "NOT_FOUND"
    assert err["errors"] == [{"message": err["message"], "domain": "global", "reason": "notFound"}]


def test_wrong_http_method_is_405(emulator):
    r = requests.put(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x", json={})
    assert r.status_code == 405
    err = r.json()["error"]
    assert err["code"] == 405 and "GET" in err["message"] and "PATCH" in err["message"]


def test_known_route_without_handler_is_501(emulator, monkeypatch):
    monkeypatch.delitem(HANDLERS, FAKE_GET, raising=False)
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 501
    err = r.json()["error"]
    assert err["status"] == "UNIMPLEMENTED" and err["errors"][0]["reason"] == "notImplemented"
    assert FAKE_GET in err["message"]


def test_prefixed_api_routes_reserved_expansion(emulator, monkeypatch):
    """Firestore's path is v1/{+name}: routing uses flatPath, and the handler also gets `name`."""
    got = {}
    monkeypatch.setitem(HANDLERS, "firestore.projects.databases.get",
                        lambda ctx, req: got.update(req.params) or {"name": req.params["name"]})
    r = requests.get(f"{emulator.url}/firestore/v1/projects/p/databases/(default)")
    assert r.status_code == 200, r.text
    assert got["name"] == "projects/p/databases/(default)"
    assert got["projectsId"] == "p" and got["databasesId"] == "(default)"


def test_google_query_quirks_are_accepted(emulator, monkeypatch):
    monkeypatch.setitem(HANDLERS, FAKE_GET, _interconnect)
    base = f"{emulator.url}/compute/v1/projects/p/global/interconnects/x"
    r = requests.get(base, params={"alt": "json", "$.xgafv": "2", "fields": "name", "$alt": "json;enum-encoding=int",
                                   "prettyPrint": "false"})
    assert r.status_code == 200, r.text
    assert "\n" not in r.text  # prettyPrint=false
    assert "\n" in requests.get(base, params={"prettyPrint": "true"}).text


def test_googleapiclient_reaches_a_prefixed_api_with_the_listed_endpoint(emulator, monkeypatch):
    """api_endpoint replaces rootUrl + servicePath: the value must lead build() to the emulator's prefix."""
    from googleapiclient.discovery import build

    from gcpkit.emulator.core.services import SERVICES

    monkeypatch.setitem(HANDLERS, "sql.instances.get",
                        lambda ctx, req: {"kind": "sql#instance", "name": req.params["instance"],
                                          "project": req.params["project"]})
    endpoint = SERVICES["sqladmin"].endpoint(emulator.url)
    assert endpoint == f"{emulator.url}/sqladmin/"
    sql = build("sqladmin", "v1", client_options={"api_endpoint": endpoint}, static_discovery=True,
                developerKey="unused", cache_discovery=False)
    got = sql.instances().get(project="p", instance="db-1").execute()
    assert got == {"kind": "sql#instance", "name": "db-1", "project": "p"}


def test_compute_client_library_reaches_the_emulator(emulator, compute_options, anonymous_credentials,
                                                     monkeypatch):
    from google.cloud import compute_v1

    monkeypatch.setitem(HANDLERS, FAKE_GET, _interconnect)
    client = compute_v1.InterconnectsClient(credentials=anonymous_credentials, client_options=compute_options)
    got = client.get(project="p", interconnect="ic-9")
    assert got.name == "ic-9" and got.id == 1234567890123456789


def test_endpoints_list_only_services_with_handlers(emulator):
    from gcpkit.emulator.core.services import SERVICES, endpoints

    mapping = endpoints("http://127.0.0.1:9")
    for key, value in mapping.items():
        service = SERVICES[key]
        assert value == ("http://127.0.0.1:9" if service.bare_endpoint else f"http://127.0.0.1:9{service.mount()}")
    assert ("compute" in mapping) == any(h.startswith("compute.") for h in HANDLERS)
    assert requests.get(f"{emulator.url}/_emulator/endpoints").json() == emulator.endpoints()


def test_admin_health_and_unknown_admin_path(emulator):
    health = requests.get(f"{emulator.url}/_emulator/health").json()
    assert health["status"] == "ok" and health["url"] == emulator.url and health["strict"] is True
    r = requests.get(f"{emulator.url}/_emulator/nope")
    assert r.status_code == 404 and r.json()["error"]["errors"][0]["reason"] == "notFound"


def test_handler_crash_is_a_google_format_500(emulator, monkeypatch):
    def boom(ctx, req):
        raise KeyError("bug")

    monkeypatch.setitem(HANDLERS, FAKE_GET, boom)
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 500
    assert r.json()["error"]["errors"][0]["reason"] == "backendError"


def test_storage_object_names_keep_encoded_slashes(emulator, monkeypatch):
    got = {}
    monkeypatch.setitem(HANDLERS, "storage.objects.get",
                        lambda ctx, req: got.update(req.params) or {"kind": "storage#object", "name": "a/b"})
    r = requests.get(f"{emulator.url}/storage/v1/b/bkt/o/a%2Fb")
    assert r.status_code == 200, r.text
    assert got["bucket"] == "bkt" and got["object"] == "a/b"
