"""A small table of Google Cloud list prices, to say roughly what a forgotten resource costs a month.

Estimates only: us-central1 on-demand list prices in USD, without sustained-use or committed-use
discounts, free tiers, network egress, licences or taxes. Prices change; the table says when it was
taken, and `gcpkit orphans` prints that date next to every estimate.
"""

from __future__ import annotations

import re
from typing import Any

PRICE_DATE = "2025-01-15"
CURRENCY = "USD"
HOURS_PER_MONTH = 730.0

# Machine types: on-demand USD per hour (us-central1).
MACHINE_HOURLY = {
    "e2-micro": 0.00838, "e2-small": 0.01675, "e2-medium": 0.03351, "e2-standard-2": 0.06701,
    "e2-standard-4": 0.13402, "e2-standard-8": 0.26805, "n1-standard-1": 0.04749, "n1-standard-2": 0.09498,
    "n2-standard-2": 0.09712, "n2-standard-4": 0.19424, "n2d-standard-2": 0.08450, "t2d-standard-1": 0.04225,
    "f1-micro": 0.00760, "g1-small": 0.02570,
}
# Persistent disks and images: USD per GB-month.
DISK_GB_MONTH = {"pd-standard": 0.040, "pd-balanced": 0.100, "pd-ssd": 0.170, "pd-extreme": 0.125,
                 "hyperdisk-balanced": 0.060}
SNAPSHOT_GB_MONTH = 0.050  # standard snapshot storage
IMAGE_GB_MONTH = 0.050  # custom image storage
STATIC_IP_MONTH = 0.005 * HOURS_PER_MONTH  # an external IPv4 address (in use or not), USD/hour * hours
FORWARDING_RULE_MONTH = 0.025 * HOURS_PER_MONTH  # first five global forwarding rules, USD/hour
# Cloud SQL for MySQL tiers: USD per month of the instance alone (storage below).
SQL_TIER_MONTH = {"db-f1-micro": 7.67, "db-g1-small": 25.55, "db-n1-standard-1": 51.10,
                  "db-custom-1-3840": 50.34, "db-custom-2-7680": 100.69}
SQL_STORAGE_GB_MONTH = {"PD_SSD": 0.170, "PD_HDD": 0.090}
SECRET_VERSION_MONTH = 0.06  # per active secret version
DNS_ZONE_MONTH = 0.20  # per managed zone (first 25)
BUCKET_MONTH = 0.0  # an empty bucket costs nothing; its objects are not counted here


def _last(url: str | None) -> str:
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def _gb(value: Any, default: float = 10.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _machine(name: str) -> float | None:
    if name in MACHINE_HOURLY:
        return MACHINE_HOURLY[name] * HOURS_PER_MONTH
    custom = re.fullmatch(r"(?:(e2|n1|n2)-)?custom-(\d+)-(\d+)", name)
    if custom:  # rough: N1 custom vCPU and GB prices
        return (int(custom.group(2)) * 0.033174 + int(custom.group(3)) / 1024 * 0.004446) * HOURS_PER_MONTH
    return None


def monthly_cost(type_name: str, body: dict) -> float | None:
    """Estimated USD per month of one resource as the API shows it, or None when the table cannot tell."""
    if type_name == "compute.v1.instance":
        if body.get("status") in ("TERMINATED", "STOPPED"):
            return 0.0  # a stopped VM pays only for its disks (listed on their own)
        return _machine(_last(body.get("machineType")))
    if type_name == "compute.v1.disk":
        per_gb = DISK_GB_MONTH.get(_last(body.get("type")) or "pd-standard", DISK_GB_MONTH["pd-standard"])
        return _gb(body.get("sizeGb")) * per_gb
    if type_name == "compute.v1.snapshot":
        stored_gb = _gb(body.get("storageBytes"), 0) / 1e9
        return (stored_gb or _gb(body.get("diskSizeGb"))) * SNAPSHOT_GB_MONTH
    if type_name == "compute.v1.image":
        return _gb(body.get("diskSizeGb")) * IMAGE_GB_MONTH
    if type_name in ("compute.v1.address", "compute.v1.globalAddress"):
        return STATIC_IP_MONTH if body.get("addressType", "EXTERNAL") == "EXTERNAL" else 0.0
    if type_name == "compute.v1.globalForwardingRule":
        return FORWARDING_RULE_MONTH
    if type_name == "sqladmin.v1.instance":
        settings = body.get("settings") or {}
        tier = SQL_TIER_MONTH.get(settings.get("tier", ""))
        if tier is None:
            return None
        storage = _gb(settings.get("dataDiskSizeGb")) * SQL_STORAGE_GB_MONTH.get(settings.get("dataDiskType",
                                                                                              "PD_SSD"), 0.17)
        return tier + storage
    if type_name == "secretmanager.v1.secret":
        return SECRET_VERSION_MONTH
    if type_name == "dns.v1.managedZone":
        return DNS_ZONE_MONTH
    if type_name == "storage.v1.bucket":
        return BUCKET_MONTH
    if type_name.startswith("compute.v1.") or type_name == "iam.v1.serviceAccount":
        return 0.0  # networks, subnets, firewalls, templates, groups (their VMs count), health checks...
    return None
