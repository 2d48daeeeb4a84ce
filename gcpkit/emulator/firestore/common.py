"""What the Firestore Admin handlers share: store collections, gRPC-style errors (no legacy "errors"
array, as gcp-golden/firestore--firestoredatabase-minimal.http.log shows), time and names."""

from __future__ import annotations

import base64
import hashlib

from gcpkit.emulator.core.errors import GrpcError
from gcpkit.emulator.core.formats import rfc3339_micros, split_name

API = "firestore"
ADMIN = "type.googleapis.com/google.firestore.admin.v1."
DATABASES = "firestore/databases"  # key: project/database
OPERATIONS = "firestore/operations"  # key: project/database/operation


class FirestoreError(GrpcError):
    """{"error": {"code", "message", "status"}}: Firestore Admin is a gRPC-first API."""


def invalid(message: str) -> FirestoreError:
    return FirestoreError(400, "INVALID_ARGUMENT", message)


def failed_precondition(message: str) -> FirestoreError:
    return FirestoreError(400, "FAILED_PRECONDITION", message)


def database_not_found(project: str, database: str) -> FirestoreError:
    return FirestoreError(404, "NOT_FOUND", f"Project '{project}' or database '{database}' does not exist.")


def already_exists() -> FirestoreError:
    return FirestoreError(409, "ALREADY_EXISTS", "Database already exists. Please use another database_id")


def split(name: str, kinds: tuple[str, ...]) -> list[str]:
    return split_name(name, kinds, invalid)


fmt_time = rfc3339_micros


def etag(doc: dict) -> str:
    digest = hashlib.sha256(repr(sorted((k, repr(v)) for k, v in doc.items())).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}
