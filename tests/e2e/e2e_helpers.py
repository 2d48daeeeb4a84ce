"""Helpers for driving the whole CLI against an emulator, as a user would."""

from __future__ import annotations

import json
from pathlib import Path


class EmulatorHandle:
    def __init__(self, server, log: Path):
        self.server = server
        self.log = log

    @property
    def url(self) -> str:
        return self.server.url

    def requests(self) -> list[dict]:
        if not self.log.exists():
            return []
        text = self.log.read_text()
        # The emulator may be writing a line as we read: a last line without its newline is not there yet.
        complete = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

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
