"""Shared by the crash-and-resume and fault suites: one table of the landed patterns, a lab (a fresh
emulator and working directory) to run `gcpkit up` in, read-only views of the request log and of
gcpkit's state file, and the convergence check both suites end with: no duplicate, no orphan, and
`destroy deployment` leaves nothing of the deployment (labelled, or tied to it otherwise: see census)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from e2e_helpers import EmulatorHandle, LogTail, start_emulator  # noqa: F401 - LogTail: for the suites
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV
from gcpkit.inventory import all_pages

PROJECT = "reliability"
ZONE = "us-central1-a"
REGION = "us-central1"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Multiplies the kill points of the crash suite (and the fault seeds): GCPKIT_SOAK=10 for a long soak.
SOAK = max(1, int(os.environ.get("GCPKIT_SOAK", "1") or 1))


# ---- the patterns ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One landed pattern at its smallest size. `setup` builds what the pattern needs to exist first
    (in the same project, under another deployment); `quota` is a create that an exhausted-quota fault
    can fail (QUOTA_EXCEEDED, operation_error rules in emulator/core/faults.py), with the quota metric,
    region and (GKE, App Engine) amount needed that the API names."""

    pattern: str
    sets: tuple[str, ...] = ()
    setup: Callable[["Lab"], None] | None = None
    quota: dict = field(default_factory=dict)
    # The emulator's time scale: operations of minutes (a GKE cluster: 330 s) are polled, and under faults
    # every poll may be retried with backoff, so the longest chains run scaled down further.
    time_scale: float = 0.002
    # How long a new resource answers 404 in the fault suite: App Engine's one read after a create (its
    # version) follows an operation polled under faults, whose retries can outlast a 1 s window.
    hide_s: float = 1.0

    @property
    def deployment(self) -> str:
        return self.pattern

    def args(self, command: str = "up") -> list[str]:
        sets = [arg for s in self.sets for arg in ("--set", s)]
        yes = ["--yes"] if command == "up" else []
        return [command, self.pattern, "--deployment", self.deployment, "--zone", ZONE, "--emulator",
                "--project", PROJECT, *yes, *sets]


def _source_vm(lab: "Lab") -> None:
    lab.invoke(["up", "gce-custom", "--deployment", "source", "--zone", ZONE, "--emulator", "--project", PROJECT,
                "--yes"], expect=0)


def _default_service(lab: "Lab") -> None:
    """App Engine's first service must be `default`, and the version serving it can never be deleted: another
    deployment holds it, so the case deploys to its own service, which `destroy deployment` removes whole."""
    lab.invoke(["up", "appengine", "--deployment", "base", "--zone", ZONE, "--emulator", "--project", PROJECT,
                "--yes"], expect=0)


_VM_QUOTA = {"method_id": "compute.instances.insert", "quota": "CPUS", "region": REGION}
PATTERNS = [
    Case("gce-custom", ("vm_count=1",), quota=_VM_QUOTA),
    Case("gce-sql", ("vm_count=1",), quota=_VM_QUOTA),
    Case("gce-sql-gcs", ("vm_count=1",), quota=_VM_QUOTA),
    Case("snapshot-to-mig", ("source_instance=source-vm-1", "min_replicas=1", "max_replicas=1"), setup=_source_vm,
         quota={"method_id": "compute.regionInstanceGroupManagers.insert", "quota": "INSTANCE_GROUP_MANAGERS",
                "region": REGION}),
    Case("gke-datastore", ("replicas=1", "node_count=1", "min_nodes=1", "max_nodes=1"), time_scale=0.0005,
         quota={"method_id": "container.projects.locations.clusters.nodePools.create", "quota": "CPUS", "needed": 2,
                "region": REGION}),
    Case("appengine", ("service=web", "keep_versions=1"), setup=_default_service,
         quota={"method_id": "appengine.apps.services.versions.create", "quota": "INSTANCES", "region": REGION},
         hide_s=4.0),
]


def case_ids(cases: list[Case]) -> list[str]:
    return [c.pattern for c in cases]


# ---- the lab: one emulator, one working directory ------------------------------------------------

