"""What every IAM handler shares: store collections, IAM's error body (the legacy "errors" array
plus "status", as in gcp-golden/iam--iamserviceaccount.http.log), and loading a service account
named by email or unique id."""

from __future__ import annotations

import base64

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.resourcemanager.lifecycle import is_active

ACCOUNTS = "iam/serviceAccounts"  # key: "<project>/<email>"
ACCOUNT_IDS = "iam/serviceAccountIds"  # key: uniqueId -> {"key": accounts key}
POLICIES = "iam/serviceAccountPolicies"  # key: email

DOMAIN = "iam.gserviceaccount.com"
# IAM serves one constant etag for service accounts (base64 of "01021920"); clients echo it back.
ACCOUNT_ETAG = base64.b64encode(b"01021920").decode()


class IamError(ApiError):
    def __init__(self, code: int, reason: str, message: str, status: str):
        super().__init__(code, reason, message, status=status)


def invalid(message: str) -> IamError:
    return IamError(400, "badRequest", message, "INVALID_ARGUMENT")


def unknown_account() -> IamError:
    return IamError(404, "notFound", "Unknown service account", "NOT_FOUND")


def project_deleted(project: str) -> IamError:
    return IamError(403, "forbidden", f"Project {project} has been deleted.", "PERMISSION_DENIED")


def require_active(ctx, project: str) -> None:
    """A project in DELETE_REQUESTED makes its service accounts unreachable."""
    if project != "-" and not is_active(ctx.store, project):
        raise project_deleted(project)


def email_for(account_id: str, project: str) -> str:
    return f"{account_id}@{project}.{DOMAIN}"


def project_of_email(email: str) -> str | None:
    _, _, domain = email.partition("@")
    return domain[: -len(DOMAIN) - 1] if domain.endswith("." + DOMAIN) else None


def split_name(name: str) -> tuple[str, str]:
    """"projects/P/serviceAccounts/X" -> (P, X); X is an email or a unique id."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "serviceAccounts" or not parts[3]:
        raise invalid(f"Invalid service account name {name}: expected projects/PROJECT/serviceAccounts/EMAIL.")
    return parts[1], parts[3]


def account_key(project: str, email: str) -> str:
    return f"{project}/{email}"


def find_account(ctx, name: str) -> tuple[str, dict]:
    """(store key, document) of the account `name` names (by email or unique id; project "-" allowed)."""
    project, ident = split_name(name)
    require_active(ctx, project)
    if "@" in ident:
        owner = project_of_email(ident) or project
        if project not in ("-", owner) and project_of_email(ident):
            raise unknown_account()
        key = account_key(owner, ident)
    else:
        ref = ctx.store.get(ACCOUNT_IDS, ident) if ident.isdigit() else None
        if ref is None:
            raise unknown_account()
        key = ref["key"]
    doc = ctx.store.get(ACCOUNTS, key)
    if doc is None or (project != "-" and doc["projectId"] != project):
        raise unknown_account()
    require_active(ctx, doc["projectId"])
    return key, doc


def render_account(doc: dict) -> dict:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if not out.get("disabled"):
        out.pop("disabled", None)
    for field in ("displayName", "description"):
        if not out.get(field):
            out.pop(field, None)
    return out
