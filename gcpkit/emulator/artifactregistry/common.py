"""What the Artifact Registry handlers share: store collections, gRPC-style errors in Artifact
Registry's wording, names and time."""

from __future__ import annotations


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
