"""What one resource costs a month, from its properties (as a pattern writes them or as the API returns
them) and the price table. Each rule says how it priced the resource, or why it could not.

Prices by use (GB stored, queries, instance hours above a minimum) are not in the monthly figure; a rule
names them in `usage` instead. A type no rule knows gets no estimate (None), never 0.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcpkit.pricing.table import PriceTable

# name -> (type, properties) of the other resources of the same config, for rules that need them
# (a group's template, the autoscaler of a group, the cluster of a node pool).
Others = dict[str, tuple[str, dict]]


@dataclass
class Cost:
    monthly: float | None  # None: no estimate
    basis: str  # how it was priced, or why there is no estimate
    usage: str = ""  # billed by use, on top of `monthly`


class Unknown(Exception):
    """A value the estimate needs is not known (yet): the message says which."""


def _last(value: Any) -> str:
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def _known(value: Any, what: str) -> Any:
    if isinstance(value, str) and "$(ref." in value:
        ref = value[value.index("$(ref.") + 6:].split(".", 1)[0]
        raise Unknown(f"{what} is known only once {ref} exists")
    return value


def _number(value: Any, default: float, what: str) -> float:
    value = _known(value, what)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Unknown(f"{what} {value!r} is not a number") from None


def _money(table: PriceTable, amount: float) -> str:
    return f"{amount:.4g} {table.currency}"


# ----------------------------------------------------------------------------------------- Compute Engine

def machine_hourly(table: PriceTable, machine: str, spot: bool) -> float:
    prices = table.get("compute.spot_hourly" if spot else "compute.machine_hourly")
    if machine in prices:
        return float(prices[machine])
    custom = re.fullmatch(r"(?:(?:e2|n1|n2|n2d)-)?custom-(\d+)-(\d+)(?:-ext)?", machine)
    if custom and not spot:  # rough: N1 custom rates
        return (int(custom.group(1)) * table.get("compute.custom_vcpu_hourly")
                + int(custom.group(2)) / 1024 * table.get("compute.custom_memory_gb_hourly"))
    raise Unknown(f"no {'Spot ' if spot else ''}price for machine type {machine!r} in the price table")


def _is_spot(scheduling: dict) -> bool:
    return scheduling.get("provisioningModel") == "SPOT" or scheduling.get("preemptible") is True


def _disk_month(table: PriceTable, size_gb: float, disk_type: str) -> float:
    prices = table.get("compute.disk_gb_month")
    if disk_type not in prices:
        raise Unknown(f"no price for disk type {disk_type!r} in the price table")
    return size_gb * float(prices[disk_type])


def vm_month(table: PriceTable, props: dict, *, default_disk_gb: float = 10.0) -> tuple[float, list[str]]:
    """A VM's month (machine, the disks it creates, its external IPv4): an instance's properties or an
    instance template's `properties`. Attached existing disks are priced as disk resources of their own."""
    machine = _last(_known(props.get("machineType"), "the machine type"))
    if not machine:
        raise Unknown("no machine type")
    spot = _is_spot(props.get("scheduling") or {})
    total = machine_hourly(table, machine, spot) * table.hours
    parts = [f"{machine} {'Spot' if spot else 'on-demand'}"]
    for disk in props.get("disks") or []:
        init = disk.get("initializeParams") if isinstance(disk, dict) else None
        if not isinstance(init, dict):
            continue
        size = _number(init.get("diskSizeGb"), default_disk_gb, "the disk size")
        disk_type = _last(_known(init.get("diskType"), "the disk type")) or "pd-standard"
        total += _disk_month(table, size, disk_type)
        parts.append(f"{'boot' if disk.get('boot') else 'disk'} {size:g} GB {disk_type}")
    if any(nic.get("accessConfigs") for nic in props.get("networkInterfaces") or [] if isinstance(nic, dict)):
        total += table.get("compute.external_ip_hourly") * table.hours
        parts.append("external IPv4")
    return total, parts


def _instance(table: PriceTable, props: dict, others: Others) -> Cost:
    if props.get("status") in ("TERMINATED", "STOPPED"):
        return Cost(0.0, "stopped (its disks are priced on their own)")
    total, parts = vm_month(table, props)
    return Cost(total, ", ".join(parts))


def _template_of(group: dict, others: Others) -> dict:
    ref = _known_name(group.get("instanceTemplate"))
    found = others.get(ref) if ref else None
    if found is None:
        raise Unknown("its instance template is not in this deployment")
    return (found[1].get("properties") or {})


