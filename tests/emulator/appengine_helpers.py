"""What the App Engine emulator tests share: google-api-python-client's appengine v1 on the session
emulator, a fresh project (= application id) per test, operation waiting, and files staged in the
emulated Cloud Storage with google-cloud-storage, as a deploy tool stages them."""

from __future__ import annotations

import hashlib
import json
import time
import uuid


def gae_client(server):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("appengine", "v1", client_options={"api_endpoint": server.endpoints()["appengine"]},
                 credentials=AnonymousCredentials(), static_discovery=True, cache_discovery=False)


def new_project() -> str:
    return f"gae-{uuid.uuid4().hex[:10]}"


def wait(gae, op: dict, timeout: float = 20.0) -> dict:
    """Poll apps.operations.get until done; return the done operation."""
    app_id, op_id = op["name"].split("/")[1], op["name"].rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    while not op.get("done"):
        assert time.monotonic() < deadline, f"operation {op['name']} not done after {timeout}s"
        time.sleep(0.01)
        op = gae.apps().operations().get(appsId=app_id, operationsId=op_id).execute()
    return op


def http_error(call) -> tuple[int, dict]:
    """(status, error body) of a call that must fail."""
    from googleapiclient.errors import HttpError

    try:
        call.execute()
    except HttpError as exc:
        return exc.resp.status, json.loads(exc.content)["error"]
    raise AssertionError("the call succeeded")


def create_app(gae, project: str, location: str = "us-central") -> dict:
    op = wait(gae, gae.apps().create(body={"id": project, "locationId": location}).execute())
    assert "error" not in op, op
    return op["response"]


def stage(server, project: str, files: dict[str, bytes]) -> tuple[str, dict]:
    """Create a bucket and upload each file under its SHA1; (bucket, Deployment.files manifest)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project=project, credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": server.url})
    bucket = client.create_bucket(f"{project}-staging")
    manifest = {}
    for path, data in files.items():
        digest = hashlib.sha1(data).hexdigest()
        bucket.blob(digest).upload_from_string(data)
        manifest[path] = {"sourceUrl": f"https://storage.googleapis.com/{bucket.name}/{digest}", "sha1Sum": digest}
    return bucket.name, manifest


def version_body(version_id: str, manifest: dict, **extra) -> dict:
    return {"id": version_id, "runtime": "python312", "env": "standard", "instanceClass": "F1",
            "automaticScaling": {"standardSchedulerSettings": {"minInstances": 0, "maxInstances": 2,
                                                               "targetCpuUtilization": 0.6}},
            "envVariables": {"GREETING": "hi"}, "entrypoint": {"shell": "gunicorn -b :$PORT main:app"},
            "handlers": [{"urlRegex": "/.*", "script": {"scriptPath": "auto"}, "securityLevel": "SECURE_ALWAYS"}],
            "deployment": {"files": manifest}, **extra}