class Lab:
    """A fresh emulator (in this process, reached over real HTTP) and a working directory whose
    .gcpkit/state.db is gcpkit's state; `up` runs either as a real subprocess or in-process."""

    def __init__(self, root: Path, monkeypatch, *, faults: dict | None = None, time_scale: float = 0.002):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.emu: EmulatorHandle = start_emulator(root, faults=faults, time_scale=time_scale)
        self.fault_sets = [self.emu.server.faults]  # every rule set this emulator has had (their counters)
        self.state_path = root / ".gcpkit" / "state.db"
        monkeypatch.chdir(root)
        monkeypatch.setenv(EMULATOR_HOST_ENV, self.emu.url)
        monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        self.runner = CliRunner()

    def stop(self) -> None:
        self.emu.server.stop()

    def set_faults(self, faults: dict | None) -> None:
        """Replace the running emulator's fault rules (its state stays)."""
        from gcpkit.emulator.core.faults import Faults

        self.emu.server.faults = self.emu.server.ctx.faults = Faults.load(faults)
        self.fault_sets.append(self.emu.server.faults)

    def invoke(self, args: list[str], expect: int | None = None):
        result = self.runner.invoke(app, args)
        if expect is not None:
            assert result.exit_code == expect, f"gcpkit {' '.join(args)}: exit {result.exit_code}\n{result.output}"
        return result

    def spawn(self, args: list[str]) -> subprocess.Popen:
        env = {**os.environ, EMULATOR_HOST_ENV: self.emu.url}
        return subprocess.Popen([sys.executable, "-m", "gcpkit", *args], cwd=self.root, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ---- read-only views ---------------------------------------------------------------------------------

def is_create(call: dict) -> bool:
    """A create request (insert/create method) that the API accepted."""
    method_id = call.get("method_id") or ""
    return (call["method"] == "POST" and method_id.endswith((".insert", ".create"))
            and 200 <= call["status"] < 300)


def is_mutation(call: dict) -> bool:
    method_id = call.get("method_id") or ""
    return call["method"] in MUTATING and not method_id.endswith((".wait", "getIamPolicy"))


class StateView:
    """gcpkit's SQLite state, opened read-only for each query (never writes, never holds a lock)."""

    def __init__(self, path: Path):
        self.path = path

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        if not self.path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []
        finally:
            conn.close()

    def last_intent(self) -> int:
        rows = self._rows("SELECT COALESCE(MAX(id), 0) FROM journal")
        return rows[0][0] if rows else 0

    def intents_since(self, after: int) -> list[tuple[int, str, str, str]]:
        """(id, resource, action, state) of the journal entries after id `after`."""
        return self._rows("SELECT id, resource, action, state FROM journal WHERE id > ? ORDER BY id", (after,))

    def pending(self, deployment: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT resource FROM journal WHERE deployment = ? AND state = 'pending'",
                                         (deployment,))]

    def live_elsewhere(self, deployment: str, type_name: str) -> list[dict]:
        """The live bodies recorded for resources of `type_name` by the other deployments."""
        rows = self._rows("SELECT live FROM resources WHERE deployment != ? AND type = ?", (deployment, type_name))
        return [json.loads(live or "{}") for (live,) in rows]

    def resources(self, deployment: str) -> list[dict]:
        rows = self._rows("SELECT name, type, self_link, live FROM resources WHERE deployment = ?", (deployment,))
        return [{"name": n, "type": t, "self_link": s or "", "live": json.loads(live or "{}")}
                for n, t, s, live in rows]


# ---- convergence ---------------------------------------------------------------------------------------

def lab_target(lab: Lab):
    from gcpkit.clients import Target

    return Target(project=PROJECT, endpoints=lab.emu.server.endpoints())


def census(lab: Lab, deployment: str):
    """Every resource in the project that is the deployment's, listed live with the official clients:
    what its labels (or description marker) name, through gcpkit's inventory, and what the inventory
    does not list (see `beyond_inventory`)."""
    from gcpkit.inventory import inventory

    inv = inventory(lab_target(lab), PROJECT, deployment=deployment)
    assert not inv.problems, inv.problems
    return inv.items + beyond_inventory(lab, deployment)


