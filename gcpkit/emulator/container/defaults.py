"""What GKE fills in around a create request: versions per release channel, node config defaults,
networking, and the many output-only blocks of a cluster and a node pool, modelled on what the
recordings show (gcp-golden/container--containercluster.http.log, --containernodepool.http.log).

Client-supplied blocks are deep-merged over the defaults, so what a caller sets is echoed back.
"""

from __future__ import annotations

import copy
import hashlib

from .common import digest_int, fingerprint, invalid, is_zone

# The version each release channel installs today (REGULAR's is the recordings').
CHANNEL_VERSIONS = {"RAPID": "1.31.1-gke.1678000", "REGULAR": "1.30.5-gke.1014001",
                    "STABLE": "1.29.9-gke.1177000", "EXTENDED": "1.29.9-gke.1177000"}
DEFAULT_CHANNEL = "REGULAR"
_SCOPES = ["https://www.googleapis.com/auth/devstorage.read_only", "https://www.googleapis.com/auth/logging.write",
           "https://www.googleapis.com/auth/monitoring",
           "https://www.googleapis.com/auth/service.management.readonly",
           "https://www.googleapis.com/auth/servicecontrol", "https://www.googleapis.com/auth/trace.append"]
_SERVICES_CIDR = "34.118.224.0/20"
# Body fields that are not echoed as given: computed, or replaced by GKE's own value.
_COMPUTED = {"nodePools", "nodeConfig", "initialNodeCount", "status", "selfLink", "endpoint", "masterAuth",
             "currentMasterVersion", "currentNodeVersion", "currentNodeCount", "createTime", "id", "etag",
             "labelFingerprint", "instanceGroupUrls", "location", "zone", "locations", "network", "subnetwork",
             "networkConfig", "ipAllocationPolicy", "releaseChannel", "initialClusterVersion"}


# proto3 JSON leaves false/0/"" and empty messages out of GKE's answers, except for these optional
# booleans, which it echoes as set (recordings).
_KEPT_FALSE = {"allowExternalTraffic", "enableK8sTokensViaDns", "enableK8sCertsViaDns", "globalAccess",
               "enablePublicEndpoint", "insecureKubeletReadonlyPortEnabled"}


def pruned(value):
    """A request body as GKE stores it: unset (default-valued) fields and empty messages dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = pruned(item)
            if item in (False, 0, "", None, {}) and not (item is False and key in _KEPT_FALSE):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def merge(base, over):
    """Deep merge of JSON objects: `over` wins; lists and scalars replace."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            out[key] = merge(out.get(key), value)
        return out
    return copy.deepcopy(over)


def version_for(channel: str, requested: str | None) -> str:
    if requested and requested not in ("latest", "-"):
        return requested
    return CHANNEL_VERSIONS.get(channel, CHANNEL_VERSIONS[DEFAULT_CHANNEL])


def zones_of(location: str, requested: list | None) -> list[str]:
    """A zonal cluster lives in its zone; a regional one in three zones of its region (GKE's default)."""
    if requested:
        return list(requested)
    return [location] if is_zone(location) else [f"{location}-{z}" for z in "abc"]


def region_of(location: str) -> str:
    return location.rsplit("-", 1)[0] if is_zone(location) else location


def node_config(given: dict | None, workload_identity: bool) -> dict:
    config = {"machineType": "e2-medium", "diskSizeGb": 100, "diskType": "pd-balanced", "imageType": "COS_CONTAINERD",
              "oauthScopes": list(_SCOPES), "serviceAccount": "default",
              "metadata": {"disable-legacy-endpoints": "true"},
              "shieldedInstanceConfig": {"enableIntegrityMonitoring": True},
              "effectiveCgroupMode": "EFFECTIVE_CGROUP_MODE_V2",
              "kubeletConfig": {"insecureKubeletReadonlyPortEnabled": False, "maxParallelImagePulls": 2},
              "resourceLabels": {"goog-gke-node-pool-provisioning-model": "on-demand"}, "windowsNodeConfig": {}}
    if workload_identity:  # nodes serve the GKE metadata server, as GKE sets up with Workload Identity
        config["workloadMetadataConfig"] = {"mode": "GKE_METADATA"}
    config = merge(config, given or {})
    config["bootDisk"] = {"diskType": config["diskType"], "sizeGb": str(config["diskSizeGb"])}
    return config


