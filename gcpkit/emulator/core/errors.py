"""Errors raised deep in the emulator and serialised in one place, in Google's JSON error format:
{"error": {"code", "message", "errors": [{"domain", "reason", "message"}]}} (plus "status" where the API has it).
"""

from __future__ import annotations

_STATUS = {
    405: "METHOD_NOT_ALLOWED",
    501: "UNIMPLEMENTED",
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global",
                 status: str | None = None, with_status: bool = False, details: list | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        # Compute's errors carry no "status"; the newer APIs (sqladmin, container...) do.
        self.status = status or (_STATUS.get(code, "UNKNOWN") if with_status else None)
        self.details = details  # google.rpc details (e.g. BadRequest fieldViolations), where the API sends them

    def to_body(self) -> dict:
        err = {"code": self.code, "message": self.message,
               "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}]}
        if self.status:
            err["status"] = self.status
        if self.details:
            err["details"] = self.details
        return {"error": err}



class GrpcError(ApiError):
    """{"error": {"code", "message", "status"[, "details"]}}: how the gRPC-first APIs (Firestore, Secret
    Manager, App Engine Admin, Artifact Registry, Resource Manager v3) answer: no legacy "errors" list."""

    def __init__(self, code: int, status: str, message: str, details: list | None = None):
        super().__init__(code, status.lower(), message, status=status, details=details)

    def to_body(self) -> dict:
        body = super().to_body()
        body["error"].pop("errors", None)
        return body

def not_found(message: str) -> ApiError:
    return ApiError(404, "notFound", message)


def already_exists(message: str) -> ApiError:
    return ApiError(409, "alreadyExists", message)


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def required(message: str) -> ApiError:
    return ApiError(400, "required", message)


def in_use(message: str) -> ApiError:
    return ApiError(400, "resourceInUseByAnotherResource", message)


def not_ready(message: str) -> ApiError:
    return ApiError(400, "resourceNotReady", message)


def condition_not_met(message: str) -> ApiError:
    return ApiError(412, "conditionNotMet", message)


class ConfigError(Exception):
    """The emulator was configured wrongly (port in use, unusable data dir, malformed faults file).

    Its message is one line naming what is wrong; the CLI prints it and exits 2.
    """
