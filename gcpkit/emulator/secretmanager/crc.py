"""CRC32C (Castagnoli), as Secret Manager checksums payloads: google-crc32c when installed (it
comes with the Google client libraries), else a small table-driven fallback."""

from __future__ import annotations

try:
    import google_crc32c as _fast
except ImportError:  # pragma: no cover - the client libraries install it
    _fast = None

_TABLE: list[int] = []


def _table() -> list[int]:
    if not _TABLE:
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _TABLE.append(c)
    return _TABLE


def crc32c(data: bytes) -> int:
    if _fast is not None:
        return _fast.value(data)
    table, crc = _table(), 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
