"""Service-account keys for an emulator that requires authentication: minting key files, and
checking the RS256 JWTs google-auth signs with them.

The emulator keeps only each key's public part (the private key goes into the key file and nowhere
else), in the store, so every process sharing a data dir verifies the same keys. Project roles given
at minting go into Resource Manager's project IAM policy, where setIamPolicy would put them.
"""

from __future__ import annotations

import base64
import json
import re
import secrets

from gcpkit.emulator.core.errors import ApiError

KEYS = "auth/keys"  # key: private_key_id -> {"email", "public_pem", "created"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_JWT_LIFETIME_S = 3600  # Google refuses assertions valid for longer than an hour
CLOCK_SKEW_S = 60

_EMAIL = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$")
_ROLE = re.compile(r"^roles/[A-Za-z0-9_.]+$")

# Google's token endpoint's own wordings (error_description of a 400 invalid_grant).
BAD_SIGNATURE = "Invalid JWT Signature."
BAD_TIMES = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
             "Check your iat and exp values in the JWT claim.")


class JwtError(Exception):
    """An assertion or self-signed JWT that does not verify; str() is Google's error_description."""

    def __init__(self, description: str, expired: bool = False):
        super().__init__(description)
        self.expired = expired


def project_of_email(email: str) -> str | None:
    match = _EMAIL.match(email)
    return match.group(1) if match else None


def valid_role(role: str) -> bool:
    return bool(_ROLE.match(role))


def mint_key(ctx, email: str, token_uri: str, *, role: str | None = None, project: str | None = None) -> dict:
    """A new key for `email` as the standard service-account JSON key file (a dict). With `role`,
    also bind serviceAccount:EMAIL to it on `project` (default: the account's own project)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    own_project = project_of_email(email)
    if own_project is None:
        raise ApiError(400, "invalid", f"service account {email!r}: expected NAME@PROJECT.iam.gserviceaccount.com "
                       "(NAME and PROJECT 6-30 characters: lower-case letters, digits, hyphens)", with_status=True)
    if role is not None and not valid_role(role):
        raise ApiError(400, "invalid", f"role {role!r}: expected roles/NAME (e.g. roles/editor)", with_status=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    key_id = secrets.token_hex(20)  # Google's private_key_id: 40 hex digits
    with ctx.store.transaction():
        ctx.store.put(KEYS, key_id, {"email": email, "public_pem": public_pem, "created": ctx.clock.now()})
        if role is not None:
            grant(ctx, project or own_project, f"serviceAccount:{email}", role)
    return {
        "type": "service_account",
        "project_id": own_project,
        "private_key_id": key_id,
        "private_key": private_pem,
        "client_email": email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }


def grant(ctx, project: str, member: str, role: str) -> None:
    """Add `member` to `role` in the project's IAM policy (as setIamPolicy would: the project is
    touched in Resource Manager, the etag changes)."""
    from gcpkit.emulator.iam import policy as iam_policy
    from gcpkit.emulator.resourcemanager.common import POLICIES, touch_project

    store = ctx.store
    with store.transaction():
        touch_project(ctx, project)
        doc = store.get(POLICIES, f"projects/{project}") or iam_policy.empty()
        bindings = [dict(b, members=list(b["members"])) for b in doc.get("bindings", [])]
        binding = next((b for b in bindings if b["role"] == role and not b.get("condition")), None)
        if binding is None:
            bindings.append({"role": role, "members": [member]})
        elif member not in binding["members"]:
            binding["members"].append(member)
        store.put(POLICIES, f"projects/{project}", dict(doc, bindings=bindings, etag=iam_policy.new_etag()))


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(store, token: str, now: float) -> dict:
    """The claims of an RS256 JWT signed by a key this emulator minted, with iss the key's account
    and iat/exp in a reasonable window; JwtError otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("Invalid JWT: not a JSON Web Token.")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except ValueError:
        raise JwtError("Invalid JWT: not a JSON Web Token.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        raise JwtError("Invalid JWT: expected an RS256-signed JSON object.")
    key = store.get(KEYS, str(header.get("kid")))
    if key is None:  # an unknown or deleted key id: Google answers as for a bad signature
        raise JwtError(BAD_SIGNATURE)
    public = serialization.load_pem_public_key(key["public_pem"].encode())
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise JwtError(BAD_SIGNATURE) from None
    if claims.get("iss") != key["email"]:
        raise JwtError(BAD_SIGNATURE)
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
        raise JwtError(BAD_TIMES)
    if iat > now + CLOCK_SKEW_S or exp - iat > MAX_JWT_LIFETIME_S:
        raise JwtError(BAD_TIMES)
    if exp <= now:
        raise JwtError(BAD_TIMES, expired=True)
    return claims
