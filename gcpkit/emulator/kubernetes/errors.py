"""Kubernetes errors: a `Status` object with reason, code and details, as the API server writes them.
The `kubernetes` client raises ApiException with that status and the body as JSON."""

from __future__ import annotations

from gcpkit.emulator.kubernetes.resources import Resource


class KubeError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def to_body(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
                "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(res: Resource, name: str) -> dict:
    out = {"name": name, "kind": res.plural}
    if res.group:
        out["group"] = res.group
    return out


def not_found(res: Resource, name: str) -> KubeError:
    return KubeError(404, "NotFound", f'{res.qualified} "{name}" not found', _details(res, name))


def no_route() -> KubeError:
    return KubeError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(res: Resource, name: str) -> KubeError:
    return KubeError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', _details(res, name))


def conflict(res: Resource, name: str, why: str = "the object has been modified; please apply your changes to "
             "the latest version and try again") -> KubeError:
    return KubeError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified} "{name}": {why}',
                     _details(res, name))


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> KubeError:
    return KubeError(405, "MethodNotAllowed", message, {})


def forbidden(res: Resource, name: str, why: str) -> KubeError:
    return KubeError(403, "Forbidden", f'{res.qualified} "{name}" is forbidden: {why}', _details(res, name))


class Invalid(KubeError):
    """422 with one cause per field error: Invalid(res, name, [("spec.selector", "FieldValueRequired",
    "Required value"), ...]). The message lists them as the API server does."""

    def __init__(self, res: Resource, name: str, causes: list[tuple[str, str, str]]):
        texts = [f"{field}: {message}" for field, _, message in causes]
        listed = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        details = {"name": name, "kind": res.kind,
                   "causes": [{"reason": reason, "message": message, "field": field}
                              for field, reason, message in causes]}
        if res.group:
            details["group"] = res.group
        super().__init__(422, "Invalid", f'{res.qualified_kind} "{name}" is invalid: {listed}', details)
