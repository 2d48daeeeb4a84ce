"""Static catalog: regions, zones, machine types, disk types, public images."""

from __future__ import annotations

# region -> (zones, auto-mode subnet range)
REGIONS: dict[str, tuple[list[str], str]] = {
    "asia-east1": (["a", "b", "c"], "10.140.0.0/20"),
    "asia-northeast1": (["a", "b", "c"], "10.146.0.0/20"),
    "asia-northeast2": (["a", "b", "c"], "10.174.0.0/20"),
    "asia-southeast1": (["a", "b", "c"], "10.148.0.0/20"),
    "australia-southeast1": (["a", "b", "c"], "10.152.0.0/20"),
    "europe-north1": (["a", "b", "c"], "10.166.0.0/20"),
    "europe-west1": (["b", "c", "d"], "10.132.0.0/20"),
    "europe-west2": (["a", "b", "c"], "10.154.0.0/20"),
    "europe-west3": (["a", "b", "c"], "10.156.0.0/20"),
    "europe-west4": (["a", "b", "c"], "10.164.0.0/20"),
    "us-central1": (["a", "b", "c", "f"], "10.128.0.0/20"),
    "us-east1": (["b", "c", "d"], "10.142.0.0/20"),
    "us-east4": (["a", "b", "c"], "10.150.0.0/20"),
    "us-west1": (["a", "b", "c"], "10.138.0.0/20"),
    "us-west2": (["a", "b", "c"], "10.168.0.0/20"),
}
ZONES: dict[str, str] = {f"{r}-{z}": r for r, (zs, _) in REGIONS.items() for z in zs}

# name -> (guestCpus, memoryMb, description, isSharedCpu)
MACHINE_TYPES: dict[str, tuple[int, int, str, bool]] = {
    "e2-micro": (2, 1024, "Efficient Instance, 2 vCPU (1/8 shared physical core) and 1 GB RAM", True),
    "e2-small": (2, 2048, "Efficient Instance, 2 vCPU (1/4 shared physical core) and 2 GB RAM", True),
    "e2-medium": (2, 4096, "Efficient Instance, 2 vCPU (1/2 shared physical core) and 4 GB RAM", True),
    "e2-standard-2": (2, 8192, "Efficient Instance, 2 vCPUs, 8 GB RAM", False),
    "e2-standard-4": (4, 16384, "Efficient Instance, 4 vCPUs, 16 GB RAM", False),
    "e2-standard-8": (8, 32768, "Efficient Instance, 8 vCPUs, 32 GB RAM", False),
    "n1-standard-1": (1, 3840, "1 vCPU, 3.75 GB RAM", False),
    "n1-standard-2": (2, 7680, "2 vCPUs, 7.5 GB RAM", False),
    "n1-standard-4": (4, 15360, "4 vCPUs, 15 GB RAM", False),
    "n2-standard-2": (2, 8192, "2 vCPUs 8 GB RAM", False),
    "n2-standard-4": (4, 16384, "4 vCPUs 16 GB RAM", False),
    "n2-standard-8": (8, 32768, "8 vCPUs 32 GB RAM", False),
}

# name -> (description, defaultDiskSizeGb, validDiskSize)
DISK_TYPES: dict[str, tuple[str, int, str]] = {
    "pd-standard": ("Standard Persistent Disk", 500, "10GB-65536GB"),
    "pd-balanced": ("Balanced Persistent Disk", 100, "10GB-65536GB"),
    "pd-ssd": ("SSD Persistent Disk", 100, "10GB-65536GB"),
}

# public images: project -> list of (name, family, id, diskSizeGb, description)
PUBLIC_IMAGES: dict[str, list[tuple[str, str, str, int, str]]] = {
    "debian-cloud": [
        ("debian-11-bullseye-v20240110", "debian-11", "2443108620951880213", 10, "Debian, Debian GNU/Linux, 11 (bullseye), amd64 built on 20240110"),
        ("debian-12-bookworm-v20240110", "debian-12", "7362958217306744510", 10, "Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20240110"),
    ],
    "ubuntu-os-cloud": [
        ("ubuntu-2204-jammy-v20240112", "ubuntu-2204-lts", "5307271386396463917", 10, "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image built on 2024-01-12"),
        ("ubuntu-2404-noble-amd64-v20240523", "ubuntu-2404-lts-amd64", "6452519853617032411", 10, "Canonical, Ubuntu, 24.04 LTS, amd64 noble image built on 2024-05-23"),
    ],
    "cos-cloud": [
        ("cos-stable-109-17800-66-43", "cos-stable", "1385233614568735830", 10, "Google, Container-Optimized OS, 109-17800.66.43 stable"),
    ],
}
CATALOG_TIMESTAMP = "1969-12-31T16:00:00.000-08:00"
IMAGE_TIMESTAMP = "2024-01-10T12:00:00.000-08:00"


def region_of_zone(zone: str) -> str | None:
    return ZONES.get(zone)


def zones_of_region(region: str) -> list[str]:
    zs, _ = REGIONS[region]
    return [f"{region}-{z}" for z in zs]


def stable_id(*parts: str) -> str:
    import hashlib

    h = hashlib.sha256("/".join(parts).encode()).digest()
    return str(int.from_bytes(h[:8], "big") % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000)
