"""gke-datastore end to end: the CLI as a user runs it, against the emulator, checked with the official
clients (google-api-python-client for GKE, Firestore, Artifact Registry and IAM; the `kubernetes` client
for what runs in the cluster).

Up (everything exists, labelled, wired: KSA -> Workload Identity -> Google SA -> roles/datastore.user),
`up --set image=NEW` (the plan is one update, of the Deployment; the rollout is watched step by step from
outside while `up` runs, and maxSurge / maxUnavailable hold at every observation), `up` again (no
mutating call), `destroy deployment` (the Service goes before the cluster; nothing with the deployment's
label is left, nor any Kubernetes object). Bad parameters and bad manifests exit 2 before any request.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
from e2e_helpers import start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "e2e-gke"
ZONE = "us-central1-a"
D = "gke-datastore"
CLUSTER = f"{D}-gke"
EMAIL = f"{D}-app@{PROJECT}.iam.gserviceaccount.com"
WORKLOAD_MEMBER = f"serviceAccount:{PROJECT}.svc.id.goog[app/web]"
NEW_IMAGE = f"us-central1-docker.pkg.dev/{PROJECT}/{D}-images/app:2"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_POSTS = ("getIamPolicy",)


@pytest.fixture
def gke(tmp_path, monkeypatch):
    """The CLI in a fresh directory against a fresh emulator whose pods take long enough to start that a
    rolling update can be watched from outside (time scale 0.01: a pod is ready after 80 ms)."""
    handle = start_emulator(tmp_path, time_scale=0.01)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    yield CliRunner(), handle
    handle.server.stop()


def target(emu):
    from gcpkit.clients import Target

    return Target(project=PROJECT, endpoints=emu.server.endpoints())


def kube(emu):
    """The official kubernetes client, pointed at the emulated cluster's API."""
    from kubernetes import client as k8s

    config = k8s.Configuration()
    config.host = f"{emu.url}/kubernetes/{PROJECT}/{ZONE}/{CLUSTER}"
    api = k8s.ApiClient(config)
    return k8s.CoreV1Api(api), k8s.AppsV1Api(api)


def mutations(calls: list[dict]) -> list[str]:
    return [f"{c['method']} {c['method_id'] or c['path']}" for c in calls
            if c["method"] in MUTATING and not (c["method_id"] or "").endswith(READ_ONLY_POSTS)]


def up(runner, *extra):
    result = runner.invoke(app, ["up", D, "--emulator", "--project", PROJECT, "--yes", *extra])
    assert result.exit_code == 0, result.output
    assert "Done." in result.output
    return result


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│┃━╇─]", " ", text).split())


def check_created(emu) -> None:
    t = target(emu)
    gke = t.discovery("container", "v1").projects().locations().clusters()
    cluster = gke.get(name=f"projects/{PROJECT}/locations/{ZONE}/clusters/{CLUSTER}").execute()
    assert cluster["status"] == "RUNNING"
    assert cluster["resourceLabels"] == {"app": "web", "managed-by": "gcpkit", "gcpkit-deployment": D}
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{PROJECT}.svc.id.goog"}
    assert cluster["releaseChannel"]["channel"] == "REGULAR"
    # the default pool is gone: the app's nodes are the separately managed pool
    assert [p["name"] for p in cluster["nodePools"]] == [f"{D}-nodes"]
    pool = cluster["nodePools"][0]
    assert pool["autoscaling"]["enabled"] is True and pool["autoscaling"]["maxNodeCount"] == 3
    assert pool["config"]["workloadMetadataConfig"]["mode"] == "GKE_METADATA"

    db = t.discovery("firestore", "v1").projects().databases().get(name=f"projects/{PROJECT}/databases/(default)").execute()
    assert (db["type"], db["locationId"], db["deleteProtectionState"]) == (
        "DATASTORE_MODE", "us-central1", "DELETE_PROTECTION_ENABLED")
    repo = t.discovery("artifactregistry", "v1").projects().locations().repositories().get(
        name=f"projects/{PROJECT}/locations/us-central1/repositories/{D}-images").execute()
    assert repo["format"] == "DOCKER" and repo["labels"]["gcpkit-deployment"] == D

    iam = t.discovery("iam", "v1").projects().serviceAccounts()
    policy = iam.getIamPolicy(resource=f"projects/{PROJECT}/serviceAccounts/{EMAIL}").execute()
    assert {"role": "roles/iam.workloadIdentityUser", "members": [WORKLOAD_MEMBER]} in policy["bindings"]
    crm = t.discovery("cloudresourcemanager", "v3").projects()
    bindings = crm.getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute()["bindings"]
    assert any(b["role"] == "roles/datastore.user" and f"serviceAccount:{EMAIL}" in b["members"] for b in bindings)

    core, apps = kube(emu)
    ksa = core.read_namespaced_service_account("web", "app")
    assert ksa.metadata.annotations["iam.gke.io/gcp-service-account"] == EMAIL
    assert ksa.metadata.labels["managed-by"] == "gcpkit" and ksa.metadata.labels["gcpkit-deployment"] == D
    dep = apps.read_namespaced_deployment("web", "app")
    assert dep.spec.template.spec.service_account_name == "web"
    assert dep.status.ready_replicas == dep.status.available_replicas == dep.status.updated_replicas == 3
    svc = core.read_namespaced_service("web", "app")
    assert svc.spec.type == "LoadBalancer" and svc.status.load_balancer.ingress[0].ip


