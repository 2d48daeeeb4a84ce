"""Authentication for an emulator started with --require-auth (EmulatorServer(require_auth=True)).

- POST /token: OAuth 2.0's JWT-bearer grant, what google-auth's service_account.Credentials call
  (their key file's token_uri points here). The assertion is checked with the key's public part
  (auth_keys.py); the answer is a short-lived opaque access token ("ya29...."), stored only as a
  SHA-256 digest with its account and expiry. Bad assertions get OAuth's error JSON, like Google's.
- Every API request carries `Authorization: Bearer T`, where T is such a token or a self-signed JWT
  (google-cloud-compute's clients sign their own, as Google accepts). Missing, unknown or expired:
  401 UNAUTHENTICATED with a WWW-Authenticate header; valid but without the permission on the
  project: 403 (permissions.py).
- POST /_emulator/keys {"serviceAccount", "role"?, "project"?}: mint a key file (for tests and
  `gcpkit emulator mint-key`). Like the other /_emulator/ routes it is not API traffic.

Neither the request log nor any error message carries a token, an assertion or a key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from urllib.parse import parse_qsl

from gcpkit.emulator.core import auth_keys, permissions
from gcpkit.emulator.core.errors import ApiError

TOKEN_PATH = "/token"
KEYS_PATH = "/_emulator/keys"
TOKENS = "auth/tokens"  # key: sha256 of the access token -> {"email", "expires"}
DEFAULT_TOKEN_LIFETIME_S = 3600  # what Google's token endpoint answers
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
TOKEN_API = "oauth2"  # the request log's api for /token (method id "oauth2.token")

_SIGN_IN = "See https://developers.google.com/identity/sign-in/web/devconsole-project."
MISSING = ("Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
           f"or other valid authentication credential. {_SIGN_IN}")
INVALID = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
           f"other valid authentication credential. {_SIGN_IN}")
_REALM = 'Bearer realm="https://accounts.google.com/"'


class Unauthenticated(ApiError):
    """401 in the format Google's front end answers for every API, plus the WWW-Authenticate header."""

    def __init__(self, missing: bool, reason: str, method_id: str | None):
        super().__init__(401, "required" if missing else "authError", MISSING if missing else INVALID,
                         status="UNAUTHENTICATED")
        self.headers = [("WWW-Authenticate", _REALM if missing else f'{_REALM}, error="invalid_token"')]
        self.info_reason = reason
        self.method_id = method_id
        self.missing = missing

    def to_body(self) -> dict:
        api = (self.method_id or "").split(".")[0]
        return {"error": {
            "code": 401, "message": self.message, "status": "UNAUTHENTICATED",
            "errors": [{"message": "Login Required." if self.missing else "Invalid Credentials", "domain": "global",
                        "reason": self.reason, "location": "Authorization", "locationType": "header"}],
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": self.info_reason,
                         "domain": "googleapis.com",
                         "metadata": {"service": f"{permissions.IAM_SERVICE.get(api, api)}.googleapis.com",
                                      "method": self.method_id or ""}}]}}


