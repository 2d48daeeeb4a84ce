"""The JSON-lines request log and the request counters of /_emulator/requests."""

from __future__ import annotations

import json

import requests

from gcpkit.emulator.core.registry import HANDLERS

GET = "compute.interconnects.get"


def test_every_request_is_one_flushed_json_line(make_emulator, monkeypatch, tmp_path):
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect", "name": "x"})
    monkeypatch.setitem(HANDLERS, "compute.interconnects.insert", lambda ctx, req: {"kind": "compute#operation"})
    log = tmp_path / "logs" / "requests.jsonl"
    server = make_emulator(log_requests=log)
    requests.get(f"{server.url}/compute/v1/projects/p/global/interconnects/x?alt=json")
    requests.get(f"{server.url}/compute/v1/projects/p/nowhere")
    requests.post(f"{server.url}/compute/v1/projects/p/global/interconnects", json={"bogus": 1})
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # read while the server still runs
    assert [(x["method"], x["method_id"], x["status"]) for x in lines] == [
        ("GET", GET, 200), ("GET", None, 404), ("POST", "compute.interconnects.insert", 400)]
    first = lines[0]
    assert set(first) == {"ts", "api", "method", "path", "method_id", "status", "duration_ms"}
    assert first["api"] == "compute" and first["path"] == "/compute/v1/projects/p/global/interconnects/x"
    assert first["duration_ms"] >= 0


def test_counters_and_reset(make_emulator, monkeypatch):
    monkeypatch.setitem(HANDLERS, GET, lambda ctx, req: {"kind": "compute#interconnect", "name": "x"})
    server = make_emulator()
    for _ in range(3):
        requests.get(f"{server.url}/compute/v1/projects/p/global/interconnects/x")
    requests.get(f"{server.url}/nowhere")
    requests.get(f"{server.url}/_emulator/health")  # not counted
    counts = requests.get(f"{server.url}/_emulator/requests").json()
    assert counts["total"] == 4
    assert counts["by_method"] == {GET: 3, "(unrouted)": 1}
    assert counts["by_status"] == {"200": 3, "404": 1}
    assert requests.post(f"{server.url}/_emulator/reset").json() == {"reset": True}
    assert requests.get(f"{server.url}/_emulator/requests").json()["total"] == 0
