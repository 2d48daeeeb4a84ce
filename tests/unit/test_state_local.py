"""LocalState: round trips, file mode, schema and corruption refusal, journal, locks across processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from gcpkit.errors import BadInput, LockedError
from gcpkit.state import SCHEMA_VERSION, Deployment, LocalState, ResourceRecord

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "state" / "state.db"
    with LocalState(path) as state:
        yield state


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ----------------------------------------------------------------- files

def test_default_path_is_dot_gcpkit_in_cwd_with_private_modes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o022)
    try:
        with LocalState() as state:
            state.save_deployment(Deployment("web", "p", "lamp"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / ".gcpkit").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / ".gcpkit" / "state.db").st_mode) == 0o600
    for side in (tmp_path / ".gcpkit").glob("state.db-*"):  # WAL and shared-memory files
        assert stat.S_IMODE(os.stat(side).st_mode) == 0o600


def test_wal_mode_and_schema_version(db):
    conn = sqlite3.connect(db.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "deployments", "resources", "journal", "locks"} <= tables
    conn.close()


def test_newer_schema_is_refused_and_file_untouched(tmp_path):
    path = tmp_path / "state.db"
    LocalState(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")  # fold the WAL in so the main file holds everything
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(BadInput) as err:
        LocalState(path)
    assert str(path) in err.value.message
    assert f"newer gcpkit (schema {SCHEMA_VERSION + 1} > {SCHEMA_VERSION}); upgrade gcpkit" in err.value.message
    assert err.value.exit_code == 2
    assert path.read_bytes() == before


def test_non_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database\n" * 50)
    before = path.read_bytes()
    with pytest.raises(BadInput) as err:
        LocalState(path)
    assert str(path) in err.value.message
    assert path.read_bytes() == before


def test_corrupt_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "state.db"
    good = tmp_path / "good.db"
    LocalState(good).close()
    conn = sqlite3.connect(good)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(good.read_bytes())
    data[100:] = bytes((i * 7 + 3) % 256 for i in range(len(data) - 100))  # keep the header, garble the rest
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(BadInput) as err:
        LocalState(path)
    assert str(path) in err.value.message
    assert path.read_bytes() == before


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(BadInput, match="not a gcpkit state file"):
        LocalState(path)
    assert path.read_bytes() == before


# ----------------------------------------------------------------- deployments and resources

def test_deployment_round_trip_keeps_created_at(db):
    saved = db.save_deployment(Deployment("web", "proj-1", "lamp", {"size": "small", "n": 2},
                                          {"region": "europe-west1"}, {"ip": "10.0.0.2"}))
    got = db.get_deployment("web")
    assert got == saved
    assert got.params == {"size": "small", "n": 2} and got.env == {"region": "europe-west1"}
    assert got.created_at and got.updated_at
    again = db.save_deployment(Deployment("web", "proj-1", "lamp", outputs={"ip": "10.0.0.3"},
                                          created_at="", updated_at=""))
    assert again.created_at == saved.created_at
    assert db.get_deployment("web").outputs == {"ip": "10.0.0.3"}
    db.save_deployment(Deployment("api", "proj-1", "gke"))
    assert [d.name for d in db.list_deployments()] == ["api", "web"]
    assert db.get_deployment("nope") is None


def test_resources_round_trip_and_delete_deployment_cascades(db):
    db.save_deployment(Deployment("web", "p", "lamp"))
    rec = ResourceRecord("web", "vm", "compute.v1.instance", "https://x/vm",
                         {"template": {"zone": "z"}, "resolved": {"zone": "z"}}, {"status": "RUNNING"}, "ready")
    db.put_resource(rec)
    db.put_resource(ResourceRecord("web", "net", "compute.v1.network"))
    db.put_resource(ResourceRecord("other", "net", "compute.v1.network"))
    got = db.get_resource("web", "vm")
    assert (got.type, got.self_link, got.properties, got.live, got.status) == (
        rec.type, rec.self_link, rec.properties, rec.live, rec.status)
    assert [r.name for r in db.resources("web")] == ["net", "vm"]
    db.put_resource(ResourceRecord("web", "vm", "compute.v1.instance", live={"status": "STOPPED"}))
    assert db.get_resource("web", "vm").live == {"status": "STOPPED"}
    db.remove_resource("web", "net")
    assert [r.name for r in db.resources("web")] == ["vm"]
    db.begin_intent("web", "vm", "create", "compute.v1.instance", {"request_id": "r1"})
    db.delete_deployment("web")
    assert db.get_deployment("web") is None
    assert db.resources("web") == [] and db.pending_intents("web") == []
    assert [r.name for r in db.resources("other")] == ["net"]


def test_data_survives_reopen_by_another_instance(tmp_path):
    path = tmp_path / "s.db"
    with LocalState(path) as a:
        a.save_deployment(Deployment("web", "p", "lamp", {"k": "v"}))
        a.put_resource(ResourceRecord("web", "vm", "t", properties={"a": [1, 2]}))
        with LocalState(path) as b:  # concurrent reader sees committed writes at once
            assert b.get_resource("web", "vm").properties == {"a": [1, 2]}
    with LocalState(path) as c:
        assert c.get_deployment("web").params == {"k": "v"}


# ----------------------------------------------------------------- journal

def test_intent_journal(db):
    i1 = db.begin_intent("web", "vm", "create", "compute.v1.instance", {"request_id": "abc"})
    i2 = db.begin_intent("web", "net", "delete", "compute.v1.network", {})
    i3 = db.begin_intent("web", "fw", "update", "compute.v1.firewall", {})
    assert [i.id for i in db.pending_intents("web")] == [i1, i2, i3]
    first = db.pending_intents("web")[0]
    assert (first.resource, first.action, first.type, first.payload, first.state) == (
        "vm", "create", "compute.v1.instance", {"request_id": "abc"}, "pending")
    db.finish_intent(i1)
    db.finish_intent(i2, "failed")
    assert [i.id for i in db.pending_intents("web")] == [i3]
    assert [i.state for i in db.intents("web")] == ["done", "failed", "pending"]
    assert db.pending_intents("other") == []
    with pytest.raises(ValueError):
        db.begin_intent("web", "vm", "explode", "t", {})
    with pytest.raises(ValueError):
        db.finish_intent(i3, "pending")


def test_intent_is_durable_before_the_call_it_precedes(tmp_path):
    """A process killed right after begin_intent leaves the intent pending for the next run."""
    path = tmp_path / "s.db"
    LocalState(path).close()
    proc = _python("""
        import os, signal, sys
        from gcpkit.state import LocalState
        s = LocalState(sys.argv[1])
        s.begin_intent("web", "vm", "create", "compute.v1.instance", {"request_id": "r-1"})
        os.kill(os.getpid(), signal.SIGKILL)
    """, str(path))
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with LocalState(path) as state:
        pending = state.pending_intents("web")
    assert [(i.resource, i.payload) for i in pending] == [("vm", {"request_id": "r-1"})]


def test_many_threads_write_through_one_instance(db):
    def work(n: int) -> None:
        for k in range(20):
            i = db.begin_intent("web", f"r{n}-{k}", "create", "t", {"n": n})
            db.put_resource(ResourceRecord("web", f"r{n}-{k}", "t", live={"k": k}))
            db.finish_intent(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(db.resources("web")) == 160
    assert db.pending_intents("web") == []
    assert len(db.intents("web")) == 160


# ----------------------------------------------------------------- locks

def test_lock_in_process_second_instance_fails_at_once(tmp_path):
    path = tmp_path / "s.db"
    with LocalState(path) as a, LocalState(path) as b:
        with a.lock("web", "gcpkit up"):
            with a.lock("web", "gcpkit up"):  # re-entrant within the holder
                pass
            with pytest.raises(LockedError) as err:
                with b.lock("web", "gcpkit destroy"):
                    pass
            assert err.value.exit_code == 3
            assert (f"deployment 'web' is locked by pid {os.getpid()} on host {socket.gethostname()} "
                    f"(gcpkit up, since ") in err.value.message
            assert err.value.hint
            with b.lock("api", "gcpkit up"):  # other deployments are independent
                pass
        with b.lock("web", "gcpkit destroy"):  # released on exit
            assert a.lock_holder("web").command == "gcpkit destroy"
        assert a.lock_holder("web") is None


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_lock_released_on_exception_and_keyboard_interrupt(db, exc):
    with pytest.raises(type(exc)):
        with db.lock("web", "gcpkit up"):
            raise exc
    assert db.lock_holder("web") is None
    with LocalState(db.path) as other, other.lock("web", "gcpkit up"):
        pass


HOLDER = """
    import sys
    from gcpkit.state import LocalState
    s = LocalState(sys.argv[1])
    with s.lock("web", "gcpkit up"):
        print("locked", flush=True)
        sys.stdin.readline()   # hold until told (or killed)
    print("released", flush=True)
