"""Cloud SQL Admin instances through google-api-python-client, over HTTP, against the strict emulator
(every response is checked against the discovery schema by the server itself)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TIER = "db-custom-1-3840"


def sql_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("sqladmin", "v1", client_options={"api_endpoint": server.endpoints()["sqladmin"]},
                 credentials=AnonymousCredentials(), static_discovery=True)


@pytest.fixture(scope="module")
def sql(emulator):
    return sql_client(emulator)


@pytest.fixture
def project():
    return f"sql-{uuid.uuid4().hex[:10]}"


def http_error(call):
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def wait(sql, project, op, timeout=30.0):
    """Poll the operation until DONE; return the statuses seen (in order, without repeats) and the last answer."""
    seen = [op["status"]]
    deadline = time.monotonic() + timeout
    while op["status"] != "DONE":
        assert time.monotonic() < deadline, f"operation {op['name']} not DONE after {timeout}s"
        time.sleep(0.01)
        op = sql.operations().get(project=project, operation=op["name"]).execute()
        if op["status"] != seen[-1]:
            seen.append(op["status"])
    return seen, op


def create(sql, project, name="db-1", version="MYSQL_8_0", settings=None, **body):
    body = {"name": name, "databaseVersion": version, "region": "us-central1",
            "settings": {"tier": TIER, **(settings or {})}, **body}
    op = sql.instances().insert(project=project, body=body).execute()
    _, done = wait(sql, project, op)
    assert "error" not in done, done
    return sql.instances().get(project=project, instance=name).execute()


def scale_for(collection: str, verb: str, seconds: float) -> float:
    """A time scale under which the emulator's (collection, verb) operation lasts `seconds`."""
    from gcpkit.emulator.core.latency import Latency

    return seconds / max(Latency(1.0).duration("sqladmin", collection, verb), 1e-9)


# ---- reading -----------------------------------------------------------------------------------

def test_get_unknown_instance_is_404_like_gcp(sql, project):
    status, error = http_error(sql.instances().get(project=project, instance="nope"))
    assert status == 404
    assert error["message"] == "The Cloud SQL instance does not exist."
    assert error["errors"][0]["reason"] == "instanceDoesNotExist"
    assert "status" not in error  # as recorded (gcp-golden/sql--*.http.log)


def test_lifecycle_status_progression(make_emulator):
    server = make_emulator(time_scale=scale_for("instances", "insert", 1.0))
    sql, project = sql_client(server), "p-progress"
    op = sql.instances().insert(project=project, body={
        "name": "prog", "databaseVersion": "MYSQL_8_0", "region": "europe-west1",
        "settings": {"tier": TIER}}).execute()
    assert op["kind"] == "sql#operation" and op["operationType"] == "CREATE" and op["status"] == "PENDING"
    assert "startTime" not in op and "endTime" not in op
    assert op["targetLink"].endswith(f"/projects/{project}/instances/prog") and op["targetId"] == "prog"
    pending = sql.instances().get(project=project, instance="prog").execute()
    assert pending["state"] == "PENDING_CREATE" and "ipAddresses" not in pending

    seen, done = wait(sql, project, op)
    assert seen == ["PENDING", "RUNNING", "DONE"]
    assert done["startTime"] >= done["insertTime"] and done["endTime"] >= done["startTime"]
    inst = sql.instances().get(project=project, instance="prog").execute()
    assert inst["state"] == "RUNNABLE"
    assert inst["ipAddresses"][0]["type"] == "PRIMARY"
    assert inst["gceZone"] == "europe-west1-b"  # europe-west1 has no zone a


