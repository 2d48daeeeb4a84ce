"""Regional addresses and global addresses; IP allocation for addresses, instances and forwarding rules."""

from __future__ import annotations

import ipaddress

from gcpkit.emulator.core.errors import invalid
from gcpkit.emulator.core.registry import handler

from . import crud
from .common import add_ref, coll, resolve, rel_of, users_of
from .links import full, parse_ref

COUNTERS = coll("ipcounters")


def _render(ctx, out, doc):
    rel = rel_of(doc)
    project = rel.split("/")[1]
    users = [d["selfLink"] for d in users_of(ctx, rel, ("instances", "forwardingRules"), f"projects/{project}/")]
    if users:
        out["users"] = users
        if "status" in out:
            out["status"] = "IN_USE"
    return out


ADDRESSES = crud.Spec("addresses", "compute#address", "region", "address", "address",
                      users=("forwardingRules", "instances"), labels=True, render=_render)
GLOBAL_ADDRESSES = crud.Spec("addresses", "compute#address", "global", "address", "address",
                             users=("forwardingRules", "instances"), labels=True, render=_render)


def allocate_external_ip(ctx) -> str:
    with ctx.store.transaction():
        c = ctx.store.get(COUNTERS, "external") or {"n": 0}
        c["n"] += 1
        ctx.store.put(COUNTERS, "external", c)
    n = c["n"]
    return str(ipaddress.ip_address("34.0.0.0") + 16 + n)


def find_by_ip(ctx, project: str, ip: str, region: str | None) -> dict | None:
    prefix = f"projects/{project}/regions/{region}/" if region else f"projects/{project}/global/"
    for d in ctx.store.list(ADDRESSES.store, prefix=prefix):
        if d.get("address") == ip:
            return d
    return None


def _build(ctx, doc, project, zone, region):
    from .networks import allocate_internal_ip, subnet_for

    doc.setdefault("addressType", "EXTERNAL")
    doc.setdefault("description", "")
    # as recorded: global INTERNAL (VPC peering) addresses show neither status nor networkTier
    if region is not None or doc["addressType"] == "EXTERNAL":
        doc["status"] = "RESERVED"
        doc.setdefault("networkTier", "PREMIUM")
    if doc["addressType"] == "EXTERNAL":
        if region is None:
            doc.setdefault("ipVersion", "IPV4")
        if not doc.get("address"):
            doc["address"] = allocate_external_ip(ctx)
        return None
    if doc.get("subnetwork"):
        sub_rel = parse_ref(doc["subnetwork"], project, "subnetworks", field="resource.subnetwork",
                            region=region, scope="region")
        sub = resolve(ctx, sub_rel)
        doc["subnetwork"] = full(sub_rel)
        add_ref(doc, sub_rel)
    elif region is not None and doc.get("purpose", "GCE_ENDPOINT") == "GCE_ENDPOINT":
        net_rel = parse_ref(doc.get("network") or "default", project, "networks", field="resource.network")
        resolve(ctx, net_rel)
        sub = subnet_for(ctx, net_rel, region)
        if sub is None:
            raise invalid(f"Invalid value for field 'resource.subnetwork': ''. No subnetwork in region {region}.")
        doc["_subnetwork"] = sub["selfLink"]  # GCP does not show the implicit subnetwork (recordings)
    else:
        sub = None
        if doc.get("network"):
            net_rel = parse_ref(doc["network"], project, "networks", field="resource.network")
            resolve(ctx, net_rel)
            doc["network"] = full(net_rel)
            add_ref(doc, net_rel)
    if sub is not None:
        if doc.get("address"):
            if ipaddress.ip_address(doc["address"]) not in ipaddress.ip_network(sub["ipCidrRange"]):
                raise invalid(f"Invalid value for field 'resource.address': '{doc['address']}'. "
                              f"Requested internal IP is outside the subnetwork CIDR range.")
        else:
            doc["address"] = allocate_internal_ip(ctx, sub)
    elif not doc.get("address"):
        doc["address"] = "10.%d.0.0" % (40 + int(doc["id"]) % 100)
        doc.setdefault("prefixLength", 16)
    return None


@handler("compute.addresses.insert")
def addresses_insert(ctx, req):
    return crud.insert(ctx, req, ADDRESSES, _build)


@handler("compute.globalAddresses.insert")
def global_addresses_insert(ctx, req):
    return crud.insert(ctx, req, GLOBAL_ADDRESSES, _build)


@handler("compute.addresses.get")
def addresses_get(ctx, req):
    return crud.get(ctx, req, ADDRESSES)


@handler("compute.globalAddresses.get")
def global_addresses_get(ctx, req):
    return crud.get(ctx, req, GLOBAL_ADDRESSES)


@handler("compute.addresses.list")
def addresses_list(ctx, req):
    return crud.list_(ctx, req, ADDRESSES)


@handler("compute.globalAddresses.list")
def global_addresses_list(ctx, req):
    return crud.list_(ctx, req, GLOBAL_ADDRESSES)


@handler("compute.addresses.delete")
def addresses_delete(ctx, req):
    return crud.delete(ctx, req, ADDRESSES)


@handler("compute.globalAddresses.delete")
def global_addresses_delete(ctx, req):
    return crud.delete(ctx, req, GLOBAL_ADDRESSES)


@handler("compute.addresses.setLabels")
def addresses_set_labels(ctx, req):
    return crud.set_labels(ctx, req, ADDRESSES, bare=True)  # the bare DONE operation (recordings)


@handler("compute.globalAddresses.setLabels")
def global_addresses_set_labels(ctx, req):
    return crud.set_labels(ctx, req, GLOBAL_ADDRESSES)

