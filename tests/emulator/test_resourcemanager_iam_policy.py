"""Resource Manager v3 project IAM policies: etags, 409 ABORTED on a stale etag, and concurrent
read-modify-write from threads with etag retry never losing a binding."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.emulator.test_resourcemanager_projects import crm_client, http_error, new_id, wait

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ABORTED_MESSAGE = ("There were concurrent policy changes. Please retry the whole read-modify-write with "
                   "exponential backoff.")


@pytest.fixture(scope="module")
def crm(emulator):
    return crm_client(emulator)


def test_get_and_set_with_etags(crm):
    resource = f"projects/{new_id()}"
    empty = crm.projects().getIamPolicy(resource=resource, body={}).execute()
    assert empty == {"version": 1, "etag": "ACAB"}
    binding = {"role": "roles/viewer", "members": ["user:a@example.com"]}
    out = crm.projects().setIamPolicy(resource=resource, body={"policy": {**empty, "bindings": [binding]}}).execute()
    assert out["bindings"] == [binding] and out["version"] == 1 and out["etag"] not in ("", empty["etag"])
    assert crm.projects().getIamPolicy(resource=resource, body={}).execute() == out


def test_a_stale_etag_fails_409_aborted_as_on_gcp(crm):
    resource = f"projects/{new_id()}"
    read = crm.projects().getIamPolicy(resource=resource, body={}).execute()
    crm.projects().setIamPolicy(resource=resource, body={"policy": {
        "etag": read["etag"], "bindings": [{"role": "roles/viewer", "members": ["user:a@example.com"]}]}}).execute()
    status, error = http_error(crm.projects().setIamPolicy(resource=resource, body={"policy": {
        "etag": read["etag"], "bindings": [{"role": "roles/editor", "members": ["user:b@example.com"]}]}}))
    assert status == 409
    assert error == {"code": 409, "message": ABORTED_MESSAGE, "status": "ABORTED"}
    now = crm.projects().getIamPolicy(resource=resource, body={}).execute()
    assert now["bindings"] == [{"role": "roles/viewer", "members": ["user:a@example.com"]}]


def test_conditional_bindings_need_version_3(crm):
    resource = f"projects/{new_id()}"
    binding = {"role": "roles/viewer", "members": ["user:a@example.com"],
               "condition": {"title": "t", "expression": "request.time < timestamp('2030-01-01T00:00:00Z')"}}
    status, error = http_error(crm.projects().setIamPolicy(resource=resource, body={"policy": {"bindings": [binding]}}))
    assert status == 400 and error["status"] == "INVALID_ARGUMENT"
    out = crm.projects().setIamPolicy(resource=resource, body={"policy": {"version": 3, "bindings": [binding]}}).execute()
    assert out["version"] == 3 and out["bindings"] == [binding]


def test_set_on_a_deleted_project_fails(crm):
    pid = new_id()
    wait(crm, crm.projects().delete(name=f"projects/{pid}").execute())
    status, error = http_error(crm.projects().setIamPolicy(resource=f"projects/{pid}", body={"policy": {}}))
    assert status == 400 and error["status"] == "FAILED_PRECONDITION"


def read_modify_write_race(servers, threads: int = 8, per_thread: int = 5) -> None:
    """`threads` threads, each with its own client (httplib2 is not thread-safe) on servers[n % len],
    add `per_thread` members each to one project's policy with get -> modify -> set(etag), retrying on
    409 ABORTED with backoff; no member may be lost and the etag check must have fired."""
    from googleapiclient.errors import HttpError

    resource = f"projects/{new_id()}"
    conflicts = [0] * threads
    failures: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(n: int) -> None:
        try:
            crm = crm_client(servers[n % len(servers)])
            start.wait()
            for i in range(per_thread):
                member = f"user:t{n}-m{i}@example.com"
                delay = 0.002
                while True:
                    policy = crm.projects().getIamPolicy(resource=resource, body={}).execute()
                    bindings = policy.get("bindings", [])
                    viewer = next((b for b in bindings if b["role"] == "roles/viewer"), None)
                    if viewer is None:
                        viewer = {"role": "roles/viewer", "members": []}
                        bindings.append(viewer)
                    viewer["members"].append(member)
                    try:
                        crm.projects().setIamPolicy(resource=resource, body={"policy": {
                            "etag": policy["etag"], "bindings": bindings}}).execute()
                        break
                    except HttpError as e:
                        assert e.resp.status == 409, e
                        conflicts[n] += 1
                        time.sleep(delay * random.random())
                        delay = min(delay * 2, 0.05)
        except BaseException as e:  # reported in the main thread
            failures.append(e)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    assert not failures, failures
    final = crm_client(servers[0]).projects().getIamPolicy(resource=resource, body={}).execute()
    members = final["bindings"][0]["members"]
    assert sorted(members) == sorted(f"user:t{n}-m{i}@example.com" for n in range(threads) for i in range(per_thread))
    assert sum(conflicts) > 0, "the threads never collided: the test did not exercise the etag check"


def test_concurrent_read_modify_write_with_etag_retry_loses_nothing(emulator):
    read_modify_write_race([emulator])


def test_two_emulators_sharing_one_data_dir_lose_nothing(make_emulator, tmp_path):
    """Two servers on one SQLite file (as two processes would be): the compare-and-set holds across them."""
    read_modify_write_race([make_emulator(data_dir=tmp_path), make_emulator(data_dir=tmp_path)])


def test_project_lifecycle_is_shared_through_the_store(make_emulator, tmp_path):
    a, b = make_emulator(data_dir=tmp_path), make_emulator(data_dir=tmp_path)
    pid = new_id()
    wait(crm_client(a), crm_client(a).projects().delete(name=f"projects/{pid}").execute())
    assert crm_client(b).projects().get(name=f"projects/{pid}").execute()["state"] == "DELETE_REQUESTED"


def test_blind_set_without_etag_overwrites(crm):
    resource = f"projects/{new_id()}"
    crm.projects().setIamPolicy(resource=resource, body={"policy": {
        "bindings": [{"role": "roles/viewer", "members": ["user:a@example.com"]}]}}).execute()
    out = crm.projects().setIamPolicy(resource=resource, body={"policy": {
        "bindings": [{"role": "roles/editor", "members": ["user:b@example.com"]}]}}).execute()
    assert out["bindings"] == [{"role": "roles/editor", "members": ["user:b@example.com"]}]
