"""Lazy construction of the official Google clients for a target: real Google Cloud, or any compatible
endpoints (the bundled emulator, private service endpoints). Google libraries are imported on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from gcpkit.errors import BadInput


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
            self._credentials = _load_credentials(self.endpoints is not None)
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


def _load_credentials(emulated: bool) -> Any:
    if emulated:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError as exc:
        raise BadInput(
            f"no Google Cloud credentials found ({exc.__class__.__name__})",
            hint="run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS), "
            "or add --emulator to use the bundled local emulator",
        ) from None
    return credentials
