"""What the Kubernetes API emulation (gcpkit/emulator/kubernetes) may ask about a cluster, with only
the store in hand. Statuses follow the same stored timestamps as clusters.get.
"""

from __future__ import annotations

import time

from .common import CLUSTERS, cluster_key
from .operations import busy_type
from .state import cluster_status, forget


def cluster_state(store, project: str, location: str, name: str, now: float | None = None) -> str | None:
    """The cluster's status ("PROVISIONING", "RUNNING", "RECONCILING", "STOPPING", "ERROR"), or None if
    there is no such cluster (never created, or its deletion is done: then it is forgotten here)."""
    now = time.time() if now is None else now
    key = cluster_key(project, location, name)
    forget(store, key, now)
    doc = store.get(CLUSTERS, key)
    return None if doc is None else cluster_status(now, doc, busy_type(doc, now))


def cluster_ca(store, project: str, location: str, name: str) -> tuple[str, str] | None:
    """(CA certificate PEM, CA private key PEM) of the cluster, to sign the API server's certificate."""
    doc = store.get(CLUSTERS, cluster_key(project, location, name))
    return None if doc is None else (doc["_caCert"], doc["_caKey"])
