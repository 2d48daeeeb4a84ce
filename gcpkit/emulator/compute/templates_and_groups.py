"""Instance templates, managed instance groups (regional and zonal) with their instance groups, unmanaged
zonal instance groups, autoscalers (regional and zonal)."""

from __future__ import annotations

import os
import string

from gcpkit.emulator.core.errors import invalid
from gcpkit.emulator.core.registry import handler

from . import catalog, crud
from .catalog_api import check_machine_type
from .common import (add_ref, base_doc, check_not_in_use, coll, current_status, fingerprint, lookup, must_get,
                     rel_of, resolve)
from .instances import INSTANCES, build_instance, cascade_disks
from .links import full, parse_ref, parse_scope_name, relative

TEMPLATES = crud.Spec("instanceTemplates", "compute#instanceTemplate", "global", "instance_template",
                      "instanceTemplate", users=("instanceGroupManagers",))
IG_DESCRIPTION = ("This instance group is controlled by Regional Instance Group Manager '{}'. To modify instances "
                  "in this group, use the Regional Instance Group Manager API: "
                  "https://cloud.google.com/compute/docs/reference/latest/regionInstanceGroupManagers")


# ---- instance templates ------------------------------------------------------------------------

def _build_template(ctx, doc, project, zone, region):
    props = dict(doc.get("properties") or {})
    if not props.get("machineType"):
        raise invalid("Invalid value for field 'resource.properties.machineType': ''. "
                      "Machine type must be specified.")
    check_machine_type(project, "us-central1-a", props["machineType"].rsplit("/", 1)[-1],
                       "resource.properties.machineType")
    from .snapshots_images import resolve_image

    disks = []
    for i, d in enumerate(props.get("disks") or []):
        d = dict(d)
        ip = d.get("initializeParams") or {}
        if ip.get("sourceImage"):
            resolve_image(ctx, project, ip["sourceImage"], f"resource.properties.disks[{i}].initializeParams.sourceImage")
        d.setdefault("kind", "compute#attachedDisk")
        d.setdefault("type", "PERSISTENT")
        d.setdefault("mode", "READ_WRITE")
        d.setdefault("interface", "SCSI")
        d.setdefault("index", i)
        d.setdefault("autoDelete", True)
        d.setdefault("boot", False)
        if d["boot"]:
            d.setdefault("deviceName", "boot")
        disks.append(d)
    props["disks"] = disks
    nics = []
    for i, n in enumerate(props.get("networkInterfaces") or [{}]):
        n = dict(n)
        if n.get("subnetwork"):
            sub_rel = parse_ref(n["subnetwork"], project, "subnetworks",
                                field=f"resource.properties.networkInterfaces[{i}].subnetwork", scope="region")
            sub = resolve(ctx, sub_rel)
            add_ref(doc, sub_rel)
            n.setdefault("network", sub["network"])
        net_rel = parse_ref(n.get("network") or "global/networks/default", project, "networks",
                            field=f"resource.properties.networkInterfaces[{i}].network")
        resolve(ctx, net_rel)
        add_ref(doc, net_rel)
        n["network"] = n.get("network") or full(net_rel)
        n.update(kind="compute#networkInterface", name=f"nic{i}")
        acs = []
        for ac in n.get("accessConfigs") or []:
            ac = dict(ac, kind="compute#accessConfig")
            ac.setdefault("type", "ONE_TO_ONE_NAT")
            ac.setdefault("name", "External NAT")
            ac.setdefault("networkTier", "PREMIUM")
            acs.append(ac)
        if acs:
            n["accessConfigs"] = acs
        nics.append(n)
    props["networkInterfaces"] = nics
    md = dict(props.get("metadata") or {})
    md["kind"] = "compute#metadata"
    md["fingerprint"] = fingerprint(md.get("items") or [])
    props["metadata"] = md
    sched = dict(props.get("scheduling") or {})
    sched.setdefault("onHostMaintenance", "TERMINATE" if sched.get("preemptible") else "MIGRATE")
    sched.setdefault("automaticRestart", not sched.get("preemptible", False))
    sched.setdefault("preemptible", False)
    props["scheduling"] = sched
    props.setdefault("tags", {})
    doc["properties"] = props


