"""IAM policies (google.iam.v1.Policy) as IAM, Resource Manager and Secret Manager serve them.

Pure helpers on stored documents: the caller loads and stores the policy inside one
ctx.store.transaction(), so a read-modify-write with an etag is an atomic compare-and-set even
when several threads or processes share the store. The etag changes on every successful set; a
set carrying a stale etag fails 409 ABORTED, as on GCP.
"""

from __future__ import annotations

import base64
import os
import re

from gcpkit.emulator.core.errors import ApiError

EMPTY_ETAG = "ACAB"  # what GCP answers for a resource that never had a policy

CONCURRENT_CHANGE = ("There were concurrent policy changes. Please retry the whole read-modify-write "
                     "with exponential backoff.")

_ROLE = re.compile(r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[a-z0-9-]+/roles/[A-Za-z0-9_.]+)$")
_MEMBER_KINDS = ("user:", "serviceAccount:", "group:", "domain:", "principal://", "principalSet://",
                 "deleted:user:", "deleted:serviceAccount:", "deleted:group:", "projectOwner:", "projectEditor:",
                 "projectViewer:")
_SPECIAL_MEMBERS = ("allUsers", "allAuthenticatedUsers")


class PolicyError(ApiError):
    """An error of the policy methods; `errors_list` False drops the legacy "errors" array (gRPC-first APIs)."""

    def __init__(self, code: int, reason: str, message: str, status: str, errors_list: bool = True):
        super().__init__(code, reason, message, status=status)
        self.errors_list = errors_list

    def to_body(self) -> dict:
        body = super().to_body()
        if not self.errors_list:
            body["error"].pop("errors", None)
        return body


def new_etag() -> str:
    return base64.b64encode(b"\x07" + os.urandom(7)).decode()


def empty() -> dict:
    return {"version": 1, "etag": EMPTY_ETAG, "bindings": []}


def render(doc: dict | None, requested_version: int | None = None) -> dict:
    """The Policy message for a stored policy (None: the resource has none yet)."""
    doc = doc or empty()
    out: dict = {"version": doc.get("version", 1), "etag": doc["etag"]}
    if doc.get("bindings"):
        out["bindings"] = [dict(b, members=list(b["members"])) for b in doc["bindings"]]
    if doc.get("auditConfigs"):
        out["auditConfigs"] = doc["auditConfigs"]
    return out


def apply_set(current: dict | None, request: dict | None, errors_list: bool = True, ctx=None) -> dict:
    """The stored policy after a setIamPolicy request, or PolicyError (400 invalid, 409 stale etag). With
    `ctx`, a service account added as a member must exist (see missing_service_account)."""
    request = request or {}
    policy = request.get("policy")
    if not isinstance(policy, dict):
        raise PolicyError(400, "badRequest", "Request contains an invalid argument.", "INVALID_ARGUMENT", errors_list)
    current = current or empty()
    etag = policy.get("etag")
    if etag and etag != current["etag"]:
        raise PolicyError(409, "aborted", CONCURRENT_CHANGE, "ABORTED", errors_list)
    mask = request.get("updateMask")
    fields = {f.strip() for f in mask.split(",")} if mask else {"bindings", "etag"}
    bindings = normalise_bindings(policy.get("bindings") or [], errors_list) if "bindings" in fields \
        else current.get("bindings", [])
    missing = missing_service_account(ctx, current.get("bindings", []), bindings) if ctx is not None else None
    if missing:
        raise PolicyError(400, "badRequest", f"Service account {missing} does not exist.", "INVALID_ARGUMENT",
                          errors_list)
    version = policy.get("version") or 1
    has_conditions = any(b.get("condition") for b in bindings)
    if version not in (1, 3) or (has_conditions and version != 3):
        raise PolicyError(400, "badRequest", "Invalid policy version: policies with conditional role bindings "
                          "must specify version 3." if has_conditions else f"Invalid policy version {version}.",
                          "INVALID_ARGUMENT", errors_list)
    out = {"version": 3 if has_conditions else 1, "etag": new_etag(), "bindings": bindings}
    audit = policy.get("auditConfigs") if ("auditConfigs" in fields or "audit_configs" in fields) \
        else current.get("auditConfigs")
    if audit:
        out["auditConfigs"] = audit
    return out


def missing_service_account(ctx, before: list[dict], after: list[dict]) -> str | None:
    """The e-mail of the first user-managed service account (NAME@PROJECT.iam.gserviceaccount.com) that
    `after` adds as a member and that is not visible yet: Google answers 400 "Service account ... does not
    exist." for a while after an account is created (the emulator's "hide" fault window). An account the
    emulator never saw is let through: keys minted for tests name accounts that were never created."""
    from .common import project_of_email

    had = {m for b in before for m in (b.get("members") or [])}
    for binding in after:
        for member in binding.get("members") or []:
            kind, _, email = member.partition(":")
            project = project_of_email(email) if kind == "serviceAccount" and member not in had else None
            if project is None:
                continue
            if ctx.faults.hidden_tail(f"/serviceAccounts/{email}", ctx.clock.now()):
                return email
    return None


def normalise_bindings(bindings: list, errors_list: bool = True) -> list[dict]:
    """Merge bindings of the same role and condition, drop empty ones, sort, and check roles and members."""
    merged: dict[tuple, dict] = {}
    for b in bindings:
        if not isinstance(b, dict):
            continue
        role = b.get("role") or ""
        if not _ROLE.match(role):
            raise PolicyError(400, "badRequest", f"Role {role or '(empty)'} is not supported for this resource.",
                              "INVALID_ARGUMENT", errors_list)
        for member in b.get("members") or []:
            if not valid_member(member):
                raise PolicyError(400, "badRequest", f"Invalid member: {member}", "INVALID_ARGUMENT", errors_list)
        condition = b.get("condition") or None
        key = (role, repr(sorted(condition.items())) if condition else "")
        entry = merged.setdefault(key, {"role": role, "members": set(), "condition": condition})
        entry["members"].update(b.get("members") or [])
    out = []
    for (role, _), entry in sorted(merged.items()):
        if not entry["members"]:
            continue
        binding = {"role": role, "members": sorted(entry["members"])}
        if entry["condition"]:
            binding["condition"] = entry["condition"]
        out.append(binding)
    return out


def valid_member(member) -> bool:
    if not isinstance(member, str):
        return False
    if member in _SPECIAL_MEMBERS:
        return True
    for kind in _MEMBER_KINDS:
        if member.startswith(kind) and len(member) > len(kind):
            rest = member[len(kind):]
            if kind.endswith("://"):
                return True
            if kind in ("domain:",) or kind.startswith("project"):
                return "@" not in rest
            return "@" in rest or (kind == "serviceAccount:" and ".svc.id.goog[" in rest)
    return False
