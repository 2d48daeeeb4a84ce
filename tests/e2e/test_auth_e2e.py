"""Credentials and access, end to end: `gcpkit emulator start --require-auth` and `gcpkit emulator
mint-key` as a user runs them, then gcpkit's real-cloud credential path (google.auth.default with
GOOGLE_APPLICATION_CREDENTIALS, token refresh by the client libraries) in `up`, `plan` and `destroy`
subprocesses. An account without a role gets exit code 4 and a line naming the permission; no token,
key or assertion shows up in any output, in the state or in the request log."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_helpers import start_emulator

from gcpkit.errors import EXIT_ACCESS_DENIED

PROJECT = "auth-e2e"
TOKEN_LIFETIME_S = 2  # far below google-auth's 3m45s refresh margin: every token is stale at once

# A compute network (google-cloud-compute: a self-signed JWT) and a DNS zone and record that depend
# on it (google-api-python-client: OAuth tokens from /token), one root for a single root cause.
PATTERN = """\
{%- set d = env.deployment -%}
resources:
- name: {{ d }}-net
  type: compute.v1.network
  properties:
    autoCreateSubnetworks: false
- name: {{ d }}-zone
  type: dns.v1.managedZone
  metadata:
    dependsOn: [{{ d }}-net]
  properties:
    dnsName: {{ d }}.example.com.
    description: zone for the auth tests
    visibility: public
- name: {{ d }}-www
  type: dns.v1.resourceRecordSet
  metadata:
    dependsOn: [{{ d }}-zone]
  properties:
    managedZone: {{ d }}-zone
    name: www.{{ d }}.example.com.
    type: A
    ttl: 300
    rrdatas: [203.0.113.10]
