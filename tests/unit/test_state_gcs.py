"""GcsState against the bundled emulator's Cloud Storage: the same API and answers as LocalState, the
lock (one holder, stale rule, explicit breaking), corrupt objects refused, lost races retried, and races
between real processes (each test prints its figure)."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gcpkit.errors import BadInput, LockedError
from gcpkit.state.gcs import GcsState
from gcpkit.state.local import Deployment, LocalState, ResourceRecord

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "gcpkit-team-state"
URL = f"gs://{BUCKET}/team"


@pytest.fixture
def figure(record_property, capsys):
    """Print a suite's figure past pytest's capture, and attach it to the report as the user property
    "figure" (reports travel from xdist workers, so a terminal-summary hook can list them)."""

    def show(line: str) -> None:
        record_property("figure", line)
        with capsys.disabled():
            print("\n" + line)

    return show


def _client(url: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="p", credentials=AnonymousCredentials(), client_options={"api_endpoint": url})


@pytest.fixture
def gcs(emulator, request):
    """(make_state, storage client, bucket, url): a fresh bucket per test in the session's (strict) emulator."""
    client = _client(emulator.url)
    name = f"{BUCKET}-{abs(hash(request.node.name)) % 10**8}"
    bucket = client.create_bucket(name)
    url = f"gs://{name}/team"
    made: list[GcsState] = []

    def make(**kw) -> GcsState:
        state = GcsState(url, client_factory=lambda: _client(emulator.url), **kw)
        made.append(state)
        return state

    yield make, client, bucket, url
    for state in made:
        state.close()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ----------------------------------------------------------------- the same answers as LocalState

def _script(state) -> list:
    """The engine's use of a state store, recorded with volatile values (times, ids) normalised."""
    out = []
    out.append(state.get_deployment("web"))
    saved = state.save_deployment(Deployment("web", "p1", "gce-custom", {"vm_count": 2}, {"zone": "z"}))
    first_created = saved.created_at
    state.save_deployment(Deployment("web", "p1", "gce-custom", {"vm_count": 3}, {"zone": "z"}, {"url": "u"},
                                     created_at=None, updated_at=None))
    state.save_deployment(Deployment("db", "p1", "cloudsql", {}))
    again = state.get_deployment("web")
    assert again.created_at == first_created
    out.append(dataclasses.replace(again, created_at="", updated_at=""))
    out.append([d.name for d in state.list_deployments()])
    for name in ("vm-2", "net", "vm-1"):
        state.put_resource(ResourceRecord("web", name, "compute.v1.instance", f"link/{name}",
                                          {"resolved": {"n": name}}, {"status": "RUNNING"}, "ok"))
    state.put_resource(ResourceRecord("web", "net", "compute.v1.network", "link/net2", {}, {}, ""))
    out.append([dataclasses.replace(r, updated_at="") for r in state.resources("web")])
    out.append(dataclasses.replace(state.get_resource("web", "net"), updated_at=""))
    out.append(state.get_resource("web", "nope"))
    state.remove_resource("web", "vm-2")
    state.remove_resource("web", "never-there")
    out.append([r.name for r in state.resources("web")])
    a = state.begin_intent("web", "vm-1", "create", "compute.v1.instance", {"request_id": "r1"})
    b = state.begin_intent("web", "vm-3", "delete", "compute.v1.instance")
    c = state.begin_intent("db", "sql", "create", "sqladmin.v1beta4.instance", {"scope": {"region": "r"}})
    assert a < b
    state.finish_intent(a)
    state.finish_intent(c, "failed")
    norm = lambda items: [(i.deployment, i.resource, i.action, i.type, i.payload, i.state) for i in items]  # noqa: E731
    out.append(norm(state.pending_intents("web")))
    out.append(norm(state.intents("web")))
    out.append(norm(state.intents("db")))
    for bad in (lambda: state.begin_intent("web", "x", "explode", "t"), lambda: state.finish_intent(a, "maybe"),
                lambda: state.finish_intent(123456789, "done")):
        with pytest.raises(ValueError) as err:
            bad()
        out.append(str(err.value).split(";")[0].replace("123456789", "N"))
    state.delete_deployment("web")
    out.append((state.get_deployment("web"), state.resources("web"), state.intents("web")))
    out.append([d.name for d in state.list_deployments()])
    return out


