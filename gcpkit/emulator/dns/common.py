"""What every Cloud DNS handler shares: store collections and keys, time, ids, Cloud DNS's error
wording, and loading a managed zone. All state lives in ctx.store (several emulator processes may
share one SQLite file), so counters and progressions are stored, never kept in memory.
"""

from __future__ import annotations

import base64

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.core.formats import rfc3339_millis

API = "dns"

# Store collections. Keys start with "<project>/<zone>/" so a zone's children list by prefix.
ZONES = "dns/managedZones"  # key: project/zone
RRSETS = "dns/rrsets"  # key: project/zone/<sort key of name>/<type>
CHANGES = "dns/changes"  # key: project/zone/<change id, zero-padded>
OPERATIONS = "dns/operations"  # key: project/zone/<operation id, zero-padded>

# Who the emulator says made a change (the real API names the caller's account).
USER = "user@example.com"


# ---- errors ------------------------------------------------------------------------------------

class DnsError(ApiError):
    """Cloud DNS's error body: the newer front end adds "status"; a change that fails on several
    record sets lists one entry per record set in "errors" (the top-level message is the first)."""

    def __init__(self, code: int, reason: str, message: str, more: list[tuple[str, str]] | None = None):
        super().__init__(code, reason, message, with_status=True)
        self.more = more or []  # further (reason, message) entries

    def to_body(self) -> dict:
        body = super().to_body()
        body["error"]["errors"].extend({"domain": "global", "reason": r, "message": m} for r, m in self.more)
        return body


def invalid(message: str) -> DnsError:
    return DnsError(400, "invalid", message)


def invalid_value(field: str, value) -> DnsError:
    shown = "" if value is None else value
    return invalid(f"Invalid value for '{field}': '{shown}'")


def required(field: str) -> DnsError:
    return DnsError(400, "required", f"The '{field}' parameter is required but was missing.")


def zone_not_found(project: str, zone: str) -> DnsError:
    # The exact wording of the real API (see gcp-golden/dns--dnsmanagedzone.http.log).
    return DnsError(404, "notFound", f'managedZone "projects/{project}/managedZones/{zone}" not found')


def resource_not_found(field: str, name: str) -> DnsError:
    return DnsError(404, "notFound", f"The '{field}' resource named '{name}' does not exist.")


def already_exists(field: str, name: str) -> DnsError:
    return DnsError(409, "alreadyExists", f"The resource '{field}' named '{name}' already exists")


def combine(errors: list[DnsError]) -> DnsError:
    """One error for several failures of the same status (the first names the error)."""
    first = errors[0]
    same = [e for e in errors[1:] if e.code == first.code]
    return DnsError(first.code, first.reason, first.message, [(e.reason, e.message) for e in same])


# ---- time and ids ------------------------------------------------------------------------------

fmt_time = rfc3339_millis  # Cloud DNS timestamps


def new_zone_id(ctx) -> str:
    """Managed zone ids are numeric strings (uint64), unique across the emulator's state."""
    return str(ctx.store.next_id() % 10**19 or 1)


def strip_private(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def seq_key(n: int) -> str:
    return f"{n:012d}"


# ---- keys --------------------------------------------------------------------------------------

def zone_key(project: str, zone: str) -> str:
    return f"{project}/{zone}"


def child_prefix(project: str, zone: str) -> str:
    return f"{project}/{zone}/"


def name_sort_key(name: str) -> str:
    """Labels reversed, so a zone lists apex first, then its subdomains in tree order."""
    labels = [label for label in name.lower().split(".") if label]
    return ".".join(reversed(labels)) + "."


def rrset_key(project: str, zone: str, name: str, type_: str) -> str:
    return f"{child_prefix(project, zone)}{name_sort_key(name)}/{type_}"


# ---- loading -----------------------------------------------------------------------------------

def load_zone(ctx, project: str, zone: str) -> dict:
    """The zone a request names, by name or, as the API also accepts, by numeric id. Handlers key
    its children by the returned document's "name"."""
    doc = ctx.store.get(ZONES, zone_key(project, zone))
    if doc is None and zone.isdigit():  # zone names start with a letter, so this is an id
        doc = next((z for z in ctx.store.list(ZONES, f"{project}/") if z["id"] == zone), None)
    if doc is None:
        raise zone_not_found(project, zone)
    return doc


# ---- paging ------------------------------------------------------------------------------------

def page(items: list, max_results: int | None, page_token: str | None, key) -> tuple[list, str | None]:
    """Items after the token's position (by `key`), at most max_results of them, and the next token."""
    if page_token:
        try:
            after = base64.urlsafe_b64decode(page_token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise invalid_value("parameters.pageToken", page_token) from None
        items = [i for i in items if key(i) > after]
    if max_results is not None and max_results < 0:
        raise invalid_value("parameters.maxResults", max_results)
    if max_results and len(items) > max_results:
        items = items[:max_results]
        return items, base64.urlsafe_b64encode(key(items[-1]).encode()).decode()
    return items, None
