"""secretmanager.projects.secrets.getIamPolicy / setIamPolicy (e.g. roles/secretmanager.secretAccessor
for one workload's service account). Etag-checked and atomic; a stale etag fails 409 ABORTED."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler
from gcpkit.emulator.iam import policy

from .common import POLICIES, load_secret, secret_key, split


@handler("secretmanager.projects.secrets.getIamPolicy")
def get_iam_policy(ctx, req):
    project, secret = split(req.params["resource"], 2)
    number, _ = load_secret(ctx, project, secret)
    return policy.render(ctx.store.get(POLICIES, secret_key(number, secret)))


@handler("secretmanager.projects.secrets.setIamPolicy")
def set_iam_policy(ctx, req):
    project, secret = split(req.params["resource"], 2)
    with ctx.store.transaction():
        number, _ = load_secret(ctx, project, secret)
        new = policy.apply_set(ctx.store.get(POLICIES, secret_key(number, secret)), req.body, errors_list=False, ctx=ctx)
        ctx.store.put(POLICIES, secret_key(number, secret), new)
    return policy.render(new)
