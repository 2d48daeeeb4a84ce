"""Cloud Storage buckets against the emulator, driven by the official google-cloud-storage client
(STORAGE_EMULATOR_HOST) and google-api-python-client over real HTTP, in strict mode."""

from __future__ import annotations

import uuid

import pytest


def fresh(prefix: str = "bkt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def gcs(emulator, monkeypatch):
    """A google-cloud-storage client for a fresh project (it reads STORAGE_EMULATOR_HOST when built)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
    return storage.Client(project=fresh("proj"), credentials=AnonymousCredentials())


@pytest.fixture
def api(emulator):
    """google-api-python-client for storage v1 (api_endpoint replaces rootUrl + servicePath)."""
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("storage", "v1", credentials=AnonymousCredentials(), static_discovery=True,
                 client_options={"api_endpoint": emulator.url + "/storage/v1/"})


def http_error(excinfo) -> tuple[int, str, str]:
    import json

    e = excinfo.value
    body = json.loads(e.content)["error"]
    return e.resp.status, body["errors"][0]["reason"], body["message"]


def test_bucket_lifecycle(gcs):
    name = fresh()
    bucket = gcs.bucket(name)
    bucket.labels = {"env": "test", "managed-by": "gcpkit"}
    bucket.storage_class = "NEARLINE"
    created = gcs.create_bucket(bucket, location="europe-west1")
    assert created.name == name and created.id == name
    assert created.location == "EUROPE-WEST1" and created.location_type == "region"
    assert created.storage_class == "NEARLINE" and created.labels == {"env": "test", "managed-by": "gcpkit"}
    assert created.metageneration == 1 and created.etag == "CAE="
    assert created.self_link == f"https://www.googleapis.com/storage/v1/b/{name}"
    assert isinstance(created.project_number, int) and len(str(created.project_number)) == 12
    assert created.time_created is not None and created.updated is not None
    assert created.iam_configuration.uniform_bucket_level_access_enabled is False
    assert created.iam_configuration.public_access_prevention == "inherited"

    got = gcs.get_bucket(name)
    assert got._properties == created._properties

    got.labels = {"env": "prod"}  # the client sends null for the dropped "managed-by"
    got.versioning_enabled = True
    got.add_lifecycle_delete_rule(age=30)
    got.patch()
    assert got.labels == {"env": "prod"} and got.versioning_enabled is True
    assert got.metageneration == 2 and got.etag == "CAI="
    assert [dict(r) for r in got.lifecycle_rules] == [{"action": {"type": "Delete"}, "condition": {"age": 30}}]

    got.storage_class = "COLDLINE"
    got.labels = {}
    got.update()  # PUT: what is not sent is reset
    assert got.storage_class == "COLDLINE" and got.labels == {} and got.metageneration == 3
    assert gcs.get_bucket(name).storage_class == "COLDLINE"

    got.delete()
    from google.api_core import exceptions
    with pytest.raises(exceptions.NotFound, match="The specified bucket does not exist."):
        gcs.get_bucket(name)


def test_defaults_and_full_projection(api):
    project, name = fresh("proj"), fresh()
    created = api.buckets().insert(project=project, body={"name": name}).execute()
    assert created["location"] == "US" and created["locationType"] == "multi-region"
    assert created["storageClass"] == "STANDARD" and created["rpo"] == "DEFAULT"
    assert created["softDeletePolicy"]["retentionDurationSeconds"] == "604800"
    assert created["kind"] == "storage#bucket" and created["metageneration"] == "1"
    assert "acl" not in created and "owner" not in created  # insert defaults to noAcl
    full = api.buckets().get(bucket=name, projection="full").execute()
    number = created["projectNumber"]
    assert full["owner"] == {"entity": f"project-owners-{number}"}
    assert [a["entity"] for a in full["acl"]] == [f"project-{t}-{number}" for t in ("owners", "editors", "viewers")]
    patched = api.buckets().patch(bucket=name, body={"iamConfiguration": {
        "uniformBucketLevelAccess": {"enabled": True}, "publicAccessPrevention": "enforced"}}).execute()
    assert patched["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
    assert patched["iamConfiguration"]["bucketPolicyOnly"]["enabled"] is True
    assert "lockedTime" in patched["iamConfiguration"]["uniformBucketLevelAccess"]
    assert patched["iamConfiguration"]["publicAccessPrevention"] == "enforced"
    assert "acl" not in patched and "owner" in patched  # patch defaults to full; UBLA hides ACLs
    api.buckets().delete(bucket=name).execute()


def test_list_buckets_by_project_with_pages(gcs, emulator):
    names = sorted(fresh("lst") for _ in range(5))
    for name in names:
        gcs.create_bucket(name)
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    other = storage.Client(project=fresh("proj"), credentials=AnonymousCredentials())
    other.create_bucket(fresh("lst"))  # another project's bucket is not listed

    pages = gcs.list_buckets(max_results=10, page_size=2).pages
    seen = [[b.name for b in page] for page in pages]
    assert [len(p) for p in seen] == [2, 2, 1]
    assert [n for p in seen for n in p] == names
    assert [b.name for b in gcs.list_buckets(prefix=names[0][:8])] == [n for n in names if n.startswith(names[0][:8])]


@pytest.mark.parametrize("name", [
    "ab", "a" * 64, "Upper-case", "-starts-with-dash", "ends-with-dash-", "has space", "goog-prefixed",
    "my-google-bucket", "under_score_", "192.168.5.4", "a..b", "a.-b", "a-.b", "bad*char",
])
def test_bucket_name_rules(api, name):
    from googleapiclient.errors import HttpError

    # google-api-python-client, not google-cloud-storage, which checks some of these rules itself
    with pytest.raises(HttpError) as excinfo:
        api.buckets().insert(project=fresh("proj"), body={"name": name}).execute()
    assert http_error(excinfo) == (400, "invalid", f"Invalid bucket name: '{name}'")


@pytest.mark.parametrize("template", ["abc-{u}", "{u}" + "a" * 55, "with_underscore-{u}", "with.dots.{u}",
                                      "0-digit-start-{u}9"])
def test_valid_bucket_names(gcs, template):
    name = template.format(u=uuid.uuid4().hex[:8])
    assert gcs.create_bucket(name).name == name
    gcs.bucket(name).delete()


def test_bucket_names_are_global(gcs, emulator):
    from google.api_core import exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    name = fresh()
    gcs.create_bucket(name)
    with pytest.raises(exceptions.Conflict) as mine:
        gcs.create_bucket(name)
    assert mine.value.errors[0]["reason"] == "conflict"
    assert "you already own it" in mine.value.message
    stranger = storage.Client(project=fresh("proj"), credentials=AnonymousCredentials())
    with pytest.raises(exceptions.Conflict) as theirs:
        stranger.create_bucket(name)
    assert "The requested bucket name is not available." in theirs.value.message


def test_delete_non_empty_bucket_fails(gcs):
    from google.api_core import exceptions

    bucket = gcs.create_bucket(fresh())
    blob = bucket.blob("keep.txt")
    blob.upload_from_string(b"x")
    with pytest.raises(exceptions.Conflict) as excinfo:
        bucket.delete()
    assert excinfo.value.message.endswith("The bucket you tried to delete is not empty.")
    assert excinfo.value.errors[0]["reason"] == "conflict"
    blob.delete()
    bucket.delete()
    assert gcs.lookup_bucket(bucket.name) is None


def test_versioned_noncurrent_objects_keep_a_bucket(gcs):
    from google.api_core import exceptions

    bucket = gcs.bucket(fresh())
    bucket.versioning_enabled = True
    bucket = gcs.create_bucket(bucket)
    blob = bucket.blob("v")
    blob.upload_from_string(b"1")
    bucket.blob("v").delete()  # no generation named: the live version becomes noncurrent
    assert [b.name for b in bucket.list_blobs()] == []
    assert [b.generation for b in bucket.list_blobs(versions=True)] == [blob.generation]
    with pytest.raises(exceptions.Conflict):
        bucket.delete()
    bucket.delete(force=True)  # the client deletes every version first (list versions=True)


def test_metageneration_preconditions(gcs):
    from google.api_core import exceptions

    bucket = gcs.create_bucket(fresh())
    bucket.labels = {"a": "1"}
    with pytest.raises(exceptions.PreconditionFailed) as excinfo:
        bucket.patch(if_metageneration_match=7)
    assert excinfo.value.errors[0]["reason"] == "conditionNotMet"
    bucket.patch(if_metageneration_match=1)
    assert bucket.metageneration == 2
    with pytest.raises(exceptions.NotModified) as excinfo:  # a GET whose NotMatch fails: 304, as Google's
        bucket.reload(if_metageneration_not_match=2)
    assert excinfo.value.code == 304
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.delete(if_metageneration_match=1)
    bucket.delete(if_metageneration_match=2)


def test_invalid_inputs(api):
    from googleapiclient.errors import HttpError

    project = fresh("proj")
    with pytest.raises(HttpError) as excinfo:
        api.buckets().insert(project=project, body={"name": fresh(), "storageClass": "HOT"}).execute()
    assert http_error(excinfo)[:2] == (400, "invalid")
    with pytest.raises(HttpError) as excinfo:
        api.buckets().insert(project=project, body={"name": fresh(), "location": "mars-north1x"}).execute()
    assert http_error(excinfo) == (400, "invalid", "The specified location constraint is not valid.")
    with pytest.raises(HttpError) as excinfo:
        api.buckets().get(bucket=fresh()).execute()
    assert http_error(excinfo) == (404, "notFound", "The specified bucket does not exist.")
    with pytest.raises(HttpError) as excinfo:
        api.buckets().insert(project=project, body={"name": fresh(), "nonsense": 1}).execute()
    assert excinfo.value.resp.status == 400