@handler("compute.instanceTemplates.insert")
def templates_insert(ctx, req):
    op = crud.insert(ctx, req, TEMPLATES, _build_template)
    return _retype(ctx, op, "compute.instanceTemplates.insert")


def _retype(ctx, op: dict, op_type: str) -> dict:
    """GCP reports instance template operations with the method id as operationType."""
    from .operations import OPS, render

    rel = relative(op["selfLink"])
    doc = ctx.store.get(OPS, rel)
    doc["operationType"] = op_type
    ctx.store.put(OPS, rel, doc)
    return render(ctx, doc)


@handler("compute.instanceTemplates.get")
def templates_get(ctx, req):
    return crud.get(ctx, req, TEMPLATES)


@handler("compute.instanceTemplates.list")
def templates_list(ctx, req):
    return crud.list_(ctx, req, TEMPLATES)


@handler("compute.instanceTemplates.delete")
def templates_delete(ctx, req):
    return _retype(ctx, crud.delete(ctx, req, TEMPLATES), "compute.instanceTemplates.delete")


# ---- managed instance groups (regional and zonal) ---------------------------------------------------

def _mig_render(ctx, out, doc):
    rel = rel_of(doc)
    members = members_of(ctx, doc)
    creating = sum(1 for m in members if current_status(ctx, m) != "RUNNING")
    # what GCP's answers leave out unless the request set it (recordings): currentActions (status.isStable
    # tells the same), listManagedInstancesResults, distributionPolicy, versions; a zonal group's fingerprint
    for key in ("listManagedInstancesResults", "distributionPolicy", "versions"):
        if not doc.get("_given", {}).get(key):
            out.pop(key, None)
    if "zone" in doc:
        out.pop("fingerprint", None)
    stable = creating == 0 and (len(members) == doc.get("targetSize", 0) or not doc.get("instanceTemplate"))
    status = {"isStable": stable, "versionTarget": {"isReached": stable},
              "stateful": {"hasStatefulConfig": False,
                           "perInstanceConfigs": {"allEffective": True}},
              "allInstancesConfig": {"effective": True}}
    project = rel.split("/")[1]
    for a in ctx.store.list(coll("autoscalers"), prefix=f"projects/{project}/"):
        if rel in a.get("_refs", ()):
            status["autoscaler"] = a["selfLink"]
    out["status"] = status
    out["targetSize"] = doc.get("targetSize", 0)
    return out


MIGS = crud.Spec("instanceGroupManagers", "compute#instanceGroupManager", "region", "instance_group_manager",
                 "instanceGroupManager", list_kind="compute#regionInstanceGroupManagerList",
                 users=("autoscalers",), fingerprint=True, render=_mig_render)
ZONAL_MIGS = crud.Spec("instanceGroupManagers", "compute#instanceGroupManager", "zone", "instance_group_manager",
                       "instanceGroupManager", list_kind="compute#instanceGroupManagerList",
                       users=("autoscalers",), fingerprint=True, render=_mig_render)


def _ig_render(ctx, out, doc):
    if "_mig" in doc:
        mig = lookup(ctx, doc["_mig"])
        out["size"] = len(members_of(ctx, mig)) if mig else 0
    else:
        out["size"] = len(doc.get("_members", []))
    return out


GROUPS = crud.Spec("instanceGroups", "compute#instanceGroup", "region", "instance_group", "instanceGroup",
                   list_kind="compute#regionInstanceGroupList", fingerprint=True, render=_ig_render)
ZONAL_GROUPS = crud.Spec("instanceGroups", "compute#instanceGroup", "zone", "instance_group", "instanceGroup",
                         list_kind="compute#instanceGroupList", users=("backendServices",), fingerprint=True,
                         render=_ig_render)


