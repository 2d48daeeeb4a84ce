"""appengine.apps.services.versions.create / get / list / patch / delete.

create checks the Version the way App Engine does before it deploys (id, runtime, instance class for
the scaling kind, one scaling kind), then the deployment manifest: every file's sourceUrl must name an
object in the emulated Cloud Storage (https://storage.googleapis.com/BUCKET/OBJECT) whose content has
the SHA1 the manifest gives, else the operation fails as App Engine's does while copying files. The
first version of a service creates the service with all traffic on it; the first service of an
application must be "default". A version still allocated traffic cannot be deleted.

get and list answer the BASIC view unless view=FULL: the FULL-only fields (deployment, envVariables,
handlers, ...) are left out, as the real API leaves them out.
"""

from __future__ import annotations

import copy
import hashlib
import re
from urllib.parse import unquote, urlsplit

from gcpkit.emulator.core.registry import handler
from gcpkit.emulator.storage import objects as gcs_objects
from gcpkit.emulator.storage.common import OBJECTS as GCS_OBJECTS

from . import operations
from .common import (
    SERVICES,
    USER,
    VERSIONS,
    GaeError,
    field_mask,
    fmt_time,
    invalid,
    load_app,
    load_service,
    page,
    service_key,
    strip_private,
    version_key,
)

_VERSION_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SERVICE_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
STANDARD_RUNTIMES = ("python39", "python310", "python311", "python312", "python313", "nodejs18", "nodejs20",
                     "nodejs22", "go121", "go122", "go123", "java17", "java21", "php82", "php83", "ruby32",
                     "ruby33")
AUTOMATIC_CLASSES = ("F1", "F2", "F4", "F4_1G")
BASIC_CLASSES = ("B1", "B2", "B4", "B4_1G", "B8")
SCALINGS = ("automaticScaling", "basicScaling", "manualScaling")
# Returned only with view=FULL (the Version schema's descriptions say so).
FULL_ONLY = ("apiConfig", "buildEnvVariables", "deployment", "envVariables", "errorHandlers", "handlers",
             "libraries", "nobuildFilesRegex")
# Settable on create; everything else in the body is output only or not emulated.
_CREATE_FIELDS = ("id", "runtime", "env", "instanceClass", *SCALINGS, "envVariables", "buildEnvVariables",
                  "handlers", "entrypoint", "deployment", "inboundServices", "threadsafe", "runtimeChannel",
                  "runtimeApiVersion", "appEngineApis", "serviceAccount", "vpcAccessConnector", "betaSettings",
                  "errorHandlers", "libraries", "defaultExpiration", "healthCheck", "readinessCheck",
                  "livenessCheck", "resources", "network")
_PATCHABLE = {"servingStatus", "instanceClass", "automaticScaling", "manualScaling", "basicScaling"}
_GCS_HOST = "storage.googleapis.com"


def render(doc: dict, view: str | None) -> dict:
    out = strip_private(doc)
    if view != "FULL":
        for field in FULL_ONLY:
            out.pop(field, None)
    return out


def version_url(app: dict, service: str, version: str) -> str:
    prefix = f"{version}-dot-" if service == "default" else f"{version}-dot-{service}-dot-"
    return f"https://{prefix}{app['defaultHostname']}"


