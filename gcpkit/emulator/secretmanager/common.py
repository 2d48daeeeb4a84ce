"""What every Secret Manager handler shares: store collections, the gRPC-style error body, names.

Resources are keyed by project NUMBER (Secret Manager answers names as projects/<number>/...),
so a client may address them by project id or number. Payloads live in their own collection,
read only by versions.access: nothing else (listing, logging, errors) ever sees them.
"""

from __future__ import annotations

import re
import uuid

from gcpkit.emulator.core.errors import GrpcError
from gcpkit.emulator.core.formats import rfc3339_micros
from gcpkit.emulator.resourcemanager.lifecycle import is_active, project_number

SECRETS = "secretmanager/secrets"  # key: "<number>/<secret>"
VERSIONS = "secretmanager/versions"  # key: "<number>/<secret>/<version, zero-padded>"
PAYLOADS = "secretmanager/payloads"  # same keys as VERSIONS; deleted when a version is destroyed
POLICIES = "secretmanager/policies"  # key: "<number>/<secret>"

_SECRET_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class SmError(GrpcError):
    """{"error": {"code", "message", "status"}}: Secret Manager is a gRPC-first API."""


def invalid(message: str) -> SmError:
    return SmError(400, "INVALID_ARGUMENT", message)


def failed_precondition(message: str) -> SmError:
    return SmError(400, "FAILED_PRECONDITION", message)


fmt_time = rfc3339_micros


def new_etag() -> str:
    return f'"{uuid.uuid4().hex[:14]}"'


def split(name: str, parts: int) -> list[str]:
    """"projects/P/secrets/S[/versions/V]" -> [P, S[, V]]; 400 if malformed."""
    segments = name.split("/")
    labels = ["projects", "secrets", "versions"][:parts]
    if len(segments) != 2 * parts or segments[0::2] != labels or not all(segments[1::2]):
        raise invalid(f"The provided name is invalid: {name}")
    return segments[1::2]


def resolve_project(ctx, project: str) -> str:
    """The number under which `project` (id or number) keeps its secrets; a deleted project's secrets
    are unreachable (403, as for any resource of a project in DELETE_REQUESTED)."""
    if not is_active(ctx.store, project):
        raise SmError(403, "PERMISSION_DENIED", f"Project {project} has been deleted.")
    if project.isdigit():
        return project
    return project_number(project)


def check_secret_id(secret_id) -> None:
    if not isinstance(secret_id, str) or not _SECRET_ID.match(secret_id):
        raise invalid(f"The provided Secret ID [{secret_id or ''}] does not match the expected format "
                      "[[a-zA-Z_0-9-]+] or is longer than 255 characters.")


def secret_key(number: str, secret: str) -> str:
    return f"{number}/{secret}"


def version_key(number: str, secret: str, version: int) -> str:
    return f"{number}/{secret}/{version:010d}"


def secret_not_found(number: str, secret: str) -> SmError:
    return SmError(404, "NOT_FOUND", f"Secret [projects/{number}/secrets/{secret}] not found or has no versions.")


def load_secret(ctx, project: str, secret: str) -> tuple[str, dict]:
    number = resolve_project(ctx, project)
    doc = ctx.store.get(SECRETS, secret_key(number, secret))
    if doc is None:
        raise secret_not_found(number, secret)
    return number, doc


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def check_etag(doc: dict, etag) -> None:
    if etag and etag != doc["etag"]:
        raise SmError(409, "ABORTED", f"The etag provided in the request does not match the current etag of "
                      f"[{doc['name']}].")