def members_of(ctx, mig: dict) -> list[dict]:
    rel = rel_of(mig)
    project = rel.split("/")[1]
    return [i for i in ctx.store.list(INSTANCES.store, prefix=f"projects/{project}/zones/")
            if i.get("_mig") == rel]


def _suffix() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(alphabet[b % len(alphabet)] for b in os.urandom(4))


def _create_member(ctx, mig: dict, zone: str) -> None:
    project = rel_of(mig).split("/")[1]
    t = must_get(ctx, relative(mig["instanceTemplate"]))
    props = t.get("properties") or {}
    while True:
        name = f"{mig['baseInstanceName']}-{_suffix()}"
        if lookup(ctx, f"projects/{project}/zones/{zone}/instances/{name}") is None:
            break
    doc = base_doc(ctx, INSTANCES.kind, project, "instances", name, zone=zone)
    for k, v in props.items():
        if k not in crud.OUTPUT_ONLY:
            doc[k] = v
    md = dict(doc.get("metadata") or {})
    items = [i for i in md.get("items") or [] if i.get("key") not in ("created-by", "instance-template")]
    items.append({"key": "created-by", "value": rel_of(mig)})
    items.append({"key": "instance-template", "value": relative(mig["instanceTemplate"])})
    md["items"] = items
    doc["metadata"] = md
    after = build_instance(ctx, doc, project, zone)
    doc["_mig"] = rel_of(mig)
    doc["_template"] = mig["instanceTemplate"]
    dur = crud.latency(ctx, "instances", "insert")
    doc["_readyAt"] = ctx.clock.now() + dur
    crud.apply_phases(ctx, doc, dur)
    crud.refresh_fingerprints(INSTANCES, doc)
    ctx.store.put(INSTANCES.store, rel_of(doc), doc)
    after()


def _delete_member(ctx, inst: dict) -> None:
    ctx.store.delete(INSTANCES.store, rel_of(inst))
    cascade_disks(ctx, inst)


def _zones_of(mig: dict) -> list[str]:
    if mig.get("zone"):
        return [parse_scope_name(mig["zone"])]
    return [parse_scope_name(z["zone"]) for z in mig["distributionPolicy"]["zones"]]


def _reconcile(ctx, mig: dict) -> None:
    """Create or delete members so the group has targetSize instances, spread evenly over its zones."""
    zones = _zones_of(mig)
    members = members_of(ctx, mig)
    target = int(mig.get("targetSize", 0)) if mig.get("instanceTemplate") else 0
    while len(members) > target:
        counts = {z: [m for m in members if parse_scope_name(m["zone"]) == z] for z in zones}
        zone = max(zones, key=lambda z: len(counts[z]))
        victim = sorted(counts[zone], key=lambda m: m["creationTimestamp"])[-1]
        _delete_member(ctx, victim)
        members.remove(victim)
    while len(members) < target:
        counts = {z: sum(1 for m in members if parse_scope_name(m["zone"]) == z) for z in zones}
        zone = min(zones, key=lambda z: counts[z])
        _create_member(ctx, mig, zone)
        members = members_of(ctx, mig)


