"""Formats the emulated APIs share: RFC 3339 timestamps, "projects/P/locations/L/..." names, and
page tokens over a sorted list (each API keeps its own wording of errors and its own page sizes)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timezone


def rfc3339_micros(epoch: float) -> str:
    """"2024-04-01T12:34:56.123456Z": GKE, Firestore, Resource Manager, Secret Manager, Artifact Registry."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_millis(epoch: float) -> str:
    """"2024-04-01T12:34:56.123Z": Cloud SQL, Cloud DNS, Cloud Storage, App Engine."""
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def split_name(name: str, kinds: tuple[str, ...], invalid: Callable[[str], Exception]) -> list[str]:
    """"projects/P/locations/L/clusters/C" with kinds ("projects", "locations", "clusters") -> [P, L, C];
    anything else raises invalid(message)."""
    parts = name.split("/")
    if len(parts) != 2 * len(kinds) or tuple(parts[0::2]) != kinds or not all(parts[1::2]):
        raise invalid(f"Invalid resource name: {name!r}.")
    return parts[1::2]


def token_page(items: list, page_size: int | None, token: str | None, key: Callable, *, default: int,
               maximum: int, invalid: Callable[[str], Exception]) -> tuple[list, str | None]:
    """Items after the token's position (items sorted by `key`), at most page_size (else `default`,
    never above `maximum`), and the next page's token (None on the last page)."""
    if page_size is not None and page_size < 0:
        raise invalid("page_size must not be negative.")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise invalid(f"Invalid page token [{token}].") from None
        items = [i for i in items if key(i) > after]
    size = min(page_size or default, maximum)
    if len(items) > size:
        items = items[:size]
        return items, base64.urlsafe_b64encode(key(items[-1]).encode()).decode()
    return items, None