def check_autoscaling(autoscaling: dict | None) -> None:
    if not autoscaling or not autoscaling.get("enabled"):
        return
    low, high = int(autoscaling.get("minNodeCount", 0)), int(autoscaling.get("maxNodeCount", 0))
    if low < 0 or high < 1 or low > high:
        raise invalid(f"Invalid autoscaling configuration: need 0 <= minNodeCount ({low}) <= maxNodeCount ({high}) "
                      "and maxNodeCount >= 1.")


def autoscaling_view(autoscaling: dict | None) -> dict | None:
    """What GKE answers: only the set fields of an enabled autoscaler; nothing when disabled."""
    if not autoscaling or not autoscaling.get("enabled"):
        return None
    return {k: v for k, v in autoscaling.items() if v not in (0, None, "", False) or k == "minNodeCount"}


def node_pool(project: str, location: str, cluster: dict, body: dict, workload_identity: bool) -> dict:
    """A node pool document (no status or timestamps) for a NodePool request body."""
    name = body["name"]
    autoscaling = body.get("autoscaling")
    check_autoscaling(autoscaling)
    count = body.get("initialNodeCount")
    if count is None or int(count) == 0:
        count = max(1, int((autoscaling or {}).get("minNodeCount") or 1)) if autoscaling else None
    if count is None or int(count) < 0:
        raise invalid(f'Node pool "{name}": initialNodeCount must be greater than zero.')
    body = pruned(body)
    locations = zones_of(location, body.get("locations") or cluster.get("locations"))
    suffix = hashlib.sha1(f"{project}/{cluster['name']}/{name}".encode()).hexdigest()[:8]
    pool = {"name": name, "config": node_config(body.get("config"), workload_identity),
            "initialNodeCount": int(count), "locations": locations, "_zones": locations,
            "management": merge({"autoRepair": True, "autoUpgrade": True}, body.get("management") or {}),
            "maxPodsConstraint": merge({"maxPodsPerNode": "110"}, body.get("maxPodsConstraint") or {}),
            "networkConfig": {"podIpv4CidrBlock": cluster["clusterIpv4Cidr"], "podIpv4RangeUtilization": 0.001,
                              "podRange": f"{name}-pods-{suffix}", "subnetwork": cluster["networkConfig"]["subnetwork"]},
            "podIpv4CidrSize": 24,
            "upgradeSettings": merge({"maxSurge": 1, "strategy": "SURGE"}, body.get("upgradeSettings") or {}),
            "version": body.get("version") or cluster["currentNodeVersion"],
            "instanceGroupUrls": [f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/"
                                  f"instanceGroupManagers/gke-{cluster['name'][:14]}-{name[:14]}-{suffix}-grp"
                                  for zone in locations]}
    view = autoscaling_view(autoscaling)
    if view:
        pool["autoscaling"] = view
    return pool


