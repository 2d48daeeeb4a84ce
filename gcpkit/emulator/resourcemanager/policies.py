"""cloudresourcemanager.projects.getIamPolicy / setIamPolicy: an etag-checked read-modify-write,
atomic in one store transaction (a stale etag fails 409 ABORTED, as on GCP)."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler
from gcpkit.emulator.iam import policy as iam_policy

from .common import POLICIES, RmError, project_id_of, touch_project


def _key(project: dict) -> str:
    return f"projects/{project['projectId']}"


@handler("cloudresourcemanager.projects.getIamPolicy")
def get_iam_policy(ctx, req):
    project = touch_project(ctx, project_id_of(req.params["resource"]))
    return iam_policy.render(ctx.store.get(POLICIES, _key(project)))


@handler("cloudresourcemanager.projects.setIamPolicy")
def set_iam_policy(ctx, req):
    with ctx.store.transaction():
        project = touch_project(ctx, project_id_of(req.params["resource"]))
        if project["state"] != "ACTIVE":
            raise RmError(400, "FAILED_PRECONDITION", f"Project {project['projectId']} is in state "
                          f"{project['state']}.")
        new = iam_policy.apply_set(ctx.store.get(POLICIES, _key(project)), req.body, errors_list=False, ctx=ctx)
        ctx.store.put(POLICIES, _key(project), new)
    return iam_policy.render(new)
