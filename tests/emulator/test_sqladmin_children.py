"""Cloud SQL Admin databases, users and operations through google-api-python-client, over HTTP,
against the strict emulator."""

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


def done(sql, project, op, timeout=30.0):
    deadline = time.monotonic() + timeout
    while op["status"] != "DONE":
        assert time.monotonic() < deadline, f"operation {op['name']} not DONE after {timeout}s"
        time.sleep(0.01)
        op = sql.operations().get(project=project, operation=op["name"]).execute()
    assert "error" not in op, op
    return op


def instance(sql, project, name="db-1", version="MYSQL_8_0"):
    op = sql.instances().insert(project=project, body={"name": name, "databaseVersion": version,
                                                       "settings": {"tier": TIER}}).execute()
    done(sql, project, op)
    return name


# ---- databases ---------------------------------------------------------------------------------

def test_database_lifecycle(sql, project):
    instance(sql, project)
    status, error = http_error(sql.databases().get(project=project, instance="db-1", database="app"))
    assert status == 404 and error == {"code": 404, "message": "Not Found", "status": "NOT_FOUND",
                                       "errors": [{"message": "Not Found", "domain": "global", "reason": "notFound"}]}
    op = sql.databases().insert(project=project, instance="db-1", body={"name": "app", "instance": "db-1"}).execute()
    assert op["operationType"] == "CREATE_DATABASE" and op["targetLink"].endswith("/instances/db-1/databases/app")
    done(sql, project, op)
    db = sql.databases().get(project=project, instance="db-1", database="app").execute()
    assert db["kind"] == "sql#database" and db["charset"] == "utf8mb4" and db["collation"] == "utf8mb4_0900_ai_ci"
    assert db["selfLink"].endswith(f"/projects/{project}/instances/db-1/databases/app") and db["etag"]
    names = [d["name"] for d in sql.databases().list(project=project, instance="db-1").execute()["items"]]
    assert names == ["app", "information_schema", "mysql", "performance_schema", "sys"]

    status, error = http_error(sql.databases().insert(project=project, instance="db-1", body={"name": "app"}))
    assert status == 409

    op = sql.databases().patch(project=project, instance="db-1", database="app",
                               body={"collation": "utf8mb4_bin"}).execute()
    assert op["operationType"] == "UPDATE_DATABASE"
    done(sql, project, op)
    db = sql.databases().get(project=project, instance="db-1", database="app").execute()
    assert db["collation"] == "utf8mb4_bin" and db["charset"] == "utf8mb4"

    op = sql.databases().delete(project=project, instance="db-1", database="app").execute()
    assert op["operationType"] == "DELETE_DATABASE"
    done(sql, project, op)
    status, _ = http_error(sql.databases().get(project=project, instance="db-1", database="app"))
    assert status == 404


def test_database_of_unknown_instance(sql, project):
    status, error = http_error(sql.databases().list(project=project, instance="nope"))
    assert status == 404 and error["errors"][0]["reason"] == "instanceDoesNotExist"
    status, error = http_error(sql.databases().insert(project=project, instance="nope", body={"name": "x"}))
    assert status == 404 and error["errors"][0]["reason"] == "instanceDoesNotExist"


def test_postgres_defaults(sql, project):
    instance(sql, project, "pg", "POSTGRES_15")
    dbs = sql.databases().list(project=project, instance="pg").execute()["items"]
    assert [(d["name"], d["charset"]) for d in dbs] == [("postgres", "UTF8")]
    users = sql.users().list(project=project, instance="pg").execute()["items"]
    assert [u["name"] for u in users] == ["postgres"] and "host" not in users[0]
    done(sql, project, sql.databases().insert(project=project, instance="pg", body={"name": "app"}).execute())
    app = sql.databases().get(project=project, instance="pg", database="app").execute()
    assert (app["charset"], app["collation"]) == ("UTF8", "en_US.UTF8")


# ---- users -------------------------------------------------------------------------------------

