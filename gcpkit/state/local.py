"""Local state: one SQLite file (default `.gcpkit/state.db`), mode 0600, WAL.

What it holds: deployments (parameters, environment, outputs), the resources gcpkit
manages for each (desired/resolved properties and the last known live fields), an
intent journal, and one lock row per deployment being changed.

Secrets never belong here. Callers must strip passwords, tokens and keys from
params, env, outputs, properties, live fields and journal payloads before saving;
this module stores what it is given as plain JSON.

Every write is its own committed transaction (durable before the cloud call it
precedes). One connection is shared by all threads of a process and guarded by a
lock, so the apply walker's thread pool may call any method concurrently. Several
processes (or several LocalState instances) may open the same file; SQLite's own
locking serialises their writes and the `locks` table serialises whole commands.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcpkit.errors import BadInput, LockedError

SCHEMA_VERSION = 1
DEFAULT_PATH = Path(".gcpkit") / "state.db"
ACTIONS = ("create", "update", "delete", "replace")
INTENT_STATES = ("pending", "done", "failed")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_BUSY_TIMEOUT_MS = 10_000  # waits only for another process's short write, never for a held deployment lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deployments (
    name       TEXT PRIMARY KEY,
    project    TEXT NOT NULL,
    pattern    TEXT NOT NULL,
    params     TEXT NOT NULL DEFAULT '{}',
    env        TEXT NOT NULL DEFAULT '{}',
    outputs    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resources (
    deployment TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    self_link  TEXT,
    properties TEXT NOT NULL DEFAULT '{}',
    live       TEXT NOT NULL DEFAULT '{}',
    status     TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (deployment, name)
);
CREATE TABLE IF NOT EXISTS journal (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment TEXT NOT NULL,
    resource   TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'replace')),
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL DEFAULT '{}',
    state      TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    ts         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_by_deployment ON journal (deployment, state);
CREATE TABLE IF NOT EXISTS locks (
    deployment TEXT PRIMARY KEY,
    pid        INTEGER NOT NULL,
    host       TEXT NOT NULL,
    command    TEXT NOT NULL,
    since      TEXT NOT NULL,
    token      TEXT NOT NULL
);
"""


