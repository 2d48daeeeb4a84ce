"""Clusters and node pools over time, computed from their stored timestamps:

cluster  PROVISIONING until its CREATE_CLUSTER is done (ERROR if that failed), then RUNNING;
         RECONCILING while another operation runs on it; STOPPING once deleted until its
         DELETE_CLUSTER is done, then gone (404).
pool     PROVISIONING until its creation is done, RUNNING, RECONCILING while an update runs on it,
         STOPPING until its deletion is done, then gone.

A resource whose deletion is done is removed from the store when next observed (reap); for a
cluster that also tells the Kubernetes API emulation to forget the cluster's objects.
"""

from __future__ import annotations

import copy

from .common import (
    CLUSTERS,
    NODE_POOLS,
    cluster_key,
    cluster_link,
    cluster_not_found,
    fingerprint,
    node_pool_not_found,
    pool_key,
    pool_link,
    strip_private,
)
from .operations import busy_with


def gone(now: float, doc: dict) -> bool:
    return "_goneAt" in doc and now >= doc["_goneAt"]


def reap(ctx, key: str) -> None:
    """Forget the cluster at `key` ("project/location/name") if its deletion is done, and its node pools'
    documents whose deletion is done."""
    forget(ctx.store, key, ctx.clock.now())


def forget(store, key: str, now: float) -> None:
    doc = store.get(CLUSTERS, key)
    if doc is None:
        return
    if gone(now, doc):
        with store.transaction():
            for pool in store.list(NODE_POOLS, key + "/"):
                store.delete(NODE_POOLS, f"{key}/{pool['name']}")
            store.delete(CLUSTERS, key)
        _forget_kubernetes(store, *key.split("/"))
        return
    for pool in store.list(NODE_POOLS, key + "/"):
        if gone(now, pool):
            store.delete(NODE_POOLS, f"{key}/{pool['name']}")


def _forget_kubernetes(store, project: str, location: str, name: str) -> None:
    """The Kubernetes API emulation (another package, maybe absent) drops the cluster's objects."""
    try:
        from gcpkit.emulator.kubernetes import forget_cluster
    except ImportError:  # also when the package exists without the function
        return
    forget_cluster(store, project, location, name)


def load_cluster(ctx, project: str, location: str, name: str) -> dict:
    key = cluster_key(project, location, name)
    reap(ctx, key)
    doc = ctx.store.get(CLUSTERS, key)
    if doc is None:
        raise cluster_not_found(project, location, name)
    return doc


def load_pool(ctx, project: str, location: str, cluster: str, name: str) -> dict:
    doc = ctx.store.get(NODE_POOLS, pool_key(project, location, cluster, name))
    if doc is None or gone(ctx.clock.now(), doc):
        raise node_pool_not_found(project, location, cluster, name)
    return doc


def live_pools(ctx, project: str, location: str, cluster: str) -> list[dict]:
    now = ctx.clock.now()
    pools = ctx.store.list(NODE_POOLS, cluster_key(project, location, cluster) + "/")
    return sorted((p for p in pools if not gone(now, p)), key=lambda p: p["_seq"])


def cluster_status(now: float, doc: dict, busy: str | None) -> str:
    if "_goneAt" in doc:
        return "STOPPING"
    if now < doc["_readyAt"]:
        return "PROVISIONING"
    if doc.get("_failed"):
        return "ERROR"
    return "RECONCILING" if busy else "RUNNING"


def pool_status(now: float, pool: dict, cluster_state: str) -> str:
    if "_goneAt" in pool or cluster_state == "STOPPING":
        return "STOPPING"
    if now < pool["_readyAt"]:
        return "PROVISIONING"
    if pool.get("_failed"):
        return "ERROR"
    return "RECONCILING" if now < pool.get("_busyUntil", 0) else "RUNNING"


def render_pool(ctx, project: str, location: str, cluster: dict, pool: dict, standalone: bool = True) -> dict:
    now = ctx.clock.now()
    out = strip_private(copy.deepcopy(pool))
    out["status"] = pool_status(now, pool, cluster_status(now, cluster, busy_with(ctx, cluster)))
    if pool.get("_failed") and out["status"] == "ERROR":
        out["statusMessage"] = pool["_failed"]
    if standalone:  # inside a cluster's nodePools GKE leaves selfLink out (recordings)
        out["selfLink"] = pool_link(project, location, cluster["name"], pool["name"])
    return out


def render_cluster(ctx, project: str, location: str, doc: dict) -> dict:
    now = ctx.clock.now()
    out = strip_private(copy.deepcopy(doc))
    out["status"] = cluster_status(now, doc, busy_with(ctx, doc))
    if out["status"] == "ERROR":
        out["statusMessage"] = doc["_failed"]
        out["conditions"] = [{"message": doc["_failed"], "canonicalCode": "UNKNOWN"}]
    stored = live_pools(ctx, project, location, doc["name"])
    pools = [render_pool(ctx, project, location, doc, p, standalone=False) for p in stored]
    if pools:
        out["nodePools"] = pools
        out["nodeConfig"] = copy.deepcopy(pools[0]["config"])
        out["instanceGroupUrls"] = [url for p in pools for url in p["instanceGroupUrls"]]
        nodes = sum(raw["initialNodeCount"] * len(raw["_zones"]) for raw, p in zip(stored, pools)
                    if p["status"] in ("RUNNING", "RECONCILING"))
        if nodes:
            out["currentNodeCount"] = nodes
    out["selfLink"] = cluster_link(project, location, doc["name"])
    out["etag"] = fingerprint(out)
    return out