def observe_rollout(emu, proc, max_surge: int, max_unavailable: int, replicas: int) -> list[tuple[int, int, int]]:
    """Watch the rollout from outside while `up` runs: at every observation, at most replicas + max_surge pods
    exist and at least replicas - max_unavailable are ready. Returns (old, new, ready) per observation."""
    core, _ = kube(emu)
    seen: list[tuple[int, int, int]] = []
    while proc.poll() is None:
        pods = [p for p in core.list_namespaced_pod("app", label_selector="app=web").items
                if p.metadata.deletion_timestamp is None]
        images = [p.spec.containers[0].image for p in pods]
        ready = sum(1 for p in pods if any(c.type == "Ready" and c.status == "True"
                                              for c in (p.status.conditions or [])))
        assert len(pods) <= replicas + max_surge, f"{len(pods)} pods during the rollout: {images}"
        assert ready >= replicas - max_unavailable, f"only {ready} ready pods during the rollout"
        new = sum(i == NEW_IMAGE for i in images)
        seen.append((len(images) - new, new, ready))
        time.sleep(0.01)
    return seen


def test_up_rollout_again_destroy(gke):
    runner, emu = gke
    first = up(runner, "--set", "replicas=3")  # three pods: a rollout of three steps to watch
    check_created(emu)

    outputs = json.loads(runner.invoke(app, ["outputs", D, "-o", "json"]).stdout)
    core, _ = kube(emu)
    ip = core.read_namespaced_service("web", "app").status.load_balancer.ingress[0].ip
    cluster = target(emu).discovery("container", "v1").projects().locations().clusters().get(
        name=f"projects/{PROJECT}/locations/{ZONE}/clusters/{CLUSTER}").execute()
    assert outputs["external-ip"] == ip and outputs["url"] == f"http://{ip}/"
    assert outputs["cluster-name"] == CLUSTER and outputs["cluster-endpoint"] == cluster["endpoint"]
    assert outputs["database"] == f"projects/{PROJECT}/databases/(default)"
    assert outputs["image-repository"] == f"us-central1-docker.pkg.dev/{PROJECT}/{D}-images"
    assert outputs["service-account"] == EMAIL
    assert "Plan: 11 to create." in first.output

    # A new image: a rolling update, watched from outside while `up` runs in its own process.
    env = dict(os.environ, **{EMULATOR_HOST_ENV: emu.url}, COLUMNS="200")  # plan rows unabridged
    mark = emu.mark()
    proc = subprocess.Popen([sys.executable, "-m", "gcpkit", "up", D, "--emulator", "--project", PROJECT, "--yes",
                             "--set", "replicas=3", "--set", f"image={NEW_IMAGE}"],
                            cwd=os.getcwd(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = observe_rollout(emu, proc, max_surge=1, max_unavailable=0, replicas=3)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    rows = [tuple(cell.strip() for cell in line.split("│")) for line in err.splitlines() if line.count("│") == 3]
    plan = [r for r in rows if r[0] in ("no change", "update", "create", "replace", "delete", "adopt")]
    assert [r for r in plan if r[0] != "no change"] == [("update", f"{D}-deployment", "k8s.apps.v1.deployment", "spec")]
    assert len([r for r in plan if r[0] == "no change"]) == 10 and "Plan: 10 unchanged, 1 to update." in err
    # step by step: a moment with old and new pods side by side, and the end with only new ones
    assert any(old and new for old, new, _ in seen), seen
    _, apps = kube(emu)
    dep = apps.read_namespaced_deployment("web", "app")
    assert dep.spec.template.spec.containers[0].image == NEW_IMAGE
    assert dep.status.updated_replicas == dep.status.available_replicas == 3
    assert mutations(emu.since(mark)) == ["PATCH kubernetes.deployments.patch"]  # nothing else changed
    pods = core.list_namespaced_pod("app", label_selector="app=web").items
    assert sorted(p.spec.containers[0].image for p in pods if p.metadata.deletion_timestamp is None) == [NEW_IMAGE] * 3

    # up again: nothing to do, no mutating call
    mark = emu.mark()
    again = up(runner, "--set", "replicas=3", "--set", f"image={NEW_IMAGE}")
    assert "Plan: 11 unchanged." in flat(again.output)
    assert mutations(emu.since(mark)) == []

    # destroy: the database is protected; --force-unprotect removes everything
    mark = emu.mark()
    gone = runner.invoke(app, ["destroy", "deployment", D, "--emulator", "--yes", "--force-unprotect"])
    assert gone.exit_code == 0, gone.output
    deletes = [m for m in mutations(emu.since(mark)) if m.startswith("DELETE")]
    # every Kubernetes object (the LoadBalancer Service above all) goes before the cluster
    cluster_delete = deletes.index("DELETE container.projects.locations.clusters.delete")
    assert deletes.index("DELETE kubernetes.services.delete") < cluster_delete, deletes
    assert {m for m in deletes[cluster_delete:] if m.startswith("DELETE kubernetes.")} == set(), deletes
    check_gone(emu)
    assert json.loads(runner.invoke(app, ["status", "-o", "json"]).stdout) == []


def check_gone(emu) -> None:
    from googleapiclient.errors import HttpError
    from kubernetes.client.exceptions import ApiException

    t = target(emu)
    clusters = t.discovery("container", "v1").projects().locations().clusters().list(
        parent=f"projects/{PROJECT}/locations/-").execute()
    assert clusters.get("clusters", []) == []
    with pytest.raises(HttpError) as info:
        t.discovery("firestore", "v1").projects().databases().get(name=f"projects/{PROJECT}/databases/(default)").execute()
    assert info.value.resp.status == 404
    repos = t.discovery("artifactregistry", "v1").projects().locations().repositories().list(
        parent=f"projects/{PROJECT}/locations/us-central1").execute()
    assert repos.get("repositories", []) == []
    accounts = t.discovery("iam", "v1").projects().serviceAccounts().list(name=f"projects/{PROJECT}").execute()
    assert [a for a in accounts.get("accounts", []) if a["email"] == EMAIL] == []
    crm = t.discovery("cloudresourcemanager", "v3").projects()
    bindings = crm.getIamPolicy(resource=f"projects/{PROJECT}", body={}).execute().get("bindings", [])
    assert all(f"serviceAccount:{EMAIL}" not in b["members"] for b in bindings)
    core, apps = kube(emu)
    for read in (lambda: core.read_namespace("app"), lambda: apps.read_namespaced_deployment("web", "app"),
                 lambda: core.read_namespaced_service("web", "app")):
        with pytest.raises(ApiException) as gone:
            read()
        assert gone.value.status == 404


BAD = [
    (["--set", "min_nodes=5"], "min_nodes 5 is above max_nodes 3"),
    (["--set", "node_count=4"], "node_count 4 is outside min_nodes..max_nodes"),
    (["--set", "max_surge=0", "--set", "max_unavailable=0"], "max_surge and max_unavailable cannot both be 0"),
    (["--set", "location=us-central9"], "unknown region 'us-central9'"),
    (["--set", "exposure=nodeport"], "parameter exposure: 'nodeport' is not one of"),
    (["--set", "image=Not An Image"], "parameter image"),
    (["--set", "release_channel=NIGHTLY"], "parameter release_channel"),
    (["--set", "prestop_seconds=40"], "prestop_seconds 40 must be below termination_grace_seconds 30"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[a[-1] for a, _ in BAD])
def test_bad_parameters_exit_2_before_any_call(cli, args, message):
    runner, emu = cli
    result = runner.invoke(app, ["up", D, "--emulator", "--project", PROJECT, "--yes", *args])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert emu.requests() == []


def test_a_broken_manifest_exits_2_naming_the_field_before_any_call(cli, tmp_path):
    """A copy of the pattern whose Deployment template misspells readinessProbe: the kubernetes client's
    models catch it when `up` validates, before any request."""
    import shutil

    from gcpkit import paths

    runner, emu = cli
    folder = tmp_path / "my-gke"
    shutil.copytree(paths.patterns_dir() / "gke-datastore", folder)
    shutil.copytree(paths.templates_dir() / "gke-datastore", folder / "gke-datastore")
    template = folder / "gke-datastore" / "deployment.yaml.j2"
    template.write_text(template.read_text().replace("readinessProbe:", "readynessProbe:"))
    result = runner.invoke(app, ["up", "./my-gke", "--emulator", "--project", PROJECT, "--yes"])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [("error: resource my-gke-deployment: invalid manifest: Deployment "
                       "spec.template.spec.containers[0].readynessProbe: unknown field")], result.output
    assert emu.requests() == []


def test_gke_one_operation_at_a_time_is_waited_out(cli):
    """GKE answers 400 FAILED_PRECONDITION ("incompatible operation") while another operation runs on the
    cluster: gcpkit's node pool create retries it until the other operation is done, then succeeds."""
    _, emu = cli
    from gcpkit.providers.base import Ctx
    from gcpkit.providers.registry import provider_for

    t = target(emu)
    env = {"project": PROJECT, "deployment": "race", "region": "us-central1", "zone": ZONE}
    ctx = Ctx(t, "race", env)
    cluster = {"location": ZONE, "initialNodeCount": 1, "workloadIdentityConfig": {"workloadPool": f"{PROJECT}.svc.id.goog"}}
    provider_for("container.v1.cluster").create(ctx, "race-gke", cluster, "r1")
    # someone else starts an operation on the cluster (and does not wait for it) ...
    clusters = t.discovery("container", "v1").projects().locations().clusters()
    clusters.update(name=f"projects/{PROJECT}/locations/{ZONE}/clusters/race-gke",
                    body={"update": {"desiredReleaseChannel": {"channel": "STABLE"}}}).execute()
    mark = emu.mark()
    # ... while gcpkit adds a node pool
    pool = provider_for("container.v1.nodePool").create(
        ctx, "race-pool", {"cluster": "race-gke", "location": ZONE, "initialNodeCount": 1}, "r2")
    assert pool.body["status"] == "RUNNING"
    creates = [c["status"] for c in emu.since(mark) if c["method_id"] == "container.projects.locations.clusters.nodePools.create"]
    assert creates[0] == 400 and creates[-1] == 200, creates


# ------------------------------------------------------------------ Firestore: ownership without labels

DB_ONLY = """resources:
- name: {{ env.deployment }}-datastore
  type: firestore.v1.database
  properties:
    databaseId: '(default)'
    type: DATASTORE_MODE
    locationId: us-central1
    deleteProtectionState: DELETE_PROTECTION_ENABLED
"""


def db_only_pattern(tmp_path):
    folder = tmp_path / "db-only"
    folder.mkdir()
    (folder / "pattern.yaml").write_text(DB_ONLY)
    (folder / "schema.yaml").write_text("description: the (default) Datastore database alone\nproperties: {}\n")
    return "./db-only"


def databases(emu):
    return target(emu).discovery("firestore", "v1").projects().databases()


def wait_done(emu, op):
    ops = databases(emu).operations()
    while not op.get("done"):
        time.sleep(0.02)
        op = ops.get(name=op["name"]).execute()
    return op


def test_an_existing_database_is_never_adopted(cli, tmp_path):
    runner, emu = cli
    pattern = db_only_pattern(tmp_path)
    wait_done(emu, databases(emu).create(parent=f"projects/{PROJECT}", databaseId="(default)",
                                         body={"type": "DATASTORE_MODE", "locationId": "us-central1"}).execute())
    result = runner.invoke(app, ["up", pattern, "--emulator", "--project", PROJECT, "--yes"])
    assert result.exit_code == 1, result.output
    assert ("firestore.v1.database 'db-only-datastore' already exists and was not created by deployment "
            "'db-only'") in flat(result.output)
    # and nothing gcpkit does later touches it
    gone = runner.invoke(app, ["destroy", "deployment", "db-only", "--emulator", "--yes", "--force-unprotect"])
    assert gone.exit_code == 0, gone.output
    assert databases(emu).get(name=f"projects/{PROJECT}/databases/(default)").execute()["type"] == "DATASTORE_MODE"


def test_database_delete_protection_and_identity(cli, tmp_path):
    runner, emu = cli
    pattern = db_only_pattern(tmp_path)
    name = f"projects/{PROJECT}/databases/(default)"
    assert runner.invoke(app, ["up", pattern, "--emulator", "--project", PROJECT, "--yes"]).exit_code == 0

    kept = runner.invoke(app, ["destroy", "deployment", "db-only", "--emulator", "--yes"])
    assert kept.exit_code == 1, kept.output
    assert f"Firestore database {name} has delete protection on" in flat(kept.output)
    assert databases(emu).get(name=name).execute()["deleteProtectionState"] == "DELETE_PROTECTION_ENABLED"

    # someone replaces the database behind gcpkit's back: same name, another database
    databases(emu).patch(name=name, updateMask="deleteProtectionState",
                         body={"deleteProtectionState": "DELETE_PROTECTION_DISABLED"}).execute()
    wait_done(emu, databases(emu).delete(name=name).execute())
    wait_done(emu, databases(emu).create(parent=f"projects/{PROJECT}", databaseId="(default)",
                                         body={"type": "DATASTORE_MODE", "locationId": "us-east1"}).execute())
    refused = runner.invoke(app, ["destroy", "deployment", "db-only", "--emulator", "--yes", "--force-unprotect"])
    assert refused.exit_code == 1, refused.output
    assert f"Firestore database {name} is not the one gcpkit created (its uid changed): left alone" in flat(
        refused.output)
    assert databases(emu).get(name=name).execute()["locationId"] == "us-east1"


@pytest.fixture
def wide_console(monkeypatch):
    from gcpkit import console

    monkeypatch.setattr(console.err, "width", 240)  # notes in the destroy table, unwrapped


def test_force_unprotect_deletes_the_database_gcpkit_created(cli, tmp_path, wide_console):
    runner, emu = cli
    pattern = db_only_pattern(tmp_path)
    assert runner.invoke(app, ["up", pattern, "--emulator", "--project", PROJECT, "--yes"]).exit_code == 0
    forced = runner.invoke(app, ["destroy", "deployment", "db-only", "--emulator", "--yes", "--force-unprotect"])
    assert forced.exit_code == 0, forced.output
    assert "deletion protection will be turned OFF (--force-unprotect)" in flat(forced.output)
    from googleapiclient.errors import HttpError

    with pytest.raises(HttpError) as info:
        databases(emu).get(name=f"projects/{PROJECT}/databases/(default)").execute()
    assert info.value.resp.status == 404
