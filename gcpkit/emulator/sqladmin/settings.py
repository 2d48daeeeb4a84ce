"""An instance's settings: the server's defaults (what a GET shows that the request did not say, per
gcp-golden/sql--sqlinstance-mysql-minimal-direct.http.log), patch merging, and checks."""

from __future__ import annotations

import copy
import re

from .common import invalid
from .engines import check_flags, default_edition

# Fields a client cannot set (the server owns them); ignored in request bodies.
OUTPUT_ONLY = ("settingsVersion", "kind")
# Maps and lists that a patch replaces whole rather than merging.
REPLACED_WHOLE = ("userLabels", "databaseFlags", "authorizedGaeApplications", "denyMaintenancePeriods")

_LABEL_KEY = re.compile(r"^[\w\-]{1,63}$")  # lowercase letters (any script), digits, _ and -
_TIER = re.compile(r"^db-(f1-micro|g1-small|n1-(standard|highmem)-\d+|custom-\d+-\d+|perf-optimized-N-\d+|"
                   r"(standard|highmem|lightweight)-\d+)$")


def default_zone(region: str) -> str:
    """Regions without an "-a" zone (us-east1, europe-west1) start at "-b"."""
    return f"{region}-b" if region in ("us-east1", "europe-west1") else f"{region}-a"


def _backup_defaults(version: str) -> dict:
    out = {"backupRetentionSettings": {"retainedBackups": 7, "retentionUnit": "COUNT"}, "enabled": False,
           "kind": "sql#backupConfiguration", "startTime": "12:00", "transactionLogRetentionDays": 7,
           "transactionalLogStorageState": "TRANSACTIONAL_LOG_STORAGE_STATE_UNSPECIFIED"}
    if version.startswith("POSTGRES"):
        out["pointInTimeRecoveryEnabled"] = False
    return out


def _deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in REPLACED_WHOLE:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _requested(settings: dict | None) -> dict:
    return {k: v for k, v in (settings or {}).items() if k not in OUTPUT_ONLY and v is not None}


def with_defaults(version: str, region: str, requested: dict | None, version_number: int) -> dict:
    """The full settings a new instance (or a PUT) ends up with."""
    asked = _requested(requested)
    defaults = {
        "activationPolicy": "ALWAYS", "authorizedGaeApplications": [], "availabilityType": "ZONAL",
        "backupConfiguration": _backup_defaults(version), "connectorEnforcement": "NOT_REQUIRED",
        "dataDiskSizeGb": "10", "dataDiskType": "PD_SSD", "deletionProtectionEnabled": False,
        "edition": default_edition(version),
        "ipConfiguration": {"authorizedNetworks": [], "ipv4Enabled": True, "requireSsl": False,
                            "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"},
        "kind": "sql#settings", "locationPreference": {"kind": "sql#locationPreference", "zone": default_zone(region)},
        "pricingPlan": "PER_USE", "replicationType": "SYNCHRONOUS", "storageAutoResize": True,
        "storageAutoResizeLimit": "0",
    }
    out = _deep_merge(defaults, asked)
    return finish(version, region, out, version_number)


def merged(version: str, region: str, current: dict, patch: dict | None, version_number: int) -> dict:
    """The settings after a PATCH: fields present in the request replace or merge into the current ones."""
    return finish(version, region, _deep_merge(current, _requested(patch)), version_number)


def check_labels(labels: dict | None) -> None:
    """GCP's label rules: at most 64; keys start with a lowercase letter; keys and values at most 63
    lowercase letters, digits, "_" or "-" (values may be empty)."""
    labels = labels or {}
    if len(labels) > 64:
        raise invalid(f"Too many labels ({len(labels)}); at most 64 are allowed.")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not key[0].isalpha() or key != key.lower():
            raise invalid(f"Invalid label key ({key}): use lowercase letters, digits, _ and -, starting with a "
                          "letter, at most 63 characters.")
        if not isinstance(value, str) or len(value) > 63 or value != value.lower() or \
                (value and not _LABEL_KEY.match(value)):
            raise invalid(f"Invalid label value ({value}) for key {key}: use lowercase letters, digits, _ and -, "
                          "at most 63 characters.")


def finish(version: str, region: str, settings: dict, version_number: int) -> dict:
    """Normalise and check settings; stamps settingsVersion."""
    tier = settings.get("tier")
    edition = settings.get("edition") or default_edition(version)
    if not tier:
        raise invalid(f"Invalid Tier (null) for ({version}) Edition ({edition}). Set settings.tier, "
                      "e.g. db-custom-1-3840.")
    if not _TIER.match(tier):
        raise invalid(f"Invalid Tier ({tier}) for ({version}) Edition ({edition}).")
    perf = tier.startswith("db-perf-optimized-")
    if edition == "ENTERPRISE_PLUS" and not perf:
        raise invalid(f"Invalid Tier ({tier}) for ({version}) Edition ({edition}). Use a db-perf-optimized-N-* "
                      "tier or the ENTERPRISE edition.")
    if edition == "ENTERPRISE" and perf:
        raise invalid(f"Invalid Tier ({tier}) for ({version}) Edition ({edition}).")
    settings["edition"] = edition
    size = settings.get("dataDiskSizeGb", "10")
    try:
        size_number = int(size)
    except (TypeError, ValueError):
        raise invalid(f"Invalid value for dataDiskSizeGb: {size!r}.") from None
    if size_number < 10:
        raise invalid(f"The disk size must be at least 10 GB (got {size_number}).")
    settings["dataDiskSizeGb"] = str(size_number)
    if "storageAutoResizeLimit" in settings:
        settings["storageAutoResizeLimit"] = str(int(settings["storageAutoResizeLimit"]))
    if "dataDiskProvisionedIops" in settings:
        settings["dataDiskProvisionedIops"] = str(int(settings["dataDiskProvisionedIops"]))
    if "dataDiskProvisionedThroughput" in settings:
        settings["dataDiskProvisionedThroughput"] = str(int(settings["dataDiskProvisionedThroughput"]))
    check_flags(version, settings.get("databaseFlags"))
    if not settings.get("databaseFlags"):
        settings.pop("databaseFlags", None)
    check_labels(settings.get("userLabels"))
    if not settings.get("userLabels"):
        settings.pop("userLabels", None)
    location = settings.setdefault("locationPreference", {})
    location["kind"] = "sql#locationPreference"
    zone = location.get("zone") or default_zone(region)
    if not zone.startswith(region + "-"):
        raise invalid(f"The zone {zone} is not in the instance's region {region}.")
    location["zone"] = zone
    ip = settings.setdefault("ipConfiguration", {})
    ip.setdefault("authorizedNetworks", [])
    ip.setdefault("requireSsl", False)
    ip.setdefault("sslMode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED")
    ip.setdefault("ipv4Enabled", True)
    for network in ip["authorizedNetworks"]:
        network.setdefault("kind", "sql#aclEntry")
    if not ip["ipv4Enabled"] and not ip.get("privateNetwork") and not ip.get("pscConfig"):
        raise invalid("At least one of public IP or private IP or PSC connectivity must be enabled.")
    backup = settings.setdefault("backupConfiguration", {})
    backup["kind"] = "sql#backupConfiguration"
    settings["kind"] = "sql#settings"
    settings["settingsVersion"] = str(version_number)
    return settings