def _known_name(value: Any) -> str:
    """The resource a value names: $(ref.NAME.field) or a URL ending in NAME."""
    if isinstance(value, str) and value.startswith("$(ref."):
        return value[6:].split(".", 1)[0]
    return _last(value)


def _group(table: PriceTable, props: dict, others: Others, name: str) -> Cost:
    size = int(_number(props.get("targetSize"), 0, "the target size"))
    each, parts = vm_month(table, _template_of(props, others))
    basis = f"{size} x ({', '.join(parts)})"
    for other_type, other in others.values():
        if other_type.endswith("utoscaler") and _known_name(other.get("target")) == name:
            policy = other.get("autoscalingPolicy") or {}
            basis += (f"; target size, the autoscaler runs {policy.get('minNumReplicas', '?')}"
                      f"-{policy.get('maxNumReplicas', '?')}")
    return Cost(size * each, basis)


def _disk(table: PriceTable, props: dict, others: Others) -> Cost:
    size = _number(props.get("sizeGb"), 10.0, "the disk size")
    disk_type = _last(_known(props.get("type"), "the disk type")) or "pd-standard"
    return Cost(_disk_month(table, size, disk_type), f"{size:g} GB {disk_type}")


def _stored_gb(table: PriceTable, key: str, props: dict, *fields: str) -> Cost:
    per_gb = table.get(key)
    for field in fields:
        if props.get(field) not in (None, "") and "$(ref." not in str(props.get(field)):
            size = _number(props[field], 0.0, field)
            size = size / 1e9 if field == "storageBytes" else size
            if size:
                return Cost(size * per_gb, f"{size:g} GB stored")
    return Cost(0.0, "by size", f"{_money(table, per_gb)} per GB-month stored")


def _address(table: PriceTable, props: dict, others: Others) -> Cost:
    if props.get("addressType", "EXTERNAL") != "EXTERNAL":
        return Cost(0.0, "internal address")
    return Cost(table.get("compute.static_ip_hourly") * table.hours, "static external IPv4")


def _forwarding_rule(table: PriceTable, props: dict | None = None, others: Others | None = None) -> Cost:
    return Cost(table.get("compute.forwarding_rule_hourly") * table.hours, "forwarding rule (load balancer)",
                "+ data processed per GB")


# ----------------------------------------------------------------------------------------------- Cloud SQL

def sql_tier_month(table: PriceTable, tier: str) -> float:
    shared = table.get("sql.tier_month")
    if tier in shared:
        return float(shared[tier])
    sizes = {"standard": 3.75, "highmem": 6.5}
    m = re.fullmatch(r"db-n1-(standard|highmem)-(\d+)", tier)
    custom = re.fullmatch(r"db-custom-(\d+)-(\d+)", tier)
    if m:
        vcpus, memory_gb = int(m.group(2)), int(m.group(2)) * sizes[m.group(1)]
    elif custom:
        vcpus, memory_gb = int(custom.group(1)), int(custom.group(2)) / 1024
    else:
        raise Unknown(f"no price for Cloud SQL tier {tier!r} in the price table")
    hourly = vcpus * table.get("sql.vcpu_hourly") + memory_gb * table.get("sql.memory_gb_hourly")
    return hourly * table.hours


def _sql_instance(table: PriceTable, props: dict, others: Others) -> Cost:
    settings = props.get("settings") or {}
    tier = str(_known(settings.get("tier"), "the tier") or "")
    if not tier:
        raise Unknown("no tier")
    size = _number(settings.get("dataDiskSizeGb"), 10.0, "the storage size")
    disk_type = settings.get("dataDiskType") or "PD_SSD"
    per_gb = table.get("sql.storage_gb_month").get(disk_type)
    if per_gb is None:
        raise Unknown(f"no price for Cloud SQL storage {disk_type!r} in the price table")
    total = sql_tier_month(table, tier) + size * per_gb
    basis = f"{tier}, {size:g} GB {disk_type}"
    if settings.get("availabilityType") == "REGIONAL":
        total *= table.get("sql.high_availability_factor")
        basis += ", high availability"
    return Cost(total, basis, "+ backups beyond the storage size")


# ------------------------------------------------------------------------------------- the other services

def _bucket(table: PriceTable, props: dict, others: Others) -> Cost:
    klass = str(props.get("storageClass") or "STANDARD").upper()
    location = str(props.get("location") or "US").lower()
    regional = bool(re.fullmatch(r"[a-z]+-[a-z]+\d+", location))
    prices = table.get("storage.gb_month" if regional else "storage.multi_region_gb_month")
    if klass not in prices:
        raise Unknown(f"no price for storage class {klass!r} in the price table")
    return Cost(0.0, f"{klass} in {location}", f"{_money(table, prices[klass])} per GB-month stored")


