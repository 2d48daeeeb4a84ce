"""`gcpkit emulator ...` as a user runs it: real processes, exact exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parents[2]
GCPKIT = [sys.executable, "-c", "from gcpkit.cli.main import run; run()"]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    return env


def _run(*args, cwd, timeout=60):
    return subprocess.run([*GCPKIT, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def _start(*args, cwd):
    proc = subprocess.Popen([*GCPKIT, "emulator", "start", *args], cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, line


def test_start_prints_one_ready_line_serves_and_stops_on_sigterm(tmp_path):
    proc, line = _start("--port", "0", "--log-requests", "req.jsonl", cwd=tmp_path)
    try:
        assert line.startswith("gcpkit emulator listening on http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        assert requests.get(f"{url}/_emulator/health").json()["status"] == "ok"
        requests.get(f"{url}/compute/v1/projects/p/nothing")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert proc.stdout.read() == ""  # nothing after the ready line
    assert (tmp_path / ".gcpkit" / "emulator" / "emulator.db").exists()  # default data dir in the cwd
    assert json.loads((tmp_path / "req.jsonl").read_text().splitlines()[0])["status"] == 404


def test_port_in_use_exits_2_with_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = _run("emulator", "start", "--in-memory", "--port", str(port), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: port {port} on 127.0.0.1 is already in use (choose another with --port, " \
                               "or 0 for a free one)"
    assert r.stdout == ""


@pytest.mark.parametrize("content, words", [("rules: [\n", "not valid YAML"),
                                             ("rules:\n  - method_id: x\n", "exactly one action")])
def test_malformed_faults_file_exits_2(tmp_path, content, words):
    faults = tmp_path / "faults.yaml"
    faults.write_text(content)
    r = _run("emulator", "start", "--in-memory", "--port", "0", "--faults", str(faults), cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "faults.yaml" in r.stderr and words in r.stderr


def test_unusable_data_dir_exits_2(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a directory")
    r = _run("emulator", "start", "--port", "0", "--data", "blocker", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error: data dir blocker")
    assert len(r.stderr.strip().splitlines()) == 1


def test_data_and_in_memory_together_exit_2(tmp_path):
    from gcpkit.cli.main import app

    r = CliRunner().invoke(app, ["emulator", "start", "--data", str(tmp_path), "--in-memory"])
    assert r.exit_code == 2
    assert "--data and --in-memory" in r.output


def test_endpoints_json_and_table():
    from gcpkit.cli.main import app
    from gcpkit.emulator.core.services import endpoints

    r = CliRunner().invoke(app, ["emulator", "endpoints", "--port", "9999", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == endpoints("http://127.0.0.1:9999")
    r = CliRunner().invoke(app, ["emulator", "endpoints", "--host", "127.0.0.2", "--port", "9999"])
    assert r.exit_code == 0
    assert r.output.splitlines()[0].split() == ["API", "ENDPOINT"]
    for key, value in endpoints("http://127.0.0.2:9999").items():
        assert f"{key}" in r.output and value in r.output


def test_reset_empties_saved_state(tmp_path):
    from gcpkit.cli.main import app
    from gcpkit.emulator.core.server import open_store

    store = open_store(tmp_path / "state")
    store.put("compute/networks", "projects/p/global/networks/n", {"name": "n"})
    store.close()
    r = CliRunner().invoke(app, ["emulator", "reset", "--data", str(tmp_path / "state")])
    assert r.exit_code == 0, r.output
    store = open_store(tmp_path / "state")
    assert store.list("compute/networks") == []
    store.close()
    r = CliRunner().invoke(app, ["emulator", "reset", "--data", str(tmp_path / "never")])
    assert r.exit_code == 0 and "nothing to reset" in r.output


def test_help_does_not_import_google_or_werkzeug(tmp_path):
    code = ("import sys\nfrom gcpkit.cli.main import app\nfrom typer.testing import CliRunner\n"
            "CliRunner().invoke(app, ['--help'])\nCliRunner().invoke(app, ['emulator', '--help'])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('google', 'werkzeug', 'gcpkit.emulator.core.'))))")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
