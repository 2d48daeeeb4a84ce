"""A Deployment over time: the deployment controller replayed from the Deployment's recorded spec changes.

Every create or update that changes replicas, the pod template or the strategy appends an event
{t, replicas, hash, strategy, minReady} to the stored timeline ("sim"). Reading the Deployment replays
the controller from the first event to `now`: it reconciles at each event and each moment a pod becomes
available, so status, ReplicaSets and pods are a pure function of the stored timeline and the clock
(several emulator processes sharing a store agree, and nothing runs in the background).

The reconcile step is Kubernetes' (pkg/controller/deployment/rolling.go), at pod granularity:
- the new ReplicaSet scales up while all pods < replicas + maxSurge;
- old ReplicaSets lose their unavailable pods first, then available ones while the available count stays
  >= replicas - maxUnavailable (not counting the new ReplicaSet's unavailable pods);
- maxSurge rounds up, maxUnavailable down; both 0 after rounding means maxUnavailable 1.
A created pod is ready after the profile's pod start time and available minReadySeconds later (both
scaled by time_scale); pods leave at once when deleted (no terminating pods).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from gcpkit.emulator.kubernetes.validation import int_or_percent

_HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' rand.SafeEncodeString alphabet
_MAX_STEPS = 100_000  # a guard: a timeline has a few events per pod


def template_hash(template: dict) -> str:
    digest = int.from_bytes(hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()[:8], "big")
    out = ""
    for _ in range(10):
        digest, r = divmod(digest, len(_HASH_ALPHABET))
        out += _HASH_ALPHABET[r]
    return out


def record(sim: dict, spec: dict, now: float) -> None:
    """Append the spec's rollout-relevant part to the timeline when it changed. A paused Deployment keeps
    its current template (no new ReplicaSet until resumed)."""
    template_key = template_hash(spec["template"])
    events = sim.setdefault("events", [])
    if spec.get("paused") and events:
        template_key = events[-1]["hash"]
    else:
        sim.setdefault("templates", {})[template_key] = spec["template"]
    event = {"t": now, "replicas": spec.get("replicas", 1), "hash": template_key, "strategy": spec.get("strategy") or {},
             "minReady": spec.get("minReadySeconds", 0), "paused": bool(spec.get("paused"))}
    if events and {k: v for k, v in events[-1].items() if k != "t"} == {k: v for k, v in event.items() if k != "t"}:
        return
    events.append(event)


@dataclass
class Pod:
    seq: int
    hash: str
    created: float
    ready_at: float
    available_at: float


@dataclass
class Condition:
    status: str
    reason: str
    message: str
    updated: float
    transitioned: float


@dataclass
class State:
    """The controller's view at `now`: pods, ReplicaSet revisions and the Deployment's conditions."""

    pods: list[Pod] = field(default_factory=list)
    current: str = ""  # the new ReplicaSet's template hash
    revisions: dict[str, int] = field(default_factory=dict)
    rs_created: dict[str, float] = field(default_factory=dict)
    available: Condition | None = None
    progressing: Condition | None = None
    spec: dict = field(default_factory=dict)  # the last event replayed
    seq: int = 0
    name: str = ""  # the Deployment's
    last_counts: tuple = ()

    def new_pods(self) -> list[Pod]:
        return [p for p in self.pods if p.hash == self.current]

    def old_pods(self) -> list[Pod]:
        return [p for p in self.pods if p.hash != self.current]


def fenceposts(spec: dict) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against the replica count, Kubernetes' rounding."""
    want = spec["replicas"]
    strategy = spec["strategy"]
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    surge = int_or_percent(rolling.get("maxSurge", "25%"), want, round_up=True)
    unavailable = int_or_percent(rolling.get("maxUnavailable", "25%"), want, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, want)


def simulate(sim: dict, name: str, now: float, ready_delay: float, time_scale: float) -> State:
    """Replay the Deployment `name`'s timeline up to `now`."""
    st = State(name=name)
    events = sim["events"]
    i, t = 0, events[0]["t"]
    for _ in range(_MAX_STEPS):
        while i < len(events) and events[i]["t"] <= t:
            st.spec = events[i]
            i += 1
            if st.spec["hash"] != st.current:
                _switch(st, t)
        _reconcile(st, t, ready_delay, st.spec["minReady"] * time_scale)
        _conditions(st, t)
        upcoming = [p.available_at for p in st.pods if p.available_at > t]
        if i < len(events):
            upcoming.append(events[i]["t"])
        if not upcoming or min(upcoming) > now:
            break
        t = min(upcoming)
    return st


def rs_name(deployment: str, template_key: str) -> str:
    return f"{deployment}-{template_key}"


