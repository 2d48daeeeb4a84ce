"""Team state in Cloud Storage, through the whole CLI against the emulator: `--state gs://BUCKET/PREFIX`
(or `state:` in .gcpkit/config.yaml) shared by two working directories, races of real `gcpkit up`
processes on the lock, stale locks broken explicitly, a missing bucket and a corrupt state object.

Every command reaches the emulator's Cloud Storage through --emulator; the tests also set
STORAGE_EMULATOR_HOST (google-cloud-storage's own variable), as a team using an emulator elsewhere
would, for the commands that take no --emulator."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "team-demo"
BUCKET = "team-state"
STATE = f"gs://{BUCKET}/team"
UP = ["up", "gce-custom", "--emulator", "--project", PROJECT, "--yes"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def figure(record_property, capsys):
    """Print a suite's figure past pytest's capture, and attach it to the report as the user property
    "figure" (reports travel from xdist workers, so a terminal-summary hook can list them)."""

    def show(line: str) -> None:
        record_property("figure", line)
        with capsys.disabled():
            print("\n" + line)

    return show


def _storage(url: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project=PROJECT, credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": url})


@contextlib.contextmanager
def _team(tmp_path, monkeypatch, **emulator_options):
    handle = start_emulator(tmp_path, **emulator_options)
    bucket = _storage(handle.url).create_bucket(BUCKET)
    monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", handle.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("GCPKIT_STATE_LOCK_TIMEOUT", raising=False)
    dir_a, dir_b = tmp_path / "alice", tmp_path / "ci"
    dir_a.mkdir()
    dir_b.mkdir()
    monkeypatch.chdir(dir_a)
    try:
        yield CliRunner(), handle, bucket, dir_a, dir_b
    finally:
        handle.server.stop()


@pytest.fixture
def team(tmp_path, monkeypatch):
    """(runner, emulator handle, bucket, dir_a, dir_b): one emulator and bucket, two working directories."""
    with _team(tmp_path, monkeypatch) as value:
        yield value


@pytest.fixture
def slow_team(tmp_path, monkeypatch):
    """As `team`, with slower operations: an `up` holds the lock for seconds, even on a busy machine."""
    with _team(tmp_path, monkeypatch, time_scale=0.05) as value:
        yield value


def _objects(bucket, prefix: str = "team/") -> list[str]:
    return sorted(b.name for b in bucket.client.list_blobs(bucket, prefix=prefix))


def test_state_round_trip_between_two_working_directories(team, monkeypatch):
    runner, emu, bucket, dir_a, dir_b = team
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")  # up and plan reach the state through --emulator alone
    result = runner.invoke(app, [*UP, "--state", STATE])
    assert result.exit_code == 0, result.output
    assert not (dir_a / ".gcpkit" / "state.db").exists()
    assert _objects(bucket) == ["team/deployments/gce-custom.json"]  # and no lock left behind

    monkeypatch.chdir(dir_b)
    planned = runner.invoke(app, ["plan", "gce-custom", "--emulator", "--project", PROJECT, "--state", STATE,
                                  "-o", "json"])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["changes"] is False  # ci sees what alice made: nothing to do

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.url)
    listed = runner.invoke(app, ["status", "--state", STATE, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["deployment"], r["project"]) for r in rows] == [("gce-custom", PROJECT)]
    assert rows[0]["resources"] > 0
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")  # --emulator alone reaches the emulator's storage too
    listed_again = runner.invoke(app, ["status", "--emulator", "--state", STATE, "-o", "json"])
    assert listed_again.exit_code == 0, listed_again.output
    assert json.loads(listed_again.stdout) == rows
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.url)

    live = runner.invoke(app, ["status", "gce-custom", "--emulator", "--state", STATE, "-o", "json"])
    assert live.exit_code == 0, live.output
    resources = json.loads(live.stdout)["resources"]
    assert len(resources) == rows[0]["resources"] and all(r["exists"] for r in resources)

    outputs = runner.invoke(app, ["outputs", "gce-custom", "--state", STATE, "-o", "json"])
    assert outputs.exit_code == 0, outputs.output
    assert json.loads(outputs.stdout)["vm-1-url"].startswith("http://")

    destroyed = runner.invoke(app, ["destroy", "deployment", "gce-custom", "--emulator", "--yes", "--state", STATE])
    assert destroyed.exit_code == 0, destroyed.output
    assert _objects(bucket) == []
    assert not (dir_b / ".gcpkit" / "state.db").exists()

    monkeypatch.chdir(dir_a)
    after = runner.invoke(app, ["status", "--state", STATE])
    assert after.exit_code == 0 and "No deployments." in after.output


def test_state_location_from_the_project_config_file(team, monkeypatch):
    runner, emu, bucket, dir_a, dir_b = team
    (dir_a / ".gcpkit").mkdir()
    (dir_a / ".gcpkit" / "config.yaml").write_text(f"state: gs://{BUCKET}/from-config\n")
    result = runner.invoke(app, UP)
    assert result.exit_code == 0, result.output
    assert _objects(bucket, "from-config/") == ["from-config/deployments/gce-custom.json"]
    assert not (dir_a / ".gcpkit" / "state.db").exists()
    listed = runner.invoke(app, ["status", "-o", "json"])
    assert [r["deployment"] for r in json.loads(listed.stdout)] == ["gce-custom"]
    # --state still wins over the config file
    other = runner.invoke(app, ["status", "--state", f"gs://{BUCKET}/elsewhere", "-o", "json"])
    assert other.exit_code == 0 and json.loads(other.stdout) == []


def test_missing_bucket_is_named_and_nothing_else_is_called(team):
    runner, emu, bucket, dir_a, dir_b = team
    mark = emu.mark()
    result = runner.invoke(app, [*UP, "--state", "gs://no-such-team-bucket/team"])
    assert result.exit_code == 2, result.output
    assert "bucket 'no-such-team-bucket' does not exist" in result.output
    assert [c["path"] for c in emu.since(mark) if "/compute/" in c["path"]] == []


def test_corrupt_state_object_is_refused_and_left_untouched(team):
    runner, emu, bucket, dir_a, dir_b = team
    blob = bucket.blob("team/deployments/gce-custom.json")
    blob.upload_from_string(b"{ this is not json")
    generation = blob.generation
    for args in ([*UP, "--state", STATE], ["status", "--state", STATE], ["outputs", "gce-custom", "--state", STATE]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"gs://{BUCKET}/team/deployments/gce-custom.json" in result.output.replace("\n", "")
    again = bucket.get_blob("team/deployments/gce-custom.json")
    assert again.generation == generation and again.download_as_bytes() == b"{ this is not json"
    assert _objects(bucket) == ["team/deployments/gce-custom.json"]  # the failed up left no lock either


def test_stale_lock_is_reported_then_broken_explicitly(team):
    runner, emu, bucket, dir_a, dir_b = team
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    body = {"kind": "gcpkit#lock", "deployment": "gce-custom", "pid": dead.pid, "host": socket.gethostname(),
            "command": "gcpkit up", "since": "2026-01-01T00:00:00Z", "token": "killed"}
    bucket.blob("team/locks/gce-custom.json").upload_from_string(json.dumps(body), if_generation_match=0)
    locked = runner.invoke(app, [*UP, "--state", STATE])
    assert locked.exit_code == 3, locked.output
    text = locked.output.replace("\n", " ")
    assert f"pid {dead.pid}" in text and "stale lock" in text and "--break-lock" in text
    broken = runner.invoke(app, [*UP, "--state", STATE, "--break-lock"])
    assert broken.exit_code == 0, broken.output
    assert f"Broke the stale lock of pid {dead.pid}" in broken.output
    assert _objects(bucket) == ["team/deployments/gce-custom.json"]


RACER = r'''
import contextlib, io, os, sys, time
# Everything `up` loads before it takes the lock is loaded before the start line, so that all racers
# reach the lock within milliseconds of each other (loading takes seconds, and varies, on a busy CI box).
import google.cloud.storage  # noqa: F401
from google.cloud import compute_v1  # noqa: F401
import gcpkit.cli.progress, gcpkit.clients, gcpkit.emulator.core.services, gcpkit.execution.apply  # noqa: F401
import gcpkit.session, gcpkit.state.gcs  # noqa: F401
from gcpkit.cli.main import app
from gcpkit.planning.build import prepare
prepare("gce-custom", deployment="warm-up", sets=[], values_file=None, project="warm-up", region=None, zone=None)
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    app(["up", "--help"])
go = sys.argv[1]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
sys.argv = ["gcpkit", *sys.argv[2:]]
app()
'''


def test_parallel_up_processes_race_for_the_lock(slow_team, tmp_path, figure):
    runner, emu, bucket, dir_a, dir_b = slow_team
    rounds, n = 2, 4
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    clean = 0
    for r in range(rounds):
        go = tmp_path / f"go-{r}"
        args = [*UP, "--deployment", f"race-{r}", "--state", STATE]  # a new deployment: the winner applies
        procs = [subprocess.Popen([sys.executable, str(script), str(go), *args], cwd=dir_a,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(n)]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        go.touch()  # all start at once
        results = [(p.pid, *p.communicate(timeout=240)) for p in procs]
        codes = [p.returncode for p in procs]
        winners = [pid for (pid, _, _), code in zip(results, codes) if code == 0]
        losers = [err.replace("\n", " ") for (_, _, err), code in zip(results, codes) if code == 3]
        if len(winners) == 1 and len(losers) == n - 1 and all(f"locked by pid {winners[0]} " in e for e in losers):
            clean += 1
        else:
            print(f"round {r}: exit codes {codes}")
            for pid, out, err in results:
                print(pid, err[-1500:])
    figure(f"cli state races: {clean}/{rounds} clean ({n} `gcpkit up` processes each: one applies, "
          f"the others exit 3 naming it)")
    assert clean == rounds
    assert _objects(bucket) == [f"team/deployments/race-{r}.json" for r in range(rounds)]  # no lock left
