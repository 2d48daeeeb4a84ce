"""Parity with real IAM and Resource Manager: replay ../shared/gcp-golden's
iam--iamserviceaccount.http.log and resourcemanager--projectinorg.http.log (never copied here)
against the emulator over HTTP and compare status codes, recursive JSON shapes (keys and value
types) and, for errors, code, status, message and reasons.

IAM is replayed as recorded (the emulator serves iam v1). Resource Manager was recorded on v1 while
the emulator serves v3, so each v1 call is replayed as its v3 equivalent and the v3 answer viewed
as v1 (state -> lifecycleState, displayName -> name, "projects/N" -> projectNumber, "organizations/N"
-> {type, id}); the PUT becomes PATCH + wait, the DELETE's {} becomes "the delete operation
succeeded". The recording's cloudbilling calls belong to another API and are not counted.

Known divergence (by design, asserted so it is not silently lost): the recording's first GET of a
project not yet created answers 403; the emulator treats any project id as existing and ACTIVE on
first touch (the other emulated APIs never create projects).
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest

from tests.emulator import golden

IAM_LOG = "iam--iamserviceaccount.http.log"
RM_LOG = "resourcemanager--projectinorg.http.log"
KNOWN = {f"{RM_LOG}#0": "GET before create: GCP answers 403, the emulator's projects exist on first touch"}
V1 = "type.googleapis.com/google.cloudresourcemanager.v1."
V3 = "type.googleapis.com/google.cloudresourcemanager.v3."


def compare(want_status: int, want, status: int, got) -> list[str]:
    problems = []
    if status != want_status:
        problems.append(f"status {status} != {want_status}")
    if isinstance(want, dict) and "error" in want:
        if golden.error_view(got) != golden.error_view(want):
            problems.append(f"error {golden.error_view(got)} != {golden.error_view(want)}")
    elif golden.json_shape(got) != golden.json_shape(want or {}):
        problems.append(f"shape {json.dumps(golden.json_shape(got))} != {json.dumps(golden.json_shape(want or {}))}")
    return problems



def fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


# ---- IAM: replayed as recorded ----------------------------------------------------------------

def replay_iam(server, exchanges) -> list[tuple[int, list[str]]]:
    values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8]}
    etags: dict[str, str] = {}  # recorded (normalised) etag -> the emulator's
    base = server.endpoints()["iam"]
    out = []
    for n, ex in enumerate(exchanges):
        url = base.rstrip("/") + "/" + fill(ex.url.split("iam.googleapis.com/", 1)[1], values)
        body = fill(ex.body, values) if ex.body else None
        for recorded, ours in etags.items():
            body = body.replace(recorded, ours) if body else body
        status, got = golden.call(ex.method, url, body)
        want = json.loads(fill(json.dumps(ex.response), values)) if ex.response is not None else {}
        if isinstance(want, dict) and isinstance(got, dict) and "etag" in want and "etag" in got:
            etags[want["etag"]] = got["etag"]
        out.append((n, compare(ex.status, want, status, got)))
    return out


# ---- Resource Manager: v1 recorded, v3 replayed -------------------------------------------------

def v1_project(p: dict) -> dict:
    out = {"projectId": p["projectId"], "projectNumber": p["name"].split("/", 1)[1],
           "lifecycleState": p["state"], "name": p.get("displayName", ""), "createTime": p["createTime"]}
    if p.get("labels"):
        out["labels"] = p["labels"]
    if p.get("parent"):
        kind, pid = p["parent"].split("/", 1)
        out["parent"] = {"type": kind.rstrip("s"), "id": pid}
    if "@type" in p:
        out["@type"] = p["@type"].replace(V3, V1)
    return out


def v3_body(body: dict) -> dict:
    out = {"projectId": body["projectId"], "displayName": body.get("name", "")}
    if body.get("labels"):
        out["labels"] = body["labels"]
    if body.get("parent"):
        out["parent"] = f"{body['parent']['type']}s/{body['parent']['id']}"
    return out


def wait_op(base: str, op: dict) -> dict:
    deadline = time.monotonic() + 10
    while not op.get("done") and time.monotonic() < deadline:
        time.sleep(0.01)
        op = golden.call("GET", f"{base}/{op['name']}")[1]
    return op


def v1_operation(op: dict) -> dict:
    out = {k: v for k, v in op.items() if k not in ("metadata", "response")}
    if "metadata" in op:
        meta = dict(op["metadata"])
        meta["@type"] = meta["@type"].replace(V3 + "CreateProjectMetadata", V1 + "ProjectCreationStatus")
        out["metadata"] = meta
    if "response" in op:
        out["response"] = v1_project(op["response"])
    return out


def replay_rm(server, exchanges) -> tuple[list[tuple[int, list[str]]], int]:
    values = {"uniqueId": uuid.uuid4().hex[:8], "organizationID": str(uuid.uuid4().int % 10**12),
              "projectNumber": "0"}
    base = server.endpoints()["cloudresourcemanager"].rstrip("/") + "/v3"
    out, skipped, ops = [], 0, {}
    for n, ex in enumerate(exchanges):
        if "cloudresourcemanager.googleapis.com/v1/" not in ex.url:
            skipped += 1
            continue
        path = fill(ex.path.split("/v1/", 1)[1], values)
        body = json.loads(fill(ex.body, values)) if ex.body else None
        if ex.method == "POST" and path == "projects":
            status, got = golden.call("POST", f"{base}/projects", v3_body(body))
            if isinstance(got, dict) and "name" in got:
                values["operationID"] = got["name"].split("/", 1)[1]
                ops[got["name"]] = got
        elif ex.method == "GET" and path.startswith("operations/"):
            status, got = golden.call("GET", f"{base}/{fill(path, values)}")
            if status == 200:
                got = v1_operation(wait_op(base, got))
        elif ex.method == "GET":
            status, got = golden.call("GET", f"{base}/{path}")
            if status == 200:
                values["projectNumber"] = got["name"].split("/", 1)[1]
                got = v1_project(got)
        elif ex.method == "PUT":
            status, got = golden.call("PATCH", f"{base}/{path}?updateMask=displayName,labels", v3_body(body))
            if status == 200:
                got = v1_project({k: v for k, v in wait_op(base, got)["response"].items() if k != "@type"})
        elif ex.method == "DELETE":
            status, got = golden.call("DELETE", f"{base}/{path}")
            if status == 200:
                done = wait_op(base, got)
                got = {} if done.get("done") and "error" not in done else done
        else:  # pragma: no cover - the recording has no other calls
            raise AssertionError(f"no v3 equivalent for {ex.method} {path}")
        want = json.loads(fill(json.dumps(ex.response), values)) if ex.response is not None else {}
        out.append((n, compare(ex.status, want, status, got)))
    return out, skipped


@pytest.mark.skipif(not golden.GOLDEN_DIR.is_dir(), reason=f"no recordings at {golden.GOLDEN_DIR}")
def test_iam_and_resourcemanager_parity(emulator, capsys):
    results: list[tuple[str, int, list[str]]] = []
    skipped = 0
    if (golden.GOLDEN_DIR / IAM_LOG).is_file():
        results += [(IAM_LOG, n, p) for n, p in replay_iam(emulator, golden.parse(golden.GOLDEN_DIR / IAM_LOG))]
    if (golden.GOLDEN_DIR / RM_LOG).is_file():
        rm, skipped = replay_rm(emulator, golden.parse(golden.GOLDEN_DIR / RM_LOG))
        results += [(RM_LOG, n, p) for n, p in rm]
    if not results:
        pytest.skip("no IAM / Resource Manager recordings found")
    matching = sum(1 for _, _, p in results if not p)
    mismatches = {f"{name}#{n}": "; ".join(p) for name, n, p in results if p}
    lines = [f"IAM + Resource Manager parity: {matching}/{len(results)} recorded exchanges match "
             f"({skipped} cloudbilling exchanges not counted)"]
    lines += [f"  mismatch {key}: {problem}" + (f"  [known: {KNOWN[key]}]" if key in KNOWN else "")
              for key, problem in mismatches.items()]
    golden.REPORT.extend(lines)
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert set(mismatches) == set(KNOWN), "\n".join(lines)