def _now() -> str:
    """UTC timestamp, ISO 8601 with a Z, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _dumps(value: Any) -> str:
    return json.dumps(value if value is not None else {}, sort_keys=True, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else {}


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 checks, sends nothing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True  # cannot tell: never call a lock stale on a guess
    return True


@dataclass
class Deployment:
    name: str
    project: str
    pattern: str
    params: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    created_at: str = ""  # filled in by save_deployment (kept from the first save)
    updated_at: str = ""  # set by save_deployment


@dataclass
class ResourceRecord:
    deployment: str
    name: str
    type: str
    self_link: str | None = None
    properties: dict = field(default_factory=dict)  # desired, with references resolved
    live: dict = field(default_factory=dict)  # last known live fields
    status: str = ""
    updated_at: str = ""  # set by put_resource


@dataclass
class Intent:
    id: int
    deployment: str
    resource: str
    action: str  # create | update | delete | replace
    type: str
    payload: dict
    state: str  # pending | done | failed
    ts: str


@dataclass(frozen=True)
class LockInfo:
    deployment: str
    pid: int
    host: str
    command: str
    since: str

    @property
    def stale(self) -> bool:
        """True only when the holder ran on this host and its pid is gone."""
        return self.host == socket.gethostname() and not _pid_alive(self.pid)


class LocalState:
    """The local SQLite state store. Use as a context manager or call close()."""

    #: The user-facing command that breaks a lock, e.g. "gcpkit unlock {deployment}"; when set (by the
    #: CLI that provides it) lock errors name it in their hint next to break_lock().
    break_lock_command: str | None = None

    def __init__(self, path: str | Path = DEFAULT_PATH):
        self.path = Path(path)
        self._mutex = threading.RLock()
        self._held: dict[str, tuple[str, int]] = {}  # deployment -> (token, depth) held by this instance
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open()

    # ----------------------------------------------------------------- opening

    def _open(self) -> sqlite3.Connection:
        created = self._create_file_if_missing()
        if not created:
            self._check_header()
        try:
            conn = sqlite3.connect(str(self.path), timeout=_BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise BadInput(f"cannot open state file {self.path}: {exc}",
                           hint="check the path and its permissions") from exc
        try:
            self._check_and_init(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _create_file_if_missing(self) -> bool:
        """Create an empty state file with mode 0600 (its directory 0700) before SQLite sees it."""
        if self.path.exists():
            return False
        parent = self.path.parent
        if not parent.exists():
            try:
                parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(parent, 0o700)
            except OSError as exc:
                raise BadInput(f"cannot create the state directory {parent}: {exc}") from exc
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False  # another process created it a moment ago
        except OSError as exc:
            raise BadInput(f"cannot create the state file {self.path}: {exc}") from exc
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
        finally:
            os.close(fd)
        return True

    def _check_header(self) -> None:
        """Refuse a file that is not SQLite, reading it only (it is never modified)."""
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except IsADirectoryError as exc:
            raise BadInput(f"state file {self.path} is a directory") from exc
        except OSError as exc:
            raise BadInput(f"cannot read state file {self.path}: {exc}") from exc
        if head and head != _SQLITE_MAGIC:
            raise BadInput(f"state file {self.path} is not a gcpkit state file (not an SQLite database)",
                           hint="point gcpkit at the right state file, or move this one away; it was left untouched")

    def _check_and_init(self, conn: sqlite3.Connection) -> None:
        corrupt_hint = "restore it from a backup, or move it away to start afresh; it was left untouched"
        try:
            # Reads only: nothing is written before the file has been recognised.
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else None
            # A damaged page elsewhere would only fail mid-run, after cloud calls and writes into the file.
            damage = [r[0] for r in conn.execute("PRAGMA quick_check(1)")]
            if damage != ["ok"]:  # e.g. "*** in database main ***\nPage 4: btreeInitPage() returns error code 11"
                found = [line for line in "\n".join(damage).splitlines() if not line.startswith("***")]
                raise sqlite3.DatabaseError("; ".join(found) or "damaged pages")
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise BadInput(f"state file {self.path} is corrupt or not a gcpkit state file ({exc})",
                           hint=corrupt_hint) from exc
        user_tables = {t for t in tables if not t.startswith("sqlite_")}
        if user_tables and version is None:
            raise BadInput(f"state file {self.path} is an SQLite database but not a gcpkit state file",
                           hint="point gcpkit at the right state file; this one was left untouched")
        if version is not None and version > SCHEMA_VERSION:
            raise BadInput(f"state file {self.path} was written by a newer gcpkit "
                           f"(schema {version} > {SCHEMA_VERSION}); upgrade gcpkit",
                           hint="upgrade gcpkit (pip install -U gcpkit); the file was left untouched")
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # e.g. a file system without shared memory
                conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                # Migrations from older schema versions go here (none yet: version 1 is the first).
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value "
                             "WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                             (str(SCHEMA_VERSION),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise BadInput(f"state file {self.path} is corrupt or unusable ({exc})", hint=corrupt_hint) from exc

    # ----------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Release any lock this instance still holds, then close the connection."""
        with self._mutex:
            for deployment in list(self._held):
                self._held[deployment] = (self._held[deployment][0], 1)
                with contextlib.suppress(sqlite3.Error):
                    self._release(deployment)
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> LocalState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"state file {self.path} is closed")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One committed write transaction (BEGIN IMMEDIATE ... COMMIT), serialised across threads."""
        with self._mutex:
            conn = self._db()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._mutex:
            conn = self._db()
            cur = conn.execute(sql, args)
            return cur.fetchall()

    # ----------------------------------------------------------------- lock

    @contextlib.contextmanager
    def lock(self, deployment: str, command: str) -> Iterator[LockInfo]:
        """Hold the deployment's lock for the duration of the block.

        Fails at once with LockedError when anyone else (another process or another
        LocalState instance) holds it. Re-entrant within this instance. Released on
        exit, also on exceptions and KeyboardInterrupt. A holder killed without
        releasing leaves a lock that is reported as stale and must be broken
        explicitly with break_lock().
        """
        info = self._acquire(deployment, command)
        try:
            yield info
        finally:
            self._release(deployment)

    def _acquire(self, deployment: str, command: str) -> LockInfo:
        with self._mutex:
            held = self._held.get(deployment)
            if held is not None:
                token, depth = held
                self._held[deployment] = (token, depth + 1)
                row = self._read("SELECT deployment, pid, host, command, since FROM locks WHERE deployment = ?",
                                 (deployment,))
                return LockInfo(*row[0]) if row else LockInfo(deployment, os.getpid(), socket.gethostname(),
                                                              command, _now())
            token = uuid.uuid4().hex
            info = LockInfo(deployment, os.getpid(), socket.gethostname(), command, _now())
            with self._write() as conn:
                row = conn.execute("SELECT deployment, pid, host, command, since FROM locks WHERE deployment = ?",
                                   (deployment,)).fetchone()
                if row is None:
                    conn.execute("INSERT INTO locks (deployment, pid, host, command, since, token) "
                                 "VALUES (?, ?, ?, ?, ?, ?)",
                                 (info.deployment, info.pid, info.host, info.command, info.since, token))
            if row is not None:
                raise self._locked_error(LockInfo(*row))
            self._held[deployment] = (token, 1)
            return info

    def _release(self, deployment: str) -> None:
        with self._mutex:
            token, depth = self._held[deployment]
            if depth > 1:
                self._held[deployment] = (token, depth - 1)
                return
            del self._held[deployment]
            if self._conn is None:
                return
            with self._write() as conn:
                conn.execute("DELETE FROM locks WHERE deployment = ? AND token = ?", (deployment, token))

    def _locked_error(self, holder: LockInfo) -> LockedError:
        what = (f"deployment '{holder.deployment}' is locked by pid {holder.pid} on host {holder.host} "
                f"({holder.command}, since {holder.since})")
        way = (self.break_lock_command.format(deployment=holder.deployment) if self.break_lock_command
               else f"break_lock('{holder.deployment}')")
        if holder.stale:
            return LockedError(f"{what}; that process is no longer running (stale lock)",
                               hint=f"if no other gcpkit works on '{holder.deployment}', break the lock "
                                    f"explicitly with {way}, then run plan before applying again")
        return LockedError(what, hint=f"wait for that command to finish and try again; only if it is gone for "
                                      f"good, break the lock with {way}")

    def lock_holder(self, deployment: str) -> LockInfo | None:
        rows = self._read("SELECT deployment, pid, host, command, since FROM locks WHERE deployment = ?",
                          (deployment,))
        return LockInfo(*rows[0]) if rows else None

    def break_lock(self, deployment: str) -> bool:
        """Remove the deployment's lock whoever holds it. True if there was one."""
        with self._write() as conn:
            cur = conn.execute("DELETE FROM locks WHERE deployment = ?", (deployment,))
            removed = cur.rowcount > 0
        with self._mutex:
            self._held.pop(deployment, None)
        return removed

    # ----------------------------------------------------------------- deployments

    @staticmethod
    def _deployment(row: tuple) -> Deployment:
        name, project, pattern, params, env, outputs, created_at, updated_at = row
        return Deployment(name, project, pattern, _loads(params), _loads(env), _loads(outputs),
                          created_at, updated_at)

    _DEPLOYMENT_COLS = "name, project, pattern, params, env, outputs, created_at, updated_at"

    def get_deployment(self, name: str) -> Deployment | None:
        rows = self._read(f"SELECT {self._DEPLOYMENT_COLS} FROM deployments WHERE name = ?", (name,))
        return self._deployment(rows[0]) if rows else None

    def list_deployments(self) -> list[Deployment]:
        rows = self._read(f"SELECT {self._DEPLOYMENT_COLS} FROM deployments ORDER BY name")
        return [self._deployment(r) for r in rows]

    def save_deployment(self, deployment: Deployment) -> Deployment:
        """Insert or update; created_at is kept from the first save. Returns what was stored."""
        now = _now()
        with self._write() as conn:
            row = conn.execute("SELECT created_at FROM deployments WHERE name = ?", (deployment.name,)).fetchone()
            created = row[0] if row else (deployment.created_at or now)
            saved = dataclasses.replace(deployment, created_at=created, updated_at=now)
            conn.execute(
                f"INSERT OR REPLACE INTO deployments ({self._DEPLOYMENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (saved.name, saved.project, saved.pattern, _dumps(saved.params), _dumps(saved.env),
                 _dumps(saved.outputs), saved.created_at, saved.updated_at))
        return saved

    def delete_deployment(self, name: str) -> None:
        """Forget a deployment, its resources and its journal (not its lock)."""
        with self._write() as conn:
            conn.execute("DELETE FROM resources WHERE deployment = ?", (name,))
            conn.execute("DELETE FROM journal WHERE deployment = ?", (name,))
            conn.execute("DELETE FROM deployments WHERE name = ?", (name,))

    # ----------------------------------------------------------------- resources

    _RESOURCE_COLS = "deployment, name, type, self_link, properties, live, status, updated_at"

    @staticmethod
    def _resource(row: tuple) -> ResourceRecord:
        deployment, name, type_, self_link, properties, live, status, updated_at = row
        return ResourceRecord(deployment, name, type_, self_link, _loads(properties), _loads(live), status,
                              updated_at)

    def resources(self, deployment: str) -> list[ResourceRecord]:
        rows = self._read(f"SELECT {self._RESOURCE_COLS} FROM resources WHERE deployment = ? ORDER BY name",
                          (deployment,))
        return [self._resource(r) for r in rows]

    def get_resource(self, deployment: str, name: str) -> ResourceRecord | None:
        rows = self._read(f"SELECT {self._RESOURCE_COLS} FROM resources WHERE deployment = ? AND name = ?",
                          (deployment, name))
        return self._resource(rows[0]) if rows else None

    def put_resource(self, record: ResourceRecord) -> ResourceRecord:
        """Insert or replace one resource record. Returns what was stored."""
        saved = dataclasses.replace(record, updated_at=_now())
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO resources ({self._RESOURCE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (saved.deployment, saved.name, saved.type, saved.self_link, _dumps(saved.properties),
                 _dumps(saved.live), saved.status, saved.updated_at))
        return saved

    def remove_resource(self, deployment: str, name: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM resources WHERE deployment = ? AND name = ?", (deployment, name))

    # ----------------------------------------------------------------- intent journal

    def begin_intent(self, deployment: str, resource: str, action: str, type: str, payload: dict | None = None) -> int:
        """Record (durably) that a mutating call is about to be made. Returns the intent id."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO journal (deployment, resource, action, type, payload, state, ts) "
                "VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (deployment, resource, action, type, _dumps(payload or {}), _now()))
            return int(cur.lastrowid)

    def finish_intent(self, intent_id: int, state: str = "done") -> None:
        if state not in ("done", "failed"):
            raise ValueError(f"an intent finishes as 'done' or 'failed', not {state!r}")
        with self._write() as conn:
            cur = conn.execute("UPDATE journal SET state = ?, ts = ? WHERE id = ?", (state, _now(), intent_id))
            if cur.rowcount == 0:
                raise ValueError(f"no intent with id {intent_id}")

    def _intents(self, where: str, args: tuple) -> list[Intent]:
        rows = self._read("SELECT id, deployment, resource, action, type, payload, state, ts FROM journal "
                          f"WHERE {where} ORDER BY id", args)
        return [Intent(r[0], r[1], r[2], r[3], r[4], _loads(r[5]), r[6], r[7]) for r in rows]

    def pending_intents(self, deployment: str) -> list[Intent]:
        """Intents begun but never finished (a run was killed in between), oldest first."""
        return self._intents("deployment = ? AND state = 'pending'", (deployment,))

    def intents(self, deployment: str) -> list[Intent]:
        """The whole journal of a deployment, oldest first."""
        return self._intents("deployment = ?", (deployment,))
