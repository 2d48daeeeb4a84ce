"""Persistent documents for the emulated resources: SQLite in WAL mode.

One connection per Store, guarded by a re-entrant lock: SQLite work here takes microseconds, so
serialising threads costs less than a connection per thread, and it makes the in-memory database
trivially shared. Across processes sharing a file, BEGIN IMMEDIATE + busy_timeout serialise writers.
Every write outside a transaction() is its own committed transaction (synchronous=NORMAL in WAL
mode: durable if the process is killed).
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import threading
from pathlib import Path
from typing import Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL,
                                 PRIMARY KEY (collection, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_ID_BASE = 10**18  # ids look like GCP's 19-digit numeric ids


class Store:
    def __init__(self, path: str | Path | None = None):
        self.path = None if path in (None, ":memory:") else str(path)
        self._conn = sqlite3.connect(self.path or ":memory:", isolation_level=None, check_same_thread=False,
                                     timeout=30.0)
        self._lock = threading.RLock()
        self._depth = 0  # transaction nesting of the thread holding _lock
        with self._lock:
            self._conn.execute("PRAGMA busy_timeout = 30000")
            if self.path:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Store"]:
        """Atomic with respect to other threads and processes; nests (only the outermost commits)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    def get(self, collection: str, key: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT doc FROM docs WHERE collection = ? AND key = ?",
                                     (collection, key)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, collection: str, key: str, doc: dict) -> None:
        text = json.dumps(doc, separators=(",", ":"))
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO docs (collection, key, doc) VALUES (?, ?, ?)",
                               (collection, key, text))

    def delete(self, collection: str, key: str) -> bool:
        with self._lock:
            cur = self._conn.execute("DELETE FROM docs WHERE collection = ? AND key = ?", (collection, key))
        return cur.rowcount > 0

    def list(self, collection: str, prefix: str = "") -> list[dict]:
        with self._lock:
            if prefix:
                # key range [prefix, prefix + U+10FFFF) instead of LIKE, which would treat % and _ as wildcards
                rows = self._conn.execute(
                    "SELECT doc FROM docs WHERE collection = ? AND key >= ? AND key < ? ORDER BY key",
                    (collection, prefix, prefix + "\U0010ffff")).fetchall()
            else:
                rows = self._conn.execute("SELECT doc FROM docs WHERE collection = ? ORDER BY key",
                                          (collection,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def next_id(self) -> int:
        with self.transaction():
            row = self._conn.execute("SELECT value FROM meta WHERE name = 'next_id'").fetchone()
            value = row[0] if row else _ID_BASE + random.randrange(10**17)
            self._conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('next_id', ?)", (value + 1,))
        return value

    def reset(self) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM docs")
            self._conn.execute("DELETE FROM meta WHERE name != 'next_id'")  # ids stay unique across resets
