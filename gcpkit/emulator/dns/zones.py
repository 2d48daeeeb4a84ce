"""dns.managedZones.*: create (with its SOA and NS record sets), get, list, update, patch, delete.

Shapes follow the real API (gcp-golden/dns--dnsmanagedzone.http.log): a zone always carries
cloudLoggingConfig {kind}, creationTime, id (numeric string), kind, nameServers and visibility;
update and patch answer with a dns#operation holding the old and new zone.
"""

from __future__ import annotations

import copy

from gcpkit.emulator.core.registry import handler

from .common import (CHANGES, OPERATIONS, RRSETS, ZONES, DnsError, already_exists, child_prefix, fmt_time,
                     invalid_value, load_zone, new_zone_id, page, rrset_key, seq_key, strip_private, zone_key)
from .names import check_dns_name, check_labels, check_zone_name
from . import projects as quota
from .operations import record_operation, render_operation
from .records import list_rrsets, record_change

ZONE_KIND = "dns#managedZone"
LOGGING_KIND = "dns#managedZoneCloudLoggingConfig"
DNSSEC_KIND = "dns#managedZoneDnsSecConfig"
HOSTMASTER = "cloud-dns-hostmaster.google.com."
SOA_TIMERS = "1 21600 3600 259200 300"  # serial refresh retry expire minimum
APEX_TTL = 21600
SHARDS = "abcde"
PRIVATE_NS = "ns-gcp-private.googledomains.com."

# What a client may set; everything else in a request body is output-only and ignored.
MUTABLE = ("description", "labels", "privateVisibilityConfig", "dnssecConfig", "cloudLoggingConfig",
           "forwardingConfig", "peeringConfig", "reverseLookupConfig", "serviceDirectoryConfig")
IMMUTABLE = ("name", "dnsName", "visibility", "nameServerSet")


def name_servers(letter: str) -> list[str]:
    return [f"ns-cloud-{letter}{i}.googledomains.com." for i in range(1, 5)]


def _pick_shard(ctx, project: str, dns_name: str) -> str:
    """The first name server set no other zone of the project with the same DNS name uses
    (Cloud DNS serves overlapping zones from different name servers)."""
    used = {z.get("_shard") for z in ctx.store.list(ZONES, f"{project}/")
            if z["dnsName"].lower() == dns_name.lower()}
    for letter in SHARDS:
        if letter not in used:
            return letter
    return SHARDS[len(used) % len(SHARDS)]


