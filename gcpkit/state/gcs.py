"""Team state in Cloud Storage: `--state gs://BUCKET/PREFIX`, the same public API as LocalState.

Object layout under gs://BUCKET/PREFIX/:

    deployments/<deployment>.json   one object per deployment: its record, its resources, its journal
    locks/<deployment>.json         present while a command changes the deployment

A deployment object is JSON: {"kind": "gcpkit#deploymentState", "schema_version": 1, "deployment":
NAME, "record": {...} | null, "resources": {NAME: {...}}, "journal": [{...}]}. Every write is a
read-modify-write conditional on the generation read (`ifGenerationMatch`); when another writer got
there first (412) the change is re-applied to fresh state, with jittered backoff, until it lands
(bounded in time). Changes are idempotent, so a write the client library retried after it had in
fact landed is harmless. An object that is not valid JSON of that shape is refused (BadInput naming
it) and never overwritten. The last MAX_FINISHED_INTENTS finished intents are kept (all pending ones).

The lock object is created with `ifGenerationMatch=0` ("only if absent") and holds {pid, host,
command, since, token}; a second holder gets LockedError at once, naming the holder. While held,
the holder renews it (a conditional rewrite) every `heartbeat` seconds. Staleness rule: a lock is
stale when its holder ran on this machine (same hostname and, where both have one, same Linux boot
id, so CI containers sharing a hostname are not confused) and that pid is gone, or when it has not
been renewed for
the lock timeout (GCPKIT_STATE_LOCK_TIMEOUT, or `state_lock_timeout` in .gcpkit/config.yaml;
default 600 s), judged by the server's `updated` time of the object against this machine's clock
(clocks must agree within a few minutes, as NTP keeps them). A stale lock is never taken over
silently: it is broken explicitly (`--break-lock`), and break_lock() removes only the generation it
saw, so a lock taken meanwhile by someone else survives. Release deletes only our own generation.

The bucket should have uniform bucket-level access and be readable only by the team (it plays the
part of the local file's mode 0600). As with LocalState, callers strip secrets before saving.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from gcpkit.errors import BadInput, LockedError
from gcpkit.state.gcs_objects import Conflict, ObjectStore, backoff
from gcpkit.state.local import (ACTIONS, SCHEMA_VERSION, Deployment, Intent, LockInfo, ResourceRecord, _now,
                                _pid_alive)
from gcpkit.state.location import DEFAULT_LOCK_TIMEOUT, GcsLocation, parse_gcs_url

KIND = "gcpkit#deploymentState"
LOCK_KIND = "gcpkit#lock"
MAX_FINISHED_INTENTS = 500
WRITE_DEADLINE = 60.0  # seconds of lost races before giving up on one change
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class GcsLockInfo(LockInfo):
    """A lock read from Cloud Storage: LockInfo plus when it was last renewed and by which object."""

    object_url: str = ""
    generation: int = 0
    token: str = ""
    age: float = 0.0  # seconds since the server last wrote the lock object, when it was read
    timeout: float = DEFAULT_LOCK_TIMEOUT
    boot_id: str = ""  # the holder machine's boot id, when it has one: tells machines with one hostname apart

    def _holder_gone_here(self) -> bool:
        """The holder ran on this very machine (same hostname and, when both are known, same boot) and
        its pid is gone. Machines that share a hostname (CI containers) are left to the timeout rule."""
        if self.host != socket.gethostname():
            return False
        mine = _boot_id()
        if self.boot_id and mine and self.boot_id != mine:
            return False
        return not _pid_alive(self.pid)

    @property
    def stale(self) -> bool:
        """The holder's pid is gone from this machine, or the lock went unrenewed beyond the timeout."""
        return self._holder_gone_here() or self.age > self.timeout

    @property
    def stale_reason(self) -> str:
        if self._holder_gone_here():
            return "that process is no longer running"
        return f"it has not been renewed for {self.age:.0f}s (lock timeout {self.timeout:.0f}s)"


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@dataclass
class _Held:
    token: str
    generation: int
    body: dict
    depth: int = 1
    lost: bool = False


def _empty(deployment: str) -> dict:
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "deployment": deployment, "record": None,
            "resources": {}, "journal": []}


