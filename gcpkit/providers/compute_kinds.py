"""The Compute Engine resource types gcpkit manages, as data: one row per Deployment Manager type name.
The generic ComputeProvider turns a row into calls on the matching google-cloud-compute client."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ComputeKind:
    type_name: str  # Deployment Manager type name
    client: str  # google-cloud-compute client class
    message: str  # request body message class (also the discovery schema name)
    resource_field: str  # field of the insert request holding the body
    name_field: str  # field of get/delete requests holding the name
    scope: str  # "zone" | "region" | "global"
    collection: str  # URL collection, e.g. "instances"
    has_labels: bool  # the API has a labels field (else gcpkit marks the description)
    full_update: str | None = None  # "patch" or "update" when every field can change in place
    setters: dict[str, str] = field(default_factory=dict)  # top-level field -> in-place setter
    labels_after_insert: bool = False  # the insert ignores labels (GCP's recordings show it): setLabels after


KINDS: dict[str, ComputeKind] = {
    k.type_name: k
    for k in [
        ComputeKind("compute.v1.network", "NetworksClient", "Network", "network_resource", "network",
                    "global", "networks", False),
        ComputeKind("compute.v1.subnetwork", "SubnetworksClient", "Subnetwork", "subnetwork_resource",
                    "subnetwork", "region", "subnetworks", False),
        ComputeKind("compute.v1.firewall", "FirewallsClient", "Firewall", "firewall_resource", "firewall",
                    "global", "firewalls", False, full_update="patch"),
        ComputeKind("compute.v1.address", "AddressesClient", "Address", "address_resource", "address",
                    "region", "addresses", True, setters={"labels": "set_labels"}),
        ComputeKind("compute.v1.globalAddress", "GlobalAddressesClient", "Address", "address_resource",
                    "address", "global", "addresses", True, setters={"labels": "set_labels"}),
        ComputeKind("compute.v1.disk", "DisksClient", "Disk", "disk_resource", "disk", "zone", "disks", True,
                    setters={"labels": "set_labels"}),
        ComputeKind("compute.v1.instance", "InstancesClient", "Instance", "instance_resource", "instance",
                    "zone", "instances", True,
                    setters={"labels": "set_labels", "metadata": "set_metadata", "tags": "set_tags"}),
        ComputeKind("compute.v1.snapshot", "SnapshotsClient", "Snapshot", "snapshot_resource", "snapshot",
                    "global", "snapshots", True, setters={"labels": "set_labels"}),
        ComputeKind("compute.v1.image", "ImagesClient", "Image", "image_resource", "image", "global",
                    "images", True, setters={"labels": "set_labels"}),
        ComputeKind("compute.v1.instanceTemplate", "InstanceTemplatesClient", "InstanceTemplate",
                    "instance_template_resource", "instance_template", "global", "instanceTemplates", False),
        ComputeKind("compute.v1.regionInstanceGroupManager", "RegionInstanceGroupManagersClient",
                    "InstanceGroupManager", "instance_group_manager_resource", "instance_group_manager",
                    "region", "instanceGroupManagers", False,
                    setters={"instanceTemplate": "set_instance_template", "targetSize": "resize"}),
        ComputeKind("compute.v1.regionAutoscaler", "RegionAutoscalersClient", "Autoscaler",
                    "autoscaler_resource", "autoscaler", "region", "autoscalers", False, full_update="update"),
        ComputeKind("compute.v1.healthCheck", "HealthChecksClient", "HealthCheck", "health_check_resource",
                    "health_check", "global", "healthChecks", False, full_update="update"),
        ComputeKind("compute.v1.backendService", "BackendServicesClient", "BackendService",
                    "backend_service_resource", "backend_service", "global", "backendServices", False,
                    full_update="update"),
        ComputeKind("compute.v1.urlMap", "UrlMapsClient", "UrlMap", "url_map_resource", "url_map", "global",
                    "urlMaps", False, full_update="update"),
        ComputeKind("compute.v1.targetHttpProxy", "TargetHttpProxiesClient", "TargetHttpProxy",
                    "target_http_proxy_resource", "target_http_proxy", "global", "targetHttpProxies", False),
        ComputeKind("compute.v1.globalForwardingRule", "GlobalForwardingRulesClient", "ForwardingRule",
                    "forwarding_rule_resource", "forwarding_rule", "global", "forwardingRules", True,
                    setters={"labels": "set_labels"}, labels_after_insert=True),
    ]
}
