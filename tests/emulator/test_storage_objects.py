"""Cloud Storage objects against the emulator: uploads of each kind (media, multipart, resumable in
chunks), downloads (whole, ranges, both URL forms), generations and versioning, preconditions
(412, and ifGenerationMatch=0 races), listing, patch and delete. Official clients over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
import uuid

import pytest


def fresh(prefix: str = "obj") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def gcs(emulator, monkeypatch):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.url)
    return storage.Client(project=fresh("proj"), credentials=AnonymousCredentials())


@pytest.fixture
def bucket(gcs):
    return gcs.create_bucket(fresh("bkt"))


@pytest.fixture
def api(emulator):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    return build("storage", "v1", credentials=AnonymousCredentials(), static_discovery=True,
                 client_options={"api_endpoint": emulator.url + "/storage/v1/"})


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


# ---- uploads and downloads ----------------------------------------------------------------------

def test_multipart_upload_with_metadata(bucket):
    blob = bucket.blob("dir/hello.txt")
    blob.metadata = {"owner": "gcpkit"}
    blob.cache_control = "no-cache"
    blob.upload_from_string(b"hello world", content_type="text/plain")  # small: multipart
    assert blob.size == 11 and blob.md5_hash == md5(b"hello world")
    assert blob.crc32c == "yZRlqg=="  # crc32c("hello world"), as Google computes it
    assert blob.content_type == "text/plain" and blob.metadata == {"owner": "gcpkit"}
    assert blob.generation > 0 and blob.metageneration == 1 and blob.storage_class == "STANDARD"
    assert blob.id == f"{bucket.name}/dir/hello.txt/{blob.generation}"
    got = bucket.get_blob("dir/hello.txt")
    assert got.cache_control == "no-cache" and got.etag == blob.etag
    assert got.download_as_bytes() == b"hello world"  # through mediaLink
    assert bucket.blob("dir/hello.txt").download_as_text() == "hello world"  # through /download/...


def test_resumable_upload_in_chunks(bucket, emulator):
    import io

    # google-cloud-storage 3.x sends up to 8 MiB of known size as one multipart request even with
    # chunk_size set; a stream of unknown size (or more than 8 MiB) goes resumable, chunk by chunk.
    data = os.urandom(3 * 256 * 1024 + 1234)
    before = emulator.log.counts()["by_method"].get("storage.objects.insert", 0)
    blob = bucket.blob("big.bin", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(data), content_type="application/x-test")
    assert emulator.log.counts()["by_method"]["storage.objects.insert"] - before == 5  # start + 4 chunks
    assert blob.size == len(data) and blob.md5_hash == md5(data) and blob.content_type == "application/x-test"
    assert bucket.blob("big.bin").download_as_bytes() == data
    chunked = bucket.blob("big.bin", chunk_size=256 * 1024)  # chunked download: Range requests, 206
    assert chunked.download_as_bytes() == data


def test_resumable_upload_over_8_mib(bucket):
    data = os.urandom(8 * 1024 * 1024 + 17)
    blob = bucket.blob("huge.bin", chunk_size=4 * 1024 * 1024)
    blob.upload_from_string(data)
    assert blob.size == len(data)
    assert bucket.blob("huge.bin").download_as_bytes() == data


def test_resumable_upload_of_a_file_without_size(bucket):
    data = b"x" * (256 * 1024 * 2)  # an exact multiple of the chunk: the last PUT says "bytes */N"
    blob = bucket.blob("exact.bin", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(data), size=None)
    assert bucket.get_blob("exact.bin").size == len(data)
    assert blob.download_as_bytes() == data


def test_media_upload_and_api_client_download(emulator, api, bucket):
    import requests

    # uploadType=media over plain HTTP: google-api-python-client can't be used for uploads here,
    # since it keeps https:// when api_endpoint moves the media URL to another host.
    url = f"{emulator.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=media&name=dir/simple.txt"
    r = requests.post(url, data=b"simple bytes", headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    simple = r.json()
    assert simple["size"] == "12" and simple["contentType"] == "text/plain" and simple["kind"] == "storage#object"
    assert isinstance(simple["generation"], str) and simple["metageneration"] == "1"
    assert api.objects().get_media(bucket=bucket.name, object="dir/simple.txt").execute() == b"simple bytes"
    got = api.objects().get(bucket=bucket.name, object="dir/simple.txt").execute()
    assert got["md5Hash"] == md5(b"simple bytes") and got["generation"] == simple["generation"]
    r = requests.post(f"{emulator.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=media", data=b"x")
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "required"


def test_download_ranges_and_headers(bucket, emulator):
    import requests

    data = bytes(range(256)) * 4
    blob = bucket.blob("r.bin")
    blob.upload_from_string(data)
    assert blob.download_as_bytes(start=10, end=19) == data[10:20]
    assert blob.download_as_bytes(start=1000) == data[1000:]
    url = f"{emulator.url}/download/storage/v1/b/{bucket.name}/o/r.bin?alt=media"
    r = requests.get(url, headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == data[-5:] and r.headers["Content-Range"] == "bytes 1019-1023/1024"
    assert r.headers["X-Goog-Generation"] == str(blob.generation)
    assert f"md5={md5(data)}" in r.headers["X-Goog-Hash"]
    r = requests.get(url, headers={"Range": "bytes=5000-"})
    assert r.status_code == 416
    r = requests.get(f"{emulator.url}/storage/v1/b/{bucket.name}/o/nope?alt=media")
    assert r.status_code == 404 and r.json()["error"]["message"] == f"No such object: {bucket.name}/nope"


def test_odd_object_names(bucket):
    for name in ("a b/c d.txt", "ünïcode/ß", "percent%2Fliteral", "q?x#y", "trailing/"):
        blob = bucket.blob(name)
        blob.upload_from_string(name.encode())
        assert bucket.get_blob(name).name == name
        assert bucket.blob(name).download_as_bytes() == name.encode()
    assert sorted(b.name for b in bucket.list_blobs()) == sorted(
        ["a b/c d.txt", "ünïcode/ß", "percent%2Fliteral", "q?x#y", "trailing/"])


def test_multipart_checksum_mismatch_is_rejected(emulator, bucket):
    import requests

    meta = json.dumps({"name": "c", "md5Hash": md5(b"other")})
    body = (f"--XX\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{meta}\r\n"
            f"--XX\r\nContent-Type: text/plain\r\n\r\npayload\r\n--XX--\r\n").encode()
    url = f"{emulator.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=multipart"
    r = requests.post(url, data=body, headers={"Content-Type": 'multipart/related; boundary="XX"'})
    assert r.status_code == 400 and "doesn't match calculated MD5" in r.json()["error"]["message"]
    ok = requests.post(url, data=body.replace(md5(b"other").encode(), md5(b"payload").encode()),
                       headers={"Content-Type": 'multipart/related; boundary="XX"'})
    assert ok.status_code == 200 and ok.json()["contentType"] == "text/plain"
    assert bucket.blob("c").download_as_bytes() == b"payload"


# ---- generations, versioning, preconditions -----------------------------------------------------

def test_generations_and_versions(gcs):
    bucket = gcs.bucket(fresh("bkt"))
    bucket.versioning_enabled = True
    bucket = gcs.create_bucket(bucket)
    first = bucket.blob("f")
    first.upload_from_string(b"one")
    second = bucket.blob("f")
    second.upload_from_string(b"two")
    assert second.generation > first.generation
    assert bucket.blob("f", generation=first.generation).download_as_bytes() == b"one"
    assert bucket.blob("f").download_as_bytes() == b"two"
    versions = list(bucket.list_blobs(versions=True))
    assert [(v.name, v.generation) for v in versions] == [("f", first.generation), ("f", second.generation)]
    assert versions[0].time_deleted is not None and versions[1].time_deleted is None
    assert [b.generation for b in bucket.list_blobs()] == [second.generation]
    bucket.delete_blob("f", generation=first.generation)  # that version, for good
    assert [v.generation for v in bucket.list_blobs(versions=True)] == [second.generation]


def test_overwrite_without_versioning_drops_the_old_generation(bucket):
    from google.api_core import exceptions

    first = bucket.blob("o")
    first.upload_from_string(b"one")
    bucket.blob("o").upload_from_string(b"two")
    with pytest.raises(exceptions.NotFound):
        bucket.blob("o", generation=first.generation).download_as_bytes()
    assert len(list(bucket.list_blobs(versions=True))) == 1


def test_preconditions(bucket):
    from google.api_core import exceptions

    blob = bucket.blob("p")
    blob.upload_from_string(b"v1", if_generation_match=0)  # only if absent: it is
    gen = blob.generation
    with pytest.raises(exceptions.PreconditionFailed) as excinfo:
        bucket.blob("p").upload_from_string(b"v2", if_generation_match=0)
    assert excinfo.value.code == 412
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("p").upload_from_string(b"v2", if_generation_match=gen + 1)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("p").upload_from_string(b"v2", if_generation_not_match=gen)
    with pytest.raises(exceptions.PreconditionFailed):  # resumable: checked when the upload completes
        bucket.blob("p", chunk_size=256 * 1024).upload_from_file(io.BytesIO(b"v2"), if_generation_match=1)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("p").upload_from_string(b"v2", if_metageneration_match=2)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("p").download_as_bytes(if_generation_match=gen + 1)
    with pytest.raises(exceptions.PreconditionFailed) as excinfo:
        bucket.get_blob("p", if_generation_match=gen + 1)
    assert excinfo.value.errors[0]["reason"] == "conditionNotMet"
    assert excinfo.value.message.endswith("At least one of the pre-conditions you specified did not hold.")
    # a GET whose ifGenerationNotMatch / ifMetagenerationNotMatch fails is 304 Not Modified, as Google answers
    with pytest.raises(exceptions.NotModified) as excinfo:
        bucket.get_blob("p", if_generation_not_match=gen)
    assert excinfo.value.code == 304
    with pytest.raises(exceptions.NotModified):
        bucket.get_blob("p", if_metageneration_not_match=1)
    with pytest.raises(exceptions.NotModified):
        bucket.blob("p").download_as_bytes(if_generation_not_match=gen)
    assert bucket.get_blob("p", if_generation_not_match=gen + 1).generation == gen
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("p").delete(if_generation_match=gen + 1)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("new").upload_from_string(b"x", if_metageneration_match=1)  # absent: no metageneration
    assert bucket.blob("p").download_as_bytes(if_generation_match=gen) == b"v1"

    replacing = bucket.blob("p")
    replacing.upload_from_string(b"v2", if_generation_match=gen)
    assert replacing.generation > gen

    blob = bucket.get_blob("p")
    blob.metadata = {"a": "1"}
    with pytest.raises(exceptions.PreconditionFailed):
        blob.patch(if_metageneration_match=5)
    blob.patch(if_metageneration_match=1)
    assert blob.metageneration == 2
    bucket.blob("p").delete(if_generation_match=replacing.generation)
    assert bucket.get_blob("p") is None


def test_if_generation_match_zero_race_has_one_winner(gcs, bucket):
    """gcpkit's GCS state lock relies on this: concurrent creators, exactly one succeeds."""
    from google.api_core import exceptions

    outcomes: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def contend(i: int, resumable: bool) -> None:
        blob = bucket.blob("state.lock", chunk_size=256 * 1024 if resumable else None)
        payload = f"owner-{i}".encode()
        barrier.wait()
        try:
            if resumable:  # unknown size: a resumable upload
                blob.upload_from_file(io.BytesIO(payload), if_generation_match=0)
            else:
                blob.upload_from_string(payload, if_generation_match=0)
            result = f"won-{i}"
        except exceptions.PreconditionFailed:
            result = "lost"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=contend, args=(i, i % 3 == 0)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(outcomes) == 12 and len(winners) == 1, outcomes
    assert bucket.blob("state.lock").download_as_text() == winners[0].replace("won", "owner")