"""


class AuthEmulator:
    """`gcpkit emulator start --require-auth` in a subprocess, with its request log and its output."""

    def __init__(self, work: Path):
        self.work = work
        self.log = work / "requests.jsonl"
        self.out, self.err = work / "emulator.out", work / "emulator.err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gcpkit", "emulator", "start", "--require-auth", "--in-memory", "--port", "0",
                 "--time-scale", "0.002", "--token-lifetime", str(TOKEN_LIFETIME_S), "--log-requests", str(self.log)],
                cwd=work, stdout=out, stderr=err)
        deadline = time.monotonic() + 60
        while "listening on" not in self.out.read_text():
            assert self.proc.poll() is None and time.monotonic() < deadline, self.err.read_text()
            time.sleep(0.05)
        self.url = self.out.read_text().split("listening on ", 1)[1].split()[0]

    def requests(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    handle = AuthEmulator(tmp_path_factory.mktemp("auth-emulator"))
    yield handle
    handle.stop()


@pytest.fixture
def work(tmp_path):
    (tmp_path / "pat").mkdir()
    (tmp_path / "pat" / "pattern.yaml").write_text(PATTERN)
    (tmp_path / "pat" / "schema.yaml").write_text("description: auth tests\nproperties: {}\n")
    return tmp_path


def gcpkit(work: Path, emu: AuthEmulator, *args: str, key: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")}
    env.update(GCPKIT_EMULATOR_HOST=emu.url, HOME=str(work), CLOUDSDK_CONFIG=str(work / "gcloud"))
    if key is not None:
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(key)
    return subprocess.run([sys.executable, "-m", "gcpkit", *args], check=False, cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


def mint(work: Path, emu: AuthEmulator, name: str, role: str | None = None) -> Path:
    key = work / f"{name}.json"
    email = f"{name}@{PROJECT}.iam.gserviceaccount.com"
    result = gcpkit(work, emu, "emulator", "mint-key", "--service-account", email, "--out", str(key),
                    *(["--role", role] if role else []))
    assert result.returncode == 0, result.stderr
    granted = f"; {role} on project {PROJECT}" if role else ""
    assert result.stdout == f"wrote a key for {email} to {key} (token endpoint {emu.url}/token{granted})\n"
    return key


def deploy(work: Path, emu: AuthEmulator, deployment: str, key: Path | None,
           command: str = "up") -> subprocess.CompletedProcess:
    extra = ["--yes"] if command == "up" else []
    return gcpkit(work, emu, command, "./pat", "--deployment", deployment, "--emulator", "--project", PROJECT,
                  *extra, key=key)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def assert_no_secret(work: Path, emu: AuthEmulator, keys: list[Path], outputs: list[subprocess.CompletedProcess]):
    """No access token, private key or signed JWT in gcpkit's output, its .gcpkit dir, or the emulator's
    request log and output. Tokens are "ya29." + random; JWTs and signed assertions start "eyJ"."""
    kept = {f"{r.args[3:5]} stdout/stderr": r.stdout + r.stderr for r in outputs}
    for path in [*(work / ".gcpkit").rglob("*"), emu.log, emu.out, emu.err]:
        if path.is_file():
            kept[str(path)] = path.read_bytes().decode("latin-1")
    private_bodies = ["".join(json.loads(k.read_text())["private_key"].splitlines()[1:-1])[:48] for k in keys]
    for where, text in kept.items():
        for secret in ("ya29.", "PRIVATE KEY", "eyJ", *private_bodies):
            assert secret not in text, f"{secret[:8]}... found in {where}"


def test_up_with_a_minted_key_refreshes_its_tokens_and_leaves_no_secret(emu, work, record_property):
    key = mint(work, emu, "deployer", role="roles/editor")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    mark = len(emu.requests())

    result = deploy(work, emu, "refresh", key)

    assert result.returncode == 0, result.stderr
    assert "Done. 3 resource(s) handled." in result.stderr
    seen = emu.requests()[mark:]
    tokens = [r for r in seen if r["path"] == "/token"]
    calls = [r for r in seen if r["path"] != "/token"]
    # Each token lives 2 s, so google-auth treats it as stale at once and fetches a new one before each
    # discovery call: the token endpoint answered more than once, and no API call was ever refused.
    assert len(tokens) >= 2 and {r["status"] for r in tokens} == {200}
    assert {r["status"] for r in calls} == {200}
    assert {"compute.networks.insert", "dns.managedZones.create", "dns.changes.create"} <= \
        {r["method_id"] for r in calls}
    record_property("figure", f"auth: `gcpkit up` with a minted key and {TOKEN_LIFETIME_S} s tokens: "
                              f"{len(tokens)} tokens issued, {len(calls)} API calls, 0 refused")
    assert_no_secret(work, emu, [key], [result])


def test_an_account_without_a_role_gets_exit_4_naming_the_permission_and_creates_nothing(emu, work):
    key = mint(work, emu, "no-role-sa")
    mark = len(emu.requests())

    up = deploy(work, emu, "denied", key)
    plan = deploy(work, emu, "denied", key, command="plan")

    assert up.returncode == EXIT_ACCESS_DENIED, up.stderr
    assert error_lines(up) == [
        (f"error: denied-net: permission denied: the credentials lack permission compute.networks.create on "
        f"projects/{PROJECT}/global/networks/denied-net"),
        "error: 1 resource(s) failed; 2 dependent resource(s) skipped; 0 done and recorded",
    ]
    assert (f"hint: grant the account gcpkit runs as a role with compute.networks.create on project {PROJECT} "
            f"(e.g. `gcloud projects add-iam-policy-binding {PROJECT} --member=serviceAccount:EMAIL "
            "--role=roles/editor`), or use other credentials") in up.stderr.splitlines()
    assert plan.returncode == EXIT_ACCESS_DENIED, plan.stderr
    assert error_lines(plan) == [(f"error: permission denied: the credentials lack permission compute.networks.get "
                                 f"on projects/{PROJECT}/global/networks/denied-net")]
    mutating = [r for r in emu.requests()[mark:] if r["method"] in ("POST", "PUT", "PATCH", "DELETE")
                and r["path"] != "/token"]
    assert [(r["method_id"], r["status"]) for r in mutating] == [("compute.networks.insert", 403)]
    assert_no_secret(work, emu, [key], [up, plan])


def test_destroy_without_permission_exits_4_and_keeps_the_state(emu, work):
    editor, nobody = mint(work, emu, "editor-sa", role="roles/editor"), mint(work, emu, "nobody-sa")
    assert deploy(work, emu, "keep", editor).returncode == 0

    denied = gcpkit(work, emu, "destroy", "deployment", "keep", "--emulator", "--project", PROJECT, "--yes",
                    key=nobody)
    assert denied.returncode == EXIT_ACCESS_DENIED, denied.stderr
    assert (f"error: keep-www: permission denied: the credentials lack permission dns.resourceRecordSets.delete "
            f"on projects/{PROJECT}") in denied.stderr.splitlines()

    again = gcpkit(work, emu, "destroy", "deployment", "keep", "--emulator", "--project", PROJECT, "--yes",
                   key=editor)
    assert again.returncode == 0, again.stderr  # the state still knew every resource
    assert "keep-net" in again.stderr and "keep-www" in again.stderr
    assert_no_secret(work, emu, [editor, nobody], [denied, again])


def test_a_key_the_emulator_never_minted_is_one_line_exit_4(emu, work):
    key = mint(work, emu, "revoked-sa", role="roles/editor")
    forged = work / "forged.json"
    forged.write_text(json.dumps(dict(json.loads(key.read_text()), private_key_id="0" * 40)))

    result = deploy(work, emu, "forged", forged, command="plan")

    assert result.returncode == EXIT_ACCESS_DENIED, result.stderr
    assert result.stderr.splitlines()[-2:] == [
        "error: the credentials could not be refreshed (invalid_grant: Invalid JWT Signature.)",
        ("hint: point GOOGLE_APPLICATION_CREDENTIALS at a valid, current service-account key, or run "
        "`gcloud auth application-default login`"),
    ]
    assert_no_secret(work, emu, [forged], [result])


def test_no_credentials_for_an_emulator_that_requires_them_is_bad_input(emu, work):
    mark = len(emu.requests())
    result = deploy(work, emu, "nocreds", key=None, command="plan")
    assert (result.returncode, result.stderr.splitlines()) == (2, [
        f"error: no credentials found, and the emulator at {emu.url} requires them (DefaultCredentialsError)",
        "hint: set GOOGLE_APPLICATION_CREDENTIALS to a key file from `gcpkit emulator mint-key`"])
    assert len(emu.requests()) == mark


def test_mint_key_rejects_bad_input_without_a_call(emu, work):
    mark = len(emu.requests())
    cases = {
        ("--service-account", "deployer"): "error: --service-account 'deployer': expected "
        "NAME@PROJECT.iam.gserviceaccount.com (NAME and PROJECT 6-30 characters: lower-case letters, digits, hyphens)",
        ("--service-account", f"deployer@{PROJECT}.iam.gserviceaccount.com", "--role", "editor"):
            "error: --role 'editor': expected roles/NAME (e.g. roles/editor)",
        ("--service-account", f"deployer@{PROJECT}.iam.gserviceaccount.com", "--project", PROJECT):
            "error: --project needs --role: it names where the role is granted",
    }
    for args, line in cases.items():
        result = gcpkit(work, emu, "emulator", "mint-key", *args, "--out", str(work / "k.json"))
        assert (result.returncode, result.stderr.splitlines()) == (2, [line])
    assert not (work / "k.json").exists()
    assert len(emu.requests()) == mark


def test_mint_key_needs_an_emulator_that_requires_auth(tmp_path):
    plain = start_emulator(tmp_path)
    try:
        env = dict(os.environ, GCPKIT_EMULATOR_HOST=plain.url)
        result = subprocess.run([sys.executable, "-m", "gcpkit", "emulator", "mint-key", "--service-account",
                                 f"deployer@{PROJECT}.iam.gserviceaccount.com", "--out", str(tmp_path / "k.json")],
                                check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    finally:
        plain.server.stop()
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: the emulator at {plain.url} does not require authentication",
                                          "hint: start it with `gcpkit emulator start --require-auth`"]


def test_team_state_in_cloud_storage_signs_in_with_the_same_key(emu, work):
    from google.cloud import storage
    from google.oauth2 import service_account

    key = mint(work, emu, "team-state", "roles/editor")
    credentials = service_account.Credentials.from_service_account_file(
        str(key), scopes=["https://www.googleapis.com/auth/cloud-platform"])
    client = storage.Client(project=PROJECT, credentials=credentials, client_options={"api_endpoint": emu.url})
    bucket = client.create_bucket("auth-e2e-team-state")
    state = ["--state", "gs://auth-e2e-team-state/team"]

    made = gcpkit(work, emu, "up", "./pat", "--deployment", "team", "--emulator", "--project", PROJECT, "--yes",
                  *state, key=key)
    assert made.returncode == 0, made.stderr
    assert [b.name for b in client.list_blobs(bucket) if b.name.endswith(".json")], "no state object written"
    gone = gcpkit(work, emu, "destroy", "deployment", "team", "--emulator", "--project", PROJECT, "--yes",
                  *state, key=key)
    assert gone.returncode == 0, gone.stderr
    assert_no_secret(work, emu, [key], [made, gone])