def cluster(project: str, location: str, body: dict, cluster_id: str) -> dict:
    """A cluster document (no status, node pools, CA or timestamps) for a Cluster request body."""
    name = body["name"]
    seed = digest_int(f"{project}/{location}/{name}")
    channel = (body.get("releaseChannel") or {}).get("channel") or DEFAULT_CHANNEL
    version = version_for(channel, body.get("initialClusterVersion"))
    region = region_of(location)
    network = (body.get("network") or "default").rsplit("/", 1)[-1]
    subnetwork = (body.get("subnetwork") or network).rsplit("/", 1)[-1]
    pods = f"10.{(seed % 60) * 4 + 8}.0.0/14"
    endpoint = f"34.{seed % 200 + 20}.{seed // 200 % 256}.{seed // 51200 % 254 + 1}"
    private = f"10.128.{seed % 256}.{seed // 256 % 254 + 2}"
    doc = {
        "addonsConfig": {"gcePersistentDiskCsiDriverConfig": {"enabled": True}, "kubernetesDashboard": {"disabled": True},
                         "networkPolicyConfig": {"disabled": True}},
        "anonymousAuthenticationConfig": {"mode": "ENABLED"}, "autopilot": {},
        "autoscaling": {"autoscalingProfile": "BALANCED"}, "binaryAuthorization": {},
        "clusterIpv4Cidr": pods,
        "controlPlaneEndpointsConfig": {
            "dnsEndpointConfig": {"allowExternalTraffic": False,
                                  "endpoint": f"gke-{seed:012x}-{project}.{location}.gke.goog"},
            "ipEndpointsConfig": {"authorizedNetworksConfig": {"gcpPublicCidrsAccessEnabled": True},
                                  "enablePublicEndpoint": True, "enabled": True, "globalAccess": False,
                                  "privateEndpoint": private, "publicEndpoint": endpoint}},
        "databaseEncryption": {"currentState": "CURRENT_STATE_DECRYPTED", "state": "DECRYPTED"},
        "defaultMaxPodsConstraint": {"maxPodsPerNode": "110"}, "enterpriseConfig": {"clusterTier": "STANDARD"},
        "ipAllocationPolicy": {"clusterIpv4Cidr": pods, "clusterIpv4CidrBlock": pods, "podCidrOverprovisionConfig": {},
                               "servicesIpv4Cidr": _SERVICES_CIDR, "servicesIpv4CidrBlock": _SERVICES_CIDR,
                               "stackType": "IPV4", "useIpAliases": True},
        "legacyAbac": {},
        "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}},
        "loggingService": "logging.googleapis.com/kubernetes",
        "maintenancePolicy": {"resourceVersion": f"{seed % 0xFFFFFFFF:08x}"},
        "masterAuthorizedNetworksConfig": {"gcpPublicCidrsAccessEnabled": True},
        "monitoringConfig": {"advancedDatapathObservabilityConfig": {},
                             "componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]},
                             "managedPrometheusConfig": {"enabled": True}},
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "nodePoolAutoConfig": {"nodeKubeletConfig": {"insecureKubeletReadonlyPortEnabled": False}},
        "nodePoolDefaults": {"nodeConfigDefaults": {"loggingConfig": {"variantConfig": {"variant": "DEFAULT"}},
                                                    "nodeKubeletConfig": {"insecureKubeletReadonlyPortEnabled": False}}},
        "notificationConfig": {"pubsub": {}}, "podAutoscaling": {"hpaProfile": "PERFORMANCE"},
        "privateClusterConfig": {"privateEndpoint": private, "publicEndpoint": endpoint},
        "rbacBindingConfig": {"enableInsecureBindingSystemAuthenticated": True,
                              "enableInsecureBindingSystemUnauthenticated": True},
        "resourceLabels": {},
        "securityPostureConfig": {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_MODE_UNSPECIFIED"},
        "servicesIpv4Cidr": _SERVICES_CIDR, "shieldedNodes": {"enabled": True}, "userManagedKeysConfig": {},
    }
    body = pruned(body)
    for key, value in body.items():
        if key not in _COMPUTED:
            doc[key] = merge(doc.get(key), value)
    autoscaling = doc["autoscaling"]
    if autoscaling.get("enableNodeAutoprovisioning"):  # what GKE fills in for auto-provisioned pools
        nap = autoscaling.setdefault("autoprovisioningNodePoolDefaults", {})
        nap.pop("minCpuPlatform", None)  # deprecated: GKE ignores it
        nap.update(merge({"imageType": "COS_CONTAINERD", "serviceAccount": "default",
                          "management": {"autoRepair": True, "autoUpgrade": True},
                          "oauthScopes": ["https://www.googleapis.com/auth/userinfo.email",
                                          "https://www.googleapis.com/auth/cloud-platform"],
                          "upgradeSettings": {"strategy": "SURGE"}}, nap))
    else:
        autoscaling.setdefault("autoprovisioningNodePoolDefaults", {
            "imageType": "COS_CONTAINERD", "management": {"autoRepair": True, "autoUpgrade": True},
            "oauthScopes": list(_SCOPES), "serviceAccount": "default"})
    doc.update({
        "name": name, "location": location, "zone": location, "locations": zones_of(location, body.get("locations")),
        "network": network, "subnetwork": subnetwork,
        "networkConfig": merge({"network": f"projects/{project}/global/networks/{network}",
                                "subnetwork": f"projects/{project}/regions/{region}/subnetworks/{subnetwork}",
                                "serviceExternalIpsConfig": {}}, body.get("networkConfig") or {}),
        "endpoint": endpoint, "releaseChannel": {"channel": channel}, "initialClusterVersion": version,
        "currentMasterVersion": version, "currentNodeVersion": version,
        "id": cluster_id,
    })
    doc["labelFingerprint"] = fingerprint(doc["resourceLabels"])
    return doc
