"""What every Cloud Storage handler shares: store collections, Cloud Storage's error wording (its
error bodies carry no "status"), time, etags, project numbers and hashes. All state lives in
ctx.store (several emulator processes may share one SQLite file).
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.formats import rfc3339_millis

API = "storage"

# Store collections.
BUCKETS = "storage/buckets"  # key: bucket name (the namespace is global, not per project)
BUCKET_IAM = "storage/bucketIam"  # key: bucket name -> {"version", "bindings"}
OBJECTS = "storage/objects"  # key: bucket/name -> the live version's resource (+ private "_" fields)
NONCURRENT = "storage/noncurrent"  # key: bucket/name#generation -> a noncurrent version (versioned buckets)
DATA = "storage/data"  # key: bucket/name#generation -> {"b64": the object's bytes}
UPLOADS = "storage/uploads"  # key: upload id -> a resumable upload session

PUBLIC_HOST = "https://www.googleapis.com"  # selfLinks name the real API, as Google's do


# ---- errors ------------------------------------------------------------------------------------

def error(code: int, reason: str, message: str) -> ApiError:
    return ApiError(code, reason, message)


def bucket_not_found() -> ApiError:
    # The exact wording of the real API (gcp-golden/storage--storagebucketbasic.http.log).
    return error(404, "notFound", "The specified bucket does not exist.")


def object_not_found(bucket: str, name: str) -> ApiError:
    return error(404, "notFound", f"No such object: {bucket}/{name}")


def precondition_failed() -> ApiError:
    return error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.")


def not_modified() -> ApiError:
    """A GET whose ifGenerationNotMatch / ifMetagenerationNotMatch failed: 304, answered without a body."""
    return error(304, "notModified", "Not Modified")


def invalid(message: str) -> ApiError:
    return error(400, "invalid", message)


def required(message: str) -> ApiError:
    return error(400, "required", message)


def conflict(message: str) -> ApiError:
    return error(409, "conflict", message)


# ---- time, ids, etags --------------------------------------------------------------------------

fmt_time = rfc3339_millis  # Cloud Storage timestamps


def micros(epoch: float) -> int:
    return int(epoch * 1_000_000)


def project_number(project: str) -> str:
    """A stable 12-digit project number for a project id (the emulator has no project registry)."""
    if project.isdigit():
        return project
    digest = hashlib.sha256(project.encode()).digest()
    return str(10**11 + int.from_bytes(digest[:8], "big") % (9 * 10**11))


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def bucket_etag(metageneration: int) -> str:
    """Like Google's: base64 of a tiny protobuf {1: metageneration} ("CAE=" for metageneration 1)."""
    return base64.b64encode(b"\x08" + _varint(metageneration)).decode()


def object_etag(generation: int, metageneration: int) -> str:
    """Like Google's: base64 of {1: generation, 2: metageneration} ("CJ2Ri8iVn4UDEAE=")."""
    return base64.b64encode(b"\x08" + _varint(generation) + b"\x10" + _varint(metageneration)).decode()


def quote_name(name: str) -> str:
    return quote(name, safe="")


# ---- hashes ------------------------------------------------------------------------------------

def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32c_b64(data: bytes) -> str:
    return base64.b64encode(_crc32c(data).to_bytes(4, "big")).decode()


def _crc32c(data: bytes) -> int:
    try:
        import google_crc32c  # a dependency of google-cloud-storage; C-accelerated
    except ImportError:
        return _crc32c_py(data)
    return google_crc32c.value(data)


_TABLE: list[int] = []


def _crc32c_py(data: bytes) -> int:
    if not _TABLE:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _TABLE.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def merge_patch(target: dict, patch: dict) -> dict:
    """PATCH semantics of the JSON API: nested objects merge, null deletes a key, lists replace."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = value
    return out
