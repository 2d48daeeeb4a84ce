"""Secret Manager v1 versions: addVersion, access (base64 + crc32c), get/list/enable/disable/destroy,
and the secrecy of payloads (only versions.access returns them; never in the request log)."""

from __future__ import annotations

import base64
import uuid

import google_crc32c
import pytest

from tests.emulator.test_secretmanager_secrets import http_error, make_secret, secrets, sm_client, sm_server  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def sm(sm_server):  # noqa: F811
    return sm_client(sm_server)


@pytest.fixture
def secret(sm):
    return make_secret(sm, f"sm-{uuid.uuid4().hex[:10]}")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def add(sm, secret, data: bytes, checksum: bool = False) -> dict:
    payload = {"data": b64(data)}
    if checksum:
        payload["dataCrc32c"] = str(google_crc32c.value(data))
    return secrets(sm).addVersion(parent=secret["name"], body={"payload": payload}).execute()


def versions(sm):
    return secrets(sm).versions()


def test_add_version_shape_has_no_payload(sm, secret):
    v = add(sm, secret, b"s3cr3t")
    assert v["name"] == f"{secret['name']}/versions/1"
    assert v["state"] == "ENABLED" and v["replicationStatus"] == {"automatic": {}}
    assert set(v) == {"name", "createTime", "state", "replicationStatus", "etag"}
    assert add(sm, secret, b"two", checksum=True)["clientSpecifiedPayloadChecksum"] is True
    assert add(sm, secret, b"three")["name"].endswith("/versions/3")


def test_access_returns_data_and_crc32c(sm, secret):
    data = "pässwörd\x00\xff".encode()
    add(sm, secret, data)
    out = versions(sm).access(name=f"{secret['name']}/versions/1").execute()
    assert out["name"] == f"{secret['name']}/versions/1"
    assert base64.b64decode(out["payload"]["data"]) == data
    assert out["payload"]["dataCrc32c"] == str(google_crc32c.value(data))


def test_latest_is_the_newest_version(sm, secret):
    add(sm, secret, b"one")
    add(sm, secret, b"two")
    out = versions(sm).access(name=f"{secret['name']}/versions/latest").execute()
    assert out["name"].endswith("/versions/2") and base64.b64decode(out["payload"]["data"]) == b"two"
    assert versions(sm).get(name=f"{secret['name']}/versions/latest").execute()["name"].endswith("/versions/2")


def test_get_and_list_newest_first(sm, secret):
    for i in range(3):
        add(sm, secret, f"v{i}".encode())
    got = versions(sm).get(name=f"{secret['name']}/versions/2").execute()
    assert got["name"].endswith("/versions/2") and "payload" not in got
    listed = versions(sm).list(parent=secret["name"]).execute()
    assert [v["name"].rsplit("/", 1)[1] for v in listed["versions"]] == ["3", "2", "1"]
    assert listed["totalSize"] == 3
    first = versions(sm).list(parent=secret["name"], pageSize=2).execute()
    rest = versions(sm).list(parent=secret["name"], pageSize=2, pageToken=first["nextPageToken"]).execute()
    assert [v["name"].rsplit("/", 1)[1] for v in first["versions"] + rest["versions"]] == ["3", "2", "1"]


def test_disable_enable_destroy(sm, secret):
    add(sm, secret, b"one")
    name = f"{secret['name']}/versions/1"
    v = versions(sm).disable(name=name, body={}).execute()
    assert v["state"] == "DISABLED"
    status, error = http_error(versions(sm).access(name=name))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION" and "DISABLED" in error["message"]
    assert versions(sm).enable(name=name, body={}).execute()["state"] == "ENABLED"
    assert versions(sm).access(name=name).execute()["payload"]["data"] == b64(b"one")
    status, error = http_error(versions(sm).disable(name=name, body={"etag": '"stale"'}))
    assert status == 409 and error["status"] == "ABORTED"
    destroyed = versions(sm).destroy(name=name, body={}).execute()
    assert destroyed["state"] == "DESTROYED" and destroyed["destroyTime"].endswith("Z")
    status, error = http_error(versions(sm).access(name=name))
    assert status == 400 and "DESTROYED" in error["message"]
    assert http_error(versions(sm).disable(name=name, body={}))[1]["status"] == "FAILED_PRECONDITION"
    assert http_error(versions(sm).enable(name=name, body={}))[1]["status"] == "FAILED_PRECONDITION"
    assert [v["state"] for v in versions(sm).list(parent=secret["name"], filter="state:DESTROYED")
            .execute()["versions"]] == ["DESTROYED"]


def test_version_errors(sm, secret):
    assert http_error(versions(sm).get(name=f"{secret['name']}/versions/7"))[0] == 404
    status, error = http_error(versions(sm).access(name=f"{secret['name']}/versions/latest"))
    assert status == 404 and "has no versions" in error["message"]
    assert http_error(versions(sm).get(name=f"{secret['name']}/versions/first"))[0] == 400
    status, error = http_error(secrets(sm).addVersion(parent=secret["name"], body={"payload": {}}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    status, error = http_error(secrets(sm).addVersion(parent=secret["name"], body={"payload": {
        "data": b64(b"abc"), "dataCrc32c": "12345"}}))
    assert status == 400 and "Checksum" in error["message"]
    status, error = http_error(secrets(sm).addVersion(parent=secret["name"], body={"payload": {
        "data": b64(b"x" * (64 * 1024 + 1))}}))
    assert status == 400
    missing = secret["name"].rsplit("/", 1)[0] + "/absent"
    assert http_error(secrets(sm).addVersion(parent=missing, body={"payload": {"data": "aGk="}}))[0] == 404


def test_payloads_never_reach_the_request_log_or_errors(sm_server, sm, secret, capfd):  # noqa: F811
    marker = f"TOPSECRET-{uuid.uuid4().hex}"
    add(sm, secret, marker.encode())
    add(sm, secret, marker.encode(), checksum=True)
    versions(sm).access(name=f"{secret['name']}/versions/latest").execute()
    versions(sm).list(parent=secret["name"]).execute()
    bad = f"{marker}!!not base64"
    status, error = http_error(secrets(sm).addVersion(parent=secret["name"], body={"payload": {"data": bad}}))
    assert status == 400 and marker not in error["message"]
    status, error = http_error(secrets(sm).addVersion(parent=secret["name"], body={"payload": {
        "data": b64(marker.encode()), "dataCrc32c": "1"}}))
    assert status == 400 and marker not in error["message"]
    text = sm_server.request_log_path.read_text()
    assert ":addVersion" in text and ":access" in text  # the calls were logged...
    for needle in (marker, b64(marker.encode()), b64(marker.encode()).rstrip("=")):
        assert needle not in text  # ...without their payloads
    out, err = capfd.readouterr()
    assert marker not in out + err and b64(marker.encode()) not in out + err
    # only versions.access answers the payload: no other method's answer carries it
    for answer in (versions(sm).get(name=f"{secret['name']}/versions/1").execute(),
                   versions(sm).list(parent=secret["name"]).execute(),
                   secrets(sm).get(name=secret["name"]).execute()):
        assert marker not in str(answer) and b64(marker.encode()) not in str(answer)
