"""EmulatorServer: every emulated API on one port, served by werkzeug's threaded WSGI server."""

from __future__ import annotations

import errno
import functools
import os
import socket
import threading
import time
from pathlib import Path

from gcpkit.constants import DEFAULT_EMULATOR_HOST, DEFAULT_EMULATOR_PORT
from gcpkit.emulator.core import services as services_mod
from gcpkit.emulator.core.app import EmulatorApp
from gcpkit.emulator.core.clock import Clock
from gcpkit.emulator.core.errors import ApiError, ConfigError
from gcpkit.emulator.core.faults import Faults
from gcpkit.emulator.core.latency import Latency
from gcpkit.emulator.core.registry import Context
from gcpkit.emulator.core.requestlog import RequestLog
from gcpkit.emulator.core.router import Router
from gcpkit.emulator.core.store import Store

DB_FILENAME = "emulator.db"
STRICT_ENV = "GCPKIT_EMULATOR_STRICT"


def open_store(data_dir: str | Path | None, in_memory: bool = False) -> Store:
    """The Store for a data dir (created if missing), or an in-memory one; ConfigError if unusable."""
    if in_memory or data_dir is None:
        return Store(None)
    directory = Path(data_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"data dir {directory}: cannot create it ({e.strerror or e})") from None
    if not directory.is_dir():
        raise ConfigError(f"data dir {directory}: not a directory")
    if not os.access(directory, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(f"data dir {directory}: not readable and writable by this user")
    try:
        return Store(directory / DB_FILENAME)
    except Exception as e:  # sqlite3.Error and OSError: the file is locked, corrupt or unwritable
        raise ConfigError(f"data dir {directory}: cannot open {DB_FILENAME} ({e})") from None


@functools.lru_cache(maxsize=None)
def _router(keys: tuple[str, ...]) -> Router:
    return Router([services_mod.SERVICES[k] for k in keys])


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is already in use (choose another with --port, "
                              "or 0 for a free one)") from None
        raise ConfigError(f"cannot listen on {host}:{port} ({e.strerror or e})") from None
    return sock


class EmulatorServer:
    def __init__(self, host: str = DEFAULT_EMULATOR_HOST, port: int = DEFAULT_EMULATOR_PORT,
                 data_dir: str | Path | None = None, in_memory: bool = False, time_scale: float = 0.01,
                 faults: str | Path | dict | None = None, log_requests: str | Path | None = None,
                 strict: bool | None = None, require_auth: bool = False, token_lifetime: float | None = None):
        from werkzeug.serving import make_server

        from gcpkit.emulator.core.http import FastHandler

        if data_dir is not None and in_memory:
            raise ConfigError("choose either a data dir or in-memory state, not both")
        if time_scale < 0:
            raise ConfigError(f"time scale must be >= 0 (got {time_scale})")
        if token_lifetime is not None and token_lifetime <= 0:
            raise ConfigError(f"token lifetime must be > 0 seconds (got {token_lifetime:g})")
        self.strict = os.environ.get(STRICT_ENV) == "1" if strict is None else strict
        self.faults = Faults.load(faults)
        self.services = services_mod.available()  # imports the service packages: they register handlers
        self.store = open_store(data_dir, in_memory or data_dir is None)
        self.data_dir = None if (in_memory or data_dir is None) else Path(data_dir)
        try:
            self.log = RequestLog(log_requests)
            sock = _bind(host, port)
        except ConfigError:
            self.store.close()
            raise
        self.host, self.port = host, sock.getsockname()[1]
        self.ctx = Context(store=self.store, clock=Clock(), latency=Latency(time_scale), faults=self.faults,
                           base_url=self.url)
        self._started = time.time()
        self.auth = None  # without require_auth every request is served as before: no token needed
        if require_auth:
            from gcpkit.emulator.core.auth import DEFAULT_TOKEN_LIFETIME_S, Auth

            self.auth = Auth(self.ctx, DEFAULT_TOKEN_LIFETIME_S if token_lifetime is None else token_lifetime)
        app = EmulatorApp(self.ctx, _router(tuple(services_mod.SERVICES)), self.log, self.strict, self._admin,
                          auth=self.auth)
        self._server = make_server(host, self.port, app, threaded=True, request_handler=FastHandler,
                                   fd=sock.fileno())
        sock.close()  # werkzeug duplicated the descriptor
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def endpoints(self) -> dict[str, str]:
        return {s.key: s.endpoint(self.url) for s in self.services}

    def start(self) -> "EmulatorServer":
        """Serve in a daemon thread; the socket is already listening when this returns."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="gcpkit-emulator", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until stop() (from another thread) or KeyboardInterrupt."""
        try:
            self._server.serve_forever(poll_interval=0.1)
        finally:
            self._close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._close()

    def _close(self) -> None:
        self._server.server_close()
        self.log.close()
        self.store.close()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- /_emulator/ ----------------------------------------------------------------------------

    def _admin(self, http_method: str, name: str) -> tuple[int, dict]:
        routes = {
            ("GET", "health"): lambda: {"status": "ok", "url": self.url, "strict": self.strict,
                                        "require_auth": self.auth is not None,
                                        "services": [s.key for s in self.services],
                                        "uptime_s": round(time.time() - self._started, 3)},
            ("GET", "endpoints"): self.endpoints,
            ("GET", "requests"): self.log.counts,
            ("POST", "reset"): self.reset,
        }
        action = routes.get((http_method, name.strip("/")))
        if action is None:
            raise ApiError(404, "notFound", f"No admin endpoint {http_method} /_emulator/{name}. "
                           "There are GET health, GET endpoints, GET requests, POST reset.", with_status=True)
        return 200, action()

    def reset(self) -> dict:
        """Empty the emulated state, the request counters and the fault rules' counters."""
        self.store.reset()
        self.faults.reset()
        self.log.reset()
        return {"reset": True}