def _clean(value):
    """Drop empty lists and dicts inside a config, as the API's proto3 JSON output does."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _clean(v)
            if v in ([], None):
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _apply_fields(zone: dict, body: dict, replace: bool) -> None:
    for field in MUTABLE:
        if field in body and body[field] is not None:
            zone[field] = copy.deepcopy(body[field])
        elif replace and field != "cloudLoggingConfig":
            zone.pop(field, None)
    check_labels(zone.get("labels"))
    if zone.get("labels") == {}:
        zone.pop("labels")
    if "description" in zone and not isinstance(zone["description"], str):
        raise invalid_value("entity.managedZone.description", zone["description"])
    if len(zone.get("description") or "") > 1024:
        raise invalid_value("entity.managedZone.description", zone["description"])
    logging = dict(zone.get("cloudLoggingConfig") or {})
    logging["kind"] = LOGGING_KIND
    if not logging.get("enableLogging"):
        logging.pop("enableLogging", None)
    zone["cloudLoggingConfig"] = logging
    for field in ("privateVisibilityConfig", "forwardingConfig", "peeringConfig", "reverseLookupConfig",
                  "serviceDirectoryConfig"):
        if field in zone:
            zone[field] = _clean(zone[field])
    if "dnssecConfig" in zone:
        dnssec = _clean(zone["dnssecConfig"])
        dnssec["kind"] = DNSSEC_KIND
        if dnssec.get("state") not in (None, "off", "on", "transfer"):
            raise invalid_value("entity.managedZone.dnssecConfig.state", dnssec.get("state"))
        dnssec.setdefault("state", "off")
        zone["dnssecConfig"] = dnssec
    networks = (zone.get("privateVisibilityConfig") or {}).get("networks") or []
    if zone["visibility"] == "public":
        for field in ("forwardingConfig", "peeringConfig", "serviceDirectoryConfig"):
            if zone.get(field):
                raise invalid_value(f"entity.managedZone.{field}", "only private zones have it")
        if networks:
            raise invalid_value("entity.managedZone.privateVisibilityConfig", "networks are only for private zones")
    quota.check("networksPerManagedZone", len(networks))
    for i, network in enumerate(networks):
        if not isinstance(network, dict) or not network.get("networkUrl"):
            raise invalid_value(f"entity.managedZone.privateVisibilityConfig.networks[{i}].networkUrl",
                                (network or {}).get("networkUrl") if isinstance(network, dict) else network)


def render_zone(zone: dict) -> dict:
    return strip_private(zone)


@handler("dns.managedZones.create")
def create(ctx, req):
    project = req.params["project"]
    body = req.body or {}
    name, dns_name = body.get("name"), body.get("dnsName")
    if name is None:
        raise DnsError(400, "required", "The 'entity.managedZone.name' parameter is required but was missing.")
    check_zone_name(name)
    if dns_name is None:
        raise DnsError(400, "required", "The 'entity.managedZone.dnsName' parameter is required but was missing.")
    check_dns_name(dns_name)
    visibility = body.get("visibility") or "public"
    now = ctx.clock.now()
    with ctx.store.transaction():
        if ctx.store.get(ZONES, zone_key(project, name)) is not None:
            raise already_exists("entity.managedZone", name)
        quota.check("managedZones", len(ctx.store.list(ZONES, f"{project}/")) + 1)
        letter = _pick_shard(ctx, project, dns_name)
        zone: dict = {"kind": ZONE_KIND, "name": name, "dnsName": dns_name, "id": new_zone_id(ctx),
                      "creationTime": fmt_time(now), "visibility": visibility,
                      "nameServers": name_servers(letter)}
        if body.get("nameServerSet"):
            zone["nameServerSet"] = body["nameServerSet"]
        _apply_fields(zone, body, replace=False)
        zone["_shard"] = letter
        zone["_nextChange"] = 0
        zone["_nextOperation"] = 1
        zone["_created"] = now
        ctx.store.put(ZONES, zone_key(project, name), zone)

        primary = PRIVATE_NS if visibility == "private" else zone["nameServers"][0]
        ns_data = [PRIVATE_NS] if visibility == "private" else list(zone["nameServers"])
        ns = {"name": dns_name, "type": "NS", "ttl": APEX_TTL, "rrdatas": ns_data}
        soa = {"name": dns_name, "type": "SOA", "ttl": APEX_TTL,
               "rrdatas": [f"{primary} {HOSTMASTER} {SOA_TIMERS}"]}
        for rr in (ns, soa):
            ctx.store.put(RRSETS, rrset_key(project, name, rr["name"], rr["type"]), rr)
        record_change(ctx, project, zone, [ns, soa], [], immediate=True)  # change "0", like the real API
    return render_zone(zone)


@handler("dns.managedZones.get")
def get(ctx, req):
    return render_zone(load_zone(ctx, req.params["project"], req.params["managedZone"]))


@handler("dns.managedZones.list")
def list_(ctx, req):
    p = req.params
    zones = ctx.store.list(ZONES, f"{p['project']}/")
    if p.get("dnsName"):
        wanted = p["dnsName"].lower()
        wanted = wanted if wanted.endswith(".") else wanted + "."
        zones = [z for z in zones if z["dnsName"].lower() == wanted]
    items, token = page(zones, p.get("maxResults"), p.get("pageToken"), key=lambda z: z["name"])
    out: dict = {"kind": "dns#managedZonesListResponse"}
    if items:
        out["managedZones"] = [render_zone(z) for z in items]
    if token:
        out["nextPageToken"] = token
    return out


def _modify(ctx, req, replace: bool) -> dict:
    p = req.params
    project = p["project"]
    body = req.body or {}
    with ctx.store.transaction():
        zone = load_zone(ctx, project, p["managedZone"])
        name = zone["name"]
        old = copy.deepcopy(zone)
        for field in IMMUTABLE:
            value = body.get(field)
            if value is None or value == zone.get(field):
                continue
            if field == "dnsName" and isinstance(value, str) and value.lower() == zone["dnsName"].lower():
                continue
            raise invalid_value(f"entity.managedZone.{field}", value)
        _apply_fields(zone, body, replace=replace)
        op = record_operation(ctx, project, zone, "UPDATE", render_zone(old), render_zone(zone))
        ctx.store.put(ZONES, zone_key(project, name), zone)
    return render_operation(ctx, op)


@handler("dns.managedZones.update")
def update(ctx, req):
    return _modify(ctx, req, replace=True)


@handler("dns.managedZones.patch")
def patch(ctx, req):
    return _modify(ctx, req, replace=False)


@handler("dns.managedZones.delete")
def delete(ctx, req):
    p = req.params
    project = p["project"]
    with ctx.store.transaction():
        zone = load_zone(ctx, project, p["managedZone"])
        name = zone["name"]
        apex = zone["dnsName"].lower()
        rrsets = list_rrsets(ctx, project, name)
        if any(not (rr["name"].lower() == apex and rr["type"] in ("SOA", "NS")) for rr in rrsets):
            raise DnsError(400, "containerNotEmpty", f"The resource named '{name}' cannot be deleted because "
                           "it contains one or more 'resource records'.")
        prefix = child_prefix(project, name)
        for rr in rrsets:
            ctx.store.delete(RRSETS, rrset_key(project, name, rr["name"], rr["type"]))
        for collection in (CHANGES, OPERATIONS):
            for doc in ctx.store.list(collection, prefix):
                ctx.store.delete(collection, prefix + seq_key(int(doc["id"])))
        ctx.store.delete(ZONES, zone_key(project, name))
    return 200, {}
