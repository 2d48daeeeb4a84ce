"""A killed or interrupted `gcpkit up` (a real subprocess) is resumed by the next `up` with no duplicate
and no orphan: every resource carrying the deployment's label is in the state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import compute_client, start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

SMALL = str(Path(__file__).parent / "patterns" / "small")
ARGS = ["up", SMALL, "--deployment", "small", "--set", "vms=3", "--emulator", "--project", "resume", "--yes"]


def _start_up(tmp_path: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, EMULATOR_HOST_ENV: url}
    return subprocess.Popen([sys.executable, "-m", "gcpkit", *ARGS], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_request(emu, predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(predicate(c) for c in emu.requests()):
            return
        time.sleep(0.005)
    raise AssertionError("the request never came")


def _instance_insert(call: dict) -> bool:
    return call["method"] == "POST" and call["path"].endswith("/instances")


def _converged(emu, tmp_path: Path) -> None:
    from gcpkit.state.local import LocalState

    instances = compute_client(emu, "InstancesClient")
    labelled = [i.name for i in instances.list(request={"project": "resume", "zone": "us-central1-a",
                                                        "filter": "labels.gcpkit-deployment = small"})]
    assert sorted(labelled) == ["small-vm-0", "small-vm-1", "small-vm-2"]
    recorded = {r.name for r in LocalState(tmp_path / ".gcpkit" / "state.db").resources("small")}
    assert set(labelled) <= recorded
    assert recorded == {"small-net", "small-subnet", "small-fw", *labelled}


@pytest.mark.parametrize("kill_after", [0.0, 0.05, 0.2])
def test_sigkill_between_create_and_record_then_resume(tmp_path, monkeypatch, kill_after):
    emu = start_emulator(tmp_path, time_scale=0.02)
    try:
        proc = _start_up(tmp_path, emu.url)
        _wait_for_request(emu, _instance_insert)
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        locked = CliRunner().invoke(app, ARGS)  # the killed run's lock is stale: reported, not broken
        assert locked.exit_code == 3, locked.output
        assert "stale lock" in locked.output and "--break-lock" in locked.output
        result = CliRunner().invoke(app, [*ARGS, "--break-lock"])
        assert result.exit_code == 0, result.output
        assert "Broke the stale lock" in result.output
        _converged(emu, tmp_path)
    finally:
        emu.server.stop()


def test_sigint_saves_state_exits_130_and_resumes(tmp_path, monkeypatch):
    emu = start_emulator(tmp_path, time_scale=0.05)
    try:
        proc = _start_up(tmp_path, emu.url)
        _wait_for_request(emu, _instance_insert)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "run `gcpkit up" in err or "run the same command again" in err
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        result = CliRunner().invoke(app, ARGS)
        assert result.exit_code == 0, result.output
        _converged(emu, tmp_path)
    finally:
        emu.server.stop()
