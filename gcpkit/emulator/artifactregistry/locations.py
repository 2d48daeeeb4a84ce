"""artifactregistry.projects.locations.list/get: where repositories may live.

The emulator's Compute regions (compute/catalog.py), each named after a nearby place as Google does,
and the multi-regions Artifact Registry offers (asia, europe, us). list pages by locationId and takes
the AIP-160 equality filters `name=`, `locationId=` and `displayName=` joined by AND.
"""

from __future__ import annotations

import re

from gcpkit.emulator.compute.catalog import REGIONS
from gcpkit.emulator.core.formats import token_page
from gcpkit.emulator.core.registry import handler

from .common import RegistryError, invalid, parse_filter, split

# Where Google's regions are (a region added to the catalog without one shows its id).
DISPLAY_NAMES = {
    "asia-east1": "Taiwan", "asia-northeast1": "Tokyo", "asia-northeast2": "Osaka", "asia-southeast1": "Singapore",
    "australia-southeast1": "Sydney", "europe-north1": "Finland", "europe-west1": "Belgium",
    "europe-west2": "London", "europe-west3": "Frankfurt", "europe-west4": "Netherlands", "us-central1": "Iowa",
    "us-east1": "South Carolina", "us-east4": "Northern Virginia", "us-west1": "Oregon", "us-west2": "Los Angeles",
}
MULTI_REGIONS = {"asia": "Asia", "europe": "Europe", "us": "United States"}
_TERM = re.compile(r'^(?P<field>name|locationId|displayName)\s*=\s*(?P<value>"[^"]*"|\S+)$')


def location_ids() -> list[str]:
    return sorted(set(REGIONS) | set(MULTI_REGIONS))


def location_doc(project: str, location: str) -> dict:
    return {"name": f"projects/{project}/locations/{location}", "locationId": location,
            "displayName": MULTI_REGIONS.get(location) or DISPLAY_NAMES.get(location, location)}


@handler("artifactregistry.projects.locations.list")
def list_(ctx, req):
    p = req.params
    (project,) = split(p["name"], ("projects",))
    terms = parse_filter(p.get("filter") or "", _TERM, "name=, locationId= and displayName= terms")
    docs = [d for d in (location_doc(project, loc) for loc in location_ids())
            if all(d[field] == value for field, value in terms)]
    page, token = token_page(docs, p.get("pageSize"), p.get("pageToken"), lambda d: d["locationId"],
                             default=1000, maximum=1000, invalid=invalid)
    out: dict = {"locations": page} if page else {}
    if token:
        out["nextPageToken"] = token
    return out


@handler("artifactregistry.projects.locations.get")
def get(ctx, req):
    project, location = split(req.params["name"], ("projects", "locations"))
    if location not in REGIONS and location not in MULTI_REGIONS:
        raise RegistryError(404, "NOT_FOUND", f"Location {location} is not found or access is unauthorized.")
    return location_doc(project, location)
