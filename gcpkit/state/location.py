"""Where the state lives: a local SQLite file, or `gs://BUCKET/PREFIX` in Cloud Storage.

The location comes from `--state`, else from the project config file `.gcpkit/config.yaml`
(looked up in the working directory):

    state: gs://my-team-bucket/gcpkit        # or a local path
    state_lock_timeout: 600                  # optional, seconds (GCS state only)

else the default local file `.gcpkit/state.db`. No Google library is imported here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcpkit.errors import BadInput

CONFIG_FILE = Path(".gcpkit") / "config.yaml"
LOCK_TIMEOUT_ENV = "GCPKIT_STATE_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 600.0  # seconds without a heartbeat before a GCS lock counts as stale

# Bucket names: 3-63 characters (up to 222 with dots), lowercase letters, digits, -, _ and dots.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


@dataclass(frozen=True)
class GcsLocation:
    bucket: str
    prefix: str  # "" or without leading/trailing slashes

    @property
    def url(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}" if self.prefix else f"gs://{self.bucket}"

    def object(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)


def is_gcs(path: Any) -> bool:
    return isinstance(path, str) and path.startswith("gs://")


def parse_gcs_url(url: str, *, where: str = "--state") -> GcsLocation:
    rest = url[len("gs://"):]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket or ""):
        raise BadInput(f"{url!r} does not name a valid Cloud Storage bucket", where=where,
                       hint="use gs://BUCKET/PREFIX, e.g. gs://my-team-gcpkit-state/prod")
    prefix = prefix.strip("/")
    if "//" in prefix or any(part in (".", "..") for part in prefix.split("/") if prefix):
        raise BadInput(f"{url!r}: the prefix has an empty, '.' or '..' segment", where=where)
    return GcsLocation(bucket, prefix)


def load_config(path: Path = CONFIG_FILE) -> dict:
    """The project config file as a dict ({} when there is none). A malformed file is refused."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise BadInput(f"cannot read the config file: {exc.strerror}", where=str(path)) from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise BadInput(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", where=where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput("expected a mapping (e.g. `state: gs://BUCKET/PREFIX`)", where=str(path))
    return data


def configured_state(path: str | Path | None) -> str | Path | None:
    """`--state` if given, else `state:` from the config file, else None (the default local file)."""
    if path:
        return path
    value = load_config().get("state")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadInput("`state` must be a path or gs://BUCKET/PREFIX", where=str(CONFIG_FILE))
    return value.strip()


def lock_timeout() -> float:
    """Seconds a GCS lock may go without a heartbeat before it counts as stale:
    GCPKIT_STATE_LOCK_TIMEOUT, else `state_lock_timeout` in the config file, else 600."""
    raw: Any = os.environ.get(LOCK_TIMEOUT_ENV)
    where = LOCK_TIMEOUT_ENV
    if raw is None:
        raw = load_config().get("state_lock_timeout")
        where = f"{CONFIG_FILE}: state_lock_timeout"
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadInput(f"expected a number of seconds, got {raw!r}", where=where) from None
    if not 5 <= value <= 7 * 86400:
        raise BadInput(f"expected between 5 seconds and 7 days, got {value:g}", where=where)
    return value
