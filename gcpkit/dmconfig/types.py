"""Deployment Manager type names -> gcpkit's, and the few bodies that differ.

gcpkit's type names are Deployment Manager's (`compute.v1.instance`), so a registered name maps to
itself. Cloud SQL's `sqladmin.v1beta4.*` are the same bodies under the v1 API gcpkit calls, the
`gcp-types/API-VERSION:COLLECTION` names of a type provider map to the matching type, and the legacy
`compute.v1.httpHealthCheck` becomes a `compute.v1.healthCheck` of type HTTP (same fields, nested).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ALIASES = {
    "sqladmin.v1beta4.instance": "sqladmin.v1.instance",
    "sqladmin.v1beta4.database": "sqladmin.v1.database",
    "sqladmin.v1beta4.user": "sqladmin.v1.user",
    "compute.v1.httpHealthCheck": "compute.v1.healthCheck",
    "gcp-types/sqladmin-v1beta4:instances": "sqladmin.v1.instance",
    "gcp-types/sqladmin-v1beta4:databases": "sqladmin.v1.database",
    "gcp-types/sqladmin-v1beta4:users": "sqladmin.v1.user",
    "gcp-types/sqladmin-v1:instances": "sqladmin.v1.instance",
    "gcp-types/sqladmin-v1:databases": "sqladmin.v1.database",
    "gcp-types/storage-v1:buckets": "storage.v1.bucket",
    "gcp-types/dns-v1:managedZones": "dns.v1.managedZone",
    "gcp-types/dns-v1:resourceRecordSets": "dns.v1.resourceRecordSet",
    "gcp-types/iam-v1:projects.serviceAccounts": "iam.v1.serviceAccount",
    "gcp-types/secretmanager-v1:projects.secrets": "secretmanager.v1.secret",
    "gcp-types/container-v1:projects.locations.clusters": "container.v1.cluster",
}
# gcp-types/compute-v1:COLLECTION for every Compute type gcpkit manages.
COMPUTE_COLLECTIONS = {
    "networks": "network", "subnetworks": "subnetwork", "firewalls": "firewall", "addresses": "address",
    "globalAddresses": "globalAddress", "disks": "disk", "instances": "instance", "snapshots": "snapshot",
    "images": "image", "instanceTemplates": "instanceTemplate",
    "regionInstanceGroupManagers": "regionInstanceGroupManager", "regionAutoscalers": "regionAutoscaler",
    "healthChecks": "healthCheck", "httpHealthChecks": "httpHealthCheck", "backendServices": "backendService",
    "urlMaps": "urlMap", "targetHttpProxies": "targetHttpProxy", "globalForwardingRules": "globalForwardingRule",
}
# Types whose gcpkit name is the API's resource name: `properties.name` renames the resource.
NAMED_BY_RESOURCE = ("compute.v1.", "dns.v1.managedZone", "sqladmin.v1.instance")


def gcpkit_type(dm_type: str, known: set[str]) -> str | None:
    """gcpkit's type for a Deployment Manager type, or None when gcpkit has none."""
    if dm_type.startswith("gcp-types/compute-v1:"):
        kind = COMPUTE_COLLECTIONS.get(dm_type.split(":", 1)[1])
        dm_type = f"compute.v1.{kind}" if kind else dm_type
    mapped = ALIASES.get(dm_type, dm_type)
    return mapped if mapped in known else None


def named_by_resource(gcpkit_type_name: str) -> bool:
    return gcpkit_type_name.startswith(NAMED_BY_RESOURCE)


def _http_health_check(props: dict[str, Any]) -> dict[str, Any]:
    nested = {k: props[k] for k in ("port", "requestPath", "host", "proxyHeader", "response") if k in props}
    body = {k: v for k, v in props.items() if k not in nested}
    body["type"] = "HTTP"
    body["httpHealthCheck"] = nested
    return body


TRANSFORMS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "compute.v1.httpHealthCheck": _http_health_check,
    "gcp-types/compute-v1:httpHealthChecks": _http_health_check,
}


def transform(dm_type: str, props: dict[str, Any]) -> dict[str, Any]:
    fn = TRANSFORMS.get(dm_type)
    return fn(props) if fn else props
