"""An emulator started with require_auth: its OAuth token endpoint for service-account keys, 401 for
missing/invalid/expired credentials and 403 for missing project roles, in Google's formats, all
driven through the official clients (google-auth, google-cloud-compute, google-api-python-client)."""

from __future__ import annotations

import datetime
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from gcpkit.emulator.core.auth import INVALID, MISSING
from gcpkit.emulator.core.auth_keys import BAD_SIGNATURE, BAD_TIMES
from gcpkit.emulator.core.permissions import permission_for

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


@pytest.fixture
def auth_emulator(make_emulator):
    return make_emulator(require_auth=True)


def _post(url: str, data: bytes, content_type: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


def mint(server, email: str, role: str | None = None, project: str | None = None) -> dict:
    body = {"serviceAccount": email, **({"role": role} if role else {}), **({"project": project} if project else {})}
    status, key, _ = _post(f"{server.url}/_emulator/keys", json.dumps(body).encode(), "application/json")
    assert status == 200, key
    return key


def account(project: str, name: str = "deployer") -> str:
    return f"{name}@{project}.iam.gserviceaccount.com"


def credentials(key: dict):
    from google.oauth2 import service_account

    return service_account.Credentials.from_service_account_info(key, scopes=SCOPES)


def token_request(server, assertion: str, grant_type: str = "urn:ietf:params:oauth:grant-type:jwt-bearer"):
    form = urllib.parse.urlencode({"grant_type": grant_type, "assertion": assertion}).encode()
    return _post(f"{server.url}/token", form, "application/x-www-form-urlencoded")


def assertion(key: dict, **claims) -> str:
    """A JWT-bearer assertion signed with the key, as google-auth makes it, with claims overridden."""
    from google.auth import crypt, jwt

    now = int(time.time())
    payload = {"iss": key["client_email"], "scope": " ".join(SCOPES), "aud": "https://oauth2.googleapis.com/token",
               "iat": now, "exp": now + 3600, **claims}
    signer = crypt.RSASigner.from_service_account_info(key)
    return jwt.encode(signer, payload).decode()


def compute(server, creds, name: str = "NetworksClient"):
    from google.api_core.client_options import ClientOptions
    from google.cloud import compute_v1

    return getattr(compute_v1, name)(credentials=creds, transport="rest",
                                     client_options=ClientOptions(api_endpoint=server.url))


def discovery(server, api: str, version: str, creds=None):
    """A googleapiclient service; without credentials it sends no Authorization header at all."""
    import httplib2
    from googleapiclient.discovery import build

    endpoint = server.url + "/storage/v1/" if api == "storage" else server.endpoints()[api]
    auth = {"credentials": creds} if creds is not None else {"http": httplib2.Http()}
    return build(api, version, client_options={"api_endpoint": endpoint}, static_discovery=True, **auth)


def with_bearer(request, token: str):
    """A request carrying a given bearer token and nothing that could refresh it."""
    request.headers["authorization"] = f"Bearer {token}"
    return request


def http_error(excinfo) -> tuple[int, dict]:
    return int(excinfo.value.resp.status), json.loads(excinfo.value.content)["error"]


# ---- the token endpoint ---------------------------------------------------------------------------


def test_a_minted_key_file_refreshes_into_a_short_lived_access_token(make_emulator):
    import google.auth.transport.requests

    server = make_emulator(require_auth=True, token_lifetime=600)
    key = mint(server, account("tok-project"))
    assert key["type"] == "service_account"
    assert key["client_email"] == "deployer@tok-project.iam.gserviceaccount.com"
    assert key["project_id"] == "tok-project"
    assert key["token_uri"] == f"{server.url}/token"
    assert key["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert len(key["private_key_id"]) == 40

    creds = credentials(key)
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.valid and creds.token.startswith("ya29.")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)  # google-auth's expiry is naive UTC
    assert 580 < (creds.expiry - now).total_seconds() <= 600  # the emulator's expires_in, not Google's hour
    assert server.log.counts()["by_method"] == {"oauth2.token": 1}


def test_a_tampered_signature_is_an_invalid_grant(auth_emulator):
    key = mint(auth_emulator, account("tamper-proj"))
    header, payload, signature = assertion(key).split(".")
    forged = "A" if signature[0] != "A" else "B"
    status, body, _ = token_request(auth_emulator, f"{header}.{payload}.{forged}{signature[1:]}")
    assert (status, body) == (400, {"error": "invalid_grant", "error_description": BAD_SIGNATURE})


def test_an_unknown_key_id_is_refused_through_google_auth(auth_emulator):
    import google.auth.transport.requests
    from google.auth.exceptions import RefreshError

    key = dict(mint(auth_emulator, account("unknown-kid")), private_key_id="0" * 40)
    with pytest.raises(RefreshError) as excinfo:
        credentials(key).refresh(google.auth.transport.requests.Request())
    assert excinfo.value.args[0] == f"invalid_grant: {BAD_SIGNATURE}"


def test_a_key_signed_by_another_emulator_is_refused(auth_emulator, make_emulator):
    import google.auth.transport.requests
    from google.auth.exceptions import RefreshError

    elsewhere = mint(make_emulator(require_auth=True), account("elsewhere"))
    with pytest.raises(RefreshError) as excinfo:
        credentials(dict(elsewhere, token_uri=f"{auth_emulator.url}/token")).refresh(
            google.auth.transport.requests.Request())
    assert excinfo.value.args[0] == f"invalid_grant: {BAD_SIGNATURE}"


@pytest.mark.parametrize("offsets", [  # (iat, exp) from now, taken when the test runs, not when collected
    (-7200, -3600),  # expired
    (0, 7200),  # longer than an hour
    (600, 1200),  # issued in the future
], ids=["expired", "too-long", "future"])
def test_assertions_outside_a_reasonable_timeframe_are_refused(auth_emulator, offsets):
    key = mint(auth_emulator, account("time-proj"))
    now = int(time.time())
    claims = {"iat": now + offsets[0], "exp": now + offsets[1]}
    status, body, _ = token_request(auth_emulator, assertion(key, **claims))
    assert (status, body) == (400, {"error": "invalid_grant", "error_description": BAD_TIMES})


def test_other_grants_and_audiences_get_oauth_errors(auth_emulator):
    key = mint(auth_emulator, account("grant-proj"))
    assert token_request(auth_emulator, assertion(key), grant_type="client_credentials")[:2] == (
        400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: client_credentials"})
    assert token_request(auth_emulator, "")[:2] == (
        400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"})
    assert token_request(auth_emulator, assertion(key, aud="https://example.com/token"))[:2] == (
        400, {"error": "invalid_grant", "error_description": "Invalid JWT: Failed audience check. The right "
              "audience is https://oauth2.googleapis.com/token"})


# ---- 401 ------------------------------------------------------------------------------------------


def test_no_token_or_a_foreign_jwt_is_401_in_googles_format(auth_emulator):
    from google.api_core.exceptions import Unauthorized
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as excinfo:
        discovery(auth_emulator, "dns", "v1").managedZones().list(project="p401").execute()
    status, error = http_error(excinfo)
    assert status == 401
    assert error["message"] == MISSING
    assert error["status"] == "UNAUTHENTICATED"
    assert error["errors"] == [{"message": "Login Required.", "domain": "global", "reason": "required",
                                "location": "Authorization", "locationType": "header"}]
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert excinfo.value.resp["www-authenticate"] == 'Bearer realm="https://accounts.google.com/"'

    # google-cloud-compute signs its own JWT with the key: one the emulator never minted is refused too.
    unknown = dict(mint(auth_emulator, account("p401-project")), private_key_id="f" * 40)
    with pytest.raises(Unauthorized) as compute_error:
        list(compute(auth_emulator, credentials(unknown)).list(project="p401-project"))
    assert compute_error.value.errors[0]["reason"] == "authError"
    assert compute_error.value.message.endswith(INVALID)


def test_an_expired_or_unknown_token_is_401_and_google_auth_refreshes_past_it(make_emulator):
    import google.auth.transport.requests
    from googleapiclient.errors import HttpError

    server = make_emulator(require_auth=True, token_lifetime=0.5)
    key = mint(server, account("exp-project"), role="roles/viewer")
    creds = credentials(key)
    creds.refresh(google.auth.transport.requests.Request())
    issued = creds.token
    time.sleep(0.6)  # let the emulator's token expire (lifetime 0.5 s)

    for token, reason in ((issued, "ACCESS_TOKEN_EXPIRED"), ("ya29.never-issued", "ACCESS_TOKEN_TYPE_UNSUPPORTED")):
        with pytest.raises(HttpError) as excinfo:
            with_bearer(discovery(server, "dns", "v1").managedZones().list(project="exp-project"), token).execute()
        status, error = http_error(excinfo)
        assert (status, error["message"], error["status"]) == (401, INVALID, "UNAUTHENTICATED")
        assert error["errors"][0]["reason"] == "authError"
        assert error["details"][0]["reason"] == reason
        assert excinfo.value.resp["www-authenticate"] == \
            'Bearer realm="https://accounts.google.com/", error="invalid_token"'

    # The same expired credentials, used by a client library, refresh themselves and get through.
    assert discovery(server, "dns", "v1", creds).managedZones().list(project="exp-project").execute() == \
        {"kind": "dns#managedZonesListResponse"}
    assert creds.token != issued
    assert server.log.counts()["by_method"]["oauth2.token"] == 2


# ---- 403 and the role model -----------------------------------------------------------------------


def test_no_role_on_the_project_is_403_naming_the_compute_permission(auth_emulator):
    from google.api_core.exceptions import Forbidden
    from google.cloud import compute_v1

    project = f"p-{uuid.uuid4().hex[:10]}"
    creds = credentials(mint(auth_emulator, account(project, "no-role")))
    instance = compute_v1.Instance(name="vm-1", machine_type="zones/us-central1-a/machineTypes/e2-micro")
    with pytest.raises(Forbidden) as excinfo:
        compute(auth_emulator, creds, "InstancesClient").insert(project=project, zone="us-central1-a",
                                                                 instance_resource=instance)
    assert excinfo.value.errors == [{
        "message": f"Required 'compute.instances.create' permission for "
                   f"'projects/{project}/zones/us-central1-a/instances/vm-1'",
        "domain": "global", "reason": "forbidden"}]


def test_each_api_words_its_403_like_google(auth_emulator):
    from googleapiclient.errors import HttpError

    project = f"p-{uuid.uuid4().hex[:10]}"
    email = account(project, "no-role")
    creds = credentials(mint(auth_emulator, email))
    calls = {
        "storage": lambda: discovery(auth_emulator, "storage", "v1", creds).buckets().insert(
            project=project, body={"name": f"{project}-bucket"}).execute(),
        "secretmanager": lambda: discovery(auth_emulator, "secretmanager", "v1", creds).projects().secrets().create(
            parent=f"projects/{project}", secretId="s1", body={"replication": {"automatic": {}}}).execute(),
        "cloudresourcemanager": lambda: discovery(auth_emulator, "cloudresourcemanager", "v3", creds).projects()
        .getIamPolicy(resource=f"projects/{project}", body={}).execute(),
        "sqladmin": lambda: discovery(auth_emulator, "sqladmin", "v1", creds).instances().list(
            project=project).execute(),
    }
    messages = {}
    for api, call in calls.items():
        with pytest.raises(HttpError) as excinfo:
            call()
        status, error = http_error(excinfo)
        assert status == 403, api
        messages[api] = (error["message"], error.get("status"))
    assert messages == {
        "storage": ((f"{email} does not have storage.buckets.create access to the Google Cloud project. "
                    "Permission 'storage.buckets.create' denied on resource (or it may not exist)."), None),
        "secretmanager": ((f"Permission 'secretmanager.secrets.create' denied on resource 'projects/{project}' "
                          "(or it may not exist)."), "PERMISSION_DENIED"),
        "cloudresourcemanager": ("The caller does not have permission", "PERMISSION_DENIED"),
        "sqladmin": ("The client is not authorized to make this request.", "PERMISSION_DENIED"),
    }


def test_editor_creates_through_both_client_families(auth_emulator):
    from google.cloud import compute_v1

    project = f"p-{uuid.uuid4().hex[:10]}"
    creds = credentials(mint(auth_emulator, account(project), role="roles/editor"))
    # google-cloud-compute signs its own JWTs with the key; googleapiclient goes through /token.
    op = compute(auth_emulator, creds).insert(project=project, network_resource=compute_v1.Network(
        name="net-1", auto_create_subnetworks=False))
    done = compute(auth_emulator, creds, "GlobalOperationsClient").wait(project=project, operation=op.name)
    assert done.status == compute_v1.Operation.Status.DONE and not done.error.errors
    zone = discovery(auth_emulator, "dns", "v1", creds).managedZones().create(project=project, body={
        "name": "zone-1", "dnsName": "example.com.", "description": "d"}).execute()
    assert zone["name"] == "zone-1"
    counts = auth_emulator.log.counts()
    assert counts["by_method"]["compute.networks.insert"] == 1 and counts["by_method"]["oauth2.token"] == 1
    assert set(counts["by_status"]) == {"200"}


def test_roles_come_from_the_project_policy_set_through_resource_manager(auth_emulator):
    from google.api_core.exceptions import Forbidden
    from google.cloud import compute_v1
    from googleapiclient.errors import HttpError

    project = f"p-{uuid.uuid4().hex[:10]}"
    owner = credentials(mint(auth_emulator, account(project, "owner-sa"), role="roles/owner"))
    editor = credentials(mint(auth_emulator, account(project, "editor-sa"), role="roles/editor"))
    reader_email = account(project, "reader-sa")
    reader = credentials(mint(auth_emulator, reader_email))
    resource = f"projects/{project}"

    def rm(creds):
        return discovery(auth_emulator, "cloudresourcemanager", "v3", creds).projects()

    policy = rm(owner).getIamPolicy(resource=resource, body={}).execute()
    policy["bindings"].append({"role": "roles/viewer", "members": [f"serviceAccount:{reader_email}"]})
    with pytest.raises(HttpError) as excinfo:  # editor may not change IAM policies, as on GCP
        rm(editor).setIamPolicy(resource=resource, body={"policy": policy}).execute()
    assert http_error(excinfo)[0] == 403
    rm(owner).setIamPolicy(resource=resource, body={"policy": policy}).execute()

    assert list(compute(auth_emulator, reader).list(project=project)) is not None  # viewer may list
    with pytest.raises(Forbidden) as denied:
        compute(auth_emulator, reader).insert(project=project, network_resource=compute_v1.Network(name="n2"))
    assert denied.value.errors[0]["message"] == \
        f"Required 'compute.networks.create' permission for '{resource}/global/networks/n2'"


# ---- what is kept, and an emulator without --require-auth ----------------------------------------


def test_no_token_key_or_assertion_reaches_the_store_or_the_request_log(make_emulator, tmp_path):
    import google.auth.transport.requests

    log = tmp_path / "requests.jsonl"
    server = make_emulator(require_auth=True, data_dir=tmp_path / "data", log_requests=log)
    key = mint(server, account("secret-proj"), role="roles/editor")
    creds = credentials(key)
    creds.refresh(google.auth.transport.requests.Request())
    signed = assertion(key)
    token_request(server, signed)
    discovery(server, "dns", "v1", creds).managedZones().list(project="secret-proj").execute()
    server.stop()

    kept = log.read_bytes() + b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir())
    private_body = "".join(key["private_key"].splitlines()[1:-1])
    for secret in (creds.token, signed, signed.split(".")[2], private_body[:64], "PRIVATE KEY"):
        assert secret.encode() not in kept
    assert b'"path": "/token"' in log.read_bytes()  # token requests are logged, without their bodies


def test_without_require_auth_there_is_no_token_endpoint_and_anonymous_calls_work(emulator, anonymous_credentials):
    for path, data in (("/token", b"grant_type=x"), ("/_emulator/keys", b"{}")):
        assert _post(emulator.url + path, data, "application/json")[0] == 404
    with urllib.request.urlopen(emulator.url + "/_emulator/health") as response:
        assert json.loads(response.read())["require_auth"] is False
    assert list(compute(emulator, anonymous_credentials).list(project="open-project")) is not None


@pytest.mark.parametrize("method_id, permission", [
    ("compute.instances.insert", "compute.instances.create"),
    ("compute.instances.aggregatedList", "compute.instances.list"),
    ("compute.zoneOperations.wait", "compute.zoneOperations.get"),
    ("compute.instances.setLabels", "compute.instances.setLabels"),
    ("sql.instances.patch", "cloudsql.instances.update"),
    ("storage.objects.insert", "storage.objects.create"),
    ("dns.resourceRecordSets.create", "dns.resourceRecordSets.create"),
    ("secretmanager.projects.secrets.versions.access", "secretmanager.versions.access"),
    ("secretmanager.projects.secrets.addVersion", "secretmanager.versions.add"),
    ("iam.projects.serviceAccounts.create", "iam.serviceAccounts.create"),
    ("container.projects.locations.clusters.create", "container.clusters.create"),
    ("cloudresourcemanager.projects.setIamPolicy", "resourcemanager.projects.setIamPolicy"),
])
def test_method_ids_map_to_iam_permissions(method_id, permission):
    assert permission_for(method_id) == permission
