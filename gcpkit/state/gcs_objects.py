"""The few Cloud Storage object operations the GCS state needs, on google-cloud-storage (imported on
first use), with its errors turned into gcpkit's:

- read(name)                 -> (bytes, generation), (None, 0) when absent
- write(name, data, if_gen)  -> new generation; if_gen=0 means "only if absent"; raises Conflict (412)
- delete(name, if_gen)       -> True, or False when absent; raises Conflict when the generation moved
- stat(name)                 -> (generation, updated) from the object's metadata, or None
- names(prefix)              -> object names under a prefix

Every write and delete is conditional on a generation: nothing here overwrites blindly.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.state.location import GcsLocation


class Conflict(Exception):
    """A generation precondition did not hold (HTTP 412): someone else wrote first."""


class ObjectStore:
    """Objects of one bucket. `client_factory()` returns a google.cloud.storage.Client; one is built
    per thread (the HTTP session underneath is not meant to be shared between threads)."""

    def __init__(self, location: GcsLocation, client_factory: Callable[[], Any], *, describe: str = ""):
        self.location = location
        self._factory = client_factory
        self._local = threading.local()
        self._bucket_checked = False
        self.describe = describe  # where requests go, for error messages ("" = Google Cloud Storage)

    # ---------------------------------------------------------------- plumbing

    def _bucket(self) -> Any:
        bucket = getattr(self._local, "bucket", None)
        if bucket is None:
            client = self._guard(self._factory, "")
            bucket = self._local.bucket = client.bucket(self.location.bucket)
        if not self._bucket_checked:
            self._check_bucket(bucket)
        return bucket

    def _check_bucket(self, bucket: Any) -> None:
        """One cheap call (objects.list, max 1) that fails clearly when the bucket does not exist.
        It needs only storage.objects.list, which anyone who may read the state has."""
        from google.api_core import exceptions as gexc

        try:
            self._guard(lambda: list(bucket.client.list_blobs(bucket, prefix=self.location.prefix or None,
                                                              max_results=1)), "")
        except gexc.NotFound:
            raise BadInput(f"Cloud Storage bucket '{self.location.bucket}' does not exist "
                           f"(state {self.location.url}{self._at()})",
                           hint=f"create it first (gcloud storage buckets create gs://{self.location.bucket} "
                                "--uniform-bucket-level-access), or correct --state") from None
        self._bucket_checked = True

    def _at(self) -> str:
        return f" at {self.describe}" if self.describe else ""

    def url(self, name: str) -> str:
        return f"gs://{self.location.bucket}/{name}"

    def _guard(self, fn: Callable[[], Any], name: str) -> Any:
        """Run one client call; 412 -> Conflict; permission, credential and network errors -> gcpkit's.
        NotFound is left to the caller (absent object, or absent bucket)."""
        from google.api_core import exceptions as gexc

        what = self.url(name) if name else f"gs://{self.location.bucket}"
        try:
            return fn()
        except gexc.PreconditionFailed as exc:
            raise Conflict(str(exc)) from None
        except (gexc.Unauthorized, gexc.Forbidden) as exc:
            raise OperationFailed(f"Cloud Storage refused access to {what}{self._at()}: "
                                  f"{getattr(exc, 'message', exc)}",
                                  hint="the state needs storage.objects.get, .list, .create and .delete on the "
                                       "bucket (roles/storage.objectAdmin)") from None
        except gexc.NotFound:
            raise
        except gexc.GoogleAPICallError as exc:
            raise OperationFailed(f"Cloud Storage error on {what}{self._at()}: {exc}") from None
        except Exception as exc:  # transport and credential errors, named by their type
            import google.auth.exceptions as gauth
            import requests

            if isinstance(exc, gauth.DefaultCredentialsError):
                raise BadInput(f"no Google Cloud credentials found for the state in {self.location.url}",
                               hint="run `gcloud auth application-default login`, or set "
                                    "GOOGLE_APPLICATION_CREDENTIALS") from None
            if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                                gauth.TransportError)):
                raise OperationFailed(f"cannot reach Cloud Storage{self._at()} for {what}: "
                                      f"{type(exc).__name__}",
                                      hint="check the network (or that the emulator is running) and try again") \
                    from None
            raise

    # ---------------------------------------------------------------- operations

    def read(self, name: str) -> tuple[bytes | None, int]:
        """The object's bytes and the generation they belong to; (None, 0) if there is no object."""
        from google.api_core import exceptions as gexc

        bucket = self._bucket()
        corrupt = _data_corruption()
        for attempt in range(6):
            blob = bucket.blob(name)
            try:
                data = self._guard(blob.download_as_bytes, name)
                break
            except gexc.NotFound:
                return None, 0
            except corrupt:  # the bytes did not match the checksum sent with them: download again
                if attempt == 5:
                    raise OperationFailed(f"downloads of {self.url(name)} keep failing their checksum"
                                          f"{self._at()}", hint="check the network and try again") from None
                backoff(attempt)
        if blob.generation:  # from the x-goog-generation header of the same response
            return data, int(blob.generation)
        # A server that sends no generation header: read the metadata, and trust the bytes only if the
        # generation is the same before and after the download.
        for _ in range(10):
            before = self.stat(name)
            if before is None:
                return None, 0
            try:
                data = self._guard(bucket.blob(name, generation=before[0]).download_as_bytes, name)
            except gexc.NotFound:
                continue
            after = self.stat(name)
            if after is not None and after[0] == before[0]:
                return data, before[0]
        raise OperationFailed(f"{self.url(name)} kept changing while it was read; try again")

    def stat(self, name: str) -> tuple[int, Any] | None:
        """(generation, updated datetime from the server) of the live object, or None."""
        blob = self._guard(lambda: self._bucket().get_blob(name), name)
        if blob is None:
            return None
        return int(blob.generation), blob.updated

    def write(self, name: str, data: bytes, if_generation: int) -> int:
        """Write a new generation only if the live one is `if_generation` (0: only if there is none)."""
        from google.api_core import exceptions as gexc

        blob = self._bucket().blob(name)
        blob.cache_control = "no-store"
        try:
            self._guard(lambda: blob.upload_from_string(data, content_type="application/json",
                                                        if_generation_match=int(if_generation)), name)
        except gexc.NotFound:  # the bucket went away under us
            self._bucket_checked = False
            self._bucket()
            raise
        return int(blob.generation or 0)

    def delete(self, name: str, if_generation: int | None) -> bool:
        """Delete the live object if its generation is `if_generation` (None: whatever it is).
        False if there was none; Conflict if the generation moved."""
        from google.api_core import exceptions as gexc

        blob = self._bucket().blob(name)
        try:
            self._guard(lambda: blob.delete(if_generation_match=if_generation), name)
        except gexc.NotFound:
            return False
        return True

    def names(self, prefix: str) -> list[str]:
        bucket = self._bucket()
        return sorted(b.name for b in self._guard(lambda: list(bucket.client.list_blobs(bucket, prefix=prefix)),
                                                  prefix))


def _data_corruption() -> tuple[type, ...]:
    """The exception google-cloud-storage raises when downloaded bytes fail their checksum."""
    found: list[type] = []
    try:
        from google.cloud.storage.exceptions import DataCorruption
        found.append(DataCorruption)
    except ImportError:
        pass
    try:
        from google.resumable_media.common import DataCorruption as OldDataCorruption
        found.append(OldDataCorruption)
    except ImportError:
        pass
    return tuple(found)


def backoff(attempt: int, *, base: float = 0.02, cap: float = 1.0) -> None:
    """Sleep before retrying a lost race: exponential with full jitter."""
    import random

    time.sleep(random.uniform(0, min(cap, base * (2 ** min(attempt, 10)))))
