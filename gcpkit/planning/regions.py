"""Google Cloud regions and their zones (a static list, so names are checked before any call).

Source: cloud.google.com/compute/docs/regions-zones (public regions, 2025). A region not yet
listed here can be added in one line.
"""

from __future__ import annotations

import difflib
import re

from gcpkit.errors import BadInput

# region -> zone letters
REGIONS: dict[str, str] = {
    # Americas
    "us-central1": "abcf",
    "us-east1": "bcd",
    "us-east4": "abc",
    "us-east5": "abc",
    "us-south1": "abc",
    "us-west1": "abc",
    "us-west2": "abc",
    "us-west3": "abc",
    "us-west4": "abc",
    "northamerica-northeast1": "abc",
    "northamerica-northeast2": "abc",
    "northamerica-south1": "abc",
    "southamerica-east1": "abc",
    "southamerica-west1": "abc",
    # Europe
    "europe-central2": "abc",
    "europe-north1": "abc",
    "europe-north2": "abc",
    "europe-southwest1": "abc",
    "europe-west1": "bcd",
    "europe-west2": "abc",
    "europe-west3": "abc",
    "europe-west4": "abc",
    "europe-west6": "abc",
    "europe-west8": "abc",
    "europe-west9": "abc",
    "europe-west10": "abc",
    "europe-west12": "abc",
    # Asia Pacific
    "asia-east1": "abc",
    "asia-east2": "abc",
    "asia-northeast1": "abc",
    "asia-northeast2": "abc",
    "asia-northeast3": "abc",
    "asia-south1": "abc",
    "asia-south2": "abc",
    "asia-southeast1": "abc",
    "asia-southeast2": "abc",
    "australia-southeast1": "abc",
    "australia-southeast2": "abc",
    # Middle East and Africa
    "me-central1": "abc",
    "me-central2": "abc",
    "me-west1": "abc",
    "africa-south1": "abc",
}

REGION_RE = re.compile(r"^[a-z]+(-[a-z]+)+[0-9]+$")
ZONE_RE = re.compile(r"^([a-z]+(?:-[a-z]+)+[0-9]+)-([a-z])$")


def zones_of(region: str) -> list[str]:
    return [f"{region}-{letter}" for letter in REGIONS.get(region, "")]


def all_zones() -> list[str]:
    return [z for r in REGIONS for z in zones_of(r)]


def region_of(zone: str) -> str:
    """'us-central1-a' -> 'us-central1' (no check)."""
    return zone.rsplit("-", 1)[0]


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else ""


def check_region(region: str, where: str) -> str:
    """Return `region` if it is a known Google Cloud region, else BadInput naming `where`."""
    if not isinstance(region, str) or not REGION_RE.match(region):
        raise BadInput(f"{region!r} is not a region name (e.g. us-central1, europe-west1)", where=where)
    if region not in REGIONS:
        raise BadInput(f"unknown region {region!r}{_suggest(region, list(REGIONS))}", where=where,
                       hint="known regions: " + ", ".join(sorted(REGIONS)))
    return region


def check_zone(zone: str, where: str) -> str:
    """Return `zone` if it is a known Google Cloud zone, else BadInput naming `where`."""
    m = ZONE_RE.match(zone) if isinstance(zone, str) else None
    if not m:
        raise BadInput(f"{zone!r} is not a zone name (e.g. us-central1-a, europe-west1-b)", where=where)
    region = m.group(1)
    if region not in REGIONS:
        raise BadInput(f"unknown zone {zone!r}: unknown region {region!r}{_suggest(region, list(REGIONS))}",
                       where=where, hint="known regions: " + ", ".join(sorted(REGIONS)))
    if zone not in zones_of(region):
        raise BadInput(f"unknown zone {zone!r}; the zones of {region} are {', '.join(zones_of(region))}",
                       where=where)
    return zone