"""

CONTENDER = """
    import sys
    from gcpkit.errors import LockedError
    from gcpkit.state import LocalState
    s = LocalState(sys.argv[1])
    try:
        with s.lock("web", "gcpkit destroy"):
            print("acquired", flush=True)
    except LockedError as e:
        print(e.message, file=sys.stderr)
        print("hint:", e.hint, file=sys.stderr)
        sys.exit(e.exit_code)
"""


def test_lock_contention_across_two_processes(tmp_path):
    path = tmp_path / "s.db"
    LocalState(path).close()
    holder = _python(HOLDER, str(path))
    try:
        assert holder.stdout.readline().strip() == "locked"
        contender = _python(CONTENDER, str(path))
        out, errtext = contender.communicate(timeout=60)
        assert contender.returncode == 3, errtext
        assert "acquired" not in out
        assert (f"deployment 'web' is locked by pid {holder.pid} on host {socket.gethostname()} "
                "(gcpkit up, since ") in errtext
        assert "stale" not in errtext
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert holder.wait(timeout=60) == 0
        again = _python(CONTENDER, str(path))
        out, errtext = again.communicate(timeout=60)
        assert again.returncode == 0, errtext
        assert out.strip() == "acquired"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_stale_lock_after_sigkill_is_reported_and_broken_explicitly(tmp_path):
    path = tmp_path / "s.db"
    LocalState(path).close()
    holder = _python(HOLDER, str(path))
    try:
        assert holder.stdout.readline().strip() == "locked"
    finally:
        holder.kill()  # SIGKILL: no cleanup runs
        holder.wait()
    with LocalState(path) as state:
        with pytest.raises(LockedError) as err:
            with state.lock("web", "gcpkit up"):
                pass
        assert f"locked by pid {holder.pid} on host {socket.gethostname()}" in err.value.message
        assert "stale" in err.value.message
        assert "break_lock('web')" in err.value.hint
        assert state.lock_holder("web").stale
        assert state.break_lock("web") is True
        assert state.break_lock("web") is False
        with state.lock("web", "gcpkit up"):
            assert state.lock_holder("web").pid == os.getpid()


def test_lock_hint_names_the_cli_command_when_configured(tmp_path, monkeypatch):
    monkeypatch.setattr(LocalState, "break_lock_command", "`gcpkit unlock {deployment}`")
    with LocalState(tmp_path / "s.db") as a, LocalState(tmp_path / "s.db") as b, a.lock("web", "gcpkit up"):
        with pytest.raises(LockedError) as err, b.lock("web", "gcpkit up"):
            pass
    assert "`gcpkit unlock web`" in err.value.hint and "break_lock" not in err.value.hint
