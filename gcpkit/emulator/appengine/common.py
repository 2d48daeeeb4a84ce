"""What every App Engine Admin handler shares: store collections, App Engine's gRPC-style errors, names,
locations and their hostname codes, time and paging.

An application is keyed by its id (the project id); its services and versions are keyed under it, so
they list by prefix. All state lives in ctx.store (several emulator processes may share one file).
"""

from __future__ import annotations


from gcpkit.emulator.core.errors import GrpcError
from gcpkit.emulator.core.formats import rfc3339_millis, token_page
from gcpkit.emulator.resourcemanager.lifecycle import is_active

API = "appengine"
V1 = "type.googleapis.com/google.appengine.v1."
USER = "user@example.com"  # who the emulator says created a version or started an operation

APPS = "appengine/apps"  # key: app id
SERVICES = "appengine/services"  # key: app/service
VERSIONS = "appengine/versions"  # key: app/service/version
OPERATIONS = "appengine/operations"  # key: app/<operation id>

# App Engine locations and the REGION_ID code Google puts in hostnames (ID.CODE.r.appspot.com).
# us-central and europe-west are App Engine's names for us-central1 and europe-west1.
LOCATIONS = {
    "us-central": "uc", "us-east1": "ue", "us-east4": "uk", "us-west1": "uw", "us-west2": "wl", "us-west3": "wm",
    "us-west4": "wn", "northamerica-northeast1": "nn", "southamerica-east1": "rj", "europe-west": "ew",
    "europe-west2": "nw", "europe-west3": "ey", "europe-west6": "oa", "europe-central2": "lm",
    "asia-northeast1": "an", "asia-northeast2": "dt", "asia-northeast3": "du", "asia-east1": "de",
    "asia-east2": "df", "asia-south1": "el", "asia-southeast1": "as", "asia-southeast2": "et",
    "australia-southeast1": "ts",
}


class GaeError(GrpcError):
    """{"error": {"code", "message", "status"}}: the App Engine Admin API answers like a gRPC API."""


def invalid(message: str) -> GaeError:
    return GaeError(400, "INVALID_ARGUMENT", message)


def app_not_found(app_id: str) -> GaeError:
    return GaeError(404, "NOT_FOUND", f'Could not find Application "{app_id}".')


fmt_time = rfc3339_millis


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def hostname(app: dict) -> str:
    return app["defaultHostname"]


def load_app(ctx, app_id: str) -> dict:
    """The stored application, or 404; a project being deleted has no reachable application (403)."""
    if not is_active(ctx.store, app_id):
        raise GaeError(403, "PERMISSION_DENIED", f"Project {app_id} has been deleted.")
    app = ctx.store.get(APPS, app_id)
    if app is None:
        raise app_not_found(app_id)
    return app


def service_key(app_id: str, service: str) -> str:
    return f"{app_id}/{service}"


def version_key(app_id: str, service: str, version: str) -> str:
    return f"{app_id}/{service}/{version}"


def load_service(ctx, app_id: str, service: str) -> dict:
    load_app(ctx, app_id)
    doc = ctx.store.get(SERVICES, service_key(app_id, service))
    if doc is None:
        raise GaeError(404, "NOT_FOUND", f"Service not found: apps/{app_id}/services/{service}")
    return doc


def page(items: list, page_size: int | None, token: str | None, key) -> tuple[list, str | None]:
    return token_page(items, page_size, token, key, default=100, maximum=2000, invalid=invalid)


def field_mask(req, allowed: set[str]) -> list[str]:
    mask = [f.strip() for f in (req.params.get("updateMask") or "").split(",") if f.strip()]
    if not mask:
        raise invalid("update_mask must be specified.")
    for field in mask:
        if field not in allowed:
            raise invalid(f"Field mask contains a field that cannot be updated: {field} "
                          f"(updatable: {', '.join(sorted(allowed))}).")
    return mask
