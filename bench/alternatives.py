"""The alternatives gcpkit is compared with, on the same resources, emulator and walk:

(a) one step after another, each waited for: a person following the console, or a gcloud script.
    Modelled as gcpkit's own apply at parallelism=1 (each call, then its operation waited for).
(b) the official client libraries' default waiting: google-cloud-compute's ExtendedOperation.result(),
    which polls operations.get on api_core's DEFAULT_POLLING schedule (first poll at once, then sleeps
    of uniform(0, d) with d = initial, d*multiplier, ... capped at maximum). ExtendedOperation.result()
    itself cannot be pointed at the emulator: the library builds its operations client WITHOUT the
    caller's client_options, so it would call compute.googleapis.com. So (b) reproduces that exact
    schedule, read from the installed google.api_core (not copied), against the emulator's
    operations.get, inside gcpkit's own walk (the same parallel order as gcpkit).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def library_polling_defaults() -> dict[str, float]:
    """initial / maximum / multiplier / timeout of google.api_core's DEFAULT_POLLING, as installed."""
    from google.api_core.future import polling

    p = polling.DEFAULT_POLLING
    return {"initial_s": p._initial, "maximum_s": p._maximum, "multiplier": p._multiplier, "timeout_s": p._timeout}


def library_sleeps() -> Iterator[float]:
    """The sleep generator ExtendedOperation.result() uses between two polls (api_core's own)."""
    from google.api_core.retry import exponential_sleep_generator

    d = library_polling_defaults()
    return exponential_sleep_generator(d["initial_s"], d["maximum_s"], d["multiplier"])


def library_wait(target: Any, project: str, op: Any, deadline_s: float) -> Any:
    """Wait for a compute operation the way ExtendedOperation.result() does: operations.get, at once and
    then after each of api_core's default polling sleeps, until DONE."""
    from google.cloud import compute_v1

    from gcpkit.errors import OperationFailed
    from gcpkit.providers import compute_ops

    done = compute_v1.Operation.Status.DONE
    timeout = min(deadline_s, library_polling_defaults()["timeout_s"])
    deadline = time.monotonic() + timeout
    sleeps = library_sleeps()
    while op.status != done:
        if op.zone:
            client, scope = target.compute("ZoneOperationsClient"), {"zone": op.zone.rsplit("/", 1)[-1]}
        elif op.region:
            client, scope = target.compute("RegionOperationsClient"), {"region": op.region.rsplit("/", 1)[-1]}
        else:
            client, scope = target.compute("GlobalOperationsClient"), {}
        op = compute_ops.call(lambda client=client, op=op, scope=scope: client.get(project=project, operation=op.name, **scope))
        if op.status == done:
            break
        if time.monotonic() > deadline:
            raise OperationFailed(f"operation {op.name} not done within the library's polling timeout")
        time.sleep(next(sleeps))
    if op.error and op.error.errors:
        first = op.error.errors[0]
        raise compute_ops.OperationError(first.code or "UNKNOWN", first.message or "operation failed")
    return op


@contextmanager
def library_waiting() -> Iterator[None]:
    """Within: every Compute operation gcpkit waits for is waited for like ExtendedOperation.result()."""
    from gcpkit.providers import compute_ops

    original = compute_ops.wait
    compute_ops.wait = library_wait
    try:
        yield
    finally:
        compute_ops.wait = original


# name -> (description, parallelism or None for gcpkit's, context manager factory)
ALTERNATIVES = {
    "sequential": "(a) one step at a time, each waited for (console walk / gcloud script): parallelism=1",
    "library": "(b) client-library default waiting (ExtendedOperation.result() schedule), gcpkit's parallel order",
}
