"""What a diagram shows, before any drawing syntax: resources classified into tiers and placed in
their location (global, a region, a zone of it), dependency edges, and for a deployment each
resource's status. dot.py and mermaid.py turn a Diagram into text."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

# Tiers in drawing order: (key, title, type globs). The first tier whose glob matches a type wins.
TIERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("network", "Network and edge", (
        "compute.v1.network", "compute.v1.subnetwork", "compute.v1.firewall", "compute.v1.route",
        "compute.v1.router", "compute.v1.address", "compute.v1.globalAddress", "compute.v1.forwardingRule",
        "compute.v1.globalForwardingRule", "compute.v1.target*Proxy", "compute.v1.urlMap",
        "compute.v1.backendService", "compute.v1.regionBackendService", "compute.v1.*ealthCheck",
        "compute.v1.sslCertificate", "compute.v1.securityPolicy", "dns.*", "k8s.v1.service",
        "k8s.networking.*")),
    ("compute", "Compute", (
        "compute.v1.instance", "compute.v1.instanceTemplate", "compute.v1.instanceGroup",
        "compute.v1.instanceGroupManager", "compute.v1.regionInstanceGroupManager", "compute.v1.autoscaler",
        "compute.v1.regionAutoscaler",
        "compute.v1.image", "gcpkit.v1.sourceInstance", "gcpkit.v1.instanceStart", "container.*", "appengine.*",
        "*appengine*", "run.*", "cloudfunctions.*", "k8s.*")),
    ("data", "Data", (
        "sqladmin.*", "storage.*", "compute.v1.disk", "compute.v1.snapshot", "firestore.*", "datastore.*",
        "bigquery.*", "spanner.*", "redis.*", "pubsub.*", "artifactregistry.*", "secretmanager.*")),
    ("identity", "Identity and access", ("iam.*", "gcpkit.v1.*IamMember", "cloudresourcemanager.*")),
]
OTHER = ("other", "Other")
TIER_TITLES = {key: title for key, title, _ in TIERS} | {OTHER[0]: OTHER[1]}

# Status of a deployment's resource -> (fill, border) colours shared by both formats.
STATUS_COLOURS = {
    "created": ("#d4edda", "#2e7d32"),
    "failed": ("#f8d7da", "#c62828"),
    "pending": ("#fff3cd", "#b7791f"),
    "deleted": ("#eeeeee", "#9e9e9e"),
}
PLAIN_COLOURS = ("#ffffff", "#546e7a")

_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")
_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")


def tier_of(type_name: str) -> str:
    for key, _, globs in TIERS:
        if any(fnmatch.fnmatchcase(type_name, g) for g in globs):
            return key
    return OTHER[0]


def _last(value: Any) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) and "$(ref." not in value else ""


def location_of(properties: dict) -> tuple[str, str]:
    """(region, zone) of a resource from its properties; ("", "") when it is global (or not known)."""
    for key, inner in (("cluster", "location"), ("nodePool", "location")):  # GKE bodies as create takes them
        if isinstance(properties.get(key), dict) and properties[key].get(inner):
            properties = {**properties, inner: properties[key][inner]}
    parent = re.search(r"locations/([^/]+)", str(properties.get("parent") or ""))
    candidates = [properties.get("zone"), properties.get("location"), properties.get("region"),
                  parent.group(1) if parent else None]
    for value in candidates:
        name = _last(value).lower()
        zone = _ZONE.match(name)
        if zone:
            return zone.group(1), name
        if _REGION.match(name):
            return name, ""
    return "", ""


@dataclass
class Node:
    name: str
    type: str
    tier: str
    region: str = ""  # "" = global
    zone: str = ""
    status: str = ""  # "" for a pattern's design; created | failed | pending | deleted for a deployment


@dataclass
class Diagram:
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (resource, what it depends on)
    with_status: bool = False

    def grouped(self) -> list[tuple[str, list[tuple[str, list[tuple[str, list[Node]]]]]]]:
        """[(tier, [(region, [(zone, [nodes])])])] in a stable order: tiers as TIERS, global first,
        then regions and zones by name; nodes in the config's order."""
        out = []
        for tier in [key for key, _, _ in TIERS] + [OTHER[0]]:
            in_tier = [n for n in self.nodes if n.tier == tier]
            if not in_tier:
                continue
            regions = []
            for region in sorted({n.region for n in in_tier}):
                in_region = [n for n in in_tier if n.region == region]
                zones = [(zone, [n for n in in_region if n.zone == zone])
                         for zone in sorted({n.zone for n in in_region})]
                regions.append((region, zones))
            out.append((tier, regions))
        return out


def diagram(title: str, resources: list[tuple[str, str, dict]], graph: dict[str, set[str]],
            statuses: dict[str, str] | None = None) -> Diagram:
    """A Diagram of (name, type, properties) resources; `graph` maps each name to what it depends on."""
    d = Diagram(title, with_status=statuses is not None)
    for name, type_name, props in resources:
        region, zone = location_of(props or {})
        d.nodes.append(Node(name, type_name, tier_of(type_name), region, zone, (statuses or {}).get(name, "")))
    known = {n.name for n in d.nodes}
    for name, _, _ in resources:
        d.edges += [(name, dep) for dep in sorted(graph.get(name, ())) if dep in known]
    return d