def beyond_inventory(lab: Lab, deployment: str) -> list:
    """What gcpkit's inventory does not list, found by what ties it to the deployment."""
    target = lab_target(lab)
    return _databases(lab, target, deployment) + _versions(target, deployment) + _node_pools(target, deployment)


def _databases(lab: Lab, target, deployment: str) -> list:
    """Firestore databases: no labels, no description. Every one in the lab's project counts (owner None)
    unless another deployment's state recorded it (same uid); `convergence` requires that this
    deployment's state recorded it."""
    from gcpkit.inventory import Found

    others = {live.get("uid") for live in StateView(lab.state_path).live_elsewhere(deployment, "firestore.v1.database")}
    databases = target.discovery("firestore", "v1").projects().databases()
    return [Found("firestore.v1.database", db["name"].rsplit("/", 1)[-1], {}, None, db.get("createTime"), db)
            for db in all_pages(lambda t: databases.list(parent=f"projects/{PROJECT}"), "databases")
            if db.get("uid") not in others]


def _versions(target, deployment: str) -> list:
    """App Engine versions: no labels; the deployment's are named `<deployment>-<12 hex>`
    (appengine_staging.version_id), in any service."""
    from gcpkit.inventory import Found
    from gcpkit.providers.base import NotFound

    gae = target.discovery("appengine", "v1").apps()
    try:
        services = [s["id"] for s in all_pages(lambda t: gae.services().list(appsId=PROJECT, pageToken=t), "services")]
    except NotFound:  # no application in the project: no version
        return []
    ours = re.compile(re.escape(deployment) + r"-[0-9a-f]{12}")
    found = []
    for service in services:
        listed = all_pages(lambda t, s=service: gae.services().versions().list(appsId=PROJECT, servicesId=s, pageToken=t),
                        "versions")
        found += [Found("appengine.v1.version", v["id"], {"service": service}, deployment, v.get("createTime"), v)
                  for v in listed if ours.fullmatch(v["id"])]
    return found


def _node_pools(target, deployment: str) -> list:
    """Node pools of the deployment's clusters: no labels of their own (GKE's default-pool among them)."""
    from gcpkit.inventory import Found
    from gcpkit.providers.base import owner_from

    clusters = target.discovery("container", "v1").projects().locations().clusters()
    return [Found("container.v1.nodePool", pool["name"], {"location": c["location"], "cluster": c["name"]},
                  deployment, None, pool)
            for c in all_pages(lambda t: clusters.list(parent=f"projects/{PROJECT}/locations/-"), "clusters")
            if owner_from({"labels": c.get("resourceLabels") or {}}) == deployment
            for pool in c.get("nodePools") or []]


def staging_strays(lab: Lab, deployment: str, bucket: str, live: set[str]) -> list[str]:
    """Objects the deployment wrote in its App Engine staging bucket that nothing needs any more: a claim
    whose version (of the `live` ones) does not exist, a staged file that no claim references
    (gcpkit/providers/appengine_staging.py)."""
    from gcpkit.constants import LABEL_DEPLOYMENT

    target = lab_target(lab)
    gcs = target.discovery("storage", "v1")
    objects = [o for o in all_pages(lambda t: gcs.objects().list(bucket=bucket, pageToken=t), "items")
               if (o.get("metadata") or {}).get(LABEL_DEPLOYMENT) == deployment]
    claims = {o["name"].split("/", 2)[2]: o for o in objects if o["name"].startswith("gcpkit/versions/")}
    referenced = {sha for o in claims.values() for sha in (o.get("metadata") or {}).get("sha1s", "").split(",")}
    return sorted([f"claim {v} (no such version)" for v in claims if v not in live]
                  + [f"staged file {o['name']} (no claim references it)" for o in objects
                     if not o["name"].startswith("gcpkit/versions/") and o["name"] not in referenced])