class GcsState:
    """Deployments' state in gs://BUCKET/PREFIX. Thread-safe; several processes on several machines
    may use the same prefix at once."""

    #: As LocalState: the user-facing way to break a lock, named in lock errors' hints.
    break_lock_command: str | None = None

    def __init__(self, url: str, *, target: Any = None, client_factory: Callable[[], Any] | None = None,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT, heartbeat: float | None = None):
        self.location: GcsLocation = parse_gcs_url(url)
        self.url = self.location.url
        self.path = self.url  # what LocalState callers print
        self.lock_timeout = float(lock_timeout)
        self.heartbeat = heartbeat if heartbeat is not None else max(1.0, min(60.0, self.lock_timeout / 4))
        factory, describe = client_factory, ""
        if factory is None:
            factory, describe = _client_factory(target)
        self.objects = ObjectStore(self.location, factory, describe=describe)
        self.conflicts = 0  # lost races (412) retried, for tests and benchmarks
        self._mutex = threading.RLock()
        self._deployment_mutex: dict[str, threading.RLock] = {}
        self._cache: dict[str, tuple[dict, int]] = {}  # deployment -> (doc, generation) last seen
        self._held: dict[str, _Held] = {}
        self._seen_lock: dict[str, tuple[int, float]] = {}  # deployment -> (generation, when) from lock_holder
        self._intent_owner: dict[int, str] = {}
        self._beat_stop = threading.Event()
        self._beat_thread: threading.Thread | None = None

    # ----------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Release any lock this instance still holds and stop renewing."""
        with self._mutex:
            for deployment in list(self._held):
                self._held[deployment].depth = 1
                with contextlib.suppress(Exception):
                    self._release(deployment)
        self._beat_stop.set()

    def __enter__(self) -> GcsState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _state_object(self, deployment: str) -> str:
        return self.location.object("deployments", f"{_check_name(deployment)}.json")

    def _lock_object(self, deployment: str) -> str:
        return self.location.object("locks", f"{_check_name(deployment)}.json")

    def _dmutex(self, deployment: str) -> threading.RLock:
        with self._mutex:
            return self._deployment_mutex.setdefault(deployment, threading.RLock())

    def _parse(self, deployment: str, data: bytes, name: str) -> dict:
        where = self.objects.url(name)
        hint = "restore an earlier generation of it (object versioning), or move it away; it was left untouched"
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"state object {where} is corrupt (not JSON: {exc})", hint=hint) from None
        if not isinstance(doc, dict) or doc.get("kind") != KIND or not isinstance(doc.get("schema_version"), int):
            raise BadInput(f"state object {where} is not a gcpkit deployment state", hint=hint)
        if doc["schema_version"] > SCHEMA_VERSION:
            raise BadInput(f"state object {where} was written by a newer gcpkit (schema {doc['schema_version']} "
                           f"> {SCHEMA_VERSION}); upgrade gcpkit",
                           hint="upgrade gcpkit (pip install -U gcpkit); the object was left untouched")
        record, resources, journal = doc.get("record"), doc.get("resources"), doc.get("journal")
        ok = (doc.get("deployment") == deployment and (record is None or isinstance(record, dict))
              and isinstance(resources, dict) and all(isinstance(r, dict) for r in resources.values())
              and isinstance(journal, list) and all(isinstance(i, dict) and isinstance(i.get("id"), int)
                                                    for i in journal))
        if not ok:
            raise BadInput(f"state object {where} is corrupt (unexpected structure)", hint=hint)
        try:  # every record must load into its dataclass
            if record is not None:
                Deployment(**record)
            for r in resources.values():
                ResourceRecord(**r)
            for i in journal:
                Intent(deployment=deployment, **{k: v for k, v in i.items() if not k.startswith("_")})
        except TypeError as exc:
            raise BadInput(f"state object {where} is corrupt ({exc})", hint=hint) from None
        return doc

    def _load(self, deployment: str) -> tuple[dict, int]:
        """The deployment's document and its generation (0: no object), read fresh."""
        name = self._state_object(deployment)
        data, generation = self.objects.read(name)
        doc = _empty(deployment) if data is None else self._parse(deployment, data, name)
        with self._mutex:
            self._cache[deployment] = (doc, generation)
        return json.loads(json.dumps(doc)), generation

    def _update(self, deployment: str, change: Callable[[dict], tuple[Any, bool]]) -> Any:
        """Apply `change(doc) -> (result, changed)` and write it conditionally; on a lost race re-read
        and re-apply. `change` must be idempotent (it may run again on state that already has it)."""
        name = self._state_object(deployment)
        deadline = time.monotonic() + WRITE_DEADLINE
        with self._dmutex(deployment):
            with self._mutex:
                cached = self._cache.get(deployment)
            if cached is not None:  # start from what we last saw; the write checks it is still current
                doc, generation = json.loads(json.dumps(cached[0])), cached[1]
            else:
                doc, generation = self._load(deployment)
            attempt = 0
            while True:
                result, changed = change(doc)
                if not changed:
                    if cached is None or attempt > 0:
                        return result
                    doc, generation = self._load(deployment)  # the cache may be old: decide on fresh state
                    cached = None
                    continue
                _prune(doc)
                try:
                    if doc["record"] is None and not doc["resources"] and not doc["journal"]:
                        if generation:
                            self.objects.delete(name, generation)
                        new_generation = 0
                    else:
                        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
                        new_generation = self.objects.write(name, data, generation)
                except Conflict:
                    attempt += 1
                    with self._mutex:
                        self.conflicts += 1
                    if time.monotonic() > deadline:
                        raise LockedError(f"state object {self.objects.url(name)} kept changing under gcpkit "
                                          f"({attempt} lost races in {WRITE_DEADLINE:.0f}s)",
                                          hint="another process is writing this deployment's state; "
                                               "try again") from None
                    backoff(attempt)
                    doc, generation = self._load(deployment)
                    cached = None
                    continue
                with self._mutex:
                    self._cache[deployment] = (json.loads(json.dumps(doc)), new_generation)
                return result

    # ----------------------------------------------------------------- lock

    @contextlib.contextmanager
    def lock(self, deployment: str, command: str) -> Iterator[LockInfo]:
        """Hold the deployment's lock for the block. Fails at once with LockedError naming the holder
        when anyone else holds it. Re-entrant within this instance; released on exit."""
        info = self._acquire(deployment, command)
        try:
            yield info
        finally:
            self._release(deployment)

    def _acquire(self, deployment: str, command: str) -> LockInfo:
        name = self._lock_object(deployment)
        with self._mutex:
            held = self._held.get(deployment)
            if held is not None:
                held.depth += 1
                return self._info(deployment, held.body, held.generation, 0.0)
        token = uuid.uuid4().hex
        body = {"kind": LOCK_KIND, "deployment": deployment, "pid": os.getpid(), "host": socket.gethostname(),
                "command": command, "since": _now(), "token": token, "timeout": self.lock_timeout,
                "boot_id": _boot_id()}
        data = json.dumps(body, sort_keys=True).encode()
        for attempt in range(8):
            try:
                generation = self.objects.write(name, data, 0)
                break
            except Conflict:
                holder = self.lock_holder(deployment)
                if holder is None:  # released between our create and our read: try again
                    backoff(attempt)
                    continue
                if holder.token == token:  # our create landed; the library retried it and lost to itself
                    generation = holder.generation
                    break
                raise self._locked_error(holder) from None
        else:
            raise LockedError(f"the lock of deployment '{deployment}' ({self.objects.url(name)}) keeps changing",
                              hint="other gcpkit commands are taking and releasing it; try again")
        with self._mutex:
            self._held[deployment] = _Held(token, generation, body)
            self._start_heartbeat()
        return self._info(deployment, body, generation, 0.0)

    def _release(self, deployment: str) -> None:
        with self._mutex:
            held = self._held[deployment]
            if held.depth > 1:
                held.depth -= 1
                return
            del self._held[deployment]
            generation, lost = held.generation, held.lost
        if lost:
            return
        with contextlib.suppress(Conflict):  # broken and maybe re-taken by someone else: theirs now
            self.objects.delete(self._lock_object(deployment), generation)

    def _start_heartbeat(self) -> None:
        if self._beat_thread is not None and self._beat_thread.is_alive():
            return
        self._beat_stop.clear()
        self._beat_thread = threading.Thread(target=self._beat, name="gcpkit-state-lock-heartbeat", daemon=True)
        self._beat_thread.start()

    def _beat(self) -> None:
        while not self._beat_stop.wait(self.heartbeat):
            with self._mutex:
                held = {d: h for d, h in self._held.items() if not h.lost}
                if not held:
                    self._beat_thread = None
                    return
            for deployment in held:
                self.renew(deployment)

    def renew(self, deployment: str) -> bool:
        """Rewrite our lock object (a heartbeat). False when the lock is no longer ours (it was broken)."""
        with self._mutex:
            held = self._held.get(deployment)
            if held is None or held.lost:
                return False
            body = {**held.body, "renewed": _now()}
            generation = held.generation
        try:
            new = self.objects.write(self._lock_object(deployment), json.dumps(body, sort_keys=True).encode(),
                                     generation)
        except Conflict:
            with self._mutex:
                if self._held.get(deployment) is held:
                    held.lost = True
            from gcpkit import console

            console.err.print(f"[yellow]warning:[/] the lock of deployment '{deployment}' was broken by someone "
                              "else while this command held it")
            return False
        except Exception:  # noqa: BLE001 - a missed heartbeat is retried at the next one
            return True
        with self._mutex:
            if self._held.get(deployment) is held:
                held.generation, held.body = new, body
        return True

    def _info(self, deployment: str, body: dict, generation: int, age: float) -> GcsLockInfo:
        def as_int(v: Any) -> int:
            try:
                return int(v)
            except (TypeError, ValueError):
                return 0

        return GcsLockInfo(deployment=deployment, pid=as_int(body.get("pid")),
                           host=str(body.get("host") or "(unknown host)"),
                           command=str(body.get("command") or "(unknown command)"),
                           since=str(body.get("since") or "?"), object_url=self.objects.url(
                               self._lock_object(deployment)), generation=generation,
                           token=str(body.get("token") or ""), age=age, timeout=self.lock_timeout,
                           boot_id=str(body.get("boot_id") or ""))

    def lock_holder(self, deployment: str) -> GcsLockInfo | None:
        """Who holds the deployment's lock, or None. An unreadable lock object still counts as held
        (by an unknown holder): it is stale only after the lock timeout."""
        name = self._lock_object(deployment)
        for _ in range(5):
            meta = self.objects.stat(name)
            if meta is None:
                return None
            data, generation = self.objects.read(name)
            if data is None:
                return None
            if generation != meta[0]:
                continue  # rewritten between the two reads (a heartbeat): look again
            updated = meta[1]
            age = max(0.0, (datetime.now(timezone.utc) - updated).total_seconds()) if updated else 0.0
            try:
                body = json.loads(data.decode("utf-8"))
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except (UnicodeDecodeError, ValueError):
                body = {"host": "(unreadable lock object)", "command": "(unknown command)"}
            with self._mutex:
                self._seen_lock[deployment] = (generation, time.monotonic())
            return self._info(deployment, body, generation, age)
        return None

    def _locked_error(self, holder: LockInfo) -> LockedError:
        what = (f"deployment '{holder.deployment}' is locked by pid {holder.pid} on host {holder.host} "
                f"({holder.command}, since {holder.since})")
        if isinstance(holder, GcsLockInfo):
            what += f"; lock {holder.object_url}, renewed {holder.age:.0f}s ago"
        way = (self.break_lock_command.format(deployment=holder.deployment) if self.break_lock_command
               else f"break_lock('{holder.deployment}')")
        if holder.stale:
            reason = holder.stale_reason if isinstance(holder, GcsLockInfo) else "that process is no longer running"
            return LockedError(f"{what}; {reason} (stale lock)",
                               hint=f"if no other gcpkit works on '{holder.deployment}', break the lock "
                                    f"explicitly with {way}, then run plan before applying again")
        return LockedError(what, hint=f"wait for that command to finish and try again; only if it is gone for "
                                      f"good, break the lock with {way}")

    def break_lock(self, deployment: str) -> bool:
        """Remove the deployment's lock whoever holds it. True if there was one. When lock_holder() was
        called just before (the --break-lock flow), only the lock it saw is removed: a lock taken since
        by someone else is kept (False)."""
        name = self._lock_object(deployment)
        with self._mutex:
            seen = self._seen_lock.pop(deployment, None)
        generation = seen[0] if seen is not None and time.monotonic() - seen[1] < 30 else None
        if generation is None:
            meta = self.objects.stat(name)
            if meta is None:
                removed = False
            else:
                generation = meta[0]
        if generation is not None:
            try:
                removed = self.objects.delete(name, generation)
            except Conflict:
                removed = False
        with self._mutex:
            held = self._held.pop(deployment, None)
        if held is not None and removed:
            held.lost = True
        return removed

    # ----------------------------------------------------------------- deployments

    def get_deployment(self, name: str) -> Deployment | None:
        record = self._load(name)[0]["record"]
        return Deployment(**record) if record is not None else None

    def list_deployments(self) -> list[Deployment]:
        prefix = self.location.object("deployments") + "/"
        found = []
        for obj in self.objects.names(prefix):
            stem = obj[len(prefix):]
            if not stem.endswith(".json") or "/" in stem or not _NAME.match(stem[:-5]):
                continue
            deployment = self.get_deployment(stem[:-5])
            if deployment is not None:
                found.append(deployment)
        return sorted(found, key=lambda d: d.name)

    def save_deployment(self, deployment: Deployment) -> Deployment:
        """Insert or update; created_at is kept from the first save. Returns what was stored."""
        now = _now()

        def change(doc: dict) -> tuple[Deployment, bool]:
            previous = doc["record"]
            created = (previous or {}).get("created_at") or deployment.created_at or now
            saved = dataclasses.replace(deployment, created_at=created, updated_at=now)
            doc["record"] = dataclasses.asdict(saved)
            return saved, True

        return self._update(deployment.name, change)

    def delete_deployment(self, name: str) -> None:
        """Forget a deployment, its resources and its journal (not its lock)."""

        def change(doc: dict) -> tuple[None, bool]:
            changed = doc["record"] is not None or bool(doc["resources"]) or bool(doc["journal"])
            doc.update(record=None, resources={}, journal=[])
            return None, changed

        self._update(name, change)

    # ----------------------------------------------------------------- resources

    def resources(self, deployment: str) -> list[ResourceRecord]:
        doc = self._load(deployment)[0]
        return [ResourceRecord(**doc["resources"][k]) for k in sorted(doc["resources"])]

    def get_resource(self, deployment: str, name: str) -> ResourceRecord | None:
        record = self._load(deployment)[0]["resources"].get(name)
        return ResourceRecord(**record) if record is not None else None

    def put_resource(self, record: ResourceRecord) -> ResourceRecord:
        """Insert or replace one resource record. Returns what was stored."""
        saved = dataclasses.replace(record, updated_at=_now())
        stored = json.loads(json.dumps(dataclasses.asdict(saved), sort_keys=True))

        def change(doc: dict) -> tuple[ResourceRecord, bool]:
            doc["resources"][saved.name] = stored
            return saved, True

        return self._update(record.deployment, change)

    def remove_resource(self, deployment: str, name: str) -> None:
        def change(doc: dict) -> tuple[None, bool]:
            return None, doc["resources"].pop(name, None) is not None

        self._update(deployment, change)

    # ----------------------------------------------------------------- intent journal

    def begin_intent(self, deployment: str, resource: str, action: str, type: str, payload: dict | None = None) -> int:
        """Record (durably) that a mutating call is about to be made. Returns the intent id."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        entry = {"resource": resource, "action": action, "type": type,
                 "payload": json.loads(json.dumps(payload or {})), "state": "pending", "ts": _now()}

        def change(doc: dict) -> tuple[int, bool]:
            if any(i.get("_key") == key for i in doc["journal"]):  # this very intent already landed
                return next(i["id"] for i in doc["journal"] if i.get("_key") == key), False
            last = max((i["id"] for i in doc["journal"]), default=0)
            # Ids grow within a deployment and are unique across deployments (time-based, random low digits).
            intent_id = max(last + 1, time.time_ns() // 1000 * 1000 + random.randrange(1000))
            doc["journal"].append({"id": intent_id, "_key": key, **entry})
            return intent_id, True

        key = uuid.uuid4().hex
        intent_id = self._update(deployment, change)
        with self._mutex:
            self._intent_owner[intent_id] = deployment
        return intent_id

    def finish_intent(self, intent_id: int, state: str = "done") -> None:
        if state not in ("done", "failed"):
            raise ValueError(f"an intent finishes as 'done' or 'failed', not {state!r}")
        with self._mutex:
            owner = self._intent_owner.get(intent_id)
        candidates = [owner] if owner else [d.name for d in self._all_deployment_objects()]
        now = _now()
        for deployment in candidates:
            def change(doc: dict) -> tuple[bool, bool]:
                for entry in doc["journal"]:
                    if entry["id"] == intent_id:
                        changed = entry["state"] != state
                        entry.update(state=state, ts=now if changed else entry["ts"])
                        return True, changed
                return False, False

            if self._update(deployment, change):
                return
        raise ValueError(f"no intent with id {intent_id}")

    def _all_deployment_objects(self) -> list[Deployment]:
        prefix = self.location.object("deployments") + "/"
        names = [o[len(prefix):-5] for o in self.objects.names(prefix) if o.endswith(".json")]
        return [Deployment(n, "", "") for n in names if _NAME.match(n)]

    def _intents(self, deployment: str, keep: Callable[[dict], bool]) -> list[Intent]:
        doc = self._load(deployment)[0]
        out = []
        for entry in doc["journal"]:
            if keep(entry):
                fields = {k: v for k, v in entry.items() if not k.startswith("_")}
                out.append(Intent(deployment=deployment, **fields))
        with self._mutex:
            for intent in out:
                self._intent_owner[intent.id] = deployment
        return out

    def pending_intents(self, deployment: str) -> list[Intent]:
        """Intents begun but never finished (a run was killed in between), oldest first."""
        return self._intents(deployment, lambda e: e["state"] == "pending")

    def intents(self, deployment: str) -> list[Intent]:
        """The whole journal of a deployment, oldest first (the last MAX_FINISHED_INTENTS finished)."""
        return self._intents(deployment, lambda e: True)


def _prune(doc: dict) -> None:
    finished = [i for i in doc["journal"] if i["state"] != "pending"]
    if len(finished) > MAX_FINISHED_INTENTS:
        drop = {i["id"] for i in finished[: len(finished) - MAX_FINISHED_INTENTS]}
        doc["journal"] = [i for i in doc["journal"] if i["id"] not in drop]


def _check_name(deployment: str) -> str:
    if not isinstance(deployment, str) or not _NAME.match(deployment):
        raise BadInput(f"deployment name {deployment!r} is not valid (lowercase letters, digits and -, "
                       "starting with a letter, at most 63 characters)")
    return deployment


def _client_factory(target: Any) -> tuple[Callable[[], Any], str]:
    """How to build a storage client, and where it goes (for messages). With a Target that has
    endpoints (the emulator, --endpoints) its "storage" base URL and the Target's credentials; with a
    real-cloud Target its credentials (ADC); without one, google-cloud-storage's own defaults
    (ADC, or STORAGE_EMULATOR_HOST when that is set). os.environ is never changed."""
    endpoint = None
    if target is not None and getattr(target, "endpoints", None) is not None:
        endpoint = target.endpoints.get("storage")
        if not endpoint:
            raise BadInput("the endpoints map has no 'storage' entry, so a gs:// state cannot be reached",
                           hint="add \"storage\" (the base URL, as `gcpkit emulator endpoints --json` prints) "
                                "or keep the state in a local file")
        endpoint = endpoint.rstrip("/")
    elif target is None:
        endpoint = os.environ.get("STORAGE_EMULATOR_HOST") or None
        if endpoint and "://" not in endpoint:
            endpoint = f"http://{endpoint}"

    def factory() -> Any:
        from google.cloud import storage

        if endpoint is not None:
            # The Target's own credentials: anonymous for an emulator, unless it was started with
            # --require-auth (then the same ADC key every other call signs in with).
            from google.auth.credentials import AnonymousCredentials

            credentials = target.credentials() if target is not None else AnonymousCredentials()
            return storage.Client(project=getattr(target, "project", None) or "gcpkit-state",
                                  credentials=credentials, client_options={"api_endpoint": endpoint})
        if target is not None:
            return storage.Client(project=target.project, credentials=target.credentials())
        return storage.Client(project=None)

    return factory, endpoint or ""