def _validate_mig(ctx, doc, project, zone, region):
    doc["_refs"] = []
    doc.setdefault("_given", {k: k in doc for k in ("listManagedInstancesResults", "distributionPolicy", "versions")})
    versions = doc.get("versions") or []
    tmpl = doc.get("instanceTemplate") or (versions[0].get("instanceTemplate") if versions else None)
    if tmpl:  # GCP accepts a group without a template; it then creates no instances
        t_rel = parse_ref(tmpl, project, "instanceTemplates", field="resource.instanceTemplate")
        resolve(ctx, t_rel)
        add_ref(doc, t_rel)
        doc["instanceTemplate"] = full(t_rel)
        doc["versions"] = [{"instanceTemplate": full(t_rel),
                            "targetSize": {"calculated": int(doc.get("targetSize", 0))}}]
    else:
        doc.pop("instanceTemplate", None)
        doc.pop("versions", None)
    if "targetSize" not in doc:
        doc["targetSize"] = 0
    if int(doc["targetSize"]) < 0:
        raise invalid(f"Invalid value for field 'resource.targetSize': '{doc['targetSize']}'. "
                      f"Must be greater than or equal to 0")
    doc.setdefault("baseInstanceName", doc["name"])
    from .common import check_name

    check_name(doc["baseInstanceName"] + "-abcd", "resource.baseInstanceName")
    policies = []
    for i, p in enumerate(doc.get("autoHealingPolicies") or []):
        p = dict(p)
        if p.get("healthCheck"):
            hc_rel = parse_ref(p["healthCheck"], project, "healthChecks",
                               field=f"resource.autoHealingPolicies[{i}].healthCheck")
            resolve(ctx, hc_rel)
            add_ref(doc, hc_rel)
            p["healthCheck"] = full(hc_rel)
        policies.append(p)
    if policies:
        doc["autoHealingPolicies"] = policies
    up = dict(doc.get("updatePolicy") or {})
    if region is not None:
        dp = dict(doc.get("distributionPolicy") or {})
        zones = [parse_scope_name(z.get("zone")) for z in dp.get("zones") or []]
        for z in zones:
            if catalog.ZONES.get(z) != region:
                raise invalid(f"Invalid value for field 'resource.distributionPolicy.zones': '{z}'. "
                              f"Zone must be in the region of the group.")
        if not zones:
            zones = catalog.zones_of_region(region)[:3]
        dp["zones"] = [{"zone": full(f"projects/{project}/zones/{z}")} for z in zones]
        dp.setdefault("targetShape", "EVEN")
        doc["distributionPolicy"] = dp
        up.setdefault("instanceRedistributionType", "PROACTIVE")
        surge = len(zones)
    else:
        surge = 1
    up.setdefault("type", "OPPORTUNISTIC")
    up.setdefault("minimalAction", "REPLACE")
    up.setdefault("replacementMethod", "SUBSTITUTE")
    for k in ("maxSurge", "maxUnavailable"):
        v = dict(up.get(k) or {"fixed": surge})
        v["calculated"] = v.get("fixed", surge)
        up[k] = v
    doc["updatePolicy"] = up
    doc.setdefault("listManagedInstancesResults", "PAGELESS")
    scope = f"regions/{region}" if region is not None else f"zones/{zone}"
    doc["instanceGroup"] = full(f"projects/{project}/{scope}/instanceGroups/{doc['name']}")


