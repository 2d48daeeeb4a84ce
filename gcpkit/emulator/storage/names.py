"""Bucket and object naming rules (https://cloud.google.com/storage/docs/buckets#naming,
https://cloud.google.com/storage/docs/objects#naming) and bucket locations."""

from __future__ import annotations

import re

from .common import invalid

_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# Misspellings of "google" Google rejects too.
_GOOGLE = re.compile(r"g[o0][o0]g[l1]e")

MULTI_REGIONS = {"US", "EU", "ASIA"}
DUAL_REGIONS = {"NAM4", "EUR4", "ASIA1", "EUR5", "EUR7", "EUR8", "NAM7", "NAM8"}
_REGION = re.compile(r"^[A-Z]+(-[A-Z]+)+[0-9]+$")

STORAGE_CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL",
                   "DURABLE_REDUCED_AVAILABILITY")


def bucket_name_problem(name: str) -> bool:
    """True if `name` breaks a bucket naming rule."""
    if not isinstance(name, str) or not _BUCKET_CHARS.match(name):
        return True
    if "." in name:
        # a dotted name is a DNS name: each label 1-63 characters, starting and ending alphanumeric
        if len(name) > 222 or any(not 1 <= len(part) <= 63 or not (part[0].isalnum() and part[-1].isalnum())
                                  for part in name.split(".")):
            return True
        if _IPV4.match(name):
            return True
    elif not 3 <= len(name) <= 63:
        return True
    if len(name) < 3:
        return True
    return name.startswith("goog") or bool(_GOOGLE.search(name))


def check_bucket_name(name) -> None:
    if bucket_name_problem(name):
        raise invalid(f"Invalid bucket name: '{name}'")


def check_object_name(name) -> None:
    if not isinstance(name, str) or not name:
        raise invalid("The specified object name is not valid.")  # required is checked by the caller
    encoded = name.encode("utf-8", "surrogatepass")
    if len(encoded) > 1024 or name in (".", "..") or "\r" in name or "\n" in name \
            or name.startswith(".well-known/acme-challenge/"):
        raise invalid("The specified object name is not valid.")


def location_type(location: str) -> str | None:
    """"multi-region" | "dual-region" | "region", or None if the location is unknown."""
    if location in MULTI_REGIONS:
        return "multi-region"
    if location in DUAL_REGIONS:
        return "dual-region"
    if _REGION.match(location):
        return "region"
    return None


def check_location(location) -> tuple[str, str]:
    loc = location.upper() if isinstance(location, str) else ""
    kind = location_type(loc)
    if kind is None:
        raise invalid("The specified location constraint is not valid.")
    return loc, kind


def check_storage_class(value) -> str:
    if not isinstance(value, str) or value.upper() not in STORAGE_CLASSES:
        raise invalid(f"Invalid argument. The storage class '{value}' is not valid.")
    return value.upper()
