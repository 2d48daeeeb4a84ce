"""The SQLite store: API, atomic transactions across threads and processes, persistence over HTTP."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gcpkit.emulator.core.registry import HANDLERS
from gcpkit.emulator.core.store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    s = Store(None if request.param == "memory" else tmp_path / "s.db")
    yield s
    s.close()


def test_crud_and_ordered_prefix_listing(store):
    col = "compute/instances"
    assert store.get(col, "projects/p/zones/z/instances/a") is None
    store.put(col, "projects/p/zones/z/instances/b", {"name": "b"})
    store.put(col, "projects/p/zones/z/instances/a", {"name": "a", "n": 1})
    store.put(col, "projects/p/zones/y/instances/c", {"name": "c"})
    store.put(col, "projects/p%/zones/z/instances/d", {"name": "d"})  # a LIKE wildcard must not leak in
    store.put("compute/disks", "projects/p/zones/z/disks/a", {"name": "disk"})
    store.put(col, "projects/p/zones/z/instances/a", {"name": "a", "n": 2})  # replace
    assert store.get(col, "projects/p/zones/z/instances/a") == {"name": "a", "n": 2}
    assert [d["name"] for d in store.list(col, "projects/p/zones/z/")] == ["a", "b"]
    assert [d["name"] for d in store.list(col)] == ["d", "c", "a", "b"]
    assert store.delete(col, "projects/p/zones/z/instances/a") is True
    assert store.delete(col, "projects/p/zones/z/instances/a") is False
    store.reset()
    assert store.list(col) == [] and store.list("compute/disks") == []


def test_next_id_is_unique_monotonic_and_large(store):
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: store.next_id(), range(400)))
    assert len(set(ids)) == 400
    assert all(len(str(i)) == 19 for i in ids)
    first = store.next_id()
    store.reset()
    assert store.next_id() > first  # ids stay unique across resets


def test_transaction_makes_read_check_write_atomic_across_threads(store):
    store.put("t", "counter", {"n": 0})

    def bump():
        for _ in range(50):
            with store.transaction():
                n = store.get("t", "counter")["n"]
                with store.transaction():  # nesting inside one thread is fine
                    store.put("t", "counter", {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert store.get("t", "counter") == {"n": 400}


def test_transaction_rolls_back_on_error(store):
    store.put("t", "k", {"v": 1})
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put("t", "k", {"v": 2})
            raise RuntimeError("abort")
    assert store.get("t", "k") == {"v": 1}


_BUMPER = """
import sys
sys.path.insert(0, sys.argv[2])
from gcpkit.emulator.core.store import Store
s = Store(sys.argv[1])
for _ in range(100):
    with s.transaction():
        n = s.get("t", "counter")["n"]
        s.put("t", "counter", {"n": n + 1})
"""


def test_transactions_are_atomic_across_processes(tmp_path):
    db = tmp_path / "shared.db"
    s = Store(db)
    s.put("t", "counter", {"n": 0})
    procs = [subprocess.Popen([sys.executable, "-c", _BUMPER, str(db), str(REPO_ROOT)]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert s.get("t", "counter") == {"n": 300}
    s.close()


def _fake_crud(monkeypatch):
    """A tiny service on compute.interconnects.{insert,get} that keeps its resources in the store."""
    col = "compute/interconnects"

    def insert(ctx, req):
        key = f"projects/{req.params['project']}/global/interconnects/{req.body['name']}"
        ctx.store.put(col, key, {"kind": "compute#interconnect", "name": req.body["name"],
                                 "id": str(ctx.store.next_id())})
        return {"kind": "compute#operation", "name": "op", "status": "DONE"}

    def get(ctx, req):
        key = f"projects/{req.params['project']}/global/interconnects/{req.params['interconnect']}"
        doc = ctx.store.get(col, key)
        if doc is None:
            from gcpkit.emulator.core.errors import not_found

            raise not_found(f"The resource '{key}' was not found")
        return doc

    monkeypatch.setitem(HANDLERS, "compute.interconnects.insert", insert)
    monkeypatch.setitem(HANDLERS, "compute.interconnects.get", get)


def test_state_survives_a_restart_with_the_same_data_dir(make_emulator, monkeypatch, tmp_path):
    _fake_crud(monkeypatch)
    data = tmp_path / "data" / "nested"  # created when missing
    first = make_emulator(data_dir=data)
    url = "/compute/v1/projects/p/global/interconnects"
    assert requests.post(first.url + url, json={"name": "keep"}).status_code == 200
    before = requests.get(f"{first.url}{url}/keep").json()
    first.stop()
    assert (data / "emulator.db").exists()
    second = make_emulator(data_dir=data)
    assert requests.get(f"{second.url}{url}/keep").json() == before
    requests.post(f"{second.url}/_emulator/reset")
    assert requests.get(f"{second.url}{url}/keep").status_code == 404


def test_many_threads_writing_over_http(make_emulator, monkeypatch, tmp_path):
    _fake_crud(monkeypatch)
    server = make_emulator(data_dir=tmp_path / "d")
    url = f"{server.url}/compute/v1/projects/p/global/interconnects"

    def write(i):
        with requests.Session() as s:
            return [s.post(url, json={"name": f"ic-{i}-{j}"}).status_code for j in range(15)]

    with ThreadPoolExecutor(12) as pool:
        codes = [c for batch in pool.map(write, range(12)) for c in batch]
    assert codes == [200] * 180
    assert len(server.store.list("compute/interconnects", "projects/p/")) == 180
    ids = {d["id"] for d in server.store.list("compute/interconnects")}
    assert len(ids) == 180


def test_unusable_data_dir_is_a_config_error(tmp_path):
    from gcpkit.emulator.core.errors import ConfigError
    from gcpkit.emulator.core.server import EmulatorServer

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="data dir"):
        EmulatorServer(port=0, data_dir=blocker)
    with pytest.raises(ConfigError, match="data dir"):
        EmulatorServer(port=0, data_dir=blocker / "below")
    with pytest.raises(ConfigError, match="not both"):
        EmulatorServer(port=0, data_dir=tmp_path, in_memory=True)
