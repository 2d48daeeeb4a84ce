"""dns.projects.get: the project's Cloud DNS quotas (the default limits of a new project), which
the emulator also enforces on zones and changes (403 quotaExceeded)."""

from __future__ import annotations

import zlib

from gcpkit.emulator.core.registry import handler

from .common import DnsError

QUOTA = {
    "kind": "dns#quota",
    "managedZones": 10000,
    "rrsetsPerManagedZone": 10000,
    "rrsetAdditionsPerChange": 1000,
    "rrsetDeletionsPerChange": 1000,
    "resourceRecordsPerRrset": 100,
    "totalRrdataSizePerChange": 100000,
    "networksPerManagedZone": 10000,
    "dnsKeysPerManagedZone": 4,
    "policies": 100,
    "networksPerPolicy": 1000,
    "targetNameServersPerManagedZone": 10,
    "targetNameServersPerPolicy": 10,
    "managedZonesPerNetwork": 10000,
    "peeringZonesPerTargetNetwork": 1000,
    "responsePolicies": 100,
    "responsePolicyRulesPerResponsePolicy": 100000,
    "itemsPerRoutingPolicy": 100,
    "nameserversPerDelegation": 13,
}


def quota_exceeded(metric: str, limit: int) -> DnsError:
    return DnsError(403, "quotaExceeded", f"Quota exceeded for quota metric '{metric}' (limit {limit}).")


def check(metric: str, value: int) -> None:
    limit = QUOTA[metric]
    if value > limit:
        raise quota_exceeded(metric, limit)


@handler("dns.projects.get")
def get(ctx, req):
    project = req.params["project"]
    number = str(100000000000 + zlib.crc32(project.encode()) % 900000000000)  # stable per project id
    return {"kind": "dns#project", "id": project, "number": number, "quota": dict(QUOTA)}