def _check_version(body: dict) -> dict:
    version_id = body.get("id")
    if not version_id:
        raise invalid("Version.id is required.")
    if (not _VERSION_ID.match(version_id) or version_id.startswith("ah-")
            or version_id in ("default", "latest")):
        raise invalid(f"Invalid version id '{version_id}': use up to 63 lowercase letters, digits and hyphens, "
                      "not starting with 'ah-' nor named 'default' or 'latest'.")
    env = body.get("env") or "standard"
    if env not in ("standard", "flex", "flexible"):
        raise invalid(f"Invalid env '{env}': use standard or flex.")
    runtime = body.get("runtime")
    if not runtime:
        raise invalid("Version.runtime is required.")
    if env == "standard" and runtime not in STANDARD_RUNTIMES:
        raise invalid(f"Invalid runtime '{runtime}' specified. Accepted runtimes are: "
                      f"[{', '.join(STANDARD_RUNTIMES)}]")
    scalings = [s for s in SCALINGS if body.get(s) is not None]
    if len(scalings) > 1:
        raise invalid(f"Only one of automatic_scaling, basic_scaling and manual_scaling may be set, got "
                      f"{', '.join(scalings)}.")
    scaling = scalings[0] if scalings else "automaticScaling"
    classes = AUTOMATIC_CLASSES if scaling == "automaticScaling" else BASIC_CLASSES
    instance_class = body.get("instanceClass") or classes[0]
    if env == "standard" and instance_class not in classes:
        raise invalid(f"Invalid instance class '{instance_class}' for {scaling}: use one of {', '.join(classes)}.")
    settings = (body.get("automaticScaling") or {}).get("standardSchedulerSettings") or {}
    low, high = settings.get("minInstances"), settings.get("maxInstances")
    if low is not None and high is not None and 0 < high < low:
        raise invalid(f"max_instances ({high}) must be greater than or equal to min_instances ({low}).")
    target = settings.get("targetCpuUtilization")
    if target is not None and not 0.5 <= target <= 0.95:
        raise invalid(f"target_cpu_utilization must be between 0.5 and 0.95, got {target}.")
    doc = {k: copy.deepcopy(body[k]) for k in _CREATE_FIELDS if body.get(k) is not None}
    doc.update(env=env, instanceClass=instance_class)
    if not scalings and env == "standard":
        doc["automaticScaling"] = {}
    return doc


def _gcs_object(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url or "")
    if parts.scheme != "https" or parts.netloc != _GCS_HOST:
        return None
    bucket, _, name = parts.path.lstrip("/").partition("/")
    return (bucket, unquote(name)) if bucket and name else None


def _copy_errors(ctx, files: dict) -> tuple[dict | None, int]:
    """(google.rpc.Status of the failed copy, or None; total bytes) for a deployment.files manifest."""
    missing, mismatched, total = [], [], 0
    for path, info in sorted(files.items()):
        url = (info or {}).get("sourceUrl") or ""
        where = _gcs_object(url)
        doc = ctx.store.get(GCS_OBJECTS, gcs_objects.live_key(*where)) if where else None
        if doc is None:
            missing.append(f"Error copying file from GCS: {url} (locally {path}).")
            continue
        data = gcs_objects.read_bytes(ctx, doc)
        total += len(data)
        claimed = (info.get("sha1Sum") or "").lower()
        actual = hashlib.sha1(data).hexdigest()
        if claimed and claimed != actual:
            mismatched.append(f"{path}: the manifest says sha1 {claimed}, {url} has sha1 {actual}.")
    if missing:
        return {"code": 2, "message": "The following errors occurred while copying files to App Engine:\n"
                + "\n".join(missing)}, total
    if mismatched:
        return {"code": 3, "message": "Checksums do not match:\n" + "\n".join(mismatched)}, total
    return None, total