def _recorded_names(record: dict) -> set[str]:
    """The names a state record may go by in the API (its step name, the live name, a service
    account's id, the last segment of its self link)."""
    live = record["live"] or {}
    names = {record["name"], str(live.get("name", "")).rsplit("/", 1)[-1], record["self_link"].rsplit("/", 1)[-1]}
    if live.get("email"):
        names.add(live["email"].split("@", 1)[0])
    return names - {""}


@dataclass
class Convergence:
    labelled: int
    recorded: int
    duplicates: list[str]
    orphans: list[str]


def convergence(lab: Lab, deployment: str, keep_versions: int = 1) -> Convergence:
    """Duplicates: two live resources of one kind for one name (one name in two zones or regions is two
    resources), or more App Engine versions of the deployment in a service than it keeps. Orphans: a
    resource of the deployment that gcpkit's state does not hold (a Firestore database: whose uid the
    state did not record), and what its staging bucket holds that nothing needs."""
    found = census(lab, deployment)
    records = StateView(lab.state_path).resources(deployment)
    known = {(r["type"], name) for r in records for name in _recorded_names(r)}
    groups = {name for r in records if r["type"].endswith("nstanceGroupManager") for name in _recorded_names(r)}
    uids = {r["live"].get("uid") for r in records if r["type"] == "firestore.v1.database"}
    counts = Counter((f.type, f.name) for f in found)
    per_service = Counter(f.scope["service"] for f in found if f.type == "appengine.v1.version")
    orphans = [f"{f.type} {f.name} ({f.scope.get('cluster') or f.scope.get('service') or f.where})" for f in found
               if ((f.type, f.name) not in known and _group_of(f) not in groups)
               or (f.type == "firestore.v1.database" and f.body.get("uid") not in uids)]
    for bucket in {r["live"].get("name") for r in records if r["type"] == "storage.v1.bucket"
                   and (r["live"].get("labels") or {}).get("purpose") == "appengine-staging"}:
        orphans += staging_strays(lab, deployment, bucket, {f.name for f in found if f.type == "appengine.v1.version"})
    return Convergence(
        labelled=len(found), recorded=len(records),
        duplicates=[f"{t} {n} x{c}" for (t, n), c in sorted(counts.items()) if c > 1]
        + [f"appengine.v1.version: {c} in service {s}, keeps {keep_versions}" for s, c in sorted(per_service.items())
           if c > keep_versions],
        orphans=sorted(orphans))


def _group_of(found) -> str | None:
    """The managed instance group that created a VM (its `created-by` metadata, as GCP sets it): such
    VMs carry the group's template labels but belong to the group, not to gcpkit's state."""
    for item in ((found.body.get("metadata") or {}).get("items") or []):
        if item.get("key") == "created-by" and "/instanceGroupManagers/" in str(item.get("value")):
            return str(item["value"]).rsplit("/", 1)[-1]
    return None


def assert_converged(lab: Lab, case: Case) -> Convergence:
    """After an `up` that exited 0: no duplicate, no orphan, no create left pending in the journal,
    and nothing left to do (a plan shows no change)."""
    keep = dict(s.split("=", 1) for s in case.sets).get("keep_versions", "3")  # the appengine pattern's default
    result = convergence(lab, case.deployment, keep_versions=int(keep))
    assert result.duplicates == [], result.duplicates
    assert result.orphans == [], result.orphans
    assert result.labelled > 0
    assert StateView(lab.state_path).pending(case.deployment) == []
    plan = lab.invoke([*case.args("plan"), "--output", "json"], expect=0)
    actions = {row["resource"]: row["action"] for row in json.loads(plan.stdout)["plan"]}
    assert set(actions.values()) <= {"noop", "no change", "none"}, actions
    return result


def destroy_leaves_nothing(lab: Lab, case: Case) -> None:
    lab.invoke(["destroy", "deployment", case.deployment, "--emulator", "--yes", "--force-unprotect"], expect=0)
    assert [f"{f.type} {f.name}" for f in census(lab, case.deployment)] == []


# ---- killing a run ---------------------------------------------------------------------------------------

def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> float:
    """Send `sig` now; returns the wall-clock time it was sent (the request log's clock)."""
    when = time.time()
    proc.send_signal(sig)
    return when


def reap(proc: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    return out, err
