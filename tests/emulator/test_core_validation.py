"""Parameters and bodies checked against the discovery document, answered in Google's wording;
strict mode catches handlers whose responses drift from the schema."""

from __future__ import annotations

import pytest
import requests

from gcpkit.emulator.core.registry import HANDLERS

INSERT = "compute.interconnects.insert"
GET = "compute.interconnects.get"
LIST = "compute.interconnects.list"
RESIZE = "compute.instanceGroupManagers.resize"  # has a required query parameter, `size`
AGGREGATED = "compute.interconnectAttachments.aggregatedList"  # has a boolean query parameter


@pytest.fixture
def received(monkeypatch):
    """Fake insert/list/resize handlers that record what they were given."""
    got: dict = {}

    def record(ctx, req):
        got.update(params=req.params, body=req.body)
        return {"kind": "compute#operation", "name": "operation-1", "status": "DONE"}

    def listing(ctx, req):
        got.update(params=req.params)
        return {"kind": "compute#interconnectList", "items": [], "id": "x"}

    monkeypatch.setitem(HANDLERS, INSERT, record)
    monkeypatch.setitem(HANDLERS, LIST, listing)
    monkeypatch.setitem(HANDLERS, RESIZE, record)
    monkeypatch.setitem(HANDLERS, AGGREGATED, lambda ctx, req: {"kind": "compute#interconnectAttachmentAggregatedList",
                                                                "items": {}})
    return got


def _insert(emulator, body, **kwargs):
    return requests.post(f"{emulator.url}/compute/v1/projects/p/global/interconnects", json=body, **kwargs)


def _error(r):
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == 400 and err["status"] == "INVALID_ARGUMENT"
    assert err["errors"][0]["message"] == err["message"]
    return err


def test_valid_body_reaches_the_handler(emulator, received):
    body = {"name": "ic", "requestedLinkCount": 2, "adminEnabled": True, "labels": {"a": "b"},
            "interconnectType": "DEDICATED"}
    assert _insert(emulator, body).status_code == 200
    assert received["body"] == body


def test_unknown_field_is_rejected_like_compute(emulator, received):
    err = _error(_insert(emulator, {"name": "ic", "foo": 1}))
    assert err["message"] == "Invalid JSON payload received. Unknown name \"foo\" at 'resource': Cannot find field."
    assert err["errors"][0]["reason"] == "invalid"
    assert err["details"][0]["fieldViolations"][0]["field"] == "resource"
    assert "received" not in received


def test_unknown_nested_field_names_its_path(emulator, received):
    err = _error(_insert(emulator, {"name": "ic", "circuitInfos": [{"googleCircuitId": "x", "bogus": 1}]}))
    assert "Unknown name \"bogus\" at 'resource.circuitInfos[0]'" in err["message"]


@pytest.mark.parametrize("field, value, proto", [
    ("requestedLinkCount", "two", "TYPE_INT32"),
    ("adminEnabled", "yes", "TYPE_BOOL"),
    ("name", 5, "TYPE_STRING"),
    ("id", "12x", "TYPE_UINT64"),
    ("labels", ["a"], "TYPE_MESSAGE"),
    ("interconnectType", "WIRELESS", "TYPE_ENUM"),
])
def test_wrong_types_and_enums_are_rejected(emulator, received, field, value, proto):
    err = _error(_insert(emulator, {"name": "ic", field: value}))
    assert err["message"].startswith(f"Invalid value at 'resource.{field}' ({proto})")


def test_proto_json_leniencies_are_accepted(emulator, received):
    """int32 as a numeric string, int64 as a number, null for unset: what proto3 JSON parsing accepts."""
    assert _insert(emulator, {"name": "ic", "requestedLinkCount": "2", "id": 7, "description": None}).status_code == 200


def test_body_that_is_not_json_is_a_parse_error(emulator, received):
    r = _insert(emulator, None, data=b"{not json", headers={"Content-Type": "application/json"})
    err = _error(r)
    assert err["errors"][0]["reason"] == "parseError"
    assert err["message"].startswith("Invalid JSON payload received.")


def test_query_params_are_converted_and_checked(emulator, received):
    url = f"{emulator.url}/compute/v1/projects/p/global/interconnects"
    r = requests.get(url, params={"maxResults": "5", "filter": "name = x", "pageToken": "t"})
    assert r.status_code == 200, r.text
    assert received["params"] == {"project": "p", "maxResults": 5, "filter": "name = x", "pageToken": "t"}
    err = _error(requests.get(url, params={"maxResults": "many"}))
    assert err["message"] == "Invalid value at 'maxResults' (TYPE_UINT32), \"many\""
    err = _error(requests.get(f"{emulator.url}/compute/v1/projects/p/aggregated/interconnectAttachments",
                              params={"includeAllScopes": "maybe"}))
    assert "TYPE_BOOL" in err["message"]


def test_unknown_query_param_is_rejected(emulator, received):
    err = _error(requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects", params={"colour": "red"}))
    assert 'Unknown name "colour": Cannot bind query parameter' in err["message"]


def test_missing_required_query_param(emulator, received):
    url = f"{emulator.url}/compute/v1/projects/p/zones/z/instanceGroupManagers/m/resize"
    r = requests.post(url)
    assert r.status_code == 400
    assert r.json()["error"]["errors"][0]["reason"] == "required"
    assert "size" in r.json()["error"]["message"]
    assert requests.post(url, params={"size": "3"}).status_code == 200
    assert received["params"]["size"] == 3


def test_strict_mode_turns_schema_drift_into_500_naming_the_field(emulator, monkeypatch):
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect", "name": "x",
                                                         "requestedLinkCount": "3"})
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 500
    assert "requestedLinkCount" in r.json()["error"]["message"]
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect", "nmae": "x"})
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 500 and "unknown field 'nmae'" in r.json()["error"]["message"]
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect", "id": 5})
    r = requests.get(f"{emulator.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 500 and "'id'" in r.json()["error"]["message"]  # uint64 must be a JSON string


def test_non_strict_mode_passes_drift_through(make_emulator, monkeypatch):
    server = make_emulator(strict=False)
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"nmae": "x"})
    r = requests.get(f"{server.url}/compute/v1/projects/p/global/interconnects/x")
    assert r.status_code == 200 and r.json() == {"nmae": "x"}


def test_strict_mode_follows_the_environment(make_emulator, monkeypatch):
    monkeypatch.setenv("GCPKIT_EMULATOR_STRICT", "1")
    assert make_emulator(strict=None).strict is True
    monkeypatch.setenv("GCPKIT_EMULATOR_STRICT", "0")
    assert make_emulator(strict=None).strict is False