def test_patch_update_and_delete(bucket):
    from google.api_core import exceptions

    blob = bucket.blob("m")
    blob.metadata = {"a": "1", "b": "2"}
    blob.upload_from_string(b"data", content_type="text/plain")
    blob.metadata = {"a": "9", "b": None}  # the client sends null to drop a key
    blob.content_language = "en"
    blob.patch()
    assert blob.metadata == {"a": "9"} and blob.content_language == "en" and blob.metageneration == 2
    assert blob.owner is not None  # patch answers with projection=full
    blob.metadata = {"z": "1"}
    blob.update()  # PUT of the whole resource: metadata is replaced, not merged
    assert blob.metadata == {"z": "1"} and blob.content_language == "en" and blob.metageneration == 3
    assert blob.download_as_bytes() == b"data" and blob.content_type == "text/plain"
    blob.delete()
    with pytest.raises(exceptions.NotFound) as excinfo:
        bucket.blob("m").delete()
    assert excinfo.value.message.endswith(f"No such object: {bucket.name}/m")


# ---- listing -------------------------------------------------------------------------------------

def test_list_with_prefix_delimiter_and_pages(bucket, gcs):
    names = ["a.txt", "dir/x", "dir/y", "dir/sub/z", "dir2/q", "e/", "zz"]
    for name in names:
        bucket.blob(name).upload_from_string(b".")
    assert [b.name for b in bucket.list_blobs()] == sorted(names)
    assert [b.name for b in bucket.list_blobs(prefix="dir/")] == ["dir/sub/z", "dir/x", "dir/y"]

    top = bucket.list_blobs(delimiter="/")
    assert [b.name for b in top] == ["a.txt", "zz"]
    assert top.prefixes == {"dir/", "dir2/", "e/"}
    inner = bucket.list_blobs(prefix="dir/", delimiter="/")
    assert [b.name for b in inner] == ["dir/x", "dir/y"] and inner.prefixes == {"dir/sub/"}
    trailing = bucket.list_blobs(delimiter="/", include_trailing_delimiter=True)
    assert [b.name for b in trailing] == ["a.txt", "e/", "zz"]

    pages = list(bucket.list_blobs(page_size=3).pages)
    assert [len(list(p)) for p in pages] == [3, 3, 1]
    iterator = bucket.list_blobs(delimiter="/", page_size=2)
    entries = []
    for page in iterator.pages:
        entries.append(sorted([b.name for b in page] + sorted(page.prefixes)))
    assert [len(e) for e in entries] == [2, 2, 1]  # objects and prefixes share the page size
    assert sorted(n for e in entries for n in e) == ["a.txt", "dir/", "dir2/", "e/", "zz"]

    assert [b.name for b in bucket.list_blobs(start_offset="dir/", end_offset="e")] == [
        "dir/sub/z", "dir/x", "dir/y", "dir2/q"]
    assert [b.name for b in bucket.list_blobs(match_glob="dir/*")] == ["dir/x", "dir/y"]
    assert [b.name for b in bucket.list_blobs(match_glob="**/z")] == ["dir/sub/z"]