def test_same_answers_as_local_state(gcs, tmp_path):
    make, client, bucket, url = gcs
    with LocalState(tmp_path / "state.db") as local:
        expected = _script(local)
    got = _script(make())
    assert got == expected
    names = sorted(b.name for b in client.list_blobs(bucket))
    assert names == ["team/deployments/db.json"]  # web's object went with its deployment; no lock left


def test_object_layout_is_readable_json(gcs):
    make, client, bucket, url = gcs
    state = make()
    state.save_deployment(Deployment("web", "p1", "gce-custom"))
    state.put_resource(ResourceRecord("web", "vm", "compute.v1.instance"))
    doc = json.loads(bucket.blob("team/deployments/web.json").download_as_bytes())
    assert doc["kind"] == "gcpkit#deploymentState" and doc["schema_version"] == 1 and doc["deployment"] == "web"
    assert doc["record"]["pattern"] == "gce-custom" and list(doc["resources"]) == ["vm"] and doc["journal"] == []


def test_a_second_instance_sees_every_write_at_once(gcs):
    make, *_ = gcs
    a, b = make(), make()
    a.save_deployment(Deployment("web", "p", "gce-custom"))
    assert b.get_deployment("web").project == "p"
    b.put_resource(ResourceRecord("web", "vm", "t"))
    a.put_resource(ResourceRecord("web", "net", "t"))  # a's cached generation is old: 412, re-read, re-apply
    assert [r.name for r in b.resources("web")] == ["net", "vm"]
    assert a.conflicts == 1


def test_pending_intent_from_an_earlier_run_is_finished_by_id(gcs):
    make, *_ = gcs
    intent = make().begin_intent("web", "vm", "create", "t", {"request_id": "r"})
    later = make()  # a new process: it knows the id only from pending_intents, or not at all
    later.finish_intent(intent, "done")
    assert later.pending_intents("web") == []


# ----------------------------------------------------------------- refusing what it cannot read

@pytest.mark.parametrize("content", [b"{not json", b'{"kind": "something-else"}', b"[]",
                                     b'{"kind": "gcpkit#deploymentState", "schema_version": 1, '
                                     b'"deployment": "web", "record": null, "resources": [], "journal": []}',
                                     b'{"kind": "gcpkit#deploymentState", "schema_version": 1, '
                                     b'"deployment": "web", "record": {"name": "web", "bogus": 1}, '
                                     b'"resources": {}, "journal": []}'])
def test_corrupt_state_object_is_refused_and_never_overwritten(gcs, content):
    make, client, bucket, url = gcs
    blob = bucket.blob("team/deployments/web.json")
    blob.upload_from_string(content)
    generation = blob.generation
    state = make()
    for call in (lambda: state.get_deployment("web"), lambda: state.list_deployments(),
                 lambda: state.put_resource(ResourceRecord("web", "vm", "t")),
                 lambda: state.save_deployment(Deployment("web", "p", "x")),
                 lambda: state.delete_deployment("web")):
        with pytest.raises(BadInput) as err:
            call()
        assert f"gs://{bucket.name}/team/deployments/web.json" in err.value.message
        assert "untouched" in err.value.hint
    again = bucket.get_blob("team/deployments/web.json")
    assert again.generation == generation and again.download_as_bytes() == content


def test_state_from_a_newer_gcpkit_is_refused(gcs):
    make, client, bucket, url = gcs
    bucket.blob("team/deployments/web.json").upload_from_string(json.dumps(
        {"kind": "gcpkit#deploymentState", "schema_version": 99, "deployment": "web"}))
    with pytest.raises(BadInput, match="newer gcpkit"):
        make().resources("web")


def test_missing_bucket_is_a_clear_error_naming_it(emulator):
    state = GcsState("gs://no-such-team-bucket/x", client_factory=lambda: _client(emulator.url))
    with pytest.raises(BadInput) as err:
        state.list_deployments()
    assert "bucket 'no-such-team-bucket' does not exist" in err.value.message
    assert "gcloud storage buckets create gs://no-such-team-bucket" in err.value.hint


@pytest.mark.parametrize("url", ["gs://", "gs://A_B/x", "gs://b/a//c", "gs://bucket/../x"])
def test_malformed_urls_are_bad_input(url):
    with pytest.raises(BadInput):
        GcsState(url, client_factory=lambda: None)