def test_new_instance_shows_gcp_defaults(sql, project):
    op = sql.instances().insert(project=project, body={
        "name": "db-1", "databaseVersion": "MYSQL_8_0", "region": "us-central1", "rootPassword": "s3cret-root",
        "settings": {"tier": TIER, "userLabels": {"managed-by": "gcpkit"},
                     "databaseFlags": [{"name": "cloudsql_iam_authentication", "value": "on"}]}}).execute()
    wait(sql, project, op)
    inst = sql.instances().get(project=project, instance="db-1").execute()
    assert inst["kind"] == "sql#instance"
    assert inst["connectionName"] == f"{project}:us-central1:db-1"
    assert inst["databaseVersion"] == "MYSQL_8_0" and inst["databaseInstalledVersion"].startswith("MYSQL_8_0_")
    assert inst["gceZone"] == "us-central1-a"
    assert inst["serviceAccountEmailAddress"].endswith("@gcp-sa-cloud-sql.iam.gserviceaccount.com")
    assert inst["selfLink"].endswith(f"/v1/projects/{project}/instances/db-1")
    s = inst["settings"]
    assert s["tier"] == TIER and s["dataDiskSizeGb"] == "10" and s["dataDiskType"] == "PD_SSD"
    assert s["settingsVersion"] == "1" and s["deletionProtectionEnabled"] is False
    backup = s["backupConfiguration"]
    assert backup["enabled"] is False and backup["kind"] == "sql#backupConfiguration"
    assert s["ipConfiguration"] == {"authorizedNetworks": [], "ipv4Enabled": True, "requireSsl": False,
                                    "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}
    assert s["userLabels"] == {"managed-by": "gcpkit"}
    assert s["databaseFlags"] == [{"name": "cloudsql_iam_authentication", "value": "on"}]
    assert s["edition"] == "ENTERPRISE" and s["availabilityType"] == "ZONAL"
    # the root password is write-only
    everything = json.dumps([inst, sql.instances().list(project=project).execute(),
                             sql.operations().list(project=project).execute()])
    assert "s3cret-root" not in everything and "rootPassword" not in everything


def test_private_ip_instance(sql, project):
    inst = create(sql, project, "priv", version="POSTGRES_15", settings={"ipConfiguration": {
        "ipv4Enabled": False, "privateNetwork": f"projects/{project}/global/networks/default"}})
    assert [ip["type"] for ip in inst["ipAddresses"]] == ["PRIVATE"]
    assert inst["settings"]["backupConfiguration"]["pointInTimeRecoveryEnabled"] is False


# ---- checks ------------------------------------------------------------------------------------

def test_insert_checks(sql, project):
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "bad", "settings": {"tier": "db-huge"}}))
    assert status == 400 and "Invalid Tier (db-huge)" in error["message"]
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "Bad_Name", "settings": {"tier": TIER}}))
    assert status == 400 and "Bad_Name" in error["message"]
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "pg", "databaseVersion": "POSTGRES_15", "settings": {
            "tier": TIER, "databaseFlags": [{"name": "cloudsql_iam_authentication", "value": "on"}]}}))
    assert status == 400 and "cloudsql_iam_authentication" in error["message"]
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "pg", "databaseVersion": "POSTGRES_15", "settings": {
            "tier": TIER, "databaseFlags": [{"name": "cloudsql.iam_authentication", "value": "maybe"}]}}))
    assert status == 400
    create(sql, project, "pg", version="POSTGRES_15",
           settings={"databaseFlags": [{"name": "cloudsql.iam_authentication", "value": "on"}]})
    status, error = http_error(sql.instances().insert(project=project, body={"name": "pg", "settings": {"tier": TIER}}))
    assert status == 409 and error["errors"][0]["reason"] == "instanceAlreadyExists"
    assert error["message"] == "The Cloud SQL instance already exists."


def test_one_operation_at_a_time(make_emulator):
    server = make_emulator(time_scale=scale_for("instances", "insert", 2.0))
    sql, project = sql_client(server), "p-busy"
    sql.instances().insert(project=project, body={"name": "busy", "settings": {"tier": TIER}}).execute()
    status, error = http_error(sql.instances().patch(project=project, instance="busy",
                                                     body={"settings": {"userLabels": {"a": "b"}}}))
    assert status == 409 and error["errors"][0]["reason"] == "operationInProgress"
    status, error = http_error(sql.databases().insert(project=project, instance="busy", body={"name": "app"}))
    assert status == 409 and error["errors"][0]["reason"] == "operationInProgress"


# ---- changes -----------------------------------------------------------------------------------

