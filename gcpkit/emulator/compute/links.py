"""Resource references: parse every form GCP accepts, normalise to the relative path
("projects/p/global/networks/n") used as store key, and render full selfLinks."""

from __future__ import annotations

import re

from gcpkit.emulator.core.errors import invalid

API = "https://www.googleapis.com/compute/v1/"
_PREFIX = re.compile(r"^(?:https?://[^/]+)?/?compute/(?:v1|beta|alpha)/")
_NAME = r"[a-z0-9](?:[-a-z0-9_.]{0,61}[a-z0-9])?"


def full(rel: str) -> str:
    return API + rel


def relative(link: str) -> str:
    """Strip the host/version prefix of a compute URL (no validation)."""
    return _PREFIX.sub("", link or "").strip("/")


def scope_path(project: str, zone: str | None = None, region: str | None = None) -> str:
    if zone:
        return f"projects/{project}/zones/{zone}"
    if region:
        return f"projects/{project}/regions/{region}"
    return f"projects/{project}/global"


def key(project: str, collection: str, name: str, zone: str | None = None, region: str | None = None) -> str:
    return f"{scope_path(project, zone, region)}/{collection}/{name}"


def parse_ref(value: str, project: str, collection: str, *, field: str,
              zone: str | None = None, region: str | None = None, scope: str = "global") -> str:
    """Normalise a reference to `collection` into its relative path.

    scope: "global", "zone" or "region": where a bare name or a short form lives by default.
    Raises 400 invalid when the value is not a URL of that collection."""
    v = (value or "").strip()
    rel = relative(v)
    parts = rel.split("/") if rel else []
    if len(parts) == 1:  # bare name
        if scope == "zone" and zone:
            rel = key(project, collection, rel, zone=zone)
        elif scope == "region" and region:
            rel = key(project, collection, rel, region=region)
        elif scope == "global":
            rel = key(project, collection, rel)
    elif parts and parts[0] in ("global", "zones", "regions"):
        rel = f"projects/{project}/{rel}"
    p = rel.split("/")
    ok = False
    if len(p) >= 5 and p[0] == "projects":
        if p[2] == "global" and len(p) == 5:
            ok = p[3] == collection
        elif p[2] == "global" and len(p) == 6 and p[3] == "images" and p[4] == "family":
            ok = collection == "images"
        elif p[2] in ("zones", "regions") and len(p) == 6:
            ok = p[4] == collection
    if not ok:
        raise invalid(f"Invalid value for field '{field}': '{value}'. The URL is malformed.")
    return rel


def parse_scope_name(value: str | None) -> str | None:
    """'projects/p/global/zones/us-west1-a', full zone URL, or bare -> 'us-west1-a'."""
    if not value:
        return None
    return relative(value).rstrip("/").split("/")[-1]


def parts(rel: str) -> dict:
    """Split a relative path into project / zone / region / collection / name."""
    p = rel.split("/")
    out = {"project": p[1], "zone": None, "region": None}
    if p[2] == "zones":
        out["zone"] = p[3]
    elif p[2] == "regions":
        out["region"] = p[3]
    out["collection"] = p[-2]
    out["name"] = p[-1]
    return out