def _register_migs(prefix: str, migs: crud.Spec, groups: crud.Spec) -> None:
    """compute.<prefix>.* for regionInstanceGroupManagers (regional) and instanceGroupManagers (zonal)."""
    description = IG_DESCRIPTION if migs.scope == "region" else IG_DESCRIPTION.replace(
        "Regional Instance Group Manager", "Instance Group Manager").replace(
        "regionInstanceGroupManagers", "instanceGroupManagers")

    @handler(f"compute.{prefix}.insert")
    def insert(ctx, req):
        def build(ctx, doc, project, zone, region):
            _validate_mig(ctx, doc, project, zone, region)

            def after():
                ig = base_doc(ctx, groups.kind, project, "instanceGroups", doc["name"], zone=zone, region=region)
                t = lookup(ctx, relative(doc["instanceTemplate"])) if doc.get("instanceTemplate") else None
                nic = ((t or {}).get("properties", {}).get("networkInterfaces") or [{}])[0]
                ig["description"] = description.format(doc["name"])
                if nic.get("network"):
                    ig["network"] = nic["network"]
                if doc.get("namedPorts"):
                    ig["namedPorts"] = doc["namedPorts"]
                ig["_mig"] = rel_of(doc)
                ig["_readyAt"] = doc["_readyAt"]
                crud.refresh_fingerprints(groups, ig)
                ctx.store.put(groups.store, rel_of(ig), ig)
                _reconcile(ctx, doc)
            return after

        return crud.insert(ctx, req, migs, build)

    @handler(f"compute.{prefix}.get")
    def get(ctx, req):
        return crud.get(ctx, req, migs)

    @handler(f"compute.{prefix}.list")
    def list_(ctx, req):
        return crud.list_(ctx, req, migs)

    @handler(f"compute.{prefix}.delete")
    def delete(ctx, req):
        def before(doc):
            check_not_in_use(ctx, rel_of(doc), "instance_group", ("backendServices",),
                             target=relative(doc["instanceGroup"]))

        def after(doc):
            for m in members_of(ctx, doc):
                _delete_member(ctx, m)
            ctx.store.delete(groups.store, relative(doc["instanceGroup"]))

        return crud.delete(ctx, req, migs, before=before, after=after)

    @handler(f"compute.{prefix}.resize")
    def resize(ctx, req):
        size = int(req.params.get("size", -1))

        def change(doc, *_):
            if size < 0:
                raise invalid(f"Invalid value for field 'size': '{size}'. Must be greater than or equal to 0")
            doc["targetSize"] = size
            if doc.get("versions"):
                doc["versions"][0]["targetSize"] = {"calculated": size}
            ctx.store.put(migs.store, rel_of(doc), doc)
            _reconcile(ctx, doc)

        return crud.mutate(ctx, req, migs, f"compute.{prefix}.resize", change, verb="resize")

    @handler(f"compute.{prefix}.setInstanceTemplate")
    def set_instance_template(ctx, req):
        body = dict(req.body or {})

        def change(doc, project, zone, region):
            t_rel = parse_ref(body.get("instanceTemplate") or "", project, "instanceTemplates",
                              field="instanceTemplate")
            resolve(ctx, t_rel)
            old = relative(doc.get("instanceTemplate", ""))
            doc["_refs"] = [r for r in doc["_refs"] if r != old] + [t_rel]
            doc["instanceTemplate"] = full(t_rel)
            doc["versions"] = [{"instanceTemplate": full(t_rel), "targetSize": {"calculated": doc["targetSize"]}}]
            ctx.store.put(migs.store, rel_of(doc), doc)
            _reconcile(ctx, doc)  # a group created without a template gets its instances now

        return crud.mutate(ctx, req, migs, f"compute.{prefix}.setInstanceTemplate", change,
                           verb="setInstanceTemplate")

    @handler(f"compute.{prefix}.patch")
    def patch(ctx, req):
        def validate(ctx, doc, project, zone, region):
            if req.body and req.body.get("versions") and not req.body.get("instanceTemplate"):
                doc["instanceTemplate"] = req.body["versions"][0].get("instanceTemplate")
            _validate_mig(ctx, doc, project, zone, region)
            ctx.store.put(migs.store, rel_of(doc), doc)
            _reconcile(ctx, doc)

        return crud.patch(ctx, req, migs, validate)

    @handler(f"compute.{prefix}.listManagedInstances")
    def list_managed(ctx, req):
        _, doc, _ = crud.locate(ctx, req, migs)
        out = []
        for m in sorted(members_of(ctx, doc), key=lambda m: m["name"]):
            status = current_status(ctx, m)
            out.append({"instance": m["selfLink"], "id": m["id"], "name": m["name"], "instanceStatus": status,
                        "currentAction": "NONE" if status == "RUNNING" else "CREATING",
                        "version": {"instanceTemplate": m.get("_template", doc.get("instanceTemplate", ""))}})
        return {"managedInstances": out} if out else {}


_register_migs("regionInstanceGroupManagers", MIGS, GROUPS)
_register_migs("instanceGroupManagers", ZONAL_MIGS, ZONAL_GROUPS)


# ---- instance groups: regional views of MIGs; zonal ones also unmanaged ---------------------------------------

def _group_members(ctx, doc) -> list[dict]:
    if "_mig" in doc:
        mig = lookup(ctx, doc["_mig"])
        return members_of(ctx, mig) if mig else []
    return [i for i in (lookup(ctx, relative(link)) for link in doc.get("_members", [])) if i is not None]


