"""The kinds this Kubernetes API serves: one row each, used by routing, discovery and errors."""

from __future__ import annotations

from dataclasses import dataclass

VERBS = ["create", "delete", "get", "list", "patch", "update"]
READ_VERBS = ["get", "list"]


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core API
    version: str
    plural: str  # "deployments": the URL segment
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    generated: bool = False  # read-only, computed from Deployments (pods, replicasets)
    has_generation: bool = False  # metadata.generation tracks spec changes
    returns_deleted: bool = False  # DELETE answers the deleted object, not a Status (the API server's choice)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """"deployments.apps", "services": how Kubernetes names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """"Deployment.apps", "Service": the kind as 422 Invalid messages name it."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def singular(self) -> str:
        return self.kind.lower()


RESOURCES = [
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, short_names=("ns",)),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", short_names=("sa",), returns_deleted=True),
    Resource("", "v1", "configmaps", "ConfigMap", short_names=("cm",)),
    Resource("", "v1", "services", "Service", short_names=("svc",), returns_deleted=True),
    Resource("", "v1", "pods", "Pod", short_names=("po",), generated=True),
    Resource("apps", "v1", "deployments", "Deployment", short_names=("deploy",), has_generation=True),
    Resource("apps", "v1", "replicasets", "ReplicaSet", short_names=("rs",), generated=True, has_generation=True),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", short_names=("ing",), has_generation=True),
]

BY_GROUP_VERSION: dict[str, dict[str, Resource]] = {}
for _r in RESOURCES:
    BY_GROUP_VERSION.setdefault(_r.api_version, {})[_r.plural] = _r

NAMESPACES = BY_GROUP_VERSION["v1"]["namespaces"]
SERVICE_ACCOUNTS = BY_GROUP_VERSION["v1"]["serviceaccounts"]
SERVICES = BY_GROUP_VERSION["v1"]["services"]
PODS = BY_GROUP_VERSION["v1"]["pods"]
DEPLOYMENTS = BY_GROUP_VERSION["apps/v1"]["deployments"]
REPLICASETS = BY_GROUP_VERSION["apps/v1"]["replicasets"]
INGRESSES = BY_GROUP_VERSION["networking.k8s.io/v1"]["ingresses"]
