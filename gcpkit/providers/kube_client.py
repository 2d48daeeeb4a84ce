"""A Kubernetes API client (the official `kubernetes` package, imported on first use) for one GKE cluster.

Real Google Cloud: the cluster's public endpoint (https://{cluster.endpoint}), its CA certificate
(masterAuth.clusterCaCertificate, written to a 0600 temporary file that is removed at exit) and a bearer
token from the caller's Google credentials, refreshed before it expires: what `gcloud container
clusters get-credentials` sets up, without touching ~/.kube/config.

Emulator (any endpoints map): the bundled emulator serves each cluster's Kubernetes API on its single
port at {base}/kubernetes/{project}/{location}/{cluster}; `base` is the map's "kubernetes" entry when it
has one, else the base URL the Compute endpoint uses (the emulator serves every API on one port). The
same formula as gcpkit.emulator.kubernetes.kubernetes_host, written out here because gcpkit never imports
the emulator. Real credentials (an emulator that requires auth) are sent as on GKE.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gcpkit.errors import OperationFailed
from gcpkit.providers.base import Conflict, Ctx, NotFound

T = TypeVar("T")
_local = threading.local()  # one ApiClient per (target, cluster) per thread, like Target's clients
_ca_files: list[str] = []
_ca_lock = threading.Lock()


def emulator_host(endpoints: dict[str, str], project: str, location: str, cluster: str) -> str:
    base = endpoints.get("kubernetes") or f"{endpoints['compute'].rstrip('/')}/kubernetes"
    return f"{base.rstrip('/')}/{project}/{location}/{cluster}"


def api_client(ctx: Ctx, location: str, cluster: str) -> Any:
    target = ctx.target
    project = ctx.env["project"]
    cache: dict = _local.__dict__.setdefault("clients", {})
    key = (id(target), project, location, cluster)
    entry = cache.get(key)
    if entry is not None and entry[0] is target:
        return entry[1]
    from kubernetes import client as k8s

    config = k8s.Configuration()
    if target.endpoints is not None:
        config.host = emulator_host(target.endpoints, project, location, cluster)
    else:
        _configure_real(ctx, config, location, cluster)
    _authorize(config, target.credentials())
    api = k8s.ApiClient(config)
    cache[key] = (target, api)
    return api


def _configure_real(ctx: Ctx, config: Any, location: str, cluster: str) -> None:
    from gcpkit.providers.google_api import execute

    name = f"projects/{ctx.env['project']}/locations/{location}/clusters/{cluster}"
    body = execute(ctx.target.discovery("container", "v1").projects().locations().clusters().get(name=name))
    if not body.get("endpoint"):
        raise OperationFailed(f"GKE cluster {cluster} has no endpoint yet (status {body.get('status')})",
                              hint="run the command again once the cluster is RUNNING")
    config.host = f"https://{body['endpoint']}"
    config.ssl_ca_cert = _write_ca((body.get("masterAuth") or {}).get("clusterCaCertificate", ""))


def _authorize(config: Any, credentials: Any) -> None:
    """The caller's Google access token as the bearer token (GKE accepts it), refreshed before every
    request that would otherwise carry an expired one. Anonymous credentials (the emulator) send none."""
    from google.auth.credentials import AnonymousCredentials

    if isinstance(credentials, AnonymousCredentials):
        return

    def refresh(configuration: Any) -> None:
        if not credentials.valid:
            import google.auth.transport.requests

            credentials.refresh(google.auth.transport.requests.Request())
        configuration.api_key = {"authorization": credentials.token}

    config.api_key_prefix = {"authorization": "Bearer"}
    config.refresh_api_key_hook = refresh
    refresh(config)


def _write_ca(encoded: str) -> str:
    import atexit
    import base64
    import os
    import tempfile

    fd, path = tempfile.mkstemp(prefix="gcpkit-gke-ca-", suffix=".crt")  # created 0600
    with os.fdopen(fd, "wb") as out:
        out.write(base64.b64decode(encoded))
    with _ca_lock:
        if not _ca_files:
            atexit.register(_remove_ca_files)
        _ca_files.append(path)
    return path


def _remove_ca_files() -> None:
    import contextlib
    import os

    for path in _ca_files:
        with contextlib.suppress(OSError):
            os.remove(path)


def api_message(exc: Any) -> str:
    try:
        return json.loads(exc.body).get("message") or exc.reason
    except (TypeError, ValueError, AttributeError):
        return str(getattr(exc, "reason", "") or exc)


def call(fn: Callable[[], T], deadline_s: float = 120.0) -> T:
    """A Kubernetes API call with gcpkit's retry policy; 404 -> NotFound, 409 -> Conflict."""
    from kubernetes.client.exceptions import ApiException

    from gcpkit.execution.retry import call_with_retry

    try:
        return call_with_retry(fn, deadline_s=deadline_s)
    except ApiException as exc:
        if exc.status == 404:
            raise NotFound(api_message(exc)) from None
        if exc.status == 409:
            raise Conflict(api_message(exc)) from None
        raise OperationFailed(f"Kubernetes API: HTTP {exc.status}: {api_message(exc)}") from None