@handler("appengine.apps.services.versions.create")
def create(ctx, req):
    app_id, service = req.params["appsId"], req.params["servicesId"]
    if not _SERVICE_ID.match(service):
        raise invalid(f"Invalid service id '{service}'.")
    body = req.body or {}
    doc = _check_version(body)
    deployment = body.get("deployment") or {}
    if not (deployment.get("files") or deployment.get("zip") or deployment.get("container")):
        raise invalid("Deployment must contain files, a zip or a container image.")
    with ctx.store.transaction():
        app = load_app(ctx, app_id)
        version_id = doc["id"]
        name = f"apps/{app_id}/services/{service}/versions/{version_id}"
        if ctx.store.get(VERSIONS, version_key(app_id, service, version_id)) is not None:
            raise GaeError(409, "ALREADY_EXISTS", f"Version {name} already exists.")
        existing = ctx.store.get(SERVICES, service_key(app_id, service))
        if existing is None and service != "default" and ctx.store.get(SERVICES, service_key(app_id, "default")) is None:
            raise invalid("The first service (module) you upload to a new application must be the 'default' "
                          "service (module).")
        error, size = _copy_errors(ctx, deployment.get("files") or {})
        error = error or operations.injected_error(ctx, req)
        now = ctx.clock.now()
        doc.update(name=name, id=version_id, servingStatus="SERVING", createTime=fmt_time(now), createdBy=USER,
                   diskUsageBytes=str(size), versionUrl=version_url(app, service, version_id))
        doc.setdefault("runtimeChannel", "default")
        if error is None:
            ctx.store.put(VERSIONS, version_key(app_id, service, version_id), doc)
            if existing is None:  # the first version of a service takes all its traffic
                ctx.store.put(SERVICES, service_key(app_id, service), {
                    "name": f"apps/{app_id}/services/{service}", "id": service,
                    "split": {"allocations": {version_id: 1.0}}})
        return operations.start(ctx, app_id, "Versions.CreateVersion", name, "versions", "create",
                                response=render(doc, "FULL"), response_type="Version", error=error)


def _load_version(ctx, app_id: str, service: str, version: str) -> dict:
    load_service(ctx, app_id, service)
    doc = ctx.store.get(VERSIONS, version_key(app_id, service, version))
    if doc is None:
        raise GaeError(404, "NOT_FOUND", f"Version not found: apps/{app_id}/services/{service}/versions/{version}")
    return doc


@handler("appengine.apps.services.versions.get")
def get(ctx, req):
    p = req.params
    return render(_load_version(ctx, p["appsId"], p["servicesId"], p["versionsId"]), p.get("view"))


@handler("appengine.apps.services.versions.list")
def list_(ctx, req):
    p = req.params
    app_id, service = p["appsId"], p["servicesId"]
    load_service(ctx, app_id, service)
    versions = ctx.store.list(VERSIONS, f"{app_id}/{service}/")
    items, token = page(versions, p.get("pageSize"), p.get("pageToken"), key=lambda v: v["id"])
    out: dict = {}
    if items:
        out["versions"] = [render(v, p.get("view")) for v in items]
    if token:
        out["nextPageToken"] = token
    return out


@handler("appengine.apps.services.versions.patch")
def patch(ctx, req):
    p = req.params
    app_id, service, version = p["appsId"], p["servicesId"], p["versionsId"]
    mask = field_mask(req, _PATCHABLE)
    body = req.body or {}
    with ctx.store.transaction():
        doc = _load_version(ctx, app_id, service, version)
        for field in mask:
            value = body.get(field)
            if field == "servingStatus" and value not in ("SERVING", "STOPPED"):
                raise invalid(f"Invalid serving status '{value}': set SERVING or STOPPED.")
            if field in SCALINGS and field not in doc:
                raise invalid(f"Cannot change {field}: the version was deployed with another scaling kind.")
            doc[field] = copy.deepcopy(value)
        ctx.store.put(VERSIONS, version_key(app_id, service, version), doc)
    return operations.start(ctx, app_id, "Versions.UpdateVersion", doc["name"], "versions", "patch",
                            response=render(doc, "FULL"), response_type="Version")


@handler("appengine.apps.services.versions.delete")
def delete(ctx, req):
    p = req.params
    app_id, service, version = p["appsId"], p["servicesId"], p["versionsId"]
    with ctx.store.transaction():
        doc = _load_version(ctx, app_id, service, version)
        split = ctx.store.get(SERVICES, service_key(app_id, service)).get("split") or {}
        if (split.get("allocations") or {}).get(version):
            raise invalid("Cannot delete a version with a non-zero traffic allocation. Please update your traffic "
                          "split to remove the allocation for this version and try again.")
        ctx.store.delete(VERSIONS, version_key(app_id, service, version))
    return operations.start(ctx, app_id, "Versions.DeleteVersion", doc["name"], "versions", "delete")