def test_list_of_missing_bucket(gcs):
    from google.api_core import exceptions

    with pytest.raises(exceptions.NotFound):
        list(gcs.list_blobs(fresh("bkt")))


def test_unknown_upload_session(emulator, bucket):
    import requests

    url = f"{emulator.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=resumable&upload_id=nope"
    r = requests.put(url, data=b"x", headers={"Content-Range": "bytes 0-0/1"})
    assert r.status_code == 404 and r.json()["error"]["errors"][0]["reason"] == "notFound"


def test_resumable_protocol_by_hand(emulator, bucket):
    import requests

    start = requests.post(f"{emulator.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=resumable&name=h",
                          data=json.dumps({"contentType": "text/csv"}),
                          headers={"Content-Type": "application/json", "X-Upload-Content-Length": "10"})
    assert start.status_code == 200
    session = start.headers["Location"]
    assert "upload_id=" in session
    r = requests.put(session, data=b"01234", headers={"Content-Range": "bytes 0-4/10"})
    assert r.status_code == 308 and r.headers["Range"] == "bytes=0-4"
    r = requests.put(session, headers={"Content-Range": "bytes */10"})  # where are we?
    assert r.status_code == 308 and r.headers["Range"] == "bytes=0-4"
    r = requests.put(session, data=b"3456789", headers={"Content-Range": "bytes 3-9/10"})  # overlap is skipped
    assert r.status_code == 200 and r.json()["size"] == "10" and r.json()["contentType"] == "text/csv"
    assert bucket.blob("h").download_as_bytes() == b"0123456789"
    assert requests.put(session, headers={"Content-Range": "bytes */10"}).status_code == 404


