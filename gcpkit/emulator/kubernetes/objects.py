"""Where a cluster's Kubernetes objects live: documents in the emulator's store, one per object.

A document is {"obj": the object as stored (metadata, spec, data...; never a computed status), plus
private fields of its kind: "sim" (a Deployment's timeline), "lbSince" (when a load balancer was asked
for), "goneAt" (a pending deletion's end)}. Keys are "project/location/cluster/plural/namespace/name"
(namespace "" for cluster-scoped kinds), so a cluster's objects share a key prefix.

A per-cluster counter document gives resourceVersions (one sequence per cluster, as etcd's revision)
and the addresses handed out (cluster IPs, node ports). Default namespaces appear at first use.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from gcpkit.emulator.kubernetes.resources import (
    NAMESPACES,
    SERVICE_ACCOUNTS,
    SERVICES,
    Resource,
)

OBJECTS = "kubernetes/objects"
CLUSTERS = "kubernetes/clusters"  # key: project/location/cluster -> {"rv": int, "ips": int, "ports": int}
DEFAULT_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def forget(store, cluster_key: str) -> None:
    with store.transaction():
        for doc in store.list(OBJECTS, cluster_key + "/"):
            store.delete(OBJECTS, doc["key"])
        store.delete(CLUSTERS, cluster_key)


class Cluster:
    """One cluster's objects, at one moment (`now`, from the emulator clock)."""

    def __init__(self, store, project: str, location: str, name: str, now: float | None = None):
        self.store = store
        self.key = f"{project}/{location}/{name}"
        self.project, self.location, self.name = project, location, name
        self.now = time.time() if now is None else now

    # ---- keys and documents ---------------------------------------------------------------------

    def _key(self, res: Resource, namespace: str, name: str) -> str:
        return f"{self.key}/{res.plural}/{namespace if res.namespaced else ''}/{name}"

    def load(self, res: Resource, namespace: str, name: str) -> dict | None:
        """The object's document, or None (never created, deleted, or its pending deletion is over)."""
        key = self._key(res, namespace, name)
        doc = self.store.get(OBJECTS, key)
        if doc is not None and self._gone(doc):
            self.store.delete(OBJECTS, key)
            return None
        return doc

    def items(self, res: Resource, namespace: str | None = None) -> list[dict]:
        """Documents of a kind, in one namespace or all (sorted by namespace, then name, like etcd keys)."""
        prefix = f"{self.key}/{res.plural}/"
        if namespace is not None and res.namespaced:
            prefix += f"{namespace}/"
        docs = self.store.list(OBJECTS, prefix)
        for doc in docs:
            if self._gone(doc):
                self.store.delete(OBJECTS, doc["key"])
        return [d for d in docs if not self._gone(d)]

    def save(self, res: Resource, doc: dict) -> None:
        meta = doc["obj"]["metadata"]
        doc["key"] = self._key(res, meta.get("namespace", ""), meta["name"])
        self.store.put(OBJECTS, doc["key"], doc)

    def remove(self, res: Resource, namespace: str, name: str) -> None:
        self.store.delete(OBJECTS, self._key(res, namespace, name))

    def _gone(self, doc: dict) -> bool:
        return "goneAt" in doc and self.now >= doc["goneAt"]

    # ---- counters -------------------------------------------------------------------------------

    def _bump(self, counter: str) -> int:
        with self.store.transaction():
            meta = self.store.get(CLUSTERS, self.key) or {"rv": 0, "ips": 0, "ports": 0}
            meta[counter] = meta.get(counter, 0) + 1
            self.store.put(CLUSTERS, self.key, meta)
        return meta[counter]

    def resource_version(self) -> str:
        """The cluster's latest resourceVersion (what a list reports)."""
        return str((self.store.get(CLUSTERS, self.key) or {}).get("rv", 0))

    def next_resource_version(self) -> str:
        return str(self._bump("rv"))

    def next_cluster_ip(self) -> str:
        """From GKE's default Services range, 34.118.224.0/20 (.1 is the `kubernetes` Service)."""
        n = self._bump("ips")  # 1, 2, ...
        return f"34.118.{224 + (n // 256) % 16}.{n % 256}"

    def next_node_port(self) -> int:
        return 30000 + (self._bump("ports") * 7919) % 2768  # spread over 30000-32767 like random picks

    # ---- the cluster's first use ----------------------------------------------------------------

    def ensure_defaults(self) -> None:
        """The namespaces, `default` service accounts and `kubernetes` Service every cluster starts with."""
        if self.store.get(CLUSTERS, self.key) is not None:
            return
        with self.store.transaction():
            if self.store.get(CLUSTERS, self.key) is not None:
                return
            self.store.put(CLUSTERS, self.key, {"rv": 0, "ips": 0, "ports": 0})
            for ns in DEFAULT_NAMESPACES:
                self.save(NAMESPACES, {"obj": self.new_object(NAMESPACES, {
                    "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                    "spec": {"finalizers": ["kubernetes"]}})})
                self.add_default_service_account(ns)
            ip = self.next_cluster_ip()
            self.save(SERVICES, {"obj": self.new_object(SERVICES, {
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "sessionAffinity": "None",
                         "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}})})

    def add_default_service_account(self, namespace: str) -> None:
        """The `default` service account every namespace gets (Kubernetes' service account controller)."""
        self.save(SERVICE_ACCOUNTS, {"obj": self.new_object(SERVICE_ACCOUNTS, {
            "metadata": {"name": "default", "namespace": namespace}})})

    def new_object(self, res: Resource, body: dict) -> dict:
        """`body` with the metadata the API server sets on creation."""
        obj = {"apiVersion": res.api_version, "kind": res.kind, **body}
        meta = obj.setdefault("metadata", {})
        meta["uid"] = str(uuid.uuid4())
        meta["resourceVersion"] = self.next_resource_version()
        meta["creationTimestamp"] = rfc3339(self.now)
        if res.has_generation:
            meta["generation"] = 1
        return obj