def test_a_deployment_name_that_is_not_a_safe_object_name_is_refused(gcs):
    make, *_ = gcs
    with pytest.raises(BadInput):
        make().get_deployment("../locks/x")


# ----------------------------------------------------------------- the lock

def test_lock_is_exclusive_reentrant_and_released(gcs):
    make, client, bucket, url = gcs
    a, b = make(), make()
    a.break_lock_command = "`--break-lock` on the same command"
    with a.lock("web", "gcpkit up") as info:
        assert (info.pid, info.host, info.command) == (os.getpid(), socket.gethostname(), "gcpkit up")
        with a.lock("web", "gcpkit up"):  # re-entrant within one instance
            pass
        with pytest.raises(LockedError) as err:
            with b.lock("web", "gcpkit destroy"):
                pass
        assert err.value.exit_code == 3
        assert f"pid {os.getpid()} on host {socket.gethostname()} (gcpkit up" in err.value.message
        assert f"gs://{bucket.name}/team/locks/web.json" in err.value.message
        assert not b.lock_holder("web").stale
        body = json.loads(bucket.blob("team/locks/web.json").download_as_bytes())
        assert {"pid", "host", "command", "since"} <= set(body)
        with b.lock("other", "gcpkit up"):  # other deployments are not blocked
            pass
    assert b.lock_holder("web") is None
    with pytest.raises(RuntimeError):
        with b.lock("web", "gcpkit destroy"):
            raise RuntimeError("boom")
    assert a.lock_holder("web") is None  # released on exceptions too


def _plant_lock(bucket, deployment: str, **body) -> None:
    payload = {"kind": "gcpkit#lock", "deployment": deployment, "command": "gcpkit up", "since": "then",
               "token": "theirs", **body}
    bucket.blob(f"team/locks/{deployment}.json").upload_from_string(json.dumps(payload), if_generation_match=0)


def test_stale_rule_same_host_dead_pid(gcs):
    make, client, bucket, url = gcs
    _plant_lock(bucket, "web", pid=_dead_pid(), host=socket.gethostname())
    state = make()
    holder = state.lock_holder("web")
    assert holder.stale and "no longer running" in holder.stale_reason
    with pytest.raises(LockedError, match="stale lock"):
        with state.lock("web", "gcpkit up"):
            pass


def test_stale_rule_lock_timeout_for_other_hosts_and_heartbeat_keeps_a_live_lock_fresh(gcs):
    make, client, bucket, url = gcs
    _plant_lock(bucket, "web", pid=1, host="ci-runner-7")  # another machine: its pid cannot be checked
    assert not make(lock_timeout=600).lock_holder("web").stale
    time.sleep(1.2)
    old = make(lock_timeout=1).lock_holder("web")
    assert old.stale and "not been renewed" in old.stale_reason

    holder = make(lock_timeout=3, heartbeat=0.2)
    with holder.lock("db", "gcpkit up"):
        time.sleep(4)  # longer than the timeout: only the heartbeat keeps it fresh
        seen = make(lock_timeout=3).lock_holder("db")
        assert seen is not None and seen.pid == os.getpid() and not seen.stale, seen
    assert make().lock_holder("db") is None


def test_same_hostname_on_another_machine_is_left_to_the_timeout(gcs):
    make, client, bucket, url = gcs
    _plant_lock(bucket, "web", pid=_dead_pid(), host=socket.gethostname(), boot_id="another-machine")
    holder = make(lock_timeout=600).lock_holder("web")
    assert holder.boot_id == "another-machine"
    from gcpkit.state.gcs import _boot_id

    assert holder.stale is (not _boot_id())  # with a boot id here, a different one means another machine


def test_break_stale_lock_through_the_session_flow(gcs):
    from gcpkit.session import lock_deployment

    make, client, bucket, url = gcs
    _plant_lock(bucket, "web", pid=_dead_pid(), host=socket.gethostname())
    state = make()
    with lock_deployment(state, "web", "gcpkit up", break_stale=True) as info:
        assert info.pid == os.getpid()
    _plant_lock(bucket, "web", pid=os.getpid(), host=socket.gethostname())  # alive: never broken
    with pytest.raises(LockedError):
        with lock_deployment(state, "web", "gcpkit up", break_stale=True):
            pass