def test_built_in_user_password_is_write_only(sql, project):
    instance(sql, project)
    op = sql.users().insert(project=project, instance="db-1",
                            body={"name": "app", "password": "hunter2-secret"}).execute()
    assert op["operationType"] == "CREATE_USER"
    done(sql, project, op)
    user = sql.users().get(project=project, instance="db-1", name="app", host="%").execute()
    assert user["kind"] == "sql#user" and user["host"] == "%" and "type" not in user
    assert user["iamStatus"] == "IAM_STATUS_UNSPECIFIED" and user["passwordPolicy"] == {"status": {}}
    op = sql.users().update(project=project, instance="db-1", name="app", host="%",
                            body={"password": "new-hunter3-secret"}).execute()
    assert op["operationType"] == "UPDATE_USER"
    done(sql, project, op)
    everything = json.dumps([user, op, sql.users().list(project=project, instance="db-1").execute(),
                             sql.operations().list(project=project).execute()])
    assert "hunter" not in everything and "password\"" not in everything

    op = sql.users().delete(project=project, instance="db-1", name="app", host="%").execute()
    assert op["operationType"] == "DELETE_USER"
    done(sql, project, op)
    status, error = http_error(sql.users().get(project=project, instance="db-1", name="app", host="%"))
    assert status == 404
    names = [u["name"] for u in sql.users().list(project=project, instance="db-1").execute()["items"]]
    assert names == ["root"]


def test_iam_service_account_user(sql, project):
    instance(sql, project)
    email = f"app@{project}.iam.gserviceaccount.com"
    status, error = http_error(sql.users().insert(project=project, instance="db-1", body={
        "name": email, "type": "CLOUD_IAM_SERVICE_ACCOUNT"}))
    assert status == 400 and f"app@{project}.iam" in error["message"]
    status, error = http_error(sql.users().insert(project=project, instance="db-1", body={
        "name": f"app@{project}.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT", "password": "x"}))
    assert status == 400
    done(sql, project, sql.users().insert(project=project, instance="db-1", body={
        "name": f"app@{project}.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}).execute())
    done(sql, project, sql.users().insert(project=project, instance="db-1", body={
        "name": "alice@example.com", "type": "CLOUD_IAM_USER"}).execute())
    users = {u["name"]: u for u in sql.users().list(project=project, instance="db-1").execute()["items"]}
    assert users[f"app@{project}.iam"]["type"] == "CLOUD_IAM_SERVICE_ACCOUNT"
    assert users["alice@example.com"]["type"] == "CLOUD_IAM_USER"
    status, _ = http_error(sql.users().insert(project=project, instance="db-1", body={
        "name": f"app@{project}.iam", "type": "CLOUD_IAM_SERVICE_ACCOUNT"}))
    assert status == 409


def test_users_of_unknown_instance(sql, project):
    status, error = http_error(sql.users().list(project=project, instance="nope"))
    assert status == 404 and error["errors"][0]["reason"] == "instanceDoesNotExist"


def test_user_operation_fault(make_emulator):
    server = make_emulator(faults={"rules": [{"method_id": "sql.users.insert", "operation_error": "INTERNAL_ERROR",
                                              "message": "An internal error has occurred."}]})
    sql, project = sql_client(server), "p-user-fault"
    instance(sql, project)
    op = sql.users().insert(project=project, instance="db-1", body={"name": "app", "password": "pw"}).execute()
    while op["status"] != "DONE":
        time.sleep(0.01)
        op = sql.operations().get(project=project, operation=op["name"]).execute()
    assert op["error"]["errors"][0]["code"] == "INTERNAL_ERROR"
    assert [u["name"] for u in sql.users().list(project=project, instance="db-1").execute()["items"]] == ["root"]


# ---- operations --------------------------------------------------------------------------------

def test_operations_list_and_get(sql, project):
    instance(sql, project, "a")
    instance(sql, project, "b")
    for name in ("x", "y"):
        done(sql, project, sql.databases().insert(project=project, instance="a", body={"name": name}).execute())
    ops = sql.operations().list(project=project, instance="a").execute()
    assert ops["kind"] == "sql#operationsList"
    assert [o["operationType"] for o in ops["items"]] == ["CREATE_DATABASE", "CREATE_DATABASE", "CREATE"]
    assert all(o["status"] == "DONE" and o["targetId"] == "a" for o in ops["items"])
    seen, token = [], None
    while True:
        page = sql.operations().list(project=project, maxResults=2, pageToken=token).execute()
        seen += [o["name"] for o in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(seen) == 4 and len(set(seen)) == 4
    one = sql.operations().get(project=project, operation=seen[0]).execute()
    assert one["selfLink"].endswith(f"/projects/{project}/operations/{seen[0]}")
    status, error = http_error(sql.operations().get(project=project, operation=str(uuid.uuid4())))
    assert status == 404 and error["errors"][0]["reason"] == "operationDoesNotExist"
