"""What the Artifact Registry handlers share: store collections, gRPC-style errors in Artifact
Registry's wording, names and time."""

from __future__ import annotations

import re

from gcpkit.emulator.core.errors import GrpcError
from gcpkit.emulator.core.formats import rfc3339_micros, split_name

API = "artifactregistry"
V1 = "type.googleapis.com/google.devtools.artifactregistry.v1."
REPOSITORIES = "artifactregistry/repositories"  # key: project/location/repository
OPERATIONS = "artifactregistry/operations"  # key: project/location/operation


class RegistryError(GrpcError):
    """{"error": {"code", "message", "status"}}: Artifact Registry is a gRPC-first API."""


def invalid(message: str) -> RegistryError:
    return RegistryError(400, "INVALID_ARGUMENT", message)


def not_found() -> RegistryError:
    return RegistryError(404, "NOT_FOUND", "Requested entity was not found.")


def already_exists() -> RegistryError:
    return RegistryError(409, "ALREADY_EXISTS", "the repository already exists")


def split(name: str, kinds: tuple[str, ...]) -> list[str]:
    return split_name(name, kinds, invalid)


fmt_time = rfc3339_micros


def parse_filter(text: str, term: re.Pattern, supported: str) -> list[tuple[str, str | None]]:
    """AIP-160 terms joined by AND, each matched by `term` (groups `field` and, if given, `value`):
    [(field, value without quotes, or None)]; anything else is a 400 naming what is `supported`."""
    terms = []
    for token in re.split(r"\s+AND\s+", text.strip()) if text and text.strip() else []:
        m = term.match(token.strip())
        if m is None:
            raise invalid(f"Invalid filter: {text!r}. Supported: {supported} joined by AND.")
        value = m.group("value")
        terms.append((m.group("field"), value.strip('"') if value is not None else None))
    return terms
