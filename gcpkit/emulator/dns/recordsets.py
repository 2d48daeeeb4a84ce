"""dns.resourceRecordSets.*: list (name/type filters, pagination) and the newer per-record-set verbs
create/get/patch/delete, each applied as a change (so changes.list shows it, as in the real API)."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from .common import DnsError, invalid_value, load_zone, name_sort_key, page, required, resource_not_found
from .records import apply_change, get_rrset, label, list_rrsets, render

_FIELD = "entity.rrset"


def _key(rr: dict) -> str:
    return f"{name_sort_key(rr['name'])}/{rr['type']}"


@handler("dns.resourceRecordSets.list")
def list_(ctx, req):
    p = req.params
    zone = load_zone(ctx, p["project"], p["managedZone"])
    if p.get("filter"):
        raise DnsError(501, "notImplemented", "The gcpkit emulator does not implement the 'filter' parameter of "
                       "resourceRecordSets.list; use 'name' and 'type'.")
    rrsets = list_rrsets(ctx, p["project"], zone["name"])
    name, type_ = p.get("name"), p.get("type")
    if type_ and not name:
        raise required("parameters.name")
    if name:
        rrsets = [rr for rr in rrsets if rr["name"].lower() == name.lower()]
    if type_:
        rrsets = [rr for rr in rrsets if rr["type"] == type_]
    items, token = page(rrsets, p.get("maxResults"), p.get("pageToken"), key=_key)
    out: dict = {"kind": "dns#resourceRecordSetsListResponse"}
    if items:
        out["rrsets"] = [render(rr) for rr in items]
    if token:
        out["nextPageToken"] = token
    return out


def _existing(ctx, p: dict) -> dict:
    zone = load_zone(ctx, p["project"], p["managedZone"])
    rr = get_rrset(ctx, p["project"], zone["name"], p["name"], p["type"])
    if rr is None:
        raise resource_not_found("parameters.name", f"{p['name']} ({p['type']})")
    return rr


@handler("dns.resourceRecordSets.get")
def get(ctx, req):
    return render(_existing(ctx, req.params))


@handler("dns.resourceRecordSets.create")
def create(ctx, req):
    p = req.params
    body = req.body or {}
    change = apply_change(ctx, p["project"], p["managedZone"], [body], [],
                          add_field=lambda i: _FIELD, del_field=lambda i: _FIELD)
    return render(change["additions"][0])


@handler("dns.resourceRecordSets.patch")
def patch(ctx, req):
    p = req.params
    body = req.body or {}
    current = _existing(ctx, p)
    for field in ("name", "type"):
        value = body.get(field)
        if value is not None and value.lower() != current[field].lower():
            raise invalid_value(f"{_FIELD}.{field}", value)
    new = dict(current)
    for field in ("ttl", "rrdatas", "routingPolicy", "signatureRrdatas"):
        if body.get(field) is not None:
            new[field] = body[field]
    if body.get("routingPolicy") is not None:
        new.pop("rrdatas", None)
    elif body.get("rrdatas"):
        new.pop("routingPolicy", None)
    try:
        change = apply_change(ctx, p["project"], p["managedZone"], [new], [current],
                              add_field=lambda i: _FIELD, del_field=lambda i: _FIELD, deletions_checked=True)
    except DnsError as e:
        if e.code == 404:  # deleted meanwhile
            raise resource_not_found("parameters.name", label(current)) from None
        raise
    return render(change["additions"][0])


@handler("dns.resourceRecordSets.delete")
def delete(ctx, req):
    p = req.params
    current = _existing(ctx, p)
    apply_change(ctx, p["project"], p["managedZone"], [], [current],
                 add_field=lambda i: _FIELD, del_field=lambda i: _FIELD, deletions_checked=True)
    return {}