def _fixed(key: str, basis: str, usage: str = "") -> Callable[[PriceTable, dict, Others], Cost]:
    def rule(table: PriceTable, props: dict, others: Others) -> Cost:
        return Cost(table.get(key) * (table.hours if key.endswith("_hourly") else 1), basis, usage)
    return rule


def _by_use(key: str, basis: str) -> Callable[[PriceTable, dict, Others], Cost]:
    def rule(table: PriceTable, props: dict, others: Others) -> Cost:
        return Cost(0.0, basis, f"{_money(table, table.get(key))} per GB-month stored")
    return rule


def _unwrap(props: dict, key: str) -> dict:
    """GKE bodies may come wrapped as in the create request ({"cluster": {...}}) or not."""
    inner = props.get(key)
    return {**props, **inner} if isinstance(inner, dict) else props


def _zones(location: str, locations: Any) -> int:
    if isinstance(locations, list) and locations:
        return len(locations)
    return 3 if re.fullmatch(r"[a-z]+-[a-z]+\d+", location) else 1  # GKE spreads a regional pool on 3 zones


def _nodes_month(table: PriceTable, pool: dict, location: str) -> tuple[float, str]:
    config = pool.get("config") or pool.get("nodeConfig") or {}
    machine = _last(_known(config.get("machineType"), "the machine type")) or table.get("gke.default_machine_type")
    spot = bool(config.get("spot") or config.get("preemptible"))
    per_zone = int(_number(pool.get("initialNodeCount", pool.get("nodeCount")),
                           table.get("gke.default_node_count"), "the node count"))
    count = per_zone * _zones(location, pool.get("locations"))
    disk_gb = _number(config.get("diskSizeGb"), table.get("gke.default_disk_size_gb"), "the disk size")
    disk_type = config.get("diskType") or table.get("gke.default_disk_type")
    each = machine_hourly(table, machine, spot) * table.hours + _disk_month(table, disk_gb, disk_type)
    return count * each, f"{count} x {machine}{' Spot' if spot else ''} node ({disk_gb:g} GB {disk_type})"


def _location_of(props: dict) -> str:
    for key in ("location", "zone", "region"):
        if props.get(key):
            return _last(props[key])
    parent = str(props.get("parent") or props.get("cluster") or "")
    m = re.search(r"locations/([^/]+)", parent)
    return m.group(1) if m else ""


def _cluster(table: PriceTable, props: dict, others: Others) -> Cost:
    cluster = _unwrap(props, "cluster")
    fee = table.get("gke.cluster_fee_hourly") * table.hours
    if (cluster.get("autopilot") or {}).get("enabled"):
        return Cost(fee, "Autopilot cluster fee", "+ the pods' requested vCPU and memory")
    if cluster.get("removeDefaultNodePool"):
        return Cost(fee, "cluster fee (its node pools are priced on their own)")
    location = _location_of(cluster)
    pools = cluster.get("nodePools")
    if not isinstance(pools, list) or not pools:
        pools = [{"initialNodeCount": cluster.get("initialNodeCount"), "config": cluster.get("nodeConfig") or {},
                  "locations": cluster.get("locations")}]
    total, parts = fee, ["cluster fee"]
    for pool in pools:
        nodes, text = _nodes_month(table, pool, location)
        total, parts = total + nodes, parts + [text]
    return Cost(total, ", ".join(parts))


def _node_pool(table: PriceTable, props: dict, others: Others) -> Cost:
    pool = _unwrap(props, "nodePool")
    location = _location_of(props) or _location_of(pool)
    cluster_name = _known_name(props.get("cluster"))
    if not location and cluster_name in others:
        location = _location_of(_unwrap(others[cluster_name][1], "cluster"))
    total, basis = _nodes_month(table, pool, location)
    scaling = pool.get("autoscaling") or {}
    if scaling.get("enabled"):
        basis += f"; the autoscaler runs {scaling.get('minNodeCount', '?')}-{scaling.get('maxNodeCount', '?')} per zone"
    return Cost(total, basis)


_SCALING_KEYS = ("instanceClass", "automaticScaling", "basicScaling", "manualScaling", "runtime")