def test_break_lock_removes_only_the_lock_it_saw(gcs):
    make, client, bucket, url = gcs
    _plant_lock(bucket, "web", pid=_dead_pid(), host=socket.gethostname())
    breaker = make()
    assert breaker.lock_holder("web").stale
    # meanwhile someone else breaks it and takes the lock
    other = make()
    assert other.break_lock("web") is True
    with other.lock("web", "gcpkit up"):
        assert breaker.break_lock("web") is False  # it saw the dead holder's lock, not this one
        assert breaker.lock_holder("web").pid == os.getpid()
    assert make().break_lock("web") is False  # nothing left


def test_holder_whose_lock_was_broken_does_not_delete_the_next_holders_lock(gcs):
    make, *_ = gcs
    first, second = make(heartbeat=0.1), make()
    with first.lock("web", "gcpkit up"):
        assert second.break_lock("web")
        with second.lock("web", "gcpkit up"):
            time.sleep(0.3)  # first's heartbeat notices the lock is no longer its own
            assert first.renew("web") is False
    # first released at the end of its block without touching second's lock; second released its own
    assert make().lock_holder("web") is None


def test_unreadable_lock_object_still_counts_as_held(gcs):
    make, client, bucket, url = gcs
    bucket.blob("team/locks/web.json").upload_from_string(b"\x00garbage")
    with pytest.raises(LockedError, match="unreadable lock object"):
        with make().lock("web", "gcpkit up"):
            pass


# ----------------------------------------------------------------- lost races, threads and processes

def test_threads_of_two_instances_never_lose_an_update(gcs, figure):
    make, *_ = gcs
    states = [make(), make()]
    n_threads, per_thread = 8, 15

    def work(t: int) -> None:
        state = states[t % 2]
        for k in range(per_thread):
            state.put_resource(ResourceRecord("web", f"r-{t}-{k}", "t", properties={"k": k}))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = len(make().resources("web"))
    conflicts = sum(s.conflicts for s in states)
    figure(f"state writes (threads, 2 instances): {kept}/{n_threads * per_thread} kept, "
          f"{conflicts} lost races retried")
    assert kept == n_threads * per_thread


WORKER = r'''
import json, os, sys
from gcpkit.errors import LockedError
from gcpkit.state.gcs import GcsState
from gcpkit.state.local import ResourceRecord

endpoint, url = sys.argv[1], sys.argv[2]

def client():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    return storage.Client(project="p", credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint})

state = GcsState(url, client_factory=client)
held = None
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "lock":
        try:
            held = state.lock(cmd[1], "gcpkit up")
            held.__enter__()
            print("won", os.getpid(), flush=True)
        except LockedError as exc:
            held = None
            print("lost", json.dumps(exc.message), flush=True)
    elif cmd[0] == "release":
        held.__exit__(None, None, None)
        held = None
        print("released", flush=True)
    elif cmd[0] == "write":
        count, tag = int(cmd[1]), cmd[2]
        for k in range(count):
            intent = state.begin_intent("shared", f"{tag}-{k}", "create", "t", {"k": k})
            state.put_resource(ResourceRecord("shared", f"{tag}-{k}", "t", properties={"k": k}))
            state.finish_intent(intent, "done")
        print("wrote", state.conflicts, flush=True)
    elif cmd[0] == "quit":
        break
'''