class OAuthError(ApiError):
    """The token endpoint's errors: {"error": "invalid_grant", "error_description": "..."}."""

    def __init__(self, error: str, description: str):
        super().__init__(400, error, description)

    def to_body(self) -> dict:
        return {"error": self.reason, "error_description": self.message}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Auth:
    def __init__(self, ctx, token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S):
        self.ctx = ctx
        self.token_lifetime_s = token_lifetime_s

    def serves(self, path: str) -> bool:
        return path in (TOKEN_PATH, KEYS_PATH)

    def serve(self, http_method: str, path: str, raw: bytes, host: str) -> tuple[int, dict]:
        """POST /token or POST /_emulator/keys; `host` is the Host the client used (for token_uri)."""
        if http_method != "POST":
            raise ApiError(405, "methodNotAllowed", f"Method {http_method} is not allowed for {path} (allowed: POST).",
                           with_status=True)
        if path == TOKEN_PATH:
            return 200, self.token(raw, f"http://{host}{TOKEN_PATH}")
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("serviceAccount"), str):
            raise ApiError(400, "invalid", 'expected a JSON body {"serviceAccount": EMAIL, "role"?: ROLE, '
                           '"project"?: PROJECT}', with_status=True)
        return 200, auth_keys.mint_key(self.ctx, request["serviceAccount"], f"http://{host}{TOKEN_PATH}",
                                       role=request.get("role"), project=request.get("project"))

    # ---- POST /token ----------------------------------------------------------------------------

    def token(self, raw: bytes, audience: str) -> dict:
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "Missing required parameter: grant_type")
        if grant_type != auth_keys.JWT_BEARER:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        if not form.get("assertion"):
            raise OAuthError("invalid_request", "Missing required parameter: assertion")
        now = self.ctx.clock.now()
        try:
            claims = auth_keys.verify_jwt(self.ctx.store, form["assertion"], now)
        except auth_keys.JwtError as e:
            raise OAuthError("invalid_grant", str(e)) from None
        # google-auth addresses every assertion to Google's token endpoint, whatever the key's token_uri says
        if claims.get("aud") not in (GOOGLE_TOKEN_URI, audience):
            raise OAuthError("invalid_grant", f"Invalid JWT: Failed audience check. The right audience is "
                             f"{GOOGLE_TOKEN_URI}")
        if not claims.get("scope"):
            raise OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        token = "ya29." + secrets.token_urlsafe(48)
        with self.ctx.store.transaction():
            for stale in self.ctx.store.list(TOKENS):  # expired tokens are useless: keep the table small
                if stale["expires"] <= now:
                    self.ctx.store.delete(TOKENS, stale["digest"])
            self.ctx.store.put(TOKENS, _digest(token), {"digest": _digest(token), "email": claims["iss"],
                                                        "expires": now + self.token_lifetime_s})
        return {"access_token": token, "expires_in": int(self.token_lifetime_s) or 1, "token_type": "Bearer"}

    # ---- every API request ----------------------------------------------------------------------

    def authenticate(self, authorization: str | None, method_id: str) -> str:
        """The caller's service-account email, or Unauthenticated."""
        if not authorization:
            raise Unauthenticated(True, "CREDENTIALS_MISSING", method_id)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(False, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method_id)
        now = self.ctx.clock.now()
        if token.count(".") == 2 and not token.startswith("ya29."):  # a self-signed JWT
            try:
                claims = auth_keys.verify_jwt(self.ctx.store, token, now)
            except auth_keys.JwtError as e:
                raise Unauthenticated(False, "ACCESS_TOKEN_EXPIRED" if e.expired else "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                                      method_id) from None
            if not (claims.get("scope") or claims.get("aud")):
                raise Unauthenticated(False, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method_id)
            return claims["iss"]
        doc = self.ctx.store.get(TOKENS, _digest(token))
        if doc is None:
            raise Unauthenticated(False, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method_id)
        if doc["expires"] <= now:
            raise Unauthenticated(False, "ACCESS_TOKEN_EXPIRED", method_id)
        return doc["email"]

    def authorize(self, caller: str, api: str, method_id: str, path: str, params: dict,
                  query: list[tuple[str, str]], body) -> None:
        """Nothing, or a 403 in the API's wording naming the permission the method needs."""
        permission = permissions.permission_for(method_id)
        project = permissions.project_of(self.ctx.store, api, params, query)
        if project is None or permissions.is_public_read(project, permission):
            return
        if permissions.allowed(self.ctx.store, f"serviceAccount:{caller}", project, permission):
            return
        raise permissions.denied(api, permission, _resource(api, method_id, path, params, body, project), caller,
                                 bucket=bool(params.get("bucket")))


def _resource(api: str, method_id: str, path: str, params: dict, body, project: str) -> str:
    """What a 403 names: the resource the call acts on (an insert names the one it would create)."""
    if api == "compute":
        resource = path.split("/compute/v1/", 1)[-1].rstrip("/")
        name = body.get("name") if isinstance(body, dict) else None
        if method_id.endswith(".insert") and isinstance(name, str):
            resource = f"{resource}/{name}"
        return resource
    for key in ("name", "resource", "parent"):
        value = params.get(key)
        if isinstance(value, str) and value.startswith("projects/"):
            return value
    return f"projects/{project}"
