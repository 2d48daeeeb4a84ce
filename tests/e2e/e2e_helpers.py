"""Helpers for driving the whole CLI against an emulator, as a user would."""

from __future__ import annotations

import json
import threading
from pathlib import Path


class LogTail:
    """The emulator's request log (one JSON line per answered request), read incrementally."""

    def __init__(self, path: Path):
        self.path, self.offset, self.calls = path, 0, []
        self._lock = threading.Lock()

    def poll(self) -> list[dict]:
        with self._lock:
            if self.path.exists():
                with open(self.path, encoding="utf-8") as fh:
                    fh.seek(self.offset)
                    chunk = fh.read()
                complete = chunk[:chunk.rfind("\n") + 1]  # a line being written is read next time
                self.offset += len(complete.encode("utf-8"))
                self.calls += [json.loads(line) for line in complete.splitlines() if line.strip()]
            return self.calls


class EmulatorHandle:
    def __init__(self, server, log: Path):
        self.server = server
        self.log = log
        self._tail = LogTail(log)

    @property
    def url(self) -> str:
        return self.server.url

    def requests(self) -> list[dict]:
        return list(self._tail.poll())

    def mark(self) -> int:
        return len(self.requests())

    def since(self, mark: int) -> list[dict]:
        return self.requests()[mark:]


def start_emulator(tmp_path: Path, **kwargs):
    from gcpkit.emulator.core.server import EmulatorServer

    log = tmp_path / "requests.jsonl"
    kwargs.setdefault("time_scale", 0.002)
    server = EmulatorServer(port=0, in_memory=True, strict=True, log_requests=log, **kwargs)
    server.start()
    return EmulatorHandle(server, log)


def compute_client(handle: EmulatorHandle, name: str):
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import compute_v1

    return getattr(compute_v1, name)(client_options=ClientOptions(api_endpoint=handle.url),
                                     credentials=AnonymousCredentials())
