"""Lazy construction of the official Google clients for a target: real Google Cloud, or any compatible
endpoints (the bundled emulator, private service endpoints). Google libraries are imported on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from gcpkit.errors import BadInput

COMPUTE_HOST = "https://compute.googleapis.com"  # google-cloud-compute's default endpoint
COMPUTE_READ_TIMEOUT_S = 60.0  # one GET or list page; compute_ops.call retries a timeout


@dataclass
class Target:
    """Where API calls go. `endpoints` is None for real Google Cloud, else the map that
    `gcpkit emulator endpoints --json` prints (key `compute` = base URL for google-cloud-compute)."""

    project: str
    endpoints: dict[str, str] | None = None
    _credentials: Any = None
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _governor: Any = field(default=None, repr=False)
    _governor_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_emulator(self) -> bool:
        return self.endpoints is not None

    def credentials(self) -> Any:
        if self._credentials is None:
            requires_auth = self.endpoints is not None and _emulator_requires_auth(self.endpoints)
            self._credentials = _load_credentials(self.endpoints is not None and not requires_auth,
                                                  self.endpoints["compute"] if requires_auth else None)
        return self._credentials

    def governor(self) -> Any:
        """The RateGovernor every thread's mutating calls to this target share: free until the target
        answers 429 / 403 rateLimitExceeded, then it paces them (AIMD) instead of letting each retry
        on its own."""
        if self._governor is None:
            with self._governor_lock:
                if self._governor is None:
                    from gcpkit.execution.retry import RateGovernor

                    self._governor = RateGovernor(rate=20.0, min_rate=0.5, max_rate=1000.0, increase=0.05,
                                                  decrease=0.7, cooldown_s=1.0, unpaced_until_throttled=True)
        return self._governor

    def compute(self, client_name: str) -> Any:
        """A google-cloud-compute client (e.g. "InstancesClient"), one per thread: the REST transport's
        session is not meant to be shared between threads."""
        cache = self._local.__dict__.setdefault("compute", {})
        client = cache.get(client_name)
        if client is None:
            from google.cloud import compute_v1

            options = None
            if self.endpoints is not None:
                from google.api_core.client_options import ClientOptions

                options = ClientOptions(api_endpoint=self.endpoints["compute"])
            client = getattr(compute_v1, client_name)(credentials=self.credentials(), client_options=options)
            cache[client_name] = client
        return client

    def compute_json(self, path: str, params: dict[str, Any] | None = None) -> dict:
        """GET `compute/v1/{path}` as JSON, over the same endpoint and credentials as compute(): what
        the providers read with. The client library would parse the answer into a protobuf message only
        for gcpkit to turn it back into this JSON, and importing it costs ~2 s, which a plan of 1,000
        live resources cannot afford. Errors are google.api_core's, as the library raises them."""
        session = self._local.__dict__.get("compute_session")
        if session is None:
            from google.auth.transport.requests import AuthorizedSession

            session = AuthorizedSession(self.credentials())
            self._local.compute_session = session
        host = self.endpoints["compute"] if self.endpoints is not None else COMPUTE_HOST
        if "://" not in host:  # as the client library reads api_endpoint: a bare host means https
            host = f"https://{host}"
        response = session.get(f"{host.rstrip('/')}/compute/v1/{path}", params=params, timeout=COMPUTE_READ_TIMEOUT_S)
        if response.status_code >= 400:
            from google.api_core.exceptions import from_http_response

            raise from_http_response(response)
        return response.json()


    def discovery(self, api: str, version: str, key: str | None = None) -> Any:
        """A google-api-python-client service built offline from its shipped discovery document,
        one per thread (httplib2 is not thread-safe). `key` is the endpoints-map key (default: api)."""
        cache = self._local.__dict__.setdefault("discovery", {})
        client = cache.get((api, version))
        if client is None:
            from googleapiclient.discovery import build

            options = None
            if self.endpoints is not None:
                endpoint = self.endpoints.get(key or api)
                if endpoint is None:
                    raise BadInput(f"the endpoints map has no {key or api!r} entry",
                                   hint="this API is not emulated yet, or the --endpoints file lacks it")
                if api == "storage":  # the map holds STORAGE_EMULATOR_HOST's bare base URL
                    endpoint = endpoint.rstrip("/") + "/storage/v1/"
                options = {"api_endpoint": endpoint}
            client = build(api, version, credentials=self.credentials(), client_options=options,
                           static_discovery=True, cache_discovery=False)
            http = getattr(client, "_http", None)
            if http is not None:  # google_api.execute finds the target's governor from the request's http
                http.gcpkit_governor = self.governor()
            cache[(api, version)] = client
        return client


def _emulator_requires_auth(endpoints: dict[str, str]) -> bool:
    """Whether the endpoints are an emulator started with --require-auth (its /_emulator/health says
    so): then gcpkit signs in exactly as it does with Google Cloud (Application Default Credentials,
    e.g. GOOGLE_APPLICATION_CREDENTIALS=a key from `gcpkit emulator mint-key`). Anything else that
    does not answer that question is served anonymously, as before."""
    import json
    import urllib.request

    base = endpoints.get("compute", "")
    if not base.startswith("http"):
        return False
    try:
        with urllib.request.urlopen(f"{base.rstrip('/')}/_emulator/health", timeout=5) as response:
            return json.loads(response.read()).get("require_auth") is True
    except (OSError, ValueError, AttributeError):  # unreachable, not an emulator, not JSON
        return False


def _load_credentials(anonymous: bool, auth_emulator: str | None = None) -> Any:
    if anonymous:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError as exc:
        if auth_emulator:
            raise BadInput(f"no credentials found, and the emulator at {auth_emulator} requires them "
                           f"({exc.__class__.__name__})",
                           hint="set GOOGLE_APPLICATION_CREDENTIALS to a key file from `gcpkit emulator mint-key`"
                           ) from None
        raise BadInput(
            f"no Google Cloud credentials found ({exc.__class__.__name__})",
            hint="run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS), "
            "or add --emulator to use the bundled local emulator",
        ) from None
    _report_refusals(credentials)
    return credentials


def _report_refusals(credentials: Any) -> None:
    """Make a refused token refresh (a revoked or unknown key, an expired login) gcpkit's AccessDenied:
    one clear line wherever it happens, instead of google-auth's RefreshError deep inside a client
    library. Patched on the instance because the client libraries check the credentials' own class."""
    from google.auth.exceptions import RefreshError

    from gcpkit.errors import AccessDenied

    refresh = credentials.refresh

    def refresh_or_explain(request: Any) -> None:
        try:
            refresh(request)
        except RefreshError as exc:
            reason = str(exc.args[0]) if exc.args else type(exc).__name__  # "invalid_grant: ...": no secret
            raise AccessDenied(f"the credentials could not be refreshed ({reason})",
                               hint="point GOOGLE_APPLICATION_CREDENTIALS at a valid, current service-account key, "
                                    "or run `gcloud auth application-default login`") from None

    credentials.refresh = refresh_or_explain
