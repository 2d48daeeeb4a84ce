"""Cloud Storage state lives only in the store: two emulators on one data dir (as two processes
would be) see the same buckets, objects and upload sessions; injected faults reach media requests."""

from __future__ import annotations

import io
import uuid

import pytest


def client(server, monkeypatch, project: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", server.url)  # read when the client is built
    return storage.Client(project=project, credentials=AnonymousCredentials())


def test_two_emulators_share_one_store(make_emulator, tmp_path, monkeypatch):
    import requests

    a = make_emulator(data_dir=tmp_path)
    b = make_emulator(data_dir=tmp_path)
    project, name = f"proj-{uuid.uuid4().hex[:8]}", f"shared-{uuid.uuid4().hex[:8]}"
    ca, cb = client(a, monkeypatch, project), client(b, monkeypatch, project)
    ca.create_bucket(name)
    ca.bucket(name).blob("x").upload_from_string(b"from a")
    assert cb.bucket(name).blob("x").download_as_bytes() == b"from a"
    got = cb.bucket(name).get_blob("x")
    assert got.media_link.startswith(b.url)  # links lead back to the emulator that answered

    # a resumable session opened on one emulator completes on the other
    start = requests.post(f"{a.url}/upload/storage/v1/b/{name}/o?uploadType=resumable&name=r")
    session = start.headers["Location"].replace(a.url, b.url)
    assert requests.put(session, data=b"abc", headers={"Content-Range": "bytes 0-2/*"}).status_code == 308
    done = requests.put(session.replace(b.url, a.url), headers={"Content-Range": "bytes */3"})
    assert done.status_code == 200 and done.json()["size"] == "3"

    from google.api_core import exceptions
    winners = 0
    for c in (ca, cb):
        try:
            c.bucket(name).blob("lock").upload_from_file(io.BytesIO(b"1"), if_generation_match=0)
            winners += 1
        except exceptions.PreconditionFailed:
            pass
    assert winners == 1


def test_faults_reach_downloads(make_emulator, monkeypatch):
    from google.api_core import exceptions

    server = make_emulator(faults={"rules": [{"method_id": "storage.objects.get", "error": 403}]})
    c = client(server, monkeypatch, f"proj-{uuid.uuid4().hex[:8]}")
    bucket = c.create_bucket(f"faults-{uuid.uuid4().hex[:8]}")
    bucket.blob("o").upload_from_string(b"x")
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("o").download_as_bytes()
    assert server.log.counts()["by_status"].get("403", 0) >= 1
