"""The plain object operations of the GCS state (create-if-absent, read with generation, conditional
write, conditional delete, listing, missing bucket), and a GcsState round trip, against
`gcp-storage-emulator` from PyPI: a Cloud Storage server that gcpkit did not write.

Skipped when the package is not installed or its server cannot start here. That server does not
implement generation preconditions (ifGenerationMatch) nor send x-goog-generation on downloads; the
precondition checks are skipped with that reason (the bundled emulator's tests cover them), and the
download path without the header is exactly what this server exercises.
"""

from __future__ import annotations

import socket
import time

import pytest

from gcpkit.errors import BadInput
from gcpkit.state.gcs import GcsState
from gcpkit.state.gcs_objects import Conflict, ObjectStore
from gcpkit.state.local import Deployment, ResourceRecord
from gcpkit.state.location import parse_gcs_url

gse_server = pytest.importorskip("gcp_storage_emulator.server", reason="gcp-storage-emulator is not installed")

BUCKET = "independent-state"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_url():
    port = _free_port()
    try:
        server = gse_server.create_server("127.0.0.1", port, in_memory=True)
        server.start()
    except Exception as exc:  # noqa: BLE001 - whatever stops it here, the tests cannot run
        pytest.skip(f"gcp-storage-emulator cannot start here: {type(exc).__name__}: {exc}")
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                pytest.skip("gcp-storage-emulator did not start listening")
            time.sleep(0.05)
    _client(url).create_bucket(BUCKET)
    yield url
    server.stop()


def _client(url: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="p", credentials=AnonymousCredentials(), client_options={"api_endpoint": url})


@pytest.fixture
def store(server_url, request):
    prefix = f"t{abs(hash(request.node.name)) % 10**8}"
    return ObjectStore(parse_gcs_url(f"gs://{BUCKET}/{prefix}"), lambda: _client(server_url)), prefix


def _enforces_preconditions(store: ObjectStore, prefix: str) -> bool:
    name = f"{prefix}/probe"
    store.write(name, b"1", 0)
    try:
        store.write(name, b"2", 0)
    except Conflict:
        return True
    return False


def _version() -> str:
    from importlib.metadata import version

    return version("gcp-storage-emulator")


def test_create_if_absent_then_read_with_generation(store):
    objects, prefix = store
    name = f"{prefix}/deployments/web.json"
    assert objects.read(name) == (None, 0)
    generation = objects.write(name, b'{"a": 1}', 0)
    assert generation > 0
    data, seen = objects.read(name)
    assert data == b'{"a": 1}' and seen == generation
    assert objects.stat(name)[0] == generation


def test_conditional_write_with_the_generation_read(store):
    objects, prefix = store
    name = f"{prefix}/x.json"
    first = objects.write(name, b"one", 0)
    second = objects.write(name, b"two", first)
    assert second != first
    assert objects.read(name) == (b"two", second)


def test_delete_and_list(store):
    objects, prefix = store
    a = objects.write(f"{prefix}/d/a.json", b"a", 0)
    objects.write(f"{prefix}/d/b.json", b"b", 0)
    assert objects.names(f"{prefix}/d/") == [f"{prefix}/d/a.json", f"{prefix}/d/b.json"]
    assert objects.delete(f"{prefix}/d/a.json", a) is True
    assert objects.delete(f"{prefix}/d/a.json", None) is False  # already gone
    assert objects.names(f"{prefix}/d/") == [f"{prefix}/d/b.json"]


def test_second_create_if_absent_is_refused(store):
    objects, prefix = store
    if not _enforces_preconditions(objects, prefix):
        pytest.skip(f"gcp-storage-emulator {_version()} ignores ifGenerationMatch (no 412)")
    name = f"{prefix}/lock.json"
    objects.write(name, b"mine", 0)
    with pytest.raises(Conflict):
        objects.write(name, b"theirs", 0)
    assert objects.read(name)[0] == b"mine"


def test_write_and_delete_with_an_old_generation_are_refused(store):
    objects, prefix = store
    if not _enforces_preconditions(objects, prefix):
        pytest.skip(f"gcp-storage-emulator {_version()} ignores ifGenerationMatch (no 412)")
    name = f"{prefix}/s.json"
    old = objects.write(name, b"1", 0)
    objects.write(name, b"2", old)
    with pytest.raises(Conflict):
        objects.write(name, b"3", old)
    with pytest.raises(Conflict):
        objects.delete(name, old)


def test_missing_bucket_is_named(server_url):
    objects = ObjectStore(parse_gcs_url("gs://no-such-bucket-here/x"), lambda: _client(server_url))
    with pytest.raises(BadInput, match="bucket 'no-such-bucket-here' does not exist"):
        objects.read("x/y")


def test_gcs_state_round_trip(server_url, request):
    prefix = f"r{abs(hash(request.node.name)) % 10**8}"
    state = GcsState(f"gs://{BUCKET}/{prefix}", client_factory=lambda: _client(server_url))
    with state.lock("web", "gcpkit up") as info:
        assert state.lock_holder("web").pid == info.pid
        state.save_deployment(Deployment("web", "p", "gce-custom", {"vm_count": 1}))
        state.put_resource(ResourceRecord("web", "vm", "compute.v1.instance", properties={"k": 1}))
        intent = state.begin_intent("web", "net", "create", "compute.v1.network")
        state.finish_intent(intent)
    assert state.lock_holder("web") is None
    other = GcsState(f"gs://{BUCKET}/{prefix}", client_factory=lambda: _client(server_url))
    assert [d.name for d in other.list_deployments()] == ["web"]
    assert other.get_resource("web", "vm").properties == {"k": 1}
    assert [(i.resource, i.state) for i in other.intents("web")] == [("net", "done")]
    other.delete_deployment("web")
    assert state.list_deployments() == []
