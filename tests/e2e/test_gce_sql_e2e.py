"""gce-sql and gce-sql-gcs end to end: the CLI as a user runs it, against the emulator, checked with the
official clients. Up, up again (no mutating call), destroy refused by deletion protection (and saying how
to go on), destroy --force-unprotect; the VMs created while Cloud SQL is; bad parameters exit 2 before
any call; concurrent IAM policy writers (two deployments at once, and threads on one provider) lose no
binding."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

import pytest
from e2e_helpers import compute_client

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "e2e-sql"
ZONE = "us-central1-a"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_POSTS = ("getIamPolicy", "Operations.wait")  # reads that their APIs send as POST


def mutations(calls: list[dict]) -> list[str]:
    return [c["method_id"] or c["path"] for c in calls
            if c["method"] in MUTATING and not (c["method_id"] or "").endswith(READ_ONLY_POSTS)]


def target(emu, project=PROJECT):
    from gcpkit.clients import Target

    return Target(project=project, endpoints=emu.server.endpoints())


def project_bindings(emu, project=PROJECT) -> dict[str, set[str]]:
    crm = target(emu, project).discovery("cloudresourcemanager", "v3")
    policy = crm.projects().getIamPolicy(resource=f"projects/{project}", body={}).execute()
    return {b["role"]: set(b["members"]) for b in policy.get("bindings", [])}


def up(runner, pattern, *extra):
    result = runner.invoke(app, ["up", pattern, "--emulator", "--project", PROJECT, "--yes", *extra])
    assert result.exit_code == 0, result.output
    assert "Done." in result.output
    return result


def flat(text: str) -> str:
    """CLI output with table borders removed and whitespace collapsed (cells wrap over lines)."""
    return " ".join(re.sub(r"[│┃━╇─]", " ", text).split())


@pytest.fixture
def wide_console(monkeypatch):
    from gcpkit import console

    monkeypatch.setattr(console.err, "width", 240)  # notes in the destroy table, unwrapped


def test_gce_sql_up_again_destroy_with_protection(cli, wide_console):
    runner, emu = cli
    up(runner, "gce-sql", "--set", "vm_count=2")
    t = target(emu)
    sql = t.discovery("sqladmin", "v1")
    inst = sql.instances().get(project=PROJECT, instance="gce-sql-mysql").execute()
    assert inst["connectionName"] == f"{PROJECT}:us-central1:gce-sql-mysql"
    assert inst["databaseVersion"] == "MYSQL_8_0" and inst["state"] == "RUNNABLE"
    settings = inst["settings"]
    assert settings["deletionProtectionEnabled"] is True and settings["tier"] == "db-f1-micro"
    assert settings["backupConfiguration"]["enabled"] and settings["backupConfiguration"]["binaryLogEnabled"]
    assert {"name": "cloudsql_iam_authentication", "value": "on"} in settings["databaseFlags"]
    assert settings["userLabels"] == {"app": "message-board", "managed-by": "gcpkit", "gcpkit-deployment": "gce-sql"}
    dbs = [d["name"] for d in sql.databases().list(project=PROJECT, instance="gce-sql-mysql").execute()["items"]]
    assert "message_db" in dbs
    users = sql.users().list(project=PROJECT, instance="gce-sql-mysql").execute()["items"]
    email = f"gce-sql-web@{PROJECT}.iam.gserviceaccount.com"
    assert {"name": f"gce-sql-web@{PROJECT}.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}.items() <= next(
        u for u in users if u["name"].startswith("gce-sql-web")).items()
    bindings = project_bindings(emu)
    assert f"serviceAccount:{email}" in bindings["roles/cloudsql.client"]
    assert f"serviceAccount:{email}" in bindings["roles/cloudsql.instanceUser"]

    instances = compute_client(emu, "InstancesClient")
    for i in (1, 2):
        vm = instances.get(project=PROJECT, zone=ZONE, instance=f"gce-sql-vm-{i}")
        assert [sa.email for sa in vm.service_accounts] == [email]
        assert list(vm.service_accounts[0].scopes) == ["https://www.googleapis.com/auth/cloud-platform"]
        script = {m.key: m.value for m in vm.metadata.items}["startup-script"]
        assert f"  {inst['connectionName']}\n" in script and "--auto-iam-authn" in script

    # The VMs were created while the instance was: both VM inserts came before Cloud SQL's create was done
    # (the database's insert, which needs a ready instance, came after them).
    calls = emu.requests()
    order = [c["method_id"] for c in calls]
    sql_insert = order.index("sql.instances.insert")
    db_insert = order.index("sql.databases.insert")
    vm_inserts = [i for i, m in enumerate(order) if m == "compute.instances.insert"]
    assert len(vm_inserts) == 2 and all(i < db_insert for i in vm_inserts)
    assert calls[vm_inserts[0]]["ts"] < calls[db_insert]["ts"] and sql_insert < db_insert

    outputs = json.loads(runner.invoke(app, ["outputs", "gce-sql", "-o", "json"]).stdout)
    assert outputs["connection-name"] == inst["connectionName"] and outputs["database"] == "message_db"
    assert outputs["db-user"] == "gce-sql-web" and outputs["service-account"] == email
    vm1 = instances.get(project=PROJECT, zone=ZONE, instance="gce-sql-vm-1")
    assert outputs["app-url"] == f"http://{vm1.network_interfaces[0].access_configs[0].nat_i_p}/"
    assert outputs["vm-2-internal-ip"].startswith("10.10.0.")

    # up again: nothing changes and no mutating call is made
    mark = emu.mark()
    again = up(runner, "gce-sql", "--set", "vm_count=2")
    assert "to create" not in again.output
    assert mutations(emu.since(mark)) == []

    # destroy: deletion protection keeps the instance, and the output says how to go on
    refused = runner.invoke(app, ["destroy", "deployment", "gce-sql", "--emulator", "--yes"])
    assert refused.exit_code == 1, refused.output
    said = flat(refused.output)
    assert "deletion protection is on: kept unless you pass --force-unprotect" in said
    assert "error: gce-sql-mysql: Cloud SQL instance 'gce-sql-mysql' has deletion protection on" in said
    assert sql.instances().get(project=PROJECT, instance="gce-sql-mysql").execute()["state"] == "RUNNABLE"
    status = json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout)
    assert [(d["deployment"], d["resources"]) for d in status] == [("gce-sql", 1)]  # the instance

    forced = runner.invoke(app, ["destroy", "deployment", "gce-sql", "--emulator", "--yes", "--force-unprotect"])
    assert forced.exit_code == 0, forced.output
    assert "deletion protection will be turned OFF (--force-unprotect)" in flat(forced.output)
    listed = sql.instances().list(project=PROJECT).execute().get("items", [])
    assert [i["name"] for i in listed if i["state"] != "PENDING_DELETE"] == []
    left = list(instances.list(request={"project": PROJECT, "zone": ZONE,
                                        "filter": "labels.gcpkit-deployment = gce-sql"}))
    assert left == []
    accounts = t.discovery("iam", "v1").projects().serviceAccounts().list(name=f"projects/{PROJECT}").execute()
    assert [a["email"] for a in accounts.get("accounts", []) if a["email"] == email] == []
    bindings = project_bindings(emu)
    assert all(f"serviceAccount:{email}" not in members for members in bindings.values())
    assert json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout) == []


def test_gce_sql_gcs_up_again_destroy(cli):
    runner, emu = cli
    up(runner, "gce-sql-gcs", "--set", "lifecycle_days=60", "--set", "lifecycle_storage_class=COLDLINE")
    t = target(emu)
    bucket_name = f"{PROJECT}-gce-sql-gcs-data"
    storage = t.discovery("storage", "v1")
    bucket = storage.buckets().get(bucket=bucket_name).execute()
    assert bucket["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
    assert bucket["iamConfiguration"]["publicAccessPrevention"] == "enforced"
    assert bucket["storageClass"] == "STANDARD" and bucket["location"] == "US-CENTRAL1"
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["labels"] == {"app": "message-board", "role": "data", "managed-by": "gcpkit",
                                "gcpkit-deployment": "gce-sql-gcs"}
    actions = [r["action"] for r in bucket["lifecycle"]["rule"]]
    assert {"type": "SetStorageClass", "storageClass": "COLDLINE"} in actions and {"type": "Delete"} in actions
    email = f"gce-sql-gcs-web@{PROJECT}.iam.gserviceaccount.com"
    policy = storage.buckets().getIamPolicy(bucket=bucket_name).execute()
    assert any(b["role"] == "roles/storage.objectAdmin" and f"serviceAccount:{email}" in b["members"]
               for b in policy["bindings"])
    vm = compute_client(emu, "InstancesClient").get(project=PROJECT, zone=ZONE, instance="gce-sql-gcs-vm-1")
    assert {m.key: m.value for m in vm.metadata.items}["message-board-bucket"] == bucket_name
    outputs = json.loads(runner.invoke(app, ["outputs", "gce-sql-gcs", "-o", "json"]).stdout)
    assert outputs["bucket"] == bucket_name and outputs["bucket-url"] == f"gs://{bucket_name}"

    mark = emu.mark()
    again = up(runner, "gce-sql-gcs", "--set", "lifecycle_days=60", "--set", "lifecycle_storage_class=COLDLINE")
    assert "to create" not in again.output
    assert mutations(emu.since(mark)) == []

    forced = runner.invoke(app, ["destroy", "deployment", "gce-sql-gcs", "--emulator", "--yes", "--force-unprotect"])
    assert forced.exit_code == 0, forced.output
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        storage.buckets().get(bucket=bucket_name).execute()
    assert info.value.resp.status == 404
    assert json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout) == []


BAD = [
    (["gce-sql", "--set", "tier=db-n1-standard-3"], "tier"),
    (["gce-sql", "--set", "tier=db-perf-optimized-N-2"], "tier"),
    (["gce-sql", "--set", "auth=none"], "auth"),
    (["gce-sql", "--set", "app_port=3306"], "app_port 3306"),
    (["gce-sql", "--set", "high_availability=true", "--set", "point_in_time_recovery=false"], "high_availability"),
    (["gce-sql-gcs", "--set", "storage_class=GLACIER"], "storage_class"),
    (["gce-sql-gcs", "--set", "bucket_name=Bad_Bucket"], "bucket_name"),
    (["gce-sql-gcs", "--set", "bucket_name=my-google-bucket"], "my-google-bucket"),
    (["gce-sql-gcs", "--set", "bucket_name=10.0.0.1"], "10.0.0.1"),
    (["gce-sql-gcs", "--set", "storage_class=ARCHIVE", "--set", "lifecycle_days=30"], "lifecycle_storage_class"),
]


@pytest.mark.parametrize("args, names", BAD, ids=[" ".join(a[0][-1:]) + " " + a[0][0] for a in BAD])
def test_bad_parameters_exit_2_before_any_call(cli, args, names):
    runner, emu = cli
    result = runner.invoke(app, ["up", *args, "--emulator", "--project", PROJECT, "--yes"])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and names in errors[0], result.output
    assert emu.requests() == []


# ------------------------------------------------------------------ concurrent IAM policy writers


def test_two_deployments_granting_at_once_lose_no_binding(cli, tmp_path):
    """Two `gcpkit up` processes add their grants to the same project policy at the same time: the
    etag-checked read-modify-write retries when the other got there first, and every binding is there at
    the end. (The threads test below makes the race certain; this one is the CLI as users would run it.)"""
    _, emu = cli
    env = dict(os.environ, **{EMULATOR_HOST_ENV: emu.url})
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    procs = []
    for name in ("alpha", "bravo"):
        args = [sys.executable, "-m", "gcpkit", "up", "gce-sql", "--deployment", name, "--emulator",
                "--project", PROJECT, "--yes", "--set", "deletion_protection=false"]
        procs.append(subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, out + err
    set_calls = [c for c in emu.requests() if c["method_id"] == "cloudresourcemanager.projects.setIamPolicy"]
    assert len(set_calls) >= 4
    bindings = project_bindings(emu)
    for name in ("alpha", "bravo"):
        member = f"serviceAccount:{name}-web@{PROJECT}.iam.gserviceaccount.com"
        assert member in bindings["roles/cloudsql.client"], name
        assert member in bindings["roles/cloudsql.instanceUser"], name


def _race(n: int, fn) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(timeout=10)
            fn(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.parametrize("kind", ["project", "secret", "bucket"])
def test_threads_granting_and_revoking_on_one_policy_lose_nothing(cli, kind):
    _, emu = cli
    from gcpkit.providers.base import Ctx
    from gcpkit.providers.registry import provider_for

    t = target(emu)
    ctx = Ctx(t, "race", {"project": PROJECT, "deployment": "race", "region": "us-central1", "zone": ZONE})
    extra: dict = {}
    if kind == "secret":
        provider_for("secretmanager.v1.secret").create(ctx, "race-secret", {}, "r1")
        extra = {"secret": f"projects/{PROJECT}/secrets/race-secret"}
        type_name, role = "gcpkit.v1.secretIamMember", "roles/secretmanager.secretAccessor"
    elif kind == "bucket":
        provider_for("storage.v1.bucket").create(ctx, "race-bucket", {"name": f"{PROJECT}-race"}, "r1")
        extra = {"bucket": f"{PROJECT}-race"}
        type_name, role = "gcpkit.v1.bucketIamMember", "roles/storage.objectViewer"
    else:
        type_name, role = "gcpkit.v1.projectIamMember", "roles/cloudsql.client"
    provider = provider_for(type_name)
    n = 8
    members = [f"serviceAccount:racer-{i}@{PROJECT}.iam.gserviceaccount.com" for i in range(n)]

    def props(i):
        # half share one role (one binding edited by all), half each add their own role's binding
        return {**extra, "role": role if i % 2 else f"{role.rsplit('.', 1)[0]}.admin", "member": members[i]}

    errors = _race(n, lambda i: provider.create(ctx, f"g{i}", props(i), f"req{i}"))
    assert errors == []
    lost_races = [c for c in emu.requests() if (c["method_id"] or "").endswith("setIamPolicy")
                  and c["status"] in (409, 412)]
    assert lost_races, "the threads did not race: the test proves nothing"
    for i in range(n):
        provider.read(ctx, f"g{i}", props(i))  # NotFound if a binding was lost

    errors = _race(n, lambda i: provider.delete(ctx, f"g{i}", props(i), {"preexisting": False}))
    assert errors == []
    policy = provider.get_policy(ctx, props(0)).execute()
    assert not any(m in members for b in policy.get("bindings", []) for m in b.get("members", []))
