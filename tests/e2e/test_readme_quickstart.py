"""The README's quickstart, as separate processes with the embedded emulator: each invocation starts its
own in-process emulator on the same data directory, so they all see the same emulated project."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def gcpkit(cwd, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GCPKIT_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT")}
    return subprocess.run([sys.executable, "-m", "gcpkit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_quickstart_up_status_destroy_in_separate_processes(tmp_path):
    up = gcpkit(tmp_path, "up", "gce-custom", "--emulator", "--project", "demo", "--yes")
    assert up.returncode == 0, up.stderr
    assert "Done." in up.stderr
    assert (tmp_path / ".gcpkit" / "emulator").is_dir()
    assert oct((tmp_path / ".gcpkit" / "state.db").stat().st_mode & 0o777) == "0o600"

    status = gcpkit(tmp_path, "status", "gce-custom", "--emulator", "-o", "json")
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["resources"]
    assert [r["resource"] for r in rows if not r["exists"]] == []
    assert {r["type"] for r in rows} == {"compute.v1.network", "compute.v1.subnetwork", "compute.v1.firewall",
                                         "compute.v1.instance"}

    down = gcpkit(tmp_path, "destroy", "deployment", "gce-custom", "--emulator", "--yes")
    assert down.returncode == 0, down.stderr
    after = gcpkit(tmp_path, "status", "-o", "json")
    assert json.loads(after.stdout) == []


def test_help_does_not_import_google_libraries():
    code = ("import sys; from gcpkit.cli.main import app; "
            "heavy = sorted(m for m in sys.modules if m.startswith(('google', 'googleapiclient', 'werkzeug'))); "
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    shown = subprocess.run([sys.executable, "-m", "gcpkit", "--help"], capture_output=True, text=True)
    assert shown.returncode == 0
    for command in ("up", "plan", "destroy", "status", "outputs", "patterns", "render", "emulator"):
        assert command in shown.stdout
