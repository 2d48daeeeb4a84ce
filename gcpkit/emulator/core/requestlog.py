"""Per-request accounting: counters for /_emulator/requests and an optional JSON-lines log file."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path

from gcpkit.emulator.core.errors import ConfigError


class RequestLog:
    def __init__(self, path: str | Path | None = None):
        self._lock = threading.Lock()
        self._file = None
        if path is not None:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                self._file = open(path, "a", encoding="utf-8", buffering=1)  # line-buffered: flushed per line
            except OSError as e:
                raise ConfigError(f"request log {path}: cannot open it for appending ({e.strerror or e})") from None
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_method: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()

    def record(self, api: str, http_method: str, path: str, method_id: str | None, status: int,
               duration_ms: float) -> None:
        with self._lock:
            self.total += 1
            self.by_method[method_id or "(unrouted)"] += 1
            self.by_status[str(status)] += 1
            if self._file is not None:
                self._file.write(json.dumps({
                    "ts": round(time.time(), 6), "api": api, "method": http_method, "path": path,
                    "method_id": method_id, "status": status, "duration_ms": round(duration_ms, 3),
                }) + "\n")

    def counts(self) -> dict:
        with self._lock:
            return {"total": self.total, "by_method": dict(self.by_method), "by_status": dict(self.by_status)}

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
