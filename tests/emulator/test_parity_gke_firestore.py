"""Parity with real GKE and Firestore Admin: replay ../shared/gcp-golden's container--*.http.log and
firestore--*.http.log (never copied here) against the emulator over HTTP and compare status codes,
recursive JSON shapes (keys and value types) and, for errors, code, status, message and reasons.

Normalisations, each for a reason the recordings themselves show:
- GKE was recorded on v1beta1; the emulator serves v1, so calls are replayed on v1, and the two
  v1beta1-only Cluster fields (clusterTelemetry, protectConfig: not in v1's discovery document) are
  left out of the recorded answers. The recordings' other APIs (compute, pubsub, cloudkms: the test
  fixtures' network, topic and key, and GKE's managed instance groups) belong to other tests.
- A recorded operation GET that shows DONE is replayed once the emulator's operation is done (its
  duration is the emulator's, scaled); ${operationID} is what the emulator answered.
- A recorded labelFingerprint / etag (normalised to "abcdef0123A=") is replaced by the emulator's
  current one, as the recorded client sent the value it had read.
- The Firestore client asked for `$alt=json;enum-encoding=int` (enums as numbers). The emulator
  answers enum names, as every REST client of the discovery document expects; so the recording's
  numbers are mapped to names (by their position in the discovery enum, which is the proto number for
  these fields) in its request bodies and answers before comparing.

Known divergence (asserted, so it is not silently lost): the recorded cluster GET #21 of
container--containernodepool.http.log lists only default-pool in nodePools, although nodepool-sample
was created at #13 and is read back at #23. The emulator lists every node pool of the cluster, as
the Cluster.nodePools field is documented ("the node pools associated with this cluster"); the extra
keys are that pool's autoscaling, taints and logging config.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from urllib.parse import quote

import pytest

from tests.emulator import golden

GOLDEN = golden.GOLDEN_DIR
V1BETA1_ONLY = {"clusterTelemetry", "protectConfig"}
_GKE_URL = re.compile(r"^https://container\.googleapis\.com/v1beta1/(.*)$")
_FIRESTORE_URL = re.compile(r"^https://firestore\.googleapis\.com/v1/(.*)$")
_FINGERPRINT = "abcdef0123A"  # the recordings' normalised labelFingerprint / etag
KNOWN = {"container--containernodepool.http.log#21": "the recorded cluster lists one of its two node pools"}



def compare(want_status: int, want, status: int, got) -> list[str]:
    problems = []
    if status != want_status:
        problems.append(f"status {status} != {want_status}")
    if isinstance(want, dict) and "error" in want:
        if golden.error_view(got) != golden.error_view(want):
            problems.append(f"error {golden.error_view(got)} != {golden.error_view(want)}")
    else:
        problems += golden.deep_shape_diff(golden.json_shape(want or {}), golden.json_shape(got))
    return problems



def fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def wait_done(url: str, done) -> None:
    deadline = time.monotonic() + 30
    while not done(golden.call("GET", url)[1]) and time.monotonic() < deadline:
        time.sleep(0.01)


# ---- GKE ---------------------------------------------------------------------------------------

def replay_gke(server, path) -> list[tuple[int, list[str]]]:
    values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8],
              "networkID": "default", "subnetworkID": "default", "operationID": "unknown",
              "projectNumber": "123456789012"}
    base = f"{server.url}/container/v1/"
    out = []
    for n, ex in enumerate(golden.parse(path)):
        m = _GKE_URL.match(ex.url)
        if not m:
            continue
        url = base + fill(m.group(1), values)
        want = json.loads(fill(json.dumps(ex.response), values)) if ex.response is not None else {}
        if ex.method == "GET" and "/operations/" in url and want.get("status") == "DONE":
            wait_done(url, lambda op: op.get("status") == "DONE")
        body = fill(ex.body, values) if ex.body else None
        if body and _FINGERPRINT in body:  # the client sent the fingerprint it had read
            cluster_url = re.sub(r":\w+$", "", url.split("?")[0])  # ".../clusters/C:setResourceLabels"
            body = body.replace(_FINGERPRINT + "=", golden.call("GET", cluster_url)[1].get("labelFingerprint", ""))
        status, got = golden.call(ex.method, url, body)
        if ex.method != "GET" and isinstance(got, dict) and "targetLink" in got:
            values["operationID"] = got["name"]  # the recording's ${operationID} is what this call started
        if isinstance(want, dict):
            for key in V1BETA1_ONLY:
                want.pop(key, None)
        out.append((n, compare(ex.status, want, status, got)))
    return out


# ---- Firestore ---------------------------------------------------------------------------------

def _enum_names() -> dict[str, list[str]]:
    from gcpkit.emulator.core.discovery import load

    props = load("firestore.v1.json").schemas["GoogleFirestoreAdminV1Database"]["properties"]
    return {k: v["enum"] for k, v in props.items() if "enum" in v}


def named_enums(value):
    """A Database (or an operation carrying one) with enum numbers as names."""
    enums = _enum_names()
    if isinstance(value, dict):
        return {k: (enums[k][v] if k in enums and isinstance(v, int) else named_enums(v)) for k, v in value.items()}
    return value


def replay_firestore(server, path) -> list[tuple[int, list[str]]]:
    values = {"projectId": f"parity-{uuid.uuid4().hex[:8]}", "uniqueId": uuid.uuid4().hex[:8],
              "operationID": "unknown"}
    base = f"{server.url}/firestore/v1/"
    out = []
    for n, ex in enumerate(golden.parse(path)):
        m = _FIRESTORE_URL.match(ex.url)
        if not m:
            continue
        url = base + fill(m.group(1), values)
        want = named_enums(json.loads(fill(json.dumps(ex.response), values))) if ex.response is not None else {}
        if ex.method == "GET" and "/operations/" in url and want.get("done"):
            wait_done(url, lambda op: op.get("done"))
        body = json.dumps(named_enums(json.loads(fill(ex.body, values)))) if ex.body else None
        if f"etag={_FINGERPRINT}" in url:  # the client sent the etag it had read
            current = golden.call("GET", url.split("?")[0])[1].get("etag", "")
            url = url.replace(f"etag={_FINGERPRINT}", "etag=" + quote(current))
        status, got = golden.call(ex.method, url, body)
        if ex.method != "GET" and isinstance(got, dict) and "/operations/" in str(got.get("name")):
            values["operationID"] = got["name"].rsplit("/", 1)[1]
        out.append((n, compare(ex.status, want, status, got)))
    return out


# ---- the figure --------------------------------------------------------------------------------

def _run(server, pattern: str, replay) -> tuple[int, int, dict[str, str]]:
    """(matching, total, {"file#n": problems}) over the API's recordings."""
    matching = total = 0
    mismatches: dict[str, str] = {}
    for path in golden.log_files(pattern):
        for n, problems in replay(server, path):
            total += 1
            if problems:
                mismatches[f"{path.name}#{n}"] = "; ".join(problems)
            else:
                matching += 1
    return matching, total, mismatches


@pytest.mark.skipif(not GOLDEN.is_dir(), reason=f"no recordings at {GOLDEN}")
@pytest.mark.parametrize("api, replay", [("container", replay_gke), ("firestore", replay_firestore)])
def test_parity(emulator, record_property, api, replay):
    matching, total, mismatches = _run(emulator, api, replay)
    if total == 0:
        pytest.skip(f"no {api} recordings found")
    known = {k: v for k, v in KNOWN.items() if k.startswith(api)}
    figure = f"{api} parity: {matching}/{total} recorded exchanges match" + (
        f" ({len(known)} known divergence, explained in the module docstring)" if known else "")
    record_property("figure", figure)
    golden.REPORT.append(figure)
    golden.REPORT.extend(f"  mismatch: {k}: {v}" for k, v in mismatches.items())
    assert set(mismatches) == set(known), "\n".join(f"{k}: {v}" for k, v in mismatches.items() if k not in known)


def test_enum_numbers_become_names():
    assert named_enums({"type": 2, "name": "x", "response": {"deleteProtectionState": 1}}) == {
        "type": "DATASTORE_MODE", "name": "x", "response": {"deleteProtectionState": "DELETE_PROTECTION_DISABLED"}}
