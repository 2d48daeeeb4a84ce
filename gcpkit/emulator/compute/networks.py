"""Networks (with the lazily created `default` network of a fresh project), subnetworks, firewalls."""

from __future__ import annotations

import ipaddress

from gcpkit.emulator.core.errors import invalid
from gcpkit.emulator.core.registry import handler

from . import catalog, crud
from .common import (add_ref, base_doc, coll, fingerprint, fmt_time, lookup, must_get, rel_of, resolve)
from .links import full, parse_ref, relative

def _render_network(ctx, out, doc):
    if not out.get("subnetworks"):
        out.pop("subnetworks", None)  # GCP omits the empty list
    return out


NETWORKS = crud.Spec("networks", "compute#network", "global", "network", "network",
                     users=("firewalls", "subnetworks", "instances"), self_link_with_id=True, render=_render_network)
SUBNETWORKS = crud.Spec("subnetworks", "compute#subnetwork", "region", "subnetwork", "subnetwork",
                        users=("instances", "addresses"), fingerprint=True)
FIREWALLS = crud.Spec("firewalls", "compute#firewall", "global", "firewall", "firewall")
PROJECTS = coll("projects")


# ---- project bootstrap: the `default` network a real project starts with ----------------------

def ensure_project(ctx, project: str) -> None:
    if ctx.store.get(PROJECTS, project) is not None:
        return
    with ctx.store.transaction():
        if ctx.store.get(PROJECTS, project) is not None:
            return
        now = ctx.clock.now() - 1
        net = base_doc(ctx, NETWORKS.kind, project, "networks", "default")
        # as recorded: the default network shows no routingConfig
        net.update(description="Default network for the project", autoCreateSubnetworks=True,
                   networkFirewallPolicyEnforcementOrder="AFTER_CLASSIC_FIREWALL")
        net["selfLinkWithId"] = full(f"projects/{project}/global/networks/{net['id']}")
        net["_readyAt"] = now
        _auto_subnets(ctx, net, project, ready_at=now)
        ctx.store.put(NETWORKS.store, rel_of(net), net)
        rules = [
            ("default-allow-icmp", "Allow ICMP from anywhere", 65534, [{"IPProtocol": "icmp"}], ["0.0.0.0/0"]),
            ("default-allow-internal", "Allow internal traffic on the default network", 65534,
             [{"IPProtocol": "tcp", "ports": ["0-65535"]}, {"IPProtocol": "udp", "ports": ["0-65535"]},
              {"IPProtocol": "icmp"}], ["10.128.0.0/9"]),
            ("default-allow-rdp", "Allow RDP from anywhere", 65534, [{"IPProtocol": "tcp", "ports": ["3389"]}], ["0.0.0.0/0"]),
            ("default-allow-ssh", "Allow SSH from anywhere", 65534, [{"IPProtocol": "tcp", "ports": ["22"]}], ["0.0.0.0/0"]),
        ]
        for name, desc, prio, allowed, ranges in rules:
            fw = base_doc(ctx, FIREWALLS.kind, project, "firewalls", name)
            fw.update(description=desc, network=net["selfLink"], priority=prio, sourceRanges=ranges,
                      allowed=allowed, direction="INGRESS", logConfig={"enable": False}, disabled=False)
            fw["_refs"] = [rel_of(net)]
            fw["_readyAt"] = now
            ctx.store.put(FIREWALLS.store, rel_of(fw), fw)
        ctx.store.put(PROJECTS, project, {"project": project, "creationTimestamp": fmt_time(now)})


def _auto_subnets(ctx, net: dict, project: str, ready_at: float) -> None:
    links = []
    for region, (_, cidr) in sorted(catalog.REGIONS.items()):
        sub = base_doc(ctx, SUBNETWORKS.kind, project, "subnetworks", net["name"], region=region)
        _subnet_defaults(sub, net["selfLink"], cidr)
        sub["_auto"] = True
        sub["_readyAt"] = ready_at
        sub["fingerprint"] = fingerprint(sub)
        ctx.store.put(SUBNETWORKS.store, rel_of(sub), sub)
        links.append(sub["selfLink"])
    net["subnetworks"] = links


