"""Who may call what, for an emulator that requires authentication. A deliberately small model:

- The permission a method needs is derived from its discovery id: the API's IAM service name, the
  resource collection and the verb, with Google's verb names (compute.instances.insert ->
  compute.instances.create, sql.instances.patch -> cloudsql.instances.update,
  secretmanager.projects.secrets.versions.access -> secretmanager.versions.access).
- A caller's access to a project comes only from the project's IAM policy in the emulated Resource
  Manager (bindings with a condition grant nothing here):
  roles/owner grants every permission; roles/editor every one except changing IAM policies,
  deleting or undeleting the project and reading secret payloads (as on GCP); roles/viewer the get
  and list permissions (no secret payloads); roles/SERVICE.admin every SERVICE.* permission.
- Public image projects (debian-cloud...) let any authenticated caller read their images.
- A request that names no project (Resource Manager's projects.search, a bucket that does not
  exist) needs only a valid credential; a bucket's project is the one that created it.

Denials use each API's own wording (see the comments on `denied`).
"""

from __future__ import annotations

import re

from gcpkit.emulator.core.errors import ApiError

IAM_SERVICE = {"sql": "cloudsql", "cloudresourcemanager": "resourcemanager", "firestore": "datastore",
               "appengine": "appengine"}
COLLECTION = {("appengine", "apps"): "applications"}
VERB = {"insert": "create", "patch": "update", "aggregatedList": "list", "wait": "get", "search": "list"}
SPECIAL = {"secretmanager.projects.secrets.addVersion": "secretmanager.versions.add"}
_SKIPPED_SEGMENTS = {"projects", "locations", "zones", "regions"}
EDITOR_EXCLUDED = re.compile(r"(\.setIamPolicy|^resourcemanager\.projects\.(delete|undelete)|"
                             r"^secretmanager\.versions\.access)$")


def permission_for(method_id: str) -> str:
    """compute.instances.insert -> compute.instances.create (see the module docstring)."""
    if method_id in SPECIAL:
        return SPECIAL[method_id]
    parts = method_id.split(".")
    api, verb = parts[0], parts[-1]
    collections = [p for p in parts[1:-1] if p not in _SKIPPED_SEGMENTS] or parts[1:-1]
    collection = collections[-1] if collections else api
    collection = COLLECTION.get((api, collection), collection)
    return f"{IAM_SERVICE.get(api, api)}.{collection}.{VERB.get(verb, verb)}"


def role_grants(role: str, permission: str) -> bool:
    if role == "roles/owner":
        return True
    if role == "roles/editor":
        return not EDITOR_EXCLUDED.search(permission)
    if role == "roles/viewer":
        return permission.rsplit(".", 1)[1] in ("get", "list") and not EDITOR_EXCLUDED.search(permission)
    if role.startswith("roles/") and role.endswith(".admin"):
        return permission.startswith(role[len("roles/"):-len(".admin")] + ".")
    return False


def allowed(store, member: str, project: str, permission: str) -> bool:
    from gcpkit.emulator.resourcemanager.common import POLICIES

    policy = store.get(POLICIES, f"projects/{project}") or {}
    return any(member in b.get("members", ()) and not b.get("condition") and role_grants(b["role"], permission)
               for b in policy.get("bindings", ()))


def is_public_read(project: str, permission: str) -> bool:
    from gcpkit.emulator.compute.catalog import PUBLIC_IMAGES

    return project in PUBLIC_IMAGES and permission in ("compute.images.get", "compute.images.list",
                                                       "compute.images.getFromFamily")


_PROJECT_IN_NAME = re.compile(r"^projects/([^/]+)")


def project_of(store, api: str, params: dict, query: list[tuple[str, str]]) -> str | None:
    """The project id a request acts on, or None when it names none."""
    project = params.get("project") or next((v for k, v in query if k == "project"), None)
    if not project:
        for key in ("name", "parent", "resource", "projectsId", "appsId"):
            value = params.get(key)
            if isinstance(value, str):
                match = _PROJECT_IN_NAME.match(value)
                project = match.group(1) if match else (value if key in ("projectsId", "appsId") else None)
                if project:
                    break
    if not project and api == "storage" and params.get("bucket"):
        from gcpkit.emulator.storage.common import BUCKETS

        bucket = store.get(BUCKETS, str(params["bucket"]))
        project = (bucket.get("_project") or bucket.get("projectNumber")) if bucket else None
    if project and str(project).isdigit():
        project = _project_id_of_number(store, str(project))
    return project or None


def _project_id_of_number(store, number: str) -> str:
    """Project numbers resolve through Resource Manager's project records (a project gets one when
    Resource Manager first sees it, or when a key is minted with a role on it)."""
    from gcpkit.emulator.resourcemanager.lifecycle import find_project

    doc = find_project(store, number)
    return doc["projectId"] if doc is not None else number


def denied(api: str, permission: str, resource: str, caller: str, *, bucket: bool = False) -> ApiError:
    """A 403 in the API's own wording."""
    if api == "compute":  # e.g. "Required 'compute.zones.get' permission for 'projects/p/zones/us-central1-a'"
        return ApiError(403, "forbidden", f"Required '{permission}' permission for '{resource}'")
    if api == "storage":
        what = "the Google Cloud Storage bucket" if bucket else "the Google Cloud project"
        return ApiError(403, "forbidden", f"{caller} does not have {permission} access to {what}. "
                        f"Permission '{permission}' denied on resource (or it may not exist).")
    if api == "cloudresourcemanager":  # recorded: gcp-golden/resourcemanager--projectinorg.http.log
        from gcpkit.emulator.resourcemanager.common import denied as rm_denied

        return rm_denied()
    if api == "sqladmin":
        return ApiError(403, "notAuthorized", "The client is not authorized to make this request.",
                        with_status=True)
    # The gRPC-first APIs (Secret Manager, IAM, GKE, ...): IAM's wording and an ErrorInfo naming both.
    domain = f"{IAM_SERVICE.get(api, api)}.googleapis.com"
    return _GrpcDenied(f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
                       [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED",
                         "domain": domain, "metadata": {"permission": permission, "resource": resource}}])


class _GrpcDenied(ApiError):
    def __init__(self, message: str, details: list):
        super().__init__(403, "forbidden", message, status="PERMISSION_DENIED", details=details)

    def to_body(self) -> dict:
        body = super().to_body()
        body["error"].pop("errors", None)
        return body
