"""Type name -> provider. Providers are built on first use; importing this module is cheap.

A provider family registers its type names here with a factory that imports its module lazily."""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

from gcpkit.providers.compute_kinds import KINDS


def _compute(type_name: str) -> Callable[[], Any]:
    return lambda: import_module("gcpkit.providers.compute").ComputeProvider(KINDS[type_name])


def _lazy(module: str, cls: str) -> Callable[[], Any]:
    return lambda: getattr(import_module(module), cls)()


FACTORIES: dict[str, Callable[[], Any]] = {
    **{t: _compute(t) for t in KINDS},
    "sqladmin.v1.instance": _lazy("gcpkit.providers.sql", "SqlInstanceProvider"),
    "sqladmin.v1.database": _lazy("gcpkit.providers.sql", "SqlDatabaseProvider"),
    "sqladmin.v1.user": _lazy("gcpkit.providers.sql", "SqlUserProvider"),
    "iam.v1.serviceAccount": _lazy("gcpkit.providers.iam", "ServiceAccountProvider"),
    "gcpkit.v1.projectIamMember": _lazy("gcpkit.providers.iam", "ProjectGrantProvider"),
    "gcpkit.v1.bucketIamMember": _lazy("gcpkit.providers.iam", "BucketGrantProvider"),
    "gcpkit.v1.secretIamMember": _lazy("gcpkit.providers.iam", "SecretGrantProvider"),
    "secretmanager.v1.secret": _lazy("gcpkit.providers.secrets", "SecretProvider"),
    "storage.v1.bucket": _lazy("gcpkit.providers.storage", "BucketProvider"),
}


def register(type_name: str, module: str, cls: str) -> None:
    FACTORIES[type_name] = _lazy(module, cls)


def type_names() -> list[str]:
    return sorted(FACTORIES)


@lru_cache(maxsize=None)
def provider_for(type_name: str) -> Any:
    return FACTORIES[type_name]()


register("gcpkit.v1.sourceInstance", "gcpkit.providers.source_instance", "SourceInstanceProvider")
register("gcpkit.v1.instanceStart", "gcpkit.providers.source_instance", "InstanceStartProvider")
register("dns.v1.managedZone", "gcpkit.providers.dns", "ManagedZoneProvider")
register("dns.v1.resourceRecordSet", "gcpkit.providers.dns", "ResourceRecordSetProvider")
register("container.v1.cluster", "gcpkit.providers.gke", "ClusterProvider")
register("container.v1.nodePool", "gcpkit.providers.gke", "NodePoolProvider")
register("firestore.v1.database", "gcpkit.providers.firestore", "DatabaseProvider")
register("artifactregistry.v1.repository", "gcpkit.providers.artifact_registry", "RepositoryProvider")
register("gcpkit.v1.serviceAccountIamMember", "gcpkit.providers.workload_identity", "ServiceAccountGrantProvider")
register("k8s.v1.namespace", "gcpkit.providers.kubernetes_objects", "NamespaceProvider")
register("k8s.v1.serviceAccount", "gcpkit.providers.kubernetes_objects", "ServiceAccountProvider")
register("k8s.apps.v1.deployment", "gcpkit.providers.kubernetes_objects", "DeploymentProvider")
register("k8s.v1.service", "gcpkit.providers.kubernetes_objects", "ServiceProvider")
register("k8s.networking.v1.ingress", "gcpkit.providers.kubernetes_objects", "IngressProvider")
register("appengine.v1.application", "gcpkit.providers.appengine", "ApplicationProvider")
register("appengine.v1.version", "gcpkit.providers.appengine", "VersionProvider")
