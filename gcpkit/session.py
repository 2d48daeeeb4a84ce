"""A Session is one command's connection to a target (real Google Cloud, endpoints from a file, or the
emulator) and to the local state. It starts the embedded emulator when asked and stops it at the end."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcpkit.clients import Target
from gcpkit.constants import EMULATOR_HOST_ENV
from gcpkit.errors import BadInput

STATE_DIR = Path(".gcpkit")
EMULATOR_DATA_DIR = STATE_DIR / "emulator"
TIME_SCALE_ENV = "GCPKIT_EMULATOR_TIME_SCALE"


@dataclass
class TargetOptions:
    project: str | None = None
    emulator: bool = False
    endpoints_file: str | None = None
    state_path: str | None = None


def resolve_project(project: str | None) -> str:
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("CLOUDSDK_CORE_PROJECT") \
        or _gcloud_project()
    if not project:
        raise BadInput("no project given", hint="pass --project PROJECT_ID, or set GOOGLE_CLOUD_PROJECT")
    return project


def _gcloud_project() -> str | None:
    """The project gcloud is configured with, read from its config file (no subprocess)."""
    import configparser

    base = Path(os.environ.get("CLOUDSDK_CONFIG", Path.home() / ".config" / "gcloud"))
    try:
        active = (base / "active_config").read_text().strip() or "default"
    except OSError:
        active = "default"
    parser = configparser.ConfigParser()
    try:
        parser.read(base / "configurations" / f"config_{active}")
    except configparser.Error:
        return None
    return parser.get("core", "project", fallback=None)


def load_endpoints_file(path: str) -> dict[str, str]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise BadInput(f"cannot read endpoints file: {exc.strerror}", where=path) from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON (line {exc.lineno}): {exc.msg}", where=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("compute"), str):
        raise BadInput("expected a JSON object with at least a \"compute\" endpoint "
                       "(the output of `gcpkit emulator endpoints --json`)", where=path)
    return data


def open_state(path: str | Path | None, target: Any = None):
    """The state store: `gs://BUCKET/PREFIX` -> GcsState (Cloud Storage, reached through `target`'s
    credentials and endpoints; without a target, google-cloud-storage's defaults: ADC, or
    STORAGE_EMULATOR_HOST), any other path -> LocalState. Without a path, `state:` from
    .gcpkit/config.yaml, else .gcpkit/state.db."""
    from gcpkit.state.location import configured_state, is_gcs

    path = configured_state(path)
    if is_gcs(str(path) if path is not None else None):
        from gcpkit.state.gcs import GcsState
        from gcpkit.state.location import lock_timeout

        state = GcsState(str(path), target=target, lock_timeout=lock_timeout())
    else:
        from gcpkit.state.local import LocalState

        state = LocalState(path or STATE_DIR / "state.db")
    state.break_lock_command = "`--break-lock` on the same command"
    return state


def lock_deployment(state: Any, deployment: str, command: str, *, break_stale: bool = False):
    if break_stale:
        holder = state.lock_holder(deployment)
        if holder is not None and holder.stale:
            state.break_lock(deployment)
            from gcpkit import console

            console.err.print(f"Broke the stale lock of pid {holder.pid} ({holder.command}, since {holder.since}).")
    return state.lock(deployment, command)


class Session:
    def __init__(self, options: TargetOptions, project: str):
        if options.emulator and options.endpoints_file:
            raise BadInput("--emulator and --endpoints cannot be used together")
        self.options = options
        self.project = project
        self._server: Any = None
        self._state: Any = None
        endpoints = load_endpoints_file(options.endpoints_file) if options.endpoints_file else None
        self.target = Target(project=project, endpoints=endpoints)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> Any:
        if self._state is None:
            from gcpkit.state.location import configured_state, is_gcs

            path = configured_state(self.options.state_path)
            if is_gcs(str(path) if path is not None else None):
                # State in Cloud Storage goes where the target goes (with --emulator, the emulator's).
                self._state = open_state(path, target=self.connect())
            else:
                self._state = open_state(path)
        return self._state

    def lock(self, deployment: str, command: str, *, break_stale: bool = False):
        """The deployment's lock; with break_stale, first remove a lock whose holder is no longer running."""
        return lock_deployment(self.state, deployment, command, break_stale=break_stale)

    def connect(self) -> Target:
        """Make the target reachable: with --emulator, use GCPKIT_EMULATOR_HOST or start the embedded one."""
        if self.options.emulator and self.target.endpoints is None:
            self.target.endpoints = self._emulator_endpoints()
        return self.target

    def _emulator_endpoints(self) -> dict[str, str]:
        from gcpkit.emulator.core.services import endpoints

        host = os.environ.get(EMULATOR_HOST_ENV)
        if host:
            return endpoints(host if host.startswith("http") else f"http://{host}")
        from gcpkit.emulator.core.server import EmulatorServer

        scale = float(os.environ.get(TIME_SCALE_ENV, "0.01"))
        self._server = EmulatorServer(port=0, data_dir=EMULATOR_DATA_DIR, time_scale=scale)
        self._server.start()
        return self._server.endpoints()

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