def _register_groups(prefix: str, groups: crud.Spec, list_kind: str) -> None:
    @handler(f"compute.{prefix}.get")
    def get(ctx, req):
        return crud.get(ctx, req, groups)

    @handler(f"compute.{prefix}.list")
    def list_(ctx, req):
        return crud.list_(ctx, req, groups)

    @handler(f"compute.{prefix}.listInstances")
    def list_instances(ctx, req):
        rel, doc, _ = crud.locate(ctx, req, groups)
        state = (req.body or {}).get("instanceState", "ALL")
        items = []
        for m in sorted(_group_members(ctx, doc), key=lambda m: m["name"]):
            status = current_status(ctx, m)
            if state == "RUNNING" and status != "RUNNING":
                continue
            item = {"instance": m["selfLink"], "status": status}
            if doc.get("namedPorts"):
                item["namedPorts"] = doc["namedPorts"]
            items.append(item)
        from .listing import list_response

        out = list_response(req, items, list_kind, rel)
        out["id"] = doc["id"]  # as recorded: the group's id, and no selfLink
        out.pop("selfLink", None)
        return out

    @handler(f"compute.{prefix}.setNamedPorts")
    def set_named_ports(ctx, req):
        body = dict(req.body or {})

        def change(doc, *_):
            crud.check_fingerprint(doc, body.get("fingerprint"))
            ports = body.get("namedPorts") or []
            if ports:
                doc["namedPorts"] = ports
            else:
                doc.pop("namedPorts", None)
            mig = lookup(ctx, doc["_mig"]) if "_mig" in doc else None
            if mig is not None:
                if ports:
                    mig["namedPorts"] = ports
                else:
                    mig.pop("namedPorts", None)
                crud.refresh_fingerprints(MIGS, mig)
                ctx.store.put(coll("instanceGroupManagers"), rel_of(mig), mig)

        return crud.mutate(ctx, req, groups, "setNamedPorts", change)


_register_groups("regionInstanceGroups", GROUPS, "compute#regionInstanceGroupsListInstances")
_register_groups("instanceGroups", ZONAL_GROUPS, "compute#instanceGroupsListInstances")


def _build_unmanaged(ctx, doc, project, zone, region):
    if doc.get("network"):
        net_rel = parse_ref(doc["network"], project, "networks", field="resource.network")
        resolve(ctx, net_rel)
        doc["network"] = full(net_rel)
    doc["_members"] = []


@handler("compute.instanceGroups.insert")
def unmanaged_insert(ctx, req):
    return crud.insert(ctx, req, ZONAL_GROUPS, _build_unmanaged)


@handler("compute.instanceGroups.delete")
def unmanaged_delete(ctx, req):
    def before(doc):
        if "_mig" in doc:
            raise invalid(f"Invalid value for field 'instanceGroup': '{doc['name']}'. The instance group is "
                          f"managed by '{doc['_mig']}'; delete the instance group manager instead.")
    return crud.delete(ctx, req, ZONAL_GROUPS, before=before)


def _members_change(req, adding: bool):
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        if "_mig" in doc:
            raise invalid(f"Invalid value for field 'instanceGroup': '{doc['name']}'. "
                          f"Instances of a managed instance group are changed through its manager.")
        members = list(doc.get("_members", []))
        for i, ref in enumerate(body.get("instances") or []):
            rel = parse_ref(ref.get("instance") or "", project, "instances", field=f"instances[{i}].instance",
                            zone=zone, scope="zone")
            link = full(rel)
            if adding:
                if link not in members:
                    members.append(link)
            elif link in members:
                members.remove(link)
        doc["_members"] = members
    return change


@handler("compute.instanceGroups.addInstances")
def unmanaged_add(ctx, req):
    change = _members_change(req, True)

    def checked(doc, project, zone, region):
        for i, ref in enumerate((req.body or {}).get("instances") or []):
            resolve(ctx, parse_ref(ref.get("instance") or "", project, "instances",
                                   field=f"instances[{i}].instance", zone=zone, scope="zone"))
        change(doc, project, zone, region)
    return crud.mutate(ctx, req, ZONAL_GROUPS, "addInstances", checked)