def test_resumable_session_cancel_and_session_verbs(emulator, bucket):
    import requests

    base = f"{emulator.url}/resumable/upload/storage/v1/b/{bucket.name}/o?uploadType=resumable&name=c"
    assert requests.put(base, data=b"x").status_code == 405  # PUT without a session
    start = requests.post(base, headers={"X-Upload-Content-Length": "4"})
    assert start.status_code == 200 and start.headers["X-GUploader-UploadID"]
    session = start.headers["Location"]
    assert session.startswith(f"{emulator.url}/resumable/upload/storage/v1/b/{bucket.name}/o?")
    r = requests.post(session, data=b"ab", headers={"Content-Range": "bytes 0-1/4"})  # POST adds bytes too
    assert r.status_code == 308 and r.headers["Range"] == "bytes=0-1"
    assert requests.delete(session).status_code == 499
    assert requests.put(session, data=b"cd", headers={"Content-Range": "bytes 2-3/4"}).status_code == 404
    assert bucket.get_blob("c") is None


def test_head_download_and_304_keep_the_connection(emulator, bucket):
    import requests

    data = b"0123456789" * 10
    blob = bucket.blob("k.txt")
    blob.upload_from_string(data, content_type="text/plain")
    url = f"{emulator.url}/download/storage/v1/b/{bucket.name}/o/k.txt?alt=media"
    with requests.Session() as s:
        head = s.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == "100" and head.headers["X-Goog-Generation"] == str(blob.generation)
        r = s.get(url, params={"ifGenerationNotMatch": blob.generation})
        assert r.status_code == 304 and r.content == b""
        r = s.get(f"{emulator.url}/storage/v1/b/{bucket.name}/o/k.txt",
                  params={"ifMetagenerationNotMatch": 1, "alt": "json"})
        assert r.status_code == 304 and r.content == b""
        r = s.get(url, headers={"Range": "bytes=0-3"})  # same connection, still in step
        assert r.status_code == 206 and r.content == b"0123" and r.headers["Content-Type"] == "text/plain"
        r = s.get(url, params={"ifGenerationMatch": blob.generation + 1})
        assert r.status_code == 412 and r.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
