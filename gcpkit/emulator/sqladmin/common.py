"""What every Cloud SQL Admin handler shares: store collections and keys, time, links, Cloud SQL's
error wording (copied from the recordings in gcp-golden/sql--*.http.log where they show it), and
paging. All state lives in ctx.store (several emulator processes may share one SQLite file):
progressions are computed from stored timestamps, never kept in memory.
"""

from __future__ import annotations

import base64
import hashlib

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.formats import rfc3339_millis

API = "sqladmin"
LINK_BASE = "https://sqladmin.googleapis.com/v1/"

# Store collections. Children of an instance are keyed "<project>/<instance>/..." so they list by prefix.
INSTANCES = "sqladmin/instances"  # key: project/instance
TOMBSTONES = "sqladmin/deletedNames"  # key: project/instance -> {"reusableAt": epoch}
DATABASES = "sqladmin/databases"  # key: project/instance/database
USERS = "sqladmin/users"  # key: project/instance/<host>\t<name>
OPERATIONS = "sqladmin/operations"  # key: project/<operation name>

# Who the emulator says started an operation (the real API names the caller's account).
USER = "user@example.com"


# ---- errors ------------------------------------------------------------------------------------
# Cloud SQL's own errors (instanceDoesNotExist, instanceAlreadyExists, operationInProgress...) come
# without "status" in the recordings; the generic front-end ones (database 404) carry it.

def instance_not_found() -> ApiError:
    return ApiError(404, "instanceDoesNotExist", "The Cloud SQL instance does not exist.")


def instance_exists() -> ApiError:
    return ApiError(409, "instanceAlreadyExists", "The Cloud SQL instance already exists.")


def name_not_reusable() -> ApiError:
    return ApiError(409, "instanceAlreadyExists",
                    "The Cloud SQL instance already exists. When you delete an instance, you can't reuse the name "
                    "of the deleted instance until one week from the deletion date.")


def in_progress() -> ApiError:
    return ApiError(409, "operationInProgress", "Operation failed because another operation was already in "
                    "progress. Try your request after the current operation is complete.")


def not_found() -> ApiError:
    """Databases and users that do not exist (gcp-golden/sql--sqldatabasebasic.http.log)."""
    return ApiError(404, "notFound", "Not Found", with_status=True)


def operation_not_found() -> ApiError:
    return ApiError(404, "operationDoesNotExist", "The Cloud SQL operation does not exist.")


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", f"Invalid request: {message}")


def already_exists(what: str) -> ApiError:
    return ApiError(409, "alreadyExists", f"The {what} already exists.")


# ---- time, links, ids --------------------------------------------------------------------------

fmt_time = rfc3339_millis  # Cloud SQL timestamps


def instance_link(project: str, instance: str) -> str:
    return f"{LINK_BASE}projects/{project}/instances/{instance}"


def project_number(project: str) -> str:
    """A stable 12-digit project number for a project id (the emulator has no project registry here)."""
    digest = hashlib.sha256(project.encode()).hexdigest()
    return str(100000000000 + int(digest[:12], 16) % 900000000000)


def etag(doc: dict) -> str:
    """An opaque version tag that changes whenever the rendered resource changes."""
    digest = hashlib.sha256(repr(sorted(doc.items())).encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def instance_key(project: str, instance: str) -> str:
    return f"{project}/{instance}"


def child_prefix(project: str, instance: str) -> str:
    return f"{project}/{instance}/"


# ---- paging ------------------------------------------------------------------------------------

def page(items: list, max_results: int | None, page_token: str | None, key) -> tuple[list, str | None]:
    """Items after the token's position, at most max_results of them, and the next token. `items` must be
    sorted by `key` ascending; the token is the key of the last item returned."""
    if page_token:
        try:
            after = base64.urlsafe_b64decode(page_token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise invalid(f"Invalid page token: {page_token}") from None
        items = [i for i in items if key(i) > after]
    if max_results and len(items) > max_results:
        items = items[:max_results]
        return items, base64.urlsafe_b64encode(key(items[-1]).encode()).decode()
    return items, None
