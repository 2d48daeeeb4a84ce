"""iam.projects.serviceAccounts.getIamPolicy / setIamPolicy: who may act as a service account
(roles/iam.serviceAccountUser, roles/iam.workloadIdentityUser for
serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA] members, ...). Etag-checked and atomic."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from . import policy
from .common import POLICIES, find_account


@handler("iam.projects.serviceAccounts.getIamPolicy")
def get_iam_policy(ctx, req):
    _, doc = find_account(ctx, req.params["resource"])
    return policy.render(ctx.store.get(POLICIES, doc["email"]))


@handler("iam.projects.serviceAccounts.setIamPolicy")
def set_iam_policy(ctx, req):
    with ctx.store.transaction():
        _, doc = find_account(ctx, req.params["resource"])
        new = policy.apply_set(ctx.store.get(POLICIES, doc["email"]), req.body, ctx=ctx)
        ctx.store.put(POLICIES, doc["email"], new)
    return policy.render(new)
