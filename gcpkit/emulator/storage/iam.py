"""storage.buckets.getIamPolicy / setIamPolicy / testIamPermissions.

A bucket's policy shares the bucket's metageneration: setting it makes a new metageneration, and the
policy's etag is the bucket's etag (as on Google). A set with a stale etag fails 412.
"""

from __future__ import annotations

import re

from gcpkit.emulator.core.registry import handler

from . import buckets
from .common import BUCKET_IAM, error, invalid, precondition_failed

KIND = "storage#policy"
_MEMBER = re.compile(r"^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|deleted:user|"
                     r"deleted:serviceAccount|deleted:group):[^\s:]+|(projectOwner|projectEditor|projectViewer):"
                     r"[a-z0-9:.-]+|principal(Set)?://\S+)$")
_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|projects/[^/]+/roles/[A-Za-z0-9_.]+"
                   r"|organizations/\d+/roles/[A-Za-z0-9_.]+)$")
_PERMISSION = re.compile(r"^storage\.[a-zA-Z]+\.[a-zA-Z]+$")


def _default_bindings(project: str) -> list[dict]:
    return [
        {"role": "roles/storage.legacyBucketOwner", "members": [f"projectEditor:{project}", f"projectOwner:{project}"]},
        {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]},
    ]


def _render(ctx, bucket: dict) -> dict:
    stored = ctx.store.get(BUCKET_IAM, bucket["name"])
    policy = stored or {"version": 1, "bindings": _default_bindings(bucket["_project"])}
    out = {"kind": KIND, "resourceId": f"projects/_/buckets/{bucket['name']}", "version": policy["version"],
           "etag": bucket["etag"], "bindings": policy["bindings"]}
    return out


@handler("storage.buckets.getIamPolicy")
def get_policy(ctx, req):
    bucket = buckets.load(ctx, req.params["bucket"])
    return _render(ctx, bucket)


@handler("storage.buckets.setIamPolicy")
def set_policy(ctx, req):
    body = req.body or {}
    bindings = body.get("bindings") or []
    version = int(body.get("version") or 1)
    if version not in (1, 3):
        raise invalid(f"Invalid policy version {version}: the supported versions are 1 and 3.")
    seen: dict[tuple, dict] = {}
    for binding in bindings:
        role = binding.get("role") or ""
        if not _ROLE.match(role):
            raise invalid(f"Role {role} is not a valid role.") if role else invalid("A binding has no role.")
        members = binding.get("members") or []
        for member in members:
            if not _MEMBER.match(member):
                raise invalid(f"Invalid argument: member '{member}' of role {role}.")
        if binding.get("condition") and version < 3:
            raise invalid("Conditions in a policy require version 3.")
        key = (role, repr(binding.get("condition")))
        if key in seen:  # Google merges bindings of the same role and condition
            merged = seen[key]
            merged["members"] = sorted(set(merged["members"]) | set(members))
        else:
            seen[key] = {k: v for k, v in binding.items() if k in ("role", "members", "condition")}
            seen[key]["members"] = sorted(set(members))
    clean = [b for b in seen.values() if b["members"]]
    with ctx.store.transaction():
        bucket = buckets.load(ctx, req.params["bucket"])
        if body.get("etag") and body["etag"] != bucket["etag"]:
            raise precondition_failed()
        public = {"allUsers", "allAuthenticatedUsers"}
        if bucket["iamConfiguration"]["publicAccessPrevention"] == "enforced" and any(
                public & set(b["members"]) for b in clean):
            raise error(412, "conditionNotMet", "The member bindings allUsers and allAuthenticatedUsers are not "
                        "allowed since public access prevention is enforced.")
        if bucket["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is False and any(
                b.get("condition") for b in clean):
            raise invalid("IAM conditions require uniform bucket-level access to be enabled on the bucket.")
        ctx.store.put(BUCKET_IAM, bucket["name"], {"version": version, "bindings": clean})
        bucket = buckets.bump(ctx, bucket["name"])
        return _render(ctx, bucket)


@handler("storage.buckets.testIamPermissions")
def test_permissions(ctx, req):
    buckets.load(ctx, req.params["bucket"])
    wanted = req.params.get("permissions") or []
    for permission in wanted:
        if not _PERMISSION.match(permission):
            raise invalid(f"Permission '{permission}' is not valid for a bucket.")
    # The emulator has no identities: the caller holds every permission it asks about.
    out: dict = {"kind": "storage#testIamPermissionsResponse"}
    if wanted:
        out["permissions"] = list(dict.fromkeys(wanted))
    return out