def test_patch_merges_settings(sql, project):
    create(sql, project, settings={"userLabels": {"a": "1"}, "backupConfiguration": {"enabled": True}})
    op = sql.instances().patch(project=project, instance="db-1", body={"settings": {
        "userLabels": {"b": "2"}, "backupConfiguration": {"startTime": "03:00"}}}).execute()
    assert op["operationType"] == "UPDATE"
    wait(sql, project, op)
    s = sql.instances().get(project=project, instance="db-1").execute()["settings"]
    assert s["userLabels"] == {"b": "2"}  # maps are replaced whole
    assert s["backupConfiguration"]["enabled"] is True and s["backupConfiguration"]["startTime"] == "03:00"
    assert s["tier"] == TIER and s["settingsVersion"] == "2"


def test_update_replaces_settings_and_upgrades(sql, project):
    create(sql, project, version="MYSQL_5_7", settings={"userLabels": {"a": "1"}})
    op = sql.instances().update(project=project, instance="db-1", body={
        "name": "db-1", "databaseVersion": "MYSQL_8_0", "settings": {"tier": "db-custom-2-7680"}}).execute()
    wait(sql, project, op)
    inst = sql.instances().get(project=project, instance="db-1").execute()
    assert inst["settings"]["tier"] == "db-custom-2-7680" and "userLabels" not in inst["settings"]
    assert inst["databaseVersion"] == "MYSQL_8_0" and inst["databaseInstalledVersion"].startswith("MYSQL_8_0")
    status, error = http_error(sql.instances().patch(project=project, instance="db-1",
                                                     body={"databaseVersion": "MYSQL_5_7"}))
    assert status == 400 and "MYSQL_5_7" in error["message"]
    status, _ = http_error(sql.instances().patch(project=project, instance="db-1", body={"region": "us-east1"}))
    assert status == 400


def test_deletion_protection(sql, project):
    create(sql, project, settings={"deletionProtectionEnabled": True})
    status, error = http_error(sql.instances().delete(project=project, instance="db-1"))
    assert status == 400 and "protected from deletion" in error["message"]
    assert sql.instances().get(project=project, instance="db-1").execute()["state"] == "RUNNABLE"
    op = sql.instances().patch(project=project, instance="db-1",
                               body={"settings": {"deletionProtectionEnabled": False}}).execute()
    wait(sql, project, op)
    op = sql.instances().delete(project=project, instance="db-1").execute()
    assert op["operationType"] == "DELETE"
    _, done = wait(sql, project, op)
    assert "error" not in done
    status, error = http_error(sql.instances().get(project=project, instance="db-1"))
    assert status == 404 and error["errors"][0]["reason"] == "instanceDoesNotExist"


def test_pending_delete_state(make_emulator):
    server = make_emulator(time_scale=scale_for("instances", "delete", 1.5))
    sql, project = sql_client(server), "p-del"
    create(sql, project, "gone")
    op = sql.instances().delete(project=project, instance="gone").execute()
    assert sql.instances().get(project=project, instance="gone").execute()["state"] == "PENDING_DELETE"
    assert "gone" in [i["name"] for i in sql.instances().list(project=project).execute()["items"]]
    wait(sql, project, op)
    assert sql.instances().list(project=project).execute() == {"kind": "sql#instancesList"}


def test_name_cannot_be_reused_for_a_week(make_emulator):
    window = 1.5  # seconds: a week under this time scale
    server = make_emulator(time_scale=window / (7 * 24 * 3600))
    sql, project = sql_client(server), "p-reuse"
    create(sql, project, "reused", settings={"userLabels": {"generation": "1"}})
    sql.databases().insert(project=project, instance="reused", body={"name": "old"}).execute()
    time.sleep(0.05)
    _, done = wait(sql, project, sql.instances().delete(project=project, instance="reused").execute())
    deleted_at = time.monotonic()
    status, error = http_error(sql.instances().insert(project=project, body={"name": "reused",
                                                                              "settings": {"tier": TIER}}))
    assert status == 409 and error["errors"][0]["reason"] == "instanceAlreadyExists"
    assert "can't reuse the name of the deleted instance until one week" in error["message"]
    time.sleep(max(0.0, window + 0.2 - (time.monotonic() - deleted_at)))
    inst = create(sql, project, "reused", settings={"userLabels": {"generation": "2"}})
    assert inst["settings"]["userLabels"] == {"generation": "2"}
    names = [d["name"] for d in sql.databases().list(project=project, instance="reused").execute()["items"]]
    assert "old" not in names  # the new instance starts empty


