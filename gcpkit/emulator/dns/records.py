"""Record sets and the one way they change: a Change (additions + deletions) applied atomically.

changes.create and the newer rrsets verbs (create/patch/delete) all go through `apply_change`:
validate every item (400), check every deletion exists (404) and matches the live record set
exactly (412), check no addition collides (409), check the result is a valid zone (400), then
write the record sets and the change record in one store transaction. A failure changes nothing.

The records are live as soon as the change is accepted (the API reads them back at once, as
the real one does); the change's status goes from "pending" to "done" after
ctx.latency.duration("dns", "changes", "create"), computed from the stored timestamps.
"""

from __future__ import annotations

from .common import (API, CHANGES, RRSETS, ZONES, DnsError, already_exists, child_prefix, combine,
                     fmt_time, invalid, invalid_value, load_zone, required, resource_not_found, rrset_key, seq_key,
                     strip_private, zone_key)
from . import projects as quota
from .names import MAX_TTL, RECORD_TYPES, check_rrdata, is_dns_name, within

RRSET_KIND = "dns#resourceRecordSet"
CHANGE_KIND = "dns#change"
DEFAULT_TTL = 300
_APEX_TYPES = ("NS", "SOA")


def label(rr: dict) -> str:
    return f"{rr['name']} ({rr['type']})"


def normalise(item, field: str, *, addition: bool) -> dict:
    """A checked copy of a ResourceRecordSet from a request ("kind" dropped, ttl an int)."""
    if not isinstance(item, dict):
        raise invalid_value(field, item)
    name, type_ = item.get("name"), item.get("type")
    if not name:
        raise required(f"{field}.name")
    if not is_dns_name(name):
        raise invalid_value(f"{field}.name", name)
    if not type_:
        raise required(f"{field}.type")
    if type_ not in RECORD_TYPES:
        raise invalid_value(f"{field}.type", type_)
    out: dict = {"name": name, "type": type_}
    ttl = item.get("ttl")
    if ttl is None:
        if addition:
            out["ttl"] = DEFAULT_TTL
    else:
        try:
            ttl = int(ttl)
        except (TypeError, ValueError):
            raise invalid_value(f"{field}.ttl", ttl) from None
        if not 0 <= ttl <= MAX_TTL:
            raise invalid_value(f"{field}.ttl", ttl)
        out["ttl"] = ttl
    rrdatas = item.get("rrdatas") or []
    routing = item.get("routingPolicy")
    if addition and not rrdatas and not routing:
        raise required(f"{field}.rrdata")
    if rrdatas and routing:
        raise invalid(f"Invalid value for '{field}': a record set has either rrdatas or a routingPolicy, not both")
    quota.check("resourceRecordsPerRrset", len(rrdatas))
    for j, data in enumerate(rrdatas):
        check_rrdata(type_, data, f"{field}.rrdata[{j}]")
    if len(set(rrdatas)) != len(rrdatas):
        raise invalid_value(f"{field}.rrdata", ", ".join(rrdatas))
    if type_ in ("CNAME", "SOA") and len(rrdatas) > 1:
        raise invalid_value(f"{field}.rrdata", ", ".join(rrdatas))
    if rrdatas:
        out["rrdatas"] = list(rrdatas)
    if routing:
        out["routingPolicy"] = routing
    if item.get("signatureRrdatas"):
        out["signatureRrdatas"] = list(item["signatureRrdatas"])
    return out


def render(rr: dict) -> dict:
    """A ResourceRecordSet as the API returns it from rrsets verbs (with its kind)."""
    out = {"kind": RRSET_KIND}
    out.update(rr)
    return out


def _matches(deletion: dict, live: dict) -> bool:
    if "ttl" in deletion and deletion["ttl"] != live.get("ttl"):
        return False
    if sorted(deletion.get("rrdatas", [])) != sorted(live.get("rrdatas", [])):
        return False
    if deletion.get("routingPolicy") is not None and deletion["routingPolicy"] != live.get("routingPolicy"):
        return False
    return True


def get_rrset(ctx, project: str, zone: str, name: str, type_: str) -> dict | None:
    doc = ctx.store.get(RRSETS, rrset_key(project, zone, name, type_))
    if doc is None or doc["name"].lower() != name.lower():
        return None
    return doc


def list_rrsets(ctx, project: str, zone: str) -> list[dict]:
    return ctx.store.list(RRSETS, child_prefix(project, zone))