@handler("compute.instanceGroups.removeInstances")
def unmanaged_remove(ctx, req):
    return crud.mutate(ctx, req, ZONAL_GROUPS, "removeInstances", _members_change(req, False))


# ---- autoscalers (regional and zonal) --------------------------------------------------------------------

def _as_render(ctx, out, doc):
    return out  # no recommendedSize in GCP's answers (recordings)


AUTOSCALERS = crud.Spec("autoscalers", "compute#autoscaler", "region", "autoscaler", "autoscaler",
                        list_kind="compute#regionAutoscalerList", render=_as_render)
ZONAL_AUTOSCALERS = crud.Spec("autoscalers", "compute#autoscaler", "zone", "autoscaler", "autoscaler",
                              list_kind="compute#autoscalerList", render=_as_render)


def _validate_autoscaler(ctx, doc, project, zone, region):
    if not doc.get("target"):
        raise invalid("Invalid value for field 'resource.target': ''. Target must be specified.")
    t_rel = parse_ref(doc["target"], project, "instanceGroupManagers", field="resource.target",
                      region=region, zone=zone, scope="region" if region else "zone")
    resolve(ctx, t_rel)
    doc["_refs"] = [t_rel]
    doc["target"] = full(t_rel)
    pol = dict(doc.get("autoscalingPolicy") or {})
    if "maxNumReplicas" not in pol:
        raise invalid("Invalid value for field 'resource.autoscalingPolicy.maxNumReplicas': '0'. "
                      "maxNumReplicas must be specified.")
    pol.setdefault("minNumReplicas", 1)
    if pol["minNumReplicas"] > pol["maxNumReplicas"]:
        raise invalid(f"Invalid value for field 'resource.autoscalingPolicy.minNumReplicas': "
                      f"'{pol['minNumReplicas']}'. Minimum number of replicas must not exceed the maximum.")
    pol.setdefault("coolDownPeriodSec", 60)
    pol.setdefault("mode", "ON")
    if not any(k in pol for k in ("cpuUtilization", "loadBalancingUtilization", "customMetricUtilizations")):
        pol["cpuUtilization"] = {"utilizationTarget": 0.6}
    if "cpuUtilization" in pol:
        pol["cpuUtilization"] = dict(pol["cpuUtilization"])
        pol["cpuUtilization"].setdefault("predictiveMethod", "NONE")
    doc["autoscalingPolicy"] = pol
    doc["status"] = "ACTIVE"

    def apply():
        mig = must_get(ctx, t_rel)
        size = min(max(int(mig.get("targetSize", 0)), pol["minNumReplicas"]), pol["maxNumReplicas"])
        if pol.get("mode", "ON") != "OFF" and size != mig.get("targetSize"):
            mig["targetSize"] = size
            if mig.get("versions"):
                mig["versions"][0]["targetSize"] = {"calculated": size}
            crud.refresh_fingerprints(MIGS, mig)
            ctx.store.put(coll("instanceGroupManagers"), t_rel, mig)
            _reconcile(ctx, mig)
    return apply


def _register_autoscalers(prefix: str, spec: crud.Spec) -> None:
    crud.register(prefix, spec, _validate_autoscaler, with_update=False, with_patch=False)

    def change(ctx, req, replace: bool):
        name = req.params.get("autoscaler") or (req.body or {}).get("name")
        if not name:
            raise invalid("Invalid value for field 'autoscaler': ''. Autoscaler name must be specified.")

        def validate(ctx, doc, project, zone, region):
            _validate_autoscaler(ctx, doc, project, zone, region)()

        return crud.patch(ctx, req, spec, validate, replace=replace, name=name)

    @handler(f"compute.{prefix}.patch")
    def patch(ctx, req):
        return change(ctx, req, False)

    @handler(f"compute.{prefix}.update")
    def update(ctx, req):
        return change(ctx, req, True)


_register_autoscalers("regionAutoscalers", AUTOSCALERS)
_register_autoscalers("autoscalers", ZONAL_AUTOSCALERS)