def test_insert_fails_with_injected_operation_error(make_emulator):
    server = make_emulator(faults={"rules": [
        {"method_id": "sql.instances.insert", "operation_error": "QUOTA_EXCEEDED", "times": 1,
         "message": "Quota exceeded for quota metric 'Instances' in region us-central1."}]})
    sql, project = sql_client(server), "p-fault"
    op = sql.instances().insert(project=project, body={"name": "unlucky", "settings": {"tier": TIER}}).execute()
    _, done = wait(sql, project, op)
    assert done["error"]["kind"] == "sql#operationErrors"
    assert done["error"]["errors"] == [{"kind": "sql#operationError", "code": "QUOTA_EXCEEDED",
                                        "message": "Quota exceeded for quota metric 'Instances' in region "
                                                   "us-central1."}]
    status, _ = http_error(sql.instances().get(project=project, instance="unlucky"))
    assert status == 404  # nothing was created
    inst = create(sql, project, "unlucky")  # the fault fired once; the name is free
    assert inst["state"] == "RUNNABLE"


def test_list_pagination_and_filter(sql, project):
    for i in range(5):
        sql.instances().insert(project=project, body={
            "name": f"inst-{i}", "settings": {"tier": TIER, "userLabels": {"team": "a" if i % 2 else "b"}}}).execute()
    names, token, pages = [], None, 0
    while True:
        page = sql.instances().list(project=project, maxResults=2, pageToken=token).execute()
        pages += 1
        names += [i["name"] for i in page.get("items", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    assert names == [f"inst-{i}" for i in range(5)] and pages == 3
    team_a = sql.instances().list(project=project, filter="settings.userLabels.team:a").execute()
    assert [i["name"] for i in team_a["items"]] == ["inst-1", "inst-3"]
    assert sql.instances().list(project=f"{project}-empty").execute() == {"kind": "sql#instancesList"}
    status, _ = http_error(sql.instances().list(project=project, filter="a:1 OR b:2"))
    assert status == 400


def test_flags_list(sql):
    flags = sql.flags().list(databaseVersion="MYSQL_8_0").execute()
    names = {f["name"] for f in flags["items"]}
    assert "cloudsql_iam_authentication" in names and "cloudsql.iam_authentication" not in names
    pg = {f["name"] for f in sql.flags().list(databaseVersion="POSTGRES_15").execute()["items"]}
    assert "cloudsql.iam_authentication" in pg


def test_labels_are_checked(sql, project):
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "db-1", "settings": {"tier": TIER, "userLabels": {"Bad": "x"}}}))
    assert status == 400 and "Bad" in error["message"]
    status, error = http_error(sql.instances().insert(project=project, body={
        "name": "db-1", "settings": {"tier": TIER, "userLabels": {"ok": "Not Lower"}}}))
    assert status == 400


def test_state_is_shared_between_emulators_on_one_data_dir(make_emulator, tmp_path):
    """All state lives in the store: a second emulator process on the same SQLite file sees the same
    instance, the same operation and the same progression."""
    scale = scale_for("instances", "insert", 1.5)
    one = make_emulator(data_dir=tmp_path, time_scale=scale)
    two = make_emulator(data_dir=tmp_path, time_scale=scale)
    a, b, project = sql_client(one), sql_client(two), "p-shared"
    op = a.instances().insert(project=project, body={"name": "shared", "settings": {"tier": TIER}}).execute()
    assert b.instances().get(project=project, instance="shared").execute()["state"] == "PENDING_CREATE"
    _, finished = wait(b, project, op)
    assert finished["status"] == "DONE"
    assert a.instances().get(project=project, instance="shared").execute()["state"] == "RUNNABLE"
    status, error = http_error(b.instances().insert(project=project, body={"name": "shared",
                                                                            "settings": {"tier": TIER}}))
    assert status == 409