def _switch(st: State, t: float) -> None:
    """A new template: its ReplicaSet (created, or an old one found again) becomes the new one."""
    found = st.spec["hash"] in st.revisions
    st.current = st.spec["hash"]
    st.revisions[st.current] = max(st.revisions.values(), default=0) + 1
    st.rs_created.setdefault(st.current, t)
    rs = rs_name(st.name, st.current)
    if found:
        _progress(st, "FoundNewReplicaSet", f'Found new replica set "{rs}"', t)
    else:
        _progress(st, "NewReplicaSetCreated", f'Created new replica set "{rs}"', t)


def _remove(st: State, victims: list[Pod], count: int, t: float) -> None:
    """Delete `count` of `victims` the way a ReplicaSet picks: older ReplicaSets first, then not available
    before available, then the newest pods."""
    ranked = sorted(victims, key=lambda p: (st.rs_created.get(p.hash, 0), p.available_at <= t, -p.created, -p.seq))
    gone = {id(p) for p in ranked[:max(count, 0)]}
    st.pods = [p for p in st.pods if id(p) not in gone]


def _create(st: State, count: int, t: float, delay: float, min_ready: float) -> None:
    for _ in range(count):
        st.seq += 1
        st.pods.append(Pod(st.seq, st.current, t, t + delay, t + delay + min_ready))


def _reconcile(st: State, t: float, delay: float, min_ready: float) -> None:
    for _ in range(_MAX_STEPS):
        before = [p.seq for p in st.pods]
        _step(st, t, delay, min_ready)
        if [p.seq for p in st.pods] == before:
            return


def _step(st: State, t: float, delay: float, min_ready: float) -> None:
    want = st.spec["replicas"]
    new, old = st.new_pods(), st.old_pods()
    if st.spec["strategy"].get("type") == "Recreate" and old:
        _remove(st, old, len(old), t)
        return
    if not old:  # not rolling: scale the new ReplicaSet to the replica count
        if len(new) < want:
            _create(st, want - len(new), t, delay, min_ready)
        elif len(new) > want:
            _remove(st, new, len(new) - want, t)
        return
    surge, unavailable = fenceposts(st.spec)
    if len(new) > want:
        _remove(st, new, len(new) - want, t)
    elif len(new) < want and len(st.pods) < want + surge:
        _create(st, min(want + surge - len(st.pods), want - len(new)), t, delay, min_ready)
    # old ReplicaSets: what may go without dropping below replicas - maxUnavailable
    min_available = want - unavailable
    new_unavailable = sum(1 for p in st.new_pods() if p.available_at > t)
    max_down = len(st.pods) - min_available - new_unavailable
    if max_down <= 0:
        return
    unhealthy = [p for p in st.old_pods() if p.available_at > t]
    cleaned = min(max_down, len(unhealthy))
    _remove(st, unhealthy, cleaned, t)
    available = sum(1 for p in st.pods if p.available_at <= t)
    if available > min_available:
        _remove(st, st.old_pods(), available - min_available, t)


def counts(st: State, t: float) -> dict:
    new = st.new_pods()
    return {"replicas": len(st.pods), "updated": len(new),
            "ready": sum(1 for p in st.pods if p.ready_at <= t),
            "available": sum(1 for p in st.pods if p.available_at <= t)}


def complete(st: State, t: float) -> bool:
    c, want = counts(st, t), st.spec["replicas"]
    return c["updated"] == want and c["replicas"] == want and c["available"] == want


def _progress(st: State, reason: str, message: str, t: float, status: str = "True") -> None:
    cur = st.progressing
    if cur is not None and (cur.status, cur.reason, cur.message) == (status, reason, message):
        return
    transitioned = cur.transitioned if cur is not None and cur.status == status else t
    st.progressing = Condition(status, reason, message, t, transitioned)


def _conditions(st: State, t: float) -> None:
    c = counts(st, t)
    _, unavailable = fenceposts(st.spec)
    ok = c["available"] >= st.spec["replicas"] - unavailable
    status = "True" if ok else "False"
    if st.available is None or st.available.status != status:
        reason = "MinimumReplicasAvailable" if ok else "MinimumReplicasUnavailable"
        message = "Deployment has minimum availability." if ok else "Deployment does not have minimum availability."
        st.available = Condition(status, reason, message, t, t)
    rs = rs_name(st.name, st.current)
    key = (c["updated"], c["replicas"], c["available"])
    if st.spec.get("paused"):
        _progress(st, "DeploymentPaused", "Deployment is paused", t, status="Unknown")
    elif complete(st, t):
        _progress(st, "NewReplicaSetAvailable", f'ReplicaSet "{rs}" has successfully progressed.', t)
    elif key != st.last_counts and st.progressing is not None and t > st.progressing.updated:
        _progress(st, "ReplicaSetUpdated", f'ReplicaSet "{rs}" is progressing.', t)
    st.last_counts = key