def _subnet_defaults(sub: dict, network_link: str, cidr: str) -> None:
    net = ipaddress.ip_network(cidr)
    sub.update(network=network_link, ipCidrRange=str(net), gatewayAddress=str(net.network_address + 1))
    sub.setdefault("privateIpGoogleAccess", False)
    sub.setdefault("privateIpv6GoogleAccess", "DISABLE_GOOGLE_ACCESS")
    sub.setdefault("purpose", "PRIVATE")
    sub.setdefault("stackType", "IPV4_ONLY")
    sub["state"] = "READY"
    sub["_nextHost"] = 2


def allocate_internal_ip(ctx, subnet: dict, wanted: str | None = None) -> str:
    net = ipaddress.ip_network(subnet["ipCidrRange"])
    if wanted:
        return wanted
    used = subnet.get("_nextHost", 2)
    ip = net.network_address + used
    subnet["_nextHost"] = used + 1
    ctx.store.put(SUBNETWORKS.store, rel_of(subnet), subnet)
    return str(ip)


def subnet_for(ctx, network_rel: str, region: str) -> dict | None:
    net = lookup(ctx, network_rel)
    if net is None:
        return None
    for link in net.get("subnetworks", []):
        rel = relative(link)
        if rel.split("/")[3] == region:
            return lookup(ctx, rel)
    return None


# ---- networks ----------------------------------------------------------------------------------

def _build_network(ctx, doc, project, zone, region):
    if doc.get("IPv4Range") and doc.get("autoCreateSubnetworks"):
        raise invalid("Invalid value for field 'resource.IPv4Range': '%s'. IPv4Range cannot be set for "
                      "subnet mode networks." % doc["IPv4Range"])
    if "IPv4Range" not in doc:
        doc.setdefault("autoCreateSubnetworks", True)
    doc.setdefault("networkFirewallPolicyEnforcementOrder", "AFTER_CLASSIC_FIREWALL")
    if "routingConfig" in doc:  # GCP shows routingConfig only when the request gave one (recordings)
        rc = doc["routingConfig"]
        rc.setdefault("routingMode", "REGIONAL")
        rc.setdefault("bgpBestPathSelectionMode", "LEGACY")
    if doc.get("networkProfile"):
        doc["networkProfile"] = full(relative(doc["networkProfile"]))
    if doc.get("enableUlaInternalIpv6") and not doc.get("internalIpv6Range"):
        doc["internalIpv6Range"] = "fd20:eb5:88a:0:0:0:0:0/48"
    if doc.get("enableUlaInternalIpv6") is False:
        del doc["enableUlaInternalIpv6"]  # GCP does not echo the false default (recordings)

    def after():
        if doc.get("autoCreateSubnetworks"):
            _auto_subnets(ctx, doc, project, ready_at=doc["_readyAt"])
            ctx.store.put(NETWORKS.store, rel_of(doc), doc)
    return after


@handler("compute.networks.insert")
def networks_insert(ctx, req):
    return crud.insert(ctx, req, NETWORKS, _build_network)


@handler("compute.networks.get")
def networks_get(ctx, req):
    return crud.get(ctx, req, NETWORKS)


@handler("compute.networks.list")
def networks_list(ctx, req):
    return crud.list_(ctx, req, NETWORKS)


@handler("compute.networks.delete")
def networks_delete(ctx, req):
    def after(doc):
        for link in doc.get("subnetworks", []):
            ctx.store.delete(SUBNETWORKS.store, relative(link))
    return crud.delete(ctx, req, NETWORKS, after=after)


@handler("compute.networks.patch")
def networks_patch(ctx, req):
    def validate(ctx, doc, *_):
        if doc.get("enableUlaInternalIpv6") and not doc.get("internalIpv6Range"):
            doc["internalIpv6Range"] = "fd20:eb5:88a:0:0:0:0:0/48"
    return crud.patch(ctx, req, NETWORKS, validate, op_type="updateNetwork")


# ---- subnetworks --------------------------------------------------------------------------------