def _from_app_yaml(props: dict) -> dict:
    """A version given as app.yaml text (snake_case) in the API's terms (camelCase), else `props`."""
    text = props.get("appYaml")
    if not isinstance(text, str):
        return props
    import yaml

    try:
        app = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        raise Unknown("its app.yaml does not parse") from None
    auto = app.get("automatic_scaling") or {}
    out = {"runtime": app.get("runtime"), "env": app.get("env"), "instanceClass": app.get("instance_class")}
    if "manual_scaling" in app:
        out["manualScaling"] = {"instances": (app["manual_scaling"] or {}).get("instances")}
    elif "basic_scaling" in app:
        out["basicScaling"] = app["basic_scaling"] or {}
    else:
        out["automaticScaling"] = {"minInstances": auto.get("min_instances", auto.get("min_idle_instances"))}
    return out


def _appengine(table: PriceTable, props: dict, others: Others) -> Cost:
    props = _from_app_yaml(props)
    if not any(k in props for k in _SCALING_KEYS):
        return Cost(0.0, "no instances of its own")  # the application, a service, a traffic split
    if props.get("env") in ("flex", "flexible"):
        raise Unknown("the flexible environment is not in the price table")
    klass = str(props.get("instanceClass") or table.get("appengine.default_instance_class"))
    hourly = table.get("appengine.instance_hourly").get(klass)
    if hourly is None:
        raise Unknown(f"no price for App Engine instance class {klass!r} in the price table")
    if "manualScaling" in props:
        always_on = _number((props["manualScaling"] or {}).get("instances"), 1, "the instances")
    elif "basicScaling" in props:
        always_on = 0
    else:
        auto = props.get("automaticScaling") or {}
        always_on = _number((auto.get("standardSchedulerSettings") or {}).get("minInstances",
                            auto.get("minInstances", auto.get("minIdleInstances"))), 0, "min instances")
    usage = f"+ {_money(table, hourly)} per {klass} instance hour above that, by traffic"
    return Cost(always_on * hourly * table.hours, f"{always_on:g} x {klass} always on", usage)


def _k8s(table: PriceTable, props: dict, others: Others) -> Cost | None:
    spec = props.get("spec") or (props.get("manifest") or {}).get("spec") or {}
    kind = str(props.get("kind") or (props.get("manifest") or {}).get("kind") or "")
    if spec.get("type") == "LoadBalancer" or kind == "Ingress":
        return _forwarding_rule(table)
    return None


RULES: dict[str, Callable[..., Cost]] = {
    "compute.v1.instance": _instance,
    "compute.v1.disk": _disk,
    "compute.v1.snapshot": lambda t, p, o: _stored_gb(t, "compute.snapshot_gb_month", p, "storageBytes",
                                                       "diskSizeGb"),
    "compute.v1.image": lambda t, p, o: _stored_gb(t, "compute.image_gb_month", p, "diskSizeGb"),
    "compute.v1.address": _address,
    "compute.v1.globalAddress": _address,
    "compute.v1.forwardingRule": _forwarding_rule,
    "compute.v1.globalForwardingRule": _forwarding_rule,
    "sqladmin.v1.instance": _sql_instance,
    "storage.v1.bucket": _bucket,
    "dns.v1.managedZone": _fixed("dns.managed_zone_month", "managed zone", "+ queries"),
    "secretmanager.v1.secret": _fixed("secretmanager.version_month", "one active version", "+ access operations"),
    "container.v1.cluster": _cluster,
    "container.v1.nodePool": _node_pool,
    "firestore.v1.database": _by_use("firestore.gb_month", "by use"),
    "artifactregistry.v1.repository": _by_use("artifactregistry.gb_month", "by use"),
}
_GROUPS = ("compute.v1.instanceGroupManager", "compute.v1.regionInstanceGroupManager")


def resource_cost(type_name: str, props: dict, table: PriceTable, *, name: str = "",
                  others: Others | None = None) -> Cost:
    """The monthly cost of one resource, or Cost(None, why) when the table cannot tell."""
    others = others or {}
    try:
        if type_name in _GROUPS:
            return _group(table, props, others, name)
        rule = RULES.get(type_name)
        if rule is None and "appengine" in type_name.lower():  # whatever the App Engine types are named
            rule = _appengine
        if rule is None and type_name.startswith("k8s."):
            cost = _k8s(table, props, others)
            if cost is not None:
                return cost
        if rule is not None:
            return rule(table, props, others)
    except Unknown as why:
        return Cost(None, f"no estimate: {why}")
    if any(fnmatch.fnmatchcase(type_name, glob) for glob in table.get("free_types")):
        return Cost(0.0, "")
    return Cost(None, "no estimate for this type")
