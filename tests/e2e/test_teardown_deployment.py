"""destroy deployment, hardened: recorded + journalled + labelled resources, reverse order, look-alikes kept,
`in use` by an outsider named (not retried forever), --dry-run deletes nothing; after a killed `up` too."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import start_emulator
from teardown_helpers import REGION, census, lookalikes, make_firewall, make_instance, names
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

SMALL = str(Path(__file__).parent / "patterns" / "small")
# Every landed pattern that deploys without a pre-existing resource: (pattern, extra args).
PATTERNS = {
    "gce-custom": ["--set", "vm_count=2", "--set", "extra_disk_size_gb=10"],
    SMALL: ["--set", "vms=3"],
}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _up(runner, pattern: str, deployment: str, project: str, extra: list[str]):
    return runner.invoke(app, ["up", pattern, "--deployment", deployment, "--emulator", "--project", project,
                               "--yes", *extra])


@pytest.mark.parametrize("pattern", list(PATTERNS), ids=["gce-custom", "small"])
def test_destroy_removes_all_labelled_and_keeps_lookalikes(cli, pattern):
    runner, emu = cli
    project, dep = "td-deploy", "web"
    result = _up(runner, pattern, dep, project, PATTERNS[pattern])
    assert result.exit_code == 0, result.output
    kept = lookalikes(emu, project, dep)
    # a resource a crashed run made but never recorded (and whose journal is gone): found by its labels
    make_instance(emu, project, f"{dep}-vm-stray", labels={"managed-by": "gcpkit", "gcpkit-deployment": dep})
    make_firewall(emu, project, f"{dep}-fw-stray", f"stray [managed-by=gcpkit gcpkit-deployment={dep}]")
    before = census(emu, project, dep)
    assert f"compute.v1.instance:{dep}-vm-stray" in before and f"compute.v1.firewall:{dep}-fw-stray" in before

    mark = emu.mark()
    dry = runner.invoke(app, ["destroy", "deployment", dep, "--emulator", "--dry-run", "-o", "json"])
    assert dry.exit_code == 0, dry.output
    assert [c for c in emu.since(mark) if c["method"] in MUTATING] == []
    plan = json.loads(dry.stdout)
    assert plan["dry_run"] is True
    planned = {r["resource"]: r for r in plan["plan"]}
    assert planned[f"{dep}-vm-stray"]["found_by"] == "labels"
    assert not set(kept) & set(planned), "a look-alike is in the plan"
    order = [r["resource"] for r in plan["plan"]]
    assert order.index(f"{dep}-vm-stray") < order.index(f"{dep}-subnet") < order.index(f"{dep}-net")
    assert census(emu, project, dep) == before

    result = runner.invoke(app, ["destroy", "deployment", dep, "--emulator", "--yes"])
    assert result.exit_code == 0, result.output
    assert census(emu, project, dep) == []
    assert set(kept) <= names(emu, project)
    status = runner.invoke(app, ["status", "-o", "json"])
    assert dep not in status.stdout


def test_in_use_by_outsider_stops_the_branch_and_names_it(cli):
    runner, emu = cli
    project, dep = "td-inuse", "small"
    assert _up(runner, SMALL, dep, project, ["--set", "vms=1"]).exit_code == 0
    subnet = f"projects/{project}/regions/{REGION}/subnetworks/{dep}-subnet"
    make_instance(emu, project, "outsider-vm", subnetwork=subnet)  # not gcpkit's, uses the deployment's subnet
    started = time.monotonic()
    result = runner.invoke(app, ["destroy", "deployment", dep, "--emulator", "--yes"])
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 30
    assert "outsider-vm" in result.output and "not part of deployment" in result.output, result.output
    left = census(emu, project, dep)
    assert left == [f"compute.v1.network:{dep}-net", f"compute.v1.subnetwork:{dep}-subnet"]
    assert "outsider-vm" in names(emu, project)


def test_recorded_name_taken_over_by_someone_else_is_left_alone(cli):
    from e2e_helpers import compute_client

    runner, emu = cli
    project, dep = "td-takeover", "small"
    assert _up(runner, SMALL, dep, project, ["--set", "vms=1"]).exit_code == 0
    firewalls = compute_client(emu, "FirewallsClient")
    firewalls.delete_unary(project=project, firewall=f"{dep}-fw")
    time.sleep(0.2)
    make_firewall(emu, project, f"{dep}-fw", "someone else's rule now")
    result = runner.invoke(app, ["destroy", "deployment", dep, "--emulator", "--yes"])
    assert result.exit_code == 1, result.output
    assert f"{dep}-fw" in result.output and "left alone" in result.output
    assert f"{dep}-fw" in names(emu, project)


def _start_up(tmp_path: Path, url: str, args: list[str]) -> subprocess.Popen:
    env = {**os.environ, EMULATOR_HOST_ENV: url}
    return subprocess.Popen([sys.executable, "-m", "gcpkit", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def _inserts(emu) -> int:
    return len([c for c in emu.requests() if c["method"] == "POST" and c["status"] == 200
                and "/operations/" not in c["path"] and not c["path"].endswith("/wait")])


def _wait_for_inserts(emu, proc: subprocess.Popen, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _inserts(emu) >= count or proc.poll() is not None:
            return
        time.sleep(0.003)
    raise AssertionError("the inserts never came")


@pytest.mark.parametrize("pattern", list(PATTERNS), ids=["gce-custom", "small"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_destroy_after_up_killed_at_a_random_point(tmp_path, monkeypatch, pattern, seed):
    rng = random.Random(f"{pattern}-{seed}")
    emu = start_emulator(tmp_path, time_scale=0.02)
    project, dep = "td-killed", "web"
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        kept = lookalikes(emu, project, dep)
        args = ["up", pattern, "--deployment", dep, "--emulator", "--project", project, "--yes", *PATTERNS[pattern]]
        base = _inserts(emu)
        proc = _start_up(tmp_path, emu.url, args)
        _wait_for_inserts(emu, proc, base + rng.randint(1, 6))
        time.sleep(rng.uniform(0.0, 0.15))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL, "the up finished before it could be killed"
        result = CliRunner().invoke(app, ["destroy", "deployment", dep, "--emulator", "--project", project, "--yes",
                                          "--break-lock"])
        assert result.exit_code == 0, result.output
        assert census(emu, project, dep) == []
        assert set(kept) <= names(emu, project)
    finally:
        emu.server.stop()
