"""Bucket IAM against the emulator: getIamPolicy / setIamPolicy round trip with etags (a stale
etag fails 412), testIamPermissions, and public access prevention."""

from __future__ import annotations

import uuid

import pytest


def fresh(prefix: str = "iam") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def gcs(emulator, monkeypatch):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
    return storage.Client(project=fresh("proj"), credentials=AnonymousCredentials())


def test_iam_round_trip_with_etag(gcs):
    from google.api_core import exceptions

    bucket = gcs.create_bucket(fresh())
    policy = bucket.get_iam_policy()
    assert policy.etag == bucket.etag == "CAE=" and policy.version == 1
    roles = {b["role"]: b["members"] for b in policy.bindings}
    assert roles["roles/storage.legacyBucketOwner"] == {f"projectOwner:{gcs.project}", f"projectEditor:{gcs.project}"}

    policy.bindings.append({"role": "roles/storage.objectViewer",
                            "members": {"user:alice@example.com", "serviceAccount:sa@p.iam.gserviceaccount.com"}})
    stale_etag = policy.etag
    updated = bucket.set_iam_policy(policy)
    assert updated.etag != stale_etag
    got = bucket.get_iam_policy()
    assert got.etag == updated.etag
    assert {b["role"]: b["members"] for b in got.bindings}["roles/storage.objectViewer"] == {
        "user:alice@example.com", "serviceAccount:sa@p.iam.gserviceaccount.com"}
    bucket.reload()
    assert bucket.metageneration == 2 and bucket.etag == got.etag  # the policy is part of the bucket

    policy.bindings.append({"role": "roles/storage.admin", "members": {"user:mallory@example.com"}})
    with pytest.raises(exceptions.PreconditionFailed) as excinfo:
        bucket.set_iam_policy(policy)  # still carries the first etag: someone changed it since
    assert excinfo.value.errors[0]["reason"] == "conditionNotMet"
    assert "roles/storage.admin" not in {b["role"] for b in bucket.get_iam_policy().bindings}


def test_invalid_bindings(gcs):
    from google.api_core import exceptions

    bucket = gcs.create_bucket(fresh())
    for role, member in (("storage.objectViewer", "user:a@example.com"),
                         ("roles/storage.objectViewer", "alice@example.com")):
        policy = bucket.get_iam_policy()
        policy.bindings.append({"role": role, "members": {member}})
        with pytest.raises(exceptions.BadRequest):
            bucket.set_iam_policy(policy)


def test_public_access_prevention_blocks_all_users(gcs):
    from google.api_core import exceptions

    bucket = gcs.bucket(fresh())
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket = gcs.create_bucket(bucket)
    policy = bucket.get_iam_policy()
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
    with pytest.raises(exceptions.PreconditionFailed, match="public access prevention is enforced"):
        bucket.set_iam_policy(policy)


def test_test_iam_permissions(gcs):
    from google.api_core import exceptions

    bucket = gcs.create_bucket(fresh())
    wanted = ["storage.buckets.get", "storage.objects.create"]
    assert bucket.test_iam_permissions(wanted) == wanted
    with pytest.raises(exceptions.BadRequest):
        bucket.test_iam_permissions(["compute.instances.get"])
    with pytest.raises(exceptions.NotFound):
        gcs.bucket(fresh()).test_iam_permissions(wanted)
