"""gcpkit orphans: labelled resources no state claims (what a killed run left, what a lost state left), with
kind, age and an estimated monthly cost; --delete removes only those."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from e2e_helpers import start_emulator
from teardown_helpers import census, lookalikes, make_disk, make_instance, names
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

SMALL = str(Path(__file__).parent / "patterns" / "small")
PROJECT = "td-orphans"


def test_orphans_of_a_killed_run_and_a_lost_state(tmp_path, monkeypatch):
    emu = start_emulator(tmp_path, time_scale=0.02)
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv(EMULATOR_HOST_ENV, emu.url)
        # look-alikes: the unlabelled ones are never orphans; those labelled for deployment "smallx", which no
        # state knows, are (and --delete removes them)
        kept = {n for n in lookalikes(emu, PROJECT, "small") if not n.endswith("-other")}
        # another deployment whose state is intact: none of it is an orphan
        ok = CliRunner().invoke(app, ["up", SMALL, "--deployment", "keep", "--set", "vms=1", "--emulator",
                                      "--project", PROJECT, "--yes"])
        assert ok.exit_code == 0, ok.output
        # a deployment whose state was lost: labelled, unknown to the state
        ghost = {"managed-by": "gcpkit", "gcpkit-deployment": "ghost"}
        make_instance(emu, PROJECT, "ghost-vm", labels=ghost)
        make_disk(emu, PROJECT, "ghost-data", labels=ghost)
        # an up killed right after it asked for a VM: the VM exists, the state never recorded it
        env = {**os.environ, EMULATOR_HOST_ENV: emu.url}
        started = emu.mark()
        proc = subprocess.Popen([sys.executable, "-m", "gcpkit", "up", SMALL, "--deployment", "small", "--set",
                                 "vms=2", "--emulator", "--project", PROJECT, "--yes"], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not any(c["method"] == "POST" and c["path"].endswith("/instances") and c["status"] == 200
                      for c in emu.since(started)):
            assert time.monotonic() < deadline, "no instance insert"
            time.sleep(0.003)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        mark = emu.mark()
        listed = CliRunner().invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
        assert listed.exit_code == 0, listed.output
        assert [c for c in emu.since(mark) if c["method"] in ("POST", "DELETE", "PATCH", "PUT")] == []
        out = json.loads(listed.stdout)
        rows = {r["name"]: r for r in out["orphans"]}
        assert "ghost-vm" in rows and "ghost-data" in rows
        assert rows["ghost-vm"]["why"] == "deployment 'ghost' is not in the state"
        assert rows["ghost-vm"]["kind"] == "instance" and rows["ghost-vm"]["monthly_cost"] > 0
        assert rows["ghost-data"]["monthly_cost"] == 1.0  # 10 GB pd-balanced
        assert rows["ghost-vm"]["age_s"] is not None and rows["ghost-vm"]["age_s"] < 3600
        assert out["price_date"] and out["currency"] == "USD"
        killed = [r for r in out["orphans"] if r["deployment"] == "small"]
        assert killed and all("not recorded in deployment 'small'" in r["why"] for r in killed)
        assert not any(r["deployment"] == "keep" for r in out["orphans"])
        assert not set(kept) & set(rows)
        assert {"small-vm-other", "small-disk-other", "small-allow-other"} <= set(rows)
        assert rows["small-allow-other"]["why"] == "deployment 'smallx' is not in the state"
        assert "USD/month" in listed.stderr and out["price_date"] in listed.stderr

        deleted = CliRunner().invoke(app, ["orphans", "--emulator", "--project", PROJECT, "--delete", "--yes",
                                           "--break-lock", "-o", "json"])
        assert deleted.exit_code == 0, deleted.output
        assert set(json.loads(deleted.stdout)["deleted"]) == set(rows)
        assert census(emu, PROJECT, "ghost") == []
        left = names(emu, PROJECT)
        assert not set(rows) & left
        assert set(kept) <= left
        assert {"keep-net", "keep-subnet", "keep-fw", "keep-vm-0"} <= left
        again = CliRunner().invoke(app, ["orphans", "--emulator", "--project", PROJECT, "-o", "json"])
        assert json.loads(again.stdout)["orphans"] == []
    finally:
        emu.server.stop()


def test_orphans_bad_input(cli):
    runner, emu = cli
    result = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "--yes"])
    assert result.exit_code == 2 and "--yes only applies with --delete" in result.output
    result = runner.invoke(app, ["orphans", "--emulator", "--project", PROJECT, "--delete"])
    assert result.exit_code == 2 and "no terminal" in result.output
    result = runner.invoke(app, ["orphans", "--emulator"])
    assert result.exit_code == 2 and "no project given" in result.output
    assert emu.requests() == []