def apply_change(ctx, project: str, zone_name: str, additions: list, deletions: list, *,
                 add_field=lambda i: f"entity.change.additions[{i}]",
                 del_field=lambda i: f"entity.change.deletions[{i}]",
                 deletions_checked: bool = False) -> dict:
    """Validate and apply a change atomically; returns the stored change document."""
    if not additions and not deletions:
        raise required("entity.change")
    with ctx.store.transaction():
        zone = load_zone(ctx, project, zone_name)
        zone_name = zone["name"]
        quota.check("rrsetAdditionsPerChange", len(additions))
        quota.check("rrsetDeletionsPerChange", len(deletions))
        apex = zone["dnsName"]
        adds = [normalise(a, add_field(i), addition=True) for i, a in enumerate(additions)]
        dels = [normalise(d, del_field(i), addition=False) for i, d in enumerate(deletions)]
        for items, field in ((adds, add_field), (dels, del_field)):
            for i, rr in enumerate(items):
                if not within(rr["name"], apex):
                    raise invalid_value(f"{field(i)}.name", rr["name"])

        live = {(rr["name"].lower(), rr["type"]): rr for rr in list_rrsets(ctx, project, zone_name)}
        state = dict(live)

        missing, mismatched = [], []
        for i, rr in enumerate(dels):
            key = (rr["name"].lower(), rr["type"])
            current = state.get(key)
            if current is None:
                missing.append(resource_not_found(del_field(i), label(rr)))
            elif not deletions_checked and not _matches(rr, current):
                mismatched.append(DnsError(412, "conditionNotMet", f"Precondition not met for '{del_field(i)}'"))
            else:
                del state[key]
        if missing:
            raise combine(missing)
        if mismatched:
            raise combine(mismatched)

        conflicts = []
        for i, rr in enumerate(adds):
            key = (rr["name"].lower(), rr["type"])
            if key in state:
                conflicts.append(already_exists(add_field(i), label(rr)))
            else:
                state[key] = rr
        if conflicts:
            raise combine(conflicts)

        _check_zone_shape(state, apex, adds, dels, add_field, del_field)
        quota.check("rrsetsPerManagedZone", len(state))
        quota.check("totalRrdataSizePerChange", sum(len(d) for rr in adds for d in rr.get("rrdatas", [])))

        for rr in dels:
            ctx.store.delete(RRSETS, rrset_key(project, zone_name, rr["name"], rr["type"]))
        for rr in adds:
            ctx.store.put(RRSETS, rrset_key(project, zone_name, rr["name"], rr["type"]), rr)
        return record_change(ctx, project, zone, adds, dels)


def record_change(ctx, project: str, zone: dict, adds: list, dels: list, *, immediate: bool = False) -> dict:
    """Store the change record (call inside a transaction holding the zone document)."""
    now = ctx.clock.now()
    change_id = int(zone.get("_nextChange", 0))
    zone["_nextChange"] = change_id + 1
    ctx.store.put(ZONES, zone_key(project, zone["name"]), zone)
    done_at = now if immediate else now + ctx.latency.duration(API, "changes", "create")
    change = {"kind": CHANGE_KIND, "id": str(change_id), "startTime": fmt_time(now), "_doneAt": done_at}
    if adds:
        change["additions"] = adds
    if dels:
        change["deletions"] = dels
    ctx.store.put(CHANGES, child_prefix(project, zone["name"]) + seq_key(change_id), change)
    return change


def render_change(ctx, change: dict) -> dict:
    out = strip_private(change)
    out["status"] = "done" if ctx.clock.now() >= change["_doneAt"] else "pending"
    return out


def _check_zone_shape(state: dict, apex: str, adds: list, dels: list, add_field, del_field) -> None:
    """What must hold after the change: apex SOA and NS present, SOA only at the apex, a CNAME
    alone at its name and never at the apex."""
    apex_l = apex.lower()
    for i, rr in enumerate(dels):
        if rr["name"].lower() == apex_l and rr["type"] in _APEX_TYPES and (apex_l, rr["type"]) not in state:
            raise invalid(f"The resource record set '{del_field(i)}' named '{label(rr)}' cannot be deleted: "
                          f"a zone needs its {rr['type']} record set at its apex (replace it in the same change "
                          "instead)")
    names_types: dict[str, set[str]] = {}
    for name, type_ in state:
        names_types.setdefault(name, set()).add(type_)
    for i, rr in enumerate(adds):
        name = rr["name"].lower()
        if rr["type"] == "SOA" and name != apex_l:
            raise invalid_value(f"{add_field(i)}.name", rr["name"])
        if rr["type"] == "NS" and rr["name"].startswith("*"):
            raise invalid_value(f"{add_field(i)}.name", rr["name"])
        types = names_types.get(name, set())
        if "CNAME" in types and (len(types) > 1 or name == apex_l):
            raise DnsError(400, "cnameResourceRecordSetConflict",
                           f"The resource '{add_field(i)}' named '{label(rr)}' conflicts with another resource "
                           "record set: a CNAME record set must be the only record set at its name and cannot "
                           "be at the zone apex")