class _Workers:
    def __init__(self, tmp_path: Path, endpoint: str, url: str, n: int):
        script = tmp_path / "gcs_state_worker.py"
        script.write_text(WORKER)
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.procs = [subprocess.Popen([sys.executable, str(script), endpoint, url], env=env, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(n)]
        assert [p.stdout.readline().strip() for p in self.procs] == ["ready"] * n

    def send_all(self, line: str) -> list[str]:
        for p in self.procs:  # all at once, then collect: the requests really race
            p.stdin.write(line + "\n")
            p.stdin.flush()
        return [p.stdout.readline().strip() for p in self.procs]

    def send(self, i: int, line: str) -> str:
        self.procs[i].stdin.write(line + "\n")
        self.procs[i].stdin.flush()
        return self.procs[i].stdout.readline().strip()

    def close(self) -> None:
        for p in self.procs:
            try:
                p.stdin.write("quit\n")
                p.stdin.close()
                p.wait(timeout=10)
            except Exception:  # noqa: BLE001
                p.kill()


def test_lock_races_between_processes_exactly_one_wins(gcs, emulator, tmp_path, figure):
    make, client, bucket, url = gcs
    rounds, n = 20, 5
    workers = _Workers(tmp_path, emulator.url, url, n)
    clean = 0
    try:
        for r in range(rounds):
            answers = workers.send_all(f"lock race-{r % 3}")
            winners = [i for i, a in enumerate(answers) if a.startswith("won")]
            if len(winners) == 1:
                pid = answers[winners[0]].split()[1]
                losers = [json.loads(a.split(" ", 1)[1]) for a in answers if a.startswith("lost")]
                if len(losers) == n - 1 and all(f"locked by pid {pid} " in m for m in losers):
                    clean += 1
            for i in winners:
                assert workers.send(i, "release") == "released"
    finally:
        workers.close()
    figure(f"state lock races: {clean}/{rounds} clean ({n} processes each)")
    assert clean == rounds
    assert all(make().lock_holder(f"race-{k}") is None for k in range(3))


def test_concurrent_writes_from_processes_never_lose_an_update(gcs, emulator, tmp_path):
    make, *_ = gcs
    n, per = 4, 15
    workers = _Workers(tmp_path, emulator.url, gcs[3], n)
    try:
        answers = workers.send_all(f"write {per} same")  # every worker writes the same resource names
    finally:
        workers.close()
    assert all(a.startswith("wrote") for a in answers)
    state = make()
    # the same names from every worker: one record each, and every worker's intents all kept and finished
    assert len(state.resources("shared")) == per
    assert len(state.intents("shared")) == n * per and state.pending_intents("shared") == []


def test_concurrent_distinct_writes_from_processes_all_land(gcs, emulator, tmp_path, figure):
    make, *_ = gcs
    n, per = 4, 15
    workers = _Workers(tmp_path, emulator.url, gcs[3], n)
    try:
        for i, p in enumerate(workers.procs):
            p.stdin.write(f"write {per} w{i}\n")
            p.stdin.flush()
        answers = [p.stdout.readline().strip() for p in workers.procs]
    finally:
        workers.close()
    conflicts = sum(int(a.split()[1]) for a in answers)
    state = make()
    kept = len(state.resources("shared"))
    intents = state.intents("shared")
    figure(f"state writes (processes): {kept}/{n * per} resources and "
          f"{sum(i.state == 'done' for i in intents)}/{n * per} intents kept, {conflicts} lost races retried")
    assert kept == n * per
    assert len(intents) == n * per and all(i.state == "done" for i in intents)
    assert len({i.id for i in intents}) == n * per


# ----------------------------------------------------------------- where the state lives

def test_state_location_precedence_and_config_file(tmp_path, monkeypatch):
    from gcpkit.session import open_state
    from gcpkit.state.location import configured_state, lock_timeout

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GCPKIT_STATE_LOCK_TIMEOUT", raising=False)
    assert configured_state(None) is None and lock_timeout() == 600
    (tmp_path / ".gcpkit").mkdir()
    config = tmp_path / ".gcpkit" / "config.yaml"
    config.write_text("state: gs://team-bucket/prod\nstate_lock_timeout: 120\n")
    assert configured_state(None) == "gs://team-bucket/prod"
    assert configured_state("other.db") == "other.db"  # --state wins
    assert lock_timeout() == 120
    monkeypatch.setenv("GCPKIT_STATE_LOCK_TIMEOUT", "30")
    assert lock_timeout() == 30
    state = open_state(None)  # no call is made until the state is used
    assert isinstance(state, GcsState) and state.url == "gs://team-bucket/prod" and state.lock_timeout == 30
    assert isinstance(open_state(str(tmp_path / "local.db")), LocalState)
    for text, match in (("state: [1, 2\n", "not valid YAML"), ("- a list\n", "expected a mapping"),
                        ("state: 7\n", "must be a path")):
        config.write_text(text)
        with pytest.raises(BadInput, match=match):
            configured_state(None)
    monkeypatch.setenv("GCPKIT_STATE_LOCK_TIMEOUT", "soon")
    with pytest.raises(BadInput, match="GCPKIT_STATE_LOCK_TIMEOUT"):
        lock_timeout()


def test_gcs_imports_stay_lazy():
    code = ("import sys; import gcpkit.session, gcpkit.state.gcs, gcpkit.state.location; "
            "s = gcpkit.session.open_state('gs://b-k-t/p'); "
            "print(any(m.startswith('google.cloud.storage') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
