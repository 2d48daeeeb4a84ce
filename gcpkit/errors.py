"""gcpkit's own error types. The CLI turns these into one clear line, a hint and an exit code."""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_LOCKED = 3
EXIT_ACCESS_DENIED = 4
EXIT_INTERRUPTED = 130


class GcpkitError(Exception):
    """Base of every error gcpkit reports to a user. `hint` says what to do next."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class BadInput(GcpkitError):
    """The user's input is wrong; nothing was called. `where` names the file:line or parameter."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.where = where


class LockedError(GcpkitError):
    """Another gcpkit process holds the deployment's lock, or state conflicts."""

    exit_code = EXIT_LOCKED


class OperationFailed(GcpkitError):
    """A cloud operation failed; the message names the root cause."""

    exit_code = EXIT_FAILED


class AccessDenied(OperationFailed):
    """The API refused the credentials (401) or found them lacking a permission (403)."""

    exit_code = EXIT_ACCESS_DENIED


_RATE_LIMITED = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
# Google's 403 wordings name the permission in quotes (Compute, IAM-style APIs) or as "have P access" (Storage).
_PERMISSION = re.compile(r"'([a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+){2,})'|have ([a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+){2,}) access")
_RESOURCE = re.compile(r"(?:permission for|resource) '([^']+)'")
_DENIAL = re.compile(r"permission|not authorized|caller does not have", re.IGNORECASE)


def access_denied(status: int, message: str, reasons: list[str] | set[str] = (), project: str | None = None
                  ) -> AccessDenied | None:
    """One clear line and a hint for an API's 401 or permission 403; None for anything else (a 403
    that throttles or says the project was deleted is not about access). Never shows a credential."""
    if status == 401:
        return AccessDenied(
            "the API did not accept the credentials (HTTP 401: missing, invalid or expired)",
            hint="refresh them (`gcloud auth application-default login`), or point GOOGLE_APPLICATION_CREDENTIALS "
                 "at a valid service-account key")
    if status != 403 or _RATE_LIMITED.intersection(reasons) or not _DENIAL.search(message):
        return None
    found = _PERMISSION.search(message)
    permission = (found.group(1) or found.group(2)) if found else None
    resource = _RESOURCE.search(message)
    where = resource.group(1) if resource else (f"projects/{project}" if project else None)
    if where and where.startswith("projects/"):
        project = where.split("/")[1]
    what = f"permission {permission}" if permission else "a permission"
    line = f"permission denied: the credentials lack {what}" + (f" on {where}" if where else "") + \
        (f" (the API said: {message})" if not permission else "")
    role = "roles/owner" if permission and permission.endswith(".setIamPolicy") else "roles/editor"
    hint = (f"grant the account gcpkit runs as a role with {permission or 'it'} on project {project or 'PROJECT'} "
            f"(e.g. `gcloud projects add-iam-policy-binding {project or 'PROJECT'} --member=serviceAccount:EMAIL "
            f"--role={role}`), or use other credentials")
    return AccessDenied(line, hint=hint)


class Interrupted(GcpkitError):
    exit_code = EXIT_INTERRUPTED
