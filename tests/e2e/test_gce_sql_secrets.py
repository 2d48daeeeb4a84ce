"""The password path of gce-sql / gce-sql-gcs (auth=password): the generated password goes from a random
generator to Secret Manager and from there to Cloud SQL, and to the app at its start, with the VM's own
identity. Read back from the emulator's Secret Manager, it must appear in no CLI output, no emulator
request log line, no instance metadata and no byte of gcpkit's state (raw or base64). Only the VMs'
service account may read the secret. Then the app, taken from the VM's real metadata, is run against a
stand-in metadata server and the emulator's Secret Manager (and Cloud Storage): it logs in with that
password and never prints it."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_helpers import compute_client

from gcpkit.cli.main import app

PROJECT = "e2e-secrets"
ZONE = "us-central1-a"


def target(emu):
    from gcpkit.clients import Target

    return Target(project=PROJECT, endpoints=emu.server.endpoints())


def read_password(emu, secret: str) -> str:
    sm = target(emu).discovery("secretmanager", "v1")
    version = sm.projects().secrets().versions().access(
        name=f"projects/{PROJECT}/secrets/{secret}/versions/latest").execute()
    return base64.b64decode(version["payload"]["data"]).decode()


def forms(password: str) -> list[bytes]:
    """The password as bytes, and as the base64 a Secret Manager payload or a JSON body would carry it."""
    raw = password.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


def assert_absent(password: str, blob: bytes | str, where: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for form in forms(password):
        assert form not in data, f"the password ({'raw' if form == forms(password)[0] else 'base64'}) is in {where}"


@pytest.mark.parametrize("pattern", ["gce-sql", "gce-sql-gcs"])
def test_generated_password_never_leaves_secret_manager(cli, tmp_path, pattern):
    runner, emu = cli
    base = ["--emulator", "--project", PROJECT]
    sets = ["--set", "auth=password", "--set", "vm_count=2", "--set", "deletion_protection=false"]
    outputs: list[str] = []

    def run(*args, code=0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        outputs.append(result.output)
        outputs.append(result.stdout)
        return result

    run("up", pattern, *base, "--yes", *sets)
    run("up", pattern, *base, "--yes", *sets, "-o", "json")
    run("plan", pattern, *base, *sets, "-o", "json")
    run("plan", pattern, *base, *sets)
    run("status", pattern, *base, "-o", "json")
    run("status", pattern, *base)
    run("outputs", pattern, "-o", "json")
    run("outputs", pattern)
    run("render", pattern, "--project", PROJECT, *sets)

    secret = f"{pattern}-db-password"
    password = read_password(emu, secret)
    assert len(password) == 32 and re.fullmatch(r"[A-Za-z0-9._~-]{32}", password)

    # the user exists, as a built-in MySQL user whose password came from the secret
    sql = target(emu).discovery("sqladmin", "v1")
    users = sql.users().list(project=PROJECT, instance=f"{pattern}-mysql").execute()["items"]
    app_user = next(u for u in users if u["name"] == "message_app")
    assert "type" not in app_user and "password" not in app_user  # BUILT_IN, write-only password

    # only the VMs' service account may read it
    sm = target(emu).discovery("secretmanager", "v1")
    policy = sm.projects().secrets().getIamPolicy(resource=f"projects/{PROJECT}/secrets/{secret}").execute()
    email = f"{pattern}-web@{PROJECT}.iam.gserviceaccount.com"
    assert policy["bindings"] == [{"role": "roles/secretmanager.secretAccessor",
                                   "members": [f"serviceAccount:{email}"]}]

    # no CLI output, no request log line, no instance metadata, no state byte holds it
    for i, text in enumerate(outputs):
        assert_absent(password, text, f"CLI output #{i}")
    assert emu.log.stat().st_size > 0
    assert_absent(password, emu.log.read_bytes(), "the emulator request log")
    instances = compute_client(emu, "InstancesClient")
    vms = [instances.get(project=PROJECT, zone=ZONE, instance=f"{pattern}-vm-{i}") for i in (1, 2)]
    for vm in vms:
        assert_absent(password, type(vm).to_json(vm), f"instance {vm.name}")
        for item in vm.metadata.items:
            assert_absent(password, item.value, f"metadata {item.key} of {vm.name}")
    state_files = [p for p in (tmp_path / ".gcpkit").rglob("*") if p.is_file()]
    assert any(p.name == "state.db" for p in state_files)
    for path in state_files:
        assert_absent(password, path.read_bytes(), str(path.relative_to(tmp_path)))

    # The app, as the VM would run it: unit environment and code from the VM's real startup script.
    script = {m.key: m.value for m in vms[0].metadata.items}["startup-script"]
    attributes = {m.key: m.value for m in vms[0].metadata.items}
    got, app_stderr = run_app_like_the_vm(emu, tmp_path, script, attributes)
    assert got["logins"] and {(c["user"], c["password"], c["database"]) for c in got["logins"]} == {
        ("message_app", password, "message_db")}
    assert_absent(password, app_stderr, "the app's log")
    if pattern == "gce-sql-gcs":
        bucket = f"{PROJECT}-{pattern}-data"
        assert got["status"] == {"database": "ok", "bucket": bucket}  # its name came from the metadata
        export = got["export"]
        assert export["bucket"] == bucket and export["messages"] == 1
        storage = target(emu).discovery("storage", "v1")
        names = [o["name"] for o in storage.objects().list(bucket=bucket).execute().get("items", [])]
        assert names == [export["object"]]
        data = storage.objects().get_media(bucket=bucket, object=export["object"]).execute()
        assert [m["text"] for m in json.loads(data)["messages"]] == ["hello"]
        assert_absent(password, data, "the export")
        # gcpkit never deletes data it did not write: empty the (versioned) bucket as its owner would
        for obj in storage.objects().list(bucket=bucket, versions=True).execute().get("items", []):
            storage.objects().delete(bucket=bucket, object=obj["name"], generation=obj["generation"]).execute()
    else:
        assert got["status"] == {"database": "ok", "bucket": None}

    destroyed = run("destroy", "deployment", pattern, "--emulator", "--yes")
    assert_absent(password, destroyed.output, "destroy's output")
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        read_password(emu, secret)
    assert info.value.resp.status == 404
    for path in (p for p in (tmp_path / ".gcpkit").rglob("*") if p.is_file()):
        assert_absent(password, path.read_bytes(), str(path.relative_to(tmp_path)))


# ------------------------------------------------------------------ the app, as on the VM

FAKE_PYMYSQL = '''
"""PyMySQL stand-in over SQLite: logs each login (a test-only file) so the test can see the password used."""
import json, os, re, sqlite3, types

err = types.SimpleNamespace(OperationalError=type("OperationalError", (Exception,), {}))
cursors = types.SimpleNamespace(DictCursor=object)


def connect(host, port, user, password, database, **kwargs):
    with open(os.environ["FAKE_PYMYSQL_LOG"], "a") as log:
        log.write(json.dumps({"user": user, "password": password, "database": database}) + "\\n")
    db = sqlite3.connect(os.environ["FAKE_PYMYSQL_DB"], timeout=10, isolation_level=None)
    db.row_factory = sqlite3.Row
    return types.SimpleNamespace(cursor=lambda: _Cursor(db), close=db.close)


class _Cursor:
    def __init__(self, db):
        self.db, self.cur = db, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql, args=()):
        sql = sql.replace("BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
        sql = re.sub(r"\\) CHARACTER SET \\w+$", ")", sql).replace("%s", "?")
        self.cur = self.db.execute(sql, tuple(args))

    def fetchall(self):
        return [dict(r) for r in self.cur.fetchall()]

    @property
    def lastrowid(self):
        return self.cur.lastrowid
'''


class _Metadata(BaseHTTPRequestHandler):
    attributes: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.headers.get("Metadata-Flavor") != "Google":
            self.send_error(403)
            return
        prefix = "/computeMetadata/v1/"
        path = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        if path == "instance/service-accounts/default/token":
            body = json.dumps({"access_token": "vm-token", "expires_in": 3599, "token_type": "Bearer"})
        elif path.startswith("instance/attributes/") and path[20:] in self.attributes:
            body = self.attributes[path[20:]]
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _heredoc(script: str, marker: str) -> str:
    m = re.search(rf"<<'{marker}'\n(.*?)\n{marker}\n", script, re.S)
    assert m, marker
    return m.group(1) + "\n"


def _unit_environment(unit: str) -> dict[str, str]:
    env = {}
    for line in unit.splitlines():
        m = re.fullmatch(r'Environment="?([A-Z_]+)=(.*?)"?', line)
        if m:
            env[m.group(1)] = m.group(2)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, data: bytes | None = None):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run_app_like_the_vm(emu, tmp_path: Path, script: str, attributes: dict):
    _Metadata.attributes = attributes
    metadata = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    threading.Thread(target=metadata.serve_forever, daemon=True).start()
    work = tmp_path / "vm"
    (work / "fake").mkdir(parents=True)
    (work / "fake" / "pymysql.py").write_text(FAKE_PYMYSQL)
    (work / "app.py").write_text(_heredoc(script, "GCPKIT_APP_EOF"))
    port = _free_port()
    endpoints = emu.server.endpoints()
    env = dict(os.environ, **_unit_environment(_heredoc(script, "GCPKIT_UNIT_EOF")))
    env.update(MESSAGE_BOARD_PORT=str(port), PYTHONPATH=str(work / "fake"),
               MESSAGE_BOARD_METADATA_URL=f"http://127.0.0.1:{metadata.server_port}/computeMetadata/v1",
               MESSAGE_BOARD_SECRETMANAGER_URL=endpoints["secretmanager"].rstrip("/"),
               MESSAGE_BOARD_STORAGE_URL=endpoints["storage"].rstrip("/"),
               FAKE_PYMYSQL_DB=str(work / "m.db"), FAKE_PYMYSQL_LOG=str(work / "logins.jsonl"))
    assert env["MESSAGE_BOARD_DB_PASSWORD_SECRET"].endswith("-db-password")
    proc = subprocess.Popen([sys.executable, str(work / "app.py")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    got: dict = {}
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                status, body = _call(url + "/api/status")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert status == 200, body
        got["status"] = body
        assert _call(url + "/api/messages", json.dumps({"author": "vm", "text": "hello"}).encode())[0] == 201
        status, got["export"] = _call(url + "/api/export", b"{}")
        assert status in (201, 404), got["export"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=5)
        metadata.shutdown()
    got["logins"] = [json.loads(line) for line in (work / "logins.jsonl").read_text().splitlines()]
    return got, out + err