def _build_subnet(ctx, doc, project, zone, region):
    if not doc.get("network"):
        raise invalid("Invalid value for field 'resource.network': ''. The referenced network resource cannot be found.")
    net_rel = parse_ref(doc["network"], project, "networks", field="resource.network")
    net = resolve(ctx, net_rel)
    cidr = doc.get("ipCidrRange")
    try:
        rng = ipaddress.ip_network(cidr or "", strict=True)
    except ValueError:
        raise invalid(f"Invalid value for field 'resource.ipCidrRange': '{cidr or ''}'. Invalid IPCidrRange: {cidr or ''}")
    for link in net.get("subnetworks", []):
        other = lookup(ctx, relative(link))
        if other and ipaddress.ip_network(other["ipCidrRange"]).overlaps(rng):
            raise invalid(f"Invalid IPCidrRange: {cidr} conflicts with existing subnetwork '{other['name']}' "
                          f"in region '{relative(other['region']).split('/')[-1]}'.")
    _subnet_defaults(doc, full(net_rel), cidr)
    add_ref(doc, net_rel)

    def after():
        n = must_get(ctx, net_rel)
        n.setdefault("subnetworks", []).append(doc["selfLink"])
        ctx.store.put(NETWORKS.store, net_rel, n)
    return after


@handler("compute.subnetworks.insert")
def subnetworks_insert(ctx, req):
    return crud.insert(ctx, req, SUBNETWORKS, _build_subnet)


@handler("compute.subnetworks.get")
def subnetworks_get(ctx, req):
    return crud.get(ctx, req, SUBNETWORKS)


@handler("compute.subnetworks.list")
def subnetworks_list(ctx, req):
    return crud.list_(ctx, req, SUBNETWORKS)


@handler("compute.subnetworks.delete")
def subnetworks_delete(ctx, req):
    def after(doc):
        net_rel = relative(doc["network"])
        n = lookup(ctx, net_rel)
        if n:
            n["subnetworks"] = [s for s in n.get("subnetworks", []) if s != doc["selfLink"]]
            ctx.store.put(NETWORKS.store, net_rel, n)
    return crud.delete(ctx, req, SUBNETWORKS, after=after)


@handler("compute.subnetworks.setPrivateIpGoogleAccess")
def subnetworks_set_private_ip_google_access(ctx, req):
    flag = bool((req.body or {}).get("privateIpGoogleAccess", False))

    def change(doc, *_):
        doc["privateIpGoogleAccess"] = flag
    return crud.mutate(ctx, req, SUBNETWORKS, "setPrivateIpGoogleAccess", change)


@handler("compute.subnetworks.patch")
def subnetworks_patch(ctx, req):
    return crud.patch(ctx, req, SUBNETWORKS)


# ---- firewalls --------------------------------------------------------------------------------

def _build_firewall(ctx, doc, project, zone, region):
    net_rel = parse_ref(doc.get("network") or "global/networks/default", project, "networks",
                        field="resource.network")
    resolve(ctx, net_rel)
    doc["network"] = full(net_rel)
    doc["_refs"] = [net_rel]
    if doc.get("allowed") and doc.get("denied"):
        raise invalid("Invalid value for field 'resource': ''. Exactly one of allowed or denied must be specified.")
    # as recorded: GCP adds direction, priority and disabled, and no implicit source ranges or logConfig
    doc.setdefault("direction", "INGRESS")
    doc.setdefault("priority", 1000)
    doc.setdefault("disabled", False)


@handler("compute.firewalls.insert")
def firewalls_insert(ctx, req):
    return crud.insert(ctx, req, FIREWALLS, _build_firewall)


@handler("compute.firewalls.get")
def firewalls_get(ctx, req):
    return crud.get(ctx, req, FIREWALLS)


@handler("compute.firewalls.list")
def firewalls_list(ctx, req):
    return crud.list_(ctx, req, FIREWALLS)


@handler("compute.firewalls.delete")
def firewalls_delete(ctx, req):
    return crud.delete(ctx, req, FIREWALLS)


@handler("compute.firewalls.patch")
def firewalls_patch(ctx, req):
    return crud.patch(ctx, req, FIREWALLS, _build_firewall, op_type="compute.firewalls.patch")  # as recorded


@handler("compute.firewalls.update")
def firewalls_update(ctx, req):
    return crud.patch(ctx, req, FIREWALLS, _build_firewall, replace=True)
