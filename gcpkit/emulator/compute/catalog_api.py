"""regions / zones / machineTypes / diskTypes: read-only views of the static catalog."""

from __future__ import annotations

from gcpkit.emulator.core.errors import not_found
from gcpkit.emulator.core.registry import handler

from . import catalog
from .common import begin
from .links import full
from .listing import list_response

TS = catalog.CATALOG_TIMESTAMP


def zone_doc(project: str, zone: str) -> dict:
    region = catalog.ZONES[zone]
    return {"kind": "compute#zone", "id": catalog.stable_id("zone", zone), "creationTimestamp": TS,
            "name": zone, "description": zone, "status": "UP",
            "region": full(f"projects/{project}/regions/{region}"),
            "selfLink": full(f"projects/{project}/zones/{zone}"),
            "availableCpuPlatforms": ["Intel Cascade Lake", "Intel Skylake", "AMD Milan"], "supportsPzs": False}


def region_doc(project: str, region: str) -> dict:
    return {"kind": "compute#region", "id": catalog.stable_id("region", region), "creationTimestamp": TS,
            "name": region, "description": region, "status": "UP",
            "zones": [full(f"projects/{project}/zones/{z}") for z in catalog.zones_of_region(region)],
            "quotas": [{"metric": "CPUS", "limit": 24.0, "usage": 0.0},
                       {"metric": "IN_USE_ADDRESSES", "limit": 8.0, "usage": 0.0}],
            "selfLink": full(f"projects/{project}/regions/{region}"), "supportsPzs": False}


def machine_type_doc(project: str, zone: str, name: str) -> dict:
    cpus, mem, desc, shared = catalog.MACHINE_TYPES[name]
    return {"kind": "compute#machineType", "id": catalog.stable_id("mt", name), "creationTimestamp": TS,
            "name": name, "description": desc, "guestCpus": cpus, "memoryMb": mem, "imageSpaceGb": 0,
            "maximumPersistentDisks": 128, "maximumPersistentDisksSizeGb": "263168", "zone": zone,
            "selfLink": full(f"projects/{project}/zones/{zone}/machineTypes/{name}"), "isSharedCpu": shared,
            "architecture": "X86_64"}


def disk_type_doc(project: str, zone: str, name: str) -> dict:
    desc, size, valid = catalog.DISK_TYPES[name]
    return {"kind": "compute#diskType", "id": catalog.stable_id("dt", name), "creationTimestamp": TS,
            "name": name, "description": desc, "validDiskSize": valid,
            "zone": full(f"projects/{project}/zones/{zone}"),
            "selfLink": full(f"projects/{project}/zones/{zone}/diskTypes/{name}"), "defaultDiskSizeGb": str(size)}


@handler("compute.zones.get")
def zones_get(ctx, req):
    project, zone = req.params["project"], req.params["zone"]
    if zone not in catalog.ZONES:
        raise not_found(f"The resource 'projects/{project}/zones/{zone}' was not found")
    return zone_doc(project, zone)


@handler("compute.zones.list")
def zones_list(ctx, req):
    project = req.params["project"]
    items = [zone_doc(project, z) for z in sorted(catalog.ZONES)]
    return list_response(req, items, "compute#zoneList", f"projects/{project}/zones")


@handler("compute.regions.get")
def regions_get(ctx, req):
    project, region = req.params["project"], req.params["region"]
    if region not in catalog.REGIONS:
        raise not_found(f"The resource 'projects/{project}/regions/{region}' was not found")
    return region_doc(project, region)


@handler("compute.regions.list")
def regions_list(ctx, req):
    project = req.params["project"]
    items = [region_doc(project, r) for r in sorted(catalog.REGIONS)]
    return list_response(req, items, "compute#regionList", f"projects/{project}/regions")


@handler("compute.machineTypes.get")
def machine_types_get(ctx, req):
    project, zone, _ = begin(ctx, req)
    name = req.params["machineType"]
    if name not in catalog.MACHINE_TYPES:
        raise not_found(f"The resource 'projects/{project}/zones/{zone}/machineTypes/{name}' was not found")
    return machine_type_doc(project, zone, name)


@handler("compute.machineTypes.list")
def machine_types_list(ctx, req):
    project, zone, _ = begin(ctx, req)
    items = [machine_type_doc(project, zone, n) for n in sorted(catalog.MACHINE_TYPES)]
    return list_response(req, items, "compute#machineTypeList", f"projects/{project}/zones/{zone}/machineTypes")


@handler("compute.diskTypes.get")
def disk_types_get(ctx, req):
    project, zone, _ = begin(ctx, req)
    name = req.params["diskType"]
    if name not in catalog.DISK_TYPES:
        raise not_found(f"The resource 'projects/{project}/zones/{zone}/diskTypes/{name}' was not found")
    return disk_type_doc(project, zone, name)


@handler("compute.diskTypes.list")
def disk_types_list(ctx, req):
    project, zone, _ = begin(ctx, req)
    items = [disk_type_doc(project, zone, n) for n in sorted(catalog.DISK_TYPES)]
    return list_response(req, items, "compute#diskTypeList", f"projects/{project}/zones/{zone}/diskTypes")


def check_machine_type(project: str, zone: str, value: str, field: str) -> str:
    """Normalise a machineType reference ('e2-small', 'zones/z/machineTypes/e2-small', URL)."""
    from .links import parse_ref

    rel = parse_ref(value, project, "machineTypes", field=field, zone=zone, scope="zone")
    name = rel.split("/")[-1]
    if name not in catalog.MACHINE_TYPES and not name.startswith("custom-"):
        from gcpkit.emulator.core.errors import invalid
        raise invalid(f"Invalid value for field '{field}': '{value}'. Machine type with name '{name}' does not "
                      f"exist in zone '{zone}'.")
    return full(rel)


def check_disk_type(project: str, zone: str, value: str, field: str) -> str:
    from .links import parse_ref

    rel = parse_ref(value, project, "diskTypes", field=field, zone=zone, scope="zone")
    if rel.split("/")[-1] not in catalog.DISK_TYPES:
        from gcpkit.emulator.core.errors import invalid
        raise invalid(f"Invalid value for field '{field}': '{value}'. The referenced diskType resource cannot be found.")
    return full(rel)



@handler("compute.projects.get")
def projects_get(ctx, req):
    """The Compute view of a project (bootstrapped with its default network on first touch)."""
    from .common import coll, fingerprint

    project, _, _ = begin(ctx, req)
    doc = ctx.store.get(coll("projects"), project) or {}
    number = str(int(catalog.stable_id("project", project)) % 10**12)
    return {"kind": "compute#project", "id": catalog.stable_id("project", project), "name": project,
            "creationTimestamp": doc.get("creationTimestamp", TS),
            "commonInstanceMetadata": {"kind": "compute#metadata", "fingerprint": fingerprint([])},
            "quotas": [{"metric": "SNAPSHOTS", "limit": 5000.0, "usage": 0.0},
                       {"metric": "NETWORKS", "limit": 15.0, "usage": 0.0},
                       {"metric": "FIREWALLS", "limit": 200.0, "usage": 0.0},
                       {"metric": "IMAGES", "limit": 2000.0, "usage": 0.0},
                       {"metric": "INSTANCE_TEMPLATES", "limit": 1000.0, "usage": 0.0}],
            "selfLink": full(f"projects/{project}"),
            "defaultServiceAccount": f"{number}-compute@developer.gserviceaccount.com",
            "xpnProjectStatus": "UNSPECIFIED_XPN_PROJECT_STATUS", "defaultNetworkTier": "PREMIUM",
            "vmDnsSetting": "ZONAL_ONLY"}
