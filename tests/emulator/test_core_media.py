"""Raw (non-JSON) answers, the raw query, HEAD and 304 without a body on keep-alive connections,
and the media routes (downloads, upload sessions) the core derives from discovery documents."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.registry import HANDLERS, Media

FAKE_GET = "compute.interconnects.get"  # a method the compute service has no reason to implement
BASE = "/compute/v1/projects/p/global/interconnects"


def _fake(ctx, req):
    name = req.params["interconnect"]
    if name == "raw":
        return Media(206, b"\x00\xffraw bytes", {"Content-Type": "application/octet-stream", "X-Goog-Test": "yes"})
    if name == "raw-length":  # a handler may state Content-Length itself (e.g. for HEAD)
        return Media(200, b"abc", {"Content-Length": "3", "Content-Type": "text/plain"})
    if name == "not-json":  # strict mode checks JSON answers only
        return Media(200, b'{"bogus": 1}', {"Content-Type": "application/json"})
    if name == "error-304":
        raise ApiError(304, "notModified", "Not Modified")
    if name == "media-304":
        return Media(304, b"a body a 304 must not carry", {"ETag": '"e1"'})
    return {"kind": "compute#interconnect", "name": name, "id": "1234567890123456789",
            "selfLink": f"{ctx.base_url}{req.path}"}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(HANDLERS, FAKE_GET, _fake)


# ---- Media ----------------------------------------------------------------------------------------

def test_media_is_written_as_is(emulator, fake):
    before = emulator.log.counts()["by_status"].get("206", 0)
    r = requests.get(f"{emulator.url}{BASE}/raw")
    assert r.status_code == 206 and r.reason == "Partial Content"
    assert r.content == b"\x00\xffraw bytes"
    assert r.headers["Content-Type"] == "application/octet-stream" and r.headers["X-Goog-Test"] == "yes"
    assert r.headers["Content-Length"] == str(len(r.content)) and r.headers["Server"] == "gcpkit-emulator"
    assert emulator.log.counts()["by_status"].get("206", 0) == before + 1  # the request log sees it

    r = requests.get(f"{emulator.url}{BASE}/raw-length")
    assert r.content == b"abc" and r.headers["Content-Length"] == "3"
    assert r.headers["Content-Type"] == "text/plain"


def test_strict_mode_checks_json_answers_only(emulator, fake):
    assert emulator.strict
    r = requests.get(f"{emulator.url}{BASE}/not-json")
    assert r.status_code == 200 and r.content == b'{"bogus": 1}'


def test_faults_reach_media_answers(make_emulator, monkeypatch):
    monkeypatch.setitem(HANDLERS, FAKE_GET, _fake)
    server = make_emulator(faults={"rules": [{"method_id": FAKE_GET, "error": 503, "nth": 2}]})
    assert requests.get(f"{server.url}{BASE}/raw").status_code == 206
    r = requests.get(f"{server.url}{BASE}/raw")
    assert r.status_code == 503 and r.json()["error"]["code"] == 503
    assert server.log.counts()["by_status"] == {"206": 1, "503": 1}


# ---- Request.query --------------------------------------------------------------------------------

def test_request_query_keeps_global_params(emulator, monkeypatch):
    seen = {}

    def handler(ctx, req):
        seen.update(query=req.query, params=req.params, alt=req.query_value("alt"),
                    missing=req.query_value("nope", "dflt"))
        return _fake(ctx, req)

    monkeypatch.setitem(HANDLERS, FAKE_GET, handler)
    r = requests.get(f"{emulator.url}{BASE}/ic-1?alt=json&prettyPrint=false&fields=name&alt=media")
    assert r.status_code == 200
    assert seen["query"] == [("alt", "json"), ("prettyPrint", "false"), ("fields", "name"), ("alt", "media")]
    assert seen["params"] == {"project": "p", "interconnect": "ic-1"}  # global parameters stay out of params
    assert seen["alt"] == "media" and seen["missing"] == "dflt"


# ---- HEAD and 304 ---------------------------------------------------------------------------------

def test_head_is_answered_like_get_without_a_body(emulator, monkeypatch):
    methods = []

    def handler(ctx, req):
        methods.append(req.http_method)
        return _fake(ctx, req)

    monkeypatch.setitem(HANDLERS, FAKE_GET, handler)
    got = requests.get(f"{emulator.url}{BASE}/ic-1")
    head = requests.head(f"{emulator.url}{BASE}/ic-1")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.content))
    assert methods == ["GET", "HEAD"]
    r = requests.head(f"{emulator.url}/compute/v1/projects/p/global/interconnects")  # no list handler: 501
    assert r.status_code == 501 and r.content == b""


def _read_response(sock: socket.socket, buffer: bytearray, method: str) -> tuple[str, dict, bytes]:
    """One HTTP/1.1 response off a keep-alive socket (Content-Length framing only, like the server's)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    status = lines[0]
    bodiless = method == "HEAD" or status.split()[1] in ("204", "304")
    length = 0 if bodiless else int(headers.get("content-length", 0))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        rest += chunk
    buffer[:] = rest[length:]
    return status, headers, rest[:length]


def test_304_and_head_leave_keep_alive_connections_sound(emulator, fake):
    host, port = emulator.host, emulator.port
    steps = [("GET", "error-304", "304 Not Modified"), ("HEAD", "ic-1", "200 OK"),
             ("GET", "media-304", "304 Not Modified"), ("HEAD", "raw", "206 Partial Content"),
             ("GET", "ic-1", "200 OK")]
    with socket.create_connection((host, port), timeout=5) as sock:
        buffer = bytearray()
        for method, name, expected in steps:
            sock.sendall(f"{method} {BASE}/{name} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            status, headers, body = _read_response(sock, buffer, method)
            assert status == f"HTTP/1.1 {expected}", (method, name, status)
            if expected.startswith("304"):
                assert "content-length" not in headers
            if method == "HEAD":
                assert int(headers["content-length"]) > 0
        assert json.loads(body)["name"] == "ic-1"
        assert buffer == b""  # nothing stray after the last answer
    # a 304 answer of a Media keeps its headers
    r = requests.get(f"{emulator.url}{BASE}/media-304")
    assert r.status_code == 304 and r.headers["ETag"] == '"e1"' and r.content == b""


# ---- media routes ---------------------------------------------------------------------------------

def test_download_and_upload_session_routes_come_from_discovery():
    from gcpkit.emulator.core.router import Router
    from gcpkit.emulator.core.services import SERVICES

    router = Router([SERVICES["storage"], SERVICES["compute"]])
    for verb in ("GET", "HEAD"):
        m = router.match(verb, "/download/storage/v1/b/bk/o/dir%2Fobj")
        assert m.route.method.id == "storage.objects.get" and m.route.download
        assert m.params == {"bucket": "bk", "object": "dir/obj"}
    assert router.match("HEAD", "/storage/v1/b/bk/o/obj").route.method.id == "storage.objects.get"
    for path in ("/upload/storage/v1/b/bk/o", "/resumable/upload/storage/v1/b/bk/o"):
        for verb in ("PUT", "DELETE"):
            m = router.match(verb, path)
            assert m.route.method.id == "storage.objects.insert" and m.route.session and m.route.media
        assert not router.match("POST", path).route.session
        assert router.match("GET", path).allowed == {"POST"}  # session verbs are not advertised
    assert router.match("GET", "/download/storage/v1/b/bk/o") is None  # objects.list has no media download
    assert router.match("GET", "/download/compute/v1/projects/p/global/networks/n") is None


def test_upload_session_requests_need_an_upload_id(emulator, monkeypatch):
    seen = []

    def handler(ctx, req):
        seen.append((req.http_method, req.query_value("upload_id"), req.params))
        return Media(308, b"", {"Range": "bytes=0-9"})

    monkeypatch.setitem(HANDLERS, "storage.objects.insert", handler)
    url = f"{emulator.url}/upload/storage/v1/b/bk/o?uploadType=resumable&name=x"
    r = requests.put(url, data=b"x")
    assert r.status_code == 405 and r.json()["error"]["errors"][0]["reason"] == "methodNotAllowed"
    assert "allowed: POST" in r.json()["error"]["message"]
    assert seen == []
    for verb in ("PUT", "POST", "DELETE"):
        r = requests.request(verb, url + "&upload_id=abc", data=b"0123456789")
        assert r.status_code == 308 and r.headers["Range"] == "bytes=0-9", (verb, r.text)
    assert [s[:2] for s in seen] == [("PUT", "abc"), ("POST", "abc"), ("DELETE", "abc")]
    assert seen[0][2] == {"bucket": "bk", "name": "x"}  # upload_id and uploadType are not parameters
    # upload_id is a session's, not a parameter: elsewhere it is still an unknown name
    r = requests.get(f"{emulator.url}/storage/v1/b/bk/o/obj?upload_id=abc")
    assert r.status_code == 400
