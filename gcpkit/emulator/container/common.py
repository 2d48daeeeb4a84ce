"""What every GKE handler shares: store collections and keys, resource names, links, time, and GKE's
error wording (from gcp-golden/container--*.http.log where the recordings show it).

All state lives in ctx.store; a status (PROVISIONING, RUNNING, RECONCILING, STOPPING) is computed
from stored timestamps when a resource is read, so several emulator processes sharing one store agree.
"""

from __future__ import annotations

import base64
import hashlib
import re

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.formats import rfc3339_micros, split_name
from gcpkit.emulator.resourcemanager.lifecycle import project_number

API = "container"
LINK_BASE = "https://container.googleapis.com/v1/"

CLUSTERS = "container/clusters"  # key: project/location/cluster
NODE_POOLS = "container/nodePools"  # key: project/location/cluster/pool
OPERATIONS = "container/operations"  # key: project/location/operation

# Cluster and node pool names: RFC 1035, at most 40 characters (GKE's own limit).
NAME_RE = re.compile(r"^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")


# ---- errors ------------------------------------------------------------------------------------

def not_found(message: str) -> ApiError:
    return ApiError(404, "notFound", message, with_status=True)


def cluster_not_found(project: str, location: str, cluster: str) -> ApiError:
    # GKE names the resource in its zonal form, even when asked through /locations/ (recordings).
    return not_found(f"Not found: projects/{project}/zones/{location}/clusters/{cluster}.")


def node_pool_not_found(project: str, location: str, cluster: str, pool: str) -> ApiError:
    return not_found(f'nodePool "projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}" '
                     "not found")


def already_exists(path: str) -> ApiError:
    return ApiError(409, "alreadyExists", f"Already exists: {path}.", with_status=True)


def invalid(message: str) -> ApiError:
    return ApiError(400, "badRequest", message, with_status=True)


def failed_precondition(message: str, reason: str | None = None) -> ApiError:
    details = None
    if reason:  # GKE's machine-readable cause, as its gRPC status carries it
        details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                    "domain": "container.googleapis.com"}]
    return ApiError(400, "failedPrecondition", message, status="FAILED_PRECONDITION", details=details)


def incompatible_operation(operation: str) -> ApiError:
    """A second mutating call while an operation runs on the cluster (GKE runs one at a time)."""
    return failed_precondition(f"Cluster is running incompatible operation {operation}.",
                               "CLUSTER_ALREADY_HAS_OPERATION")


def not_implemented(what: str) -> ApiError:
    return ApiError(501, "notImplemented", f"{what} is not implemented by the gcpkit emulator.", with_status=True)


# ---- names, keys, links ------------------------------------------------------------------------

def split(name: str, kinds: tuple[str, ...]) -> list[str]:
    """"projects/P/locations/L/clusters/C" with kinds ("projects", "locations", "clusters") -> [P, L, C]."""
    return split_name(name, kinds, invalid)


def check_location(location: str) -> None:
    if not (_ZONE.match(location) or _REGION.match(location)):
        raise invalid(f'Location "{location}" is not a valid zone or region (e.g. "us-central1" or '
                      '"us-central1-a").')


def is_zone(location: str) -> bool:
    return bool(_ZONE.match(location))


def check_name(field: str, name) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise invalid(f'Invalid value for field "{field}": {name!r}. Must be a match of regex '
                      "'(?:[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?)' (only alphanumerics and '-' allowed, must start "
                      "with a letter and end with an alphanumeric, and must be no longer than 40 characters).")


def cluster_key(project: str, location: str, cluster: str) -> str:
    return f"{project}/{location}/{cluster}"


def pool_key(project: str, location: str, cluster: str, pool: str) -> str:
    return f"{project}/{location}/{cluster}/{pool}"


def cluster_link(project: str, location: str, cluster: str) -> str:
    return f"{LINK_BASE}projects/{project}/zones/{location}/clusters/{cluster}"


def pool_link(project: str, location: str, cluster: str, pool: str) -> str:
    return f"{LINK_BASE}projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{pool}"


def number(project: str) -> str:
    return project_number(project)


# ---- time and fingerprints ---------------------------------------------------------------------

fmt_time = rfc3339_micros  # as GKE answers


def fingerprint(value) -> str:
    """GKE's labelFingerprint / etag look: 8 bytes, base64 ("abcdef0123A=" in the recordings)."""
    digest = hashlib.sha256(repr(value).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def digest_int(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
