"""VM instances: insert (boot disk from image, NICs with internal/external IPs), lifecycle verbs,
labels/metadata/tags with fingerprints, attach/detach disks; delete cascades autoDelete disks."""

from __future__ import annotations

import ipaddress

from gcpkit.emulator.core.errors import ApiError, already_exists, in_use, invalid
from gcpkit.emulator.core.registry import handler

from . import crud
from .catalog import region_of_zone
from .catalog_api import check_machine_type
from .common import (add_ref, base_doc, current_status, fingerprint, lookup, rel_of, resolve)
from .disks import DISKS, build_disk
from .links import full, parse_ref, relative

def _render_instance(ctx, out, doc):
    # GCP's instance answers in the recordings carry no fingerprint (it stays internal: instances.update
    # still checks one when given), and tags only once some were set
    out.pop("fingerprint", None)
    if not doc.get("_tagsSet"):
        out.pop("tags", None)
    return out


INSTANCES = crud.Spec("instances", "compute#instance", "zone", "instance", "instance", fingerprint=True,
                      labels=True, render=_render_instance)
SCOPE_ALIASES = {
    "cloud-platform": "cloud-platform", "compute-ro": "compute.readonly", "compute-rw": "compute",
    "storage-ro": "devstorage.read_only", "storage-rw": "devstorage.read_write", "storage-full": "devstorage.full_control",
    "logging-write": "logging.write", "monitoring-write": "monitoring.write", "monitoring": "monitoring",
    "userinfo-email": "userinfo.email", "pubsub": "pubsub", "service-control": "servicecontrol",
    "service-management": "service.management.readonly", "trace": "trace.append", "sql-admin": "sqlservice.admin",
}
RUNNING_PHASES = ["PROVISIONING", "STAGING", "RUNNING"]


def expand_scope(scope: str) -> str:
    if scope.startswith("https://"):
        return scope
    return "https://www.googleapis.com/auth/" + SCOPE_ALIASES.get(scope, scope)


def disk_user(ctx, disk_rel: str, exclude: str | None = None) -> dict | None:
    project = disk_rel.split("/")[1]
    for inst in ctx.store.list(INSTANCES.store, prefix=f"projects/{project}/zones/"):
        if disk_rel in inst.get("_refs", ()) and rel_of(inst) != exclude:
            return inst
    return None


def _attach(ctx, doc, project, zone, d: dict, index: int, new_disks: list, field: str) -> dict:
    d = dict(d)
    name = doc["name"]
    if d.get("initializeParams") is not None and not d.get("source"):
        ip = dict(d.pop("initializeParams") or {})
        disk_name = ip.get("diskName") or (name if d.get("boot") else f"{name}-{index}")
        disk_rel = f"projects/{project}/zones/{zone}/disks/{disk_name}"
        if lookup(ctx, disk_rel) is not None or any(rel_of(n) == disk_rel for n in new_disks):
            raise already_exists(f"The resource '{disk_rel}' already exists")
        disk = base_doc(ctx, DISKS.kind, project, "disks", disk_name, zone=zone)
        if ip.get("diskType"):
            disk["type"] = ip["diskType"]
        if ip.get("diskSizeGb") is not None:
            disk["sizeGb"] = str(ip["diskSizeGb"])
        if ip.get("labels"):
            disk["labels"] = ip["labels"]
        if ip.get("description"):
            disk["description"] = ip["description"]
        if ip.get("sourceSnapshot") and not ip.get("sourceImage"):
            disk["sourceSnapshot"] = ip["sourceSnapshot"]
        build_disk(ctx, disk, project, zone, source_image=ip.get("sourceImage"),
                   field=f"{field}.initializeParams")
        disk.pop("_phases", None)
        disk["status"] = "READY"
        disk["labelFingerprint"] = fingerprint(disk.get("labels") or {})
        disk["_readyAt"] = ctx.clock.now()
        disk["lastAttachTimestamp"] = disk["creationTimestamp"]
        new_disks.append(disk)
        d.setdefault("autoDelete", True)
    elif d.get("source"):
        disk_rel = parse_ref(d["source"], project, "disks", field=f"{field}.source", zone=zone, scope="zone")
        disk = resolve(ctx, disk_rel)
        user = disk_user(ctx, disk_rel, exclude=rel_of(doc))
        if user is not None and d.get("mode", "READ_WRITE") == "READ_WRITE":
            raise in_use(f"The disk resource '{disk_rel}' is already being used by '{rel_of(user)}'")
        d.setdefault("autoDelete", False)
    else:
        raise invalid(f"Invalid value for field '{field}': ''. Source or initializeParams must be specified.")
    d.update(kind="compute#attachedDisk", type=d.get("type", "PERSISTENT"), mode=d.get("mode", "READ_WRITE"),
             source=disk["selfLink"], index=index, boot=bool(d.get("boot", False)),
             interface=d.get("interface", "SCSI"), diskSizeGb=disk["sizeGb"],
             deviceName=d.get("deviceName") or f"persistent-disk-{index}")
    if d["boot"]:
        d.setdefault("guestOsFeatures", [{"type": "VIRTIO_SCSI_MULTIQUEUE"}])
    add_ref(doc, relative(disk["selfLink"]))
    return d


def _address_ip(ctx, project, region, value, field, doc) -> str:
    """natIP / networkIP / IPAddress may be a literal IP or an address reference."""
    try:
        ipaddress.ip_address(value)
        from .addresses import find_by_ip

        a = find_by_ip(ctx, project, value, region)
        if a is not None:
            add_ref(doc, rel_of(a))
        return value
    except ValueError:
        pass
    a_rel = parse_ref(value, project, "addresses", field=field, region=region, scope="region")
    a = resolve(ctx, a_rel)
    add_ref(doc, a_rel)
    return a["address"]


def _nic(ctx, doc, project, zone, nic: dict, index: int, field: str) -> dict:
    from .addresses import allocate_external_ip
    from .networks import allocate_internal_ip, subnet_for

    region = region_of_zone(zone)
    nic = dict(nic)
    if nic.get("subnetwork"):
        sub_rel = parse_ref(nic["subnetwork"], project, "subnetworks", field=f"{field}.subnetwork",
                            region=region, scope="region")
        sub = resolve(ctx, sub_rel)
        if sub_rel.split("/")[3] != region:
            raise invalid(f"Invalid value for field '{field}.subnetwork': '{nic['subnetwork']}'. "
                          f"Subnetwork must be in the same region as the instance ({region}).")
        net_rel = relative(sub["network"])
        if nic.get("network"):
            given = parse_ref(nic["network"], project, "networks", field=f"{field}.network")
            if given != net_rel:
                raise invalid(f"Invalid value for field '{field}.network': '{nic['network']}'. "
                              f"Subnetwork does not belong to the network.")
        resolve(ctx, net_rel)
    else:
        net_rel = parse_ref(nic.get("network") or "global/networks/default", project, "networks",
                            field=f"{field}.network")
        net = resolve(ctx, net_rel)
        sub = subnet_for(ctx, net_rel, region)
        if sub is None:
            if net.get("autoCreateSubnetworks"):
                raise invalid(f"Invalid value for field '{field}.subnetwork': ''. No default subnetwork was found "
                              f"in the region of the instance.")
            raise invalid(f"Invalid value for field '{field}.subnetwork': ''. Subnetwork should be specified "
                          f"for custom subnetmode network")
        sub_rel = rel_of(sub)
    add_ref(doc, net_rel)
    add_ref(doc, sub_rel)
    if nic.get("networkIP"):
        nic["networkIP"] = _address_ip(ctx, project, region, nic["networkIP"], f"{field}.networkIP", doc)
    else:
        nic["networkIP"] = allocate_internal_ip(ctx, lookup(ctx, sub_rel))
    configs = []
    for j, ac in enumerate(nic.get("accessConfigs") or []):
        ac = dict(ac)
        ac.setdefault("type", "ONE_TO_ONE_NAT")
        ac.setdefault("name", "External NAT")
        ac.setdefault("networkTier", "PREMIUM")
        ac["kind"] = "compute#accessConfig"
        if ac.get("natIP"):
            ac["natIP"] = _address_ip(ctx, project, region, ac["natIP"], f"{field}.accessConfigs[{j}].natIP", doc)
        else:
            ac["natIP"] = allocate_external_ip(ctx)
        configs.append(ac)
    if configs:
        nic["accessConfigs"] = configs
    nic.update(kind="compute#networkInterface", network=full(net_rel), subnetwork=full(sub_rel),
               name=f"nic{index}", stackType=nic.get("stackType", "IPV4_ONLY"))
    nic["fingerprint"] = fingerprint(nic)
    return nic


def build_instance(ctx, doc, project, zone):
    """Validate and complete an instance document; returns a callable persisting created disks."""
    if not doc.get("machineType"):
        raise invalid("Invalid value for field 'resource.machineType': ''. Machine type must be specified.")
    doc["machineType"] = check_machine_type(project, zone, doc["machineType"], "resource.machineType")
    disks_in = doc.get("disks") or []
    if not disks_in:
        raise invalid("Invalid value for field 'resource.disks': ''. At least one disk must be specified.")
    if not disks_in[0].get("boot", False) and not any(d.get("boot") for d in disks_in):
        disks_in[0] = dict(disks_in[0], boot=True)
    new_disks: list[dict] = []
    doc["_refs"] = []
    doc["disks"] = [_attach(ctx, doc, project, zone, d, i, new_disks, f"resource.disks[{i}]")
                    for i, d in enumerate(disks_in)]
    nics = doc.get("networkInterfaces") or [{}]
    doc["networkInterfaces"] = [_nic(ctx, doc, project, zone, n, i, f"resource.networkInterfaces[{i}]")
                                for i, n in enumerate(nics)]
    md = dict(doc.get("metadata") or {})
    md.pop("fingerprint", None)
    md["kind"] = "compute#metadata"
    md["fingerprint"] = fingerprint(md.get("items") or [])
    doc["metadata"] = md
    if "tags" in doc:
        doc["_tagsSet"] = True
    tags = dict(doc.get("tags") or {})
    tags["fingerprint"] = fingerprint(tags.get("items") or [])
    doc["tags"] = tags
    sched = dict(doc.get("scheduling") or {})
    sched.setdefault("onHostMaintenance", "TERMINATE" if sched.get("preemptible") else "MIGRATE")
    sched.setdefault("automaticRestart", not sched.get("preemptible", False))
    sched.setdefault("preemptible", False)
    sched.setdefault("provisioningModel", "SPOT" if sched.get("preemptible") else "STANDARD")
    doc["scheduling"] = sched
    sas = []
    for sa in doc.get("serviceAccounts") or []:
        sa = dict(sa)
        sa["scopes"] = [expand_scope(s) for s in sa.get("scopes") or []]
        sas.append(sa)
    if sas:
        doc["serviceAccounts"] = sas
    # canIpForward / deletionProtection are shown when the request set them; cpuPlatform, startRestricted and
    # the last start/stop timestamps are not in GCP's answers (recordings)
    doc["_phases"] = list(RUNNING_PHASES)

    def after():
        for disk in new_disks:
            ctx.store.put(DISKS.store, rel_of(disk), disk)
    return after


def from_template(ctx, project, body: dict, template_value: str) -> dict:
    t_rel = parse_ref(template_value, project, "instanceTemplates", field="sourceInstanceTemplate")
    t = resolve(ctx, t_rel)
    merged = dict(t.get("properties") or {})
    merged.update({k: v for k, v in body.items() if v not in (None, [], {})})
    merged["_template"] = full(t_rel)
    return merged


@handler("compute.instances.insert")
def instances_insert(ctx, req):
    body = dict(req.body or {})
    if req.params.get("sourceInstanceTemplate"):
        body = from_template(ctx, req.params["project"], body, req.params["sourceInstanceTemplate"])
    return crud.insert(ctx, req, INSTANCES, lambda c, d, p, z, r: build_instance(c, d, p, z), body=body)


@handler("compute.instances.get")
def instances_get(ctx, req):
    return crud.get(ctx, req, INSTANCES)


@handler("compute.instances.list")
def instances_list(ctx, req):
    return crud.list_(ctx, req, INSTANCES)


def cascade_disks(ctx, doc: dict) -> None:
    for d in doc.get("disks", []):
        if d.get("autoDelete"):
            ctx.store.delete(DISKS.store, relative(d["source"]))


@handler("compute.instances.delete")
def instances_delete(ctx, req):
    def before(doc):
        if doc.get("deletionProtection"):
            raise ApiError(400, "resourceIsProtected", "Invalid resource usage: 'Resource cannot be deleted "
                                                       "if it's protected against deletion.'.")
    return crud.delete(ctx, req, INSTANCES, before=before, after=lambda doc: cascade_disks(ctx, doc))


def _set_phases(phases):
    def change(doc, *_):
        doc["_phases"] = list(phases)
    return change


@handler("compute.instances.stop")
def instances_stop(ctx, req):
    def change(doc, *_):
        if current_status(ctx, doc) in ("TERMINATED", "STOPPING"):
            return
        doc["_phases"] = ["STOPPING", "TERMINATED"]
    return crud.mutate(ctx, req, INSTANCES, "stop", change)


@handler("compute.instances.start")
def instances_start(ctx, req):
    def change(doc, *_):
        if current_status(ctx, doc) in ("RUNNING", "STAGING", "PROVISIONING"):
            return
        doc["_phases"] = list(RUNNING_PHASES)
    return crud.mutate(ctx, req, INSTANCES, "start", change)


@handler("compute.instances.reset")
def instances_reset(ctx, req):
    def change(doc, *_):
        if current_status(ctx, doc) != "RUNNING":
            raise ApiError(400, "resourceNotReady",
                           f"The resource '{rel_of(doc)}' is not ready")
    return crud.mutate(ctx, req, INSTANCES, "reset", change)


@handler("compute.instances.setLabels")
def instances_set_labels(ctx, req):
    req.params.setdefault("resource", req.params.get("instance"))
    return crud.set_labels(ctx, req, INSTANCES, immediate=False)  # instances answer RUNNING (recordings)


@handler("compute.instances.setMetadata")
def instances_set_metadata(ctx, req):
    body = dict(req.body or {})

    def change(doc, *_):
        crud.check_fingerprint(doc["metadata"], body.get("fingerprint"), message=(
            "Supplied fingerprint does not match current metadata fingerprint."))
        items = body.get("items") or []
        doc["metadata"] = {"kind": "compute#metadata", "fingerprint": fingerprint(items)}
        if items:
            doc["metadata"]["items"] = items
    return crud.mutate(ctx, req, INSTANCES, "setMetadata", change)


@handler("compute.instances.setTags")
def instances_set_tags(ctx, req):
    body = dict(req.body or {})

    def change(doc, *_):
        given = body.get("fingerprint")
        if not doc.get("_tagsSet") and not given:
            given = None  # no tags shown yet, so no fingerprint a client could have read
        crud.check_fingerprint(doc.get("tags", {}), given, message=(
            "Supplied fingerprint does not match current tags fingerprint."))
        items = body.get("items") or []
        doc["tags"] = {"fingerprint": fingerprint(items)}
        doc["_tagsSet"] = True
        if items:
            doc["tags"]["items"] = items
    return crud.mutate(ctx, req, INSTANCES, "setTags", change)


def _require_stopped(ctx, doc, what: str):
    if current_status(ctx, doc) != "TERMINATED":
        raise invalid(f"Invalid resource usage: 'Instance is starting or running. Please stop the instance "
                      f"before changing {what}.'.")


@handler("compute.instances.setMachineType")
def instances_set_machine_type(ctx, req):
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        _require_stopped(ctx, doc, "machine type")
        doc["machineType"] = check_machine_type(project, zone, body.get("machineType") or "", "machineType")
    return crud.mutate(ctx, req, INSTANCES, "setMachineType", change)


@handler("compute.instances.setServiceAccount")
def instances_set_service_account(ctx, req):
    body = dict(req.body or {})

    def change(doc, *_):
        _require_stopped(ctx, doc, "service account")
        if body.get("email"):
            doc["serviceAccounts"] = [{"email": body["email"],
                                       "scopes": [expand_scope(s) for s in body.get("scopes") or []]}]
        else:
            doc.pop("serviceAccounts", None)
    return crud.mutate(ctx, req, INSTANCES, "setServiceAccount", change)


@handler("compute.instances.setScheduling")
def instances_set_scheduling(ctx, req):
    body = dict(req.body or {})

    def change(doc, *_):
        sched = dict(doc.get("scheduling") or {})
        sched.update(body)
        doc["scheduling"] = sched
    return crud.mutate(ctx, req, INSTANCES, "setScheduling", change)


@handler("compute.instances.setDeletionProtection")
def instances_set_deletion_protection(ctx, req):
    flag = req.params.get("deletionProtection")
    flag = True if flag is None else bool(flag)

    def change(doc, *_):
        doc["deletionProtection"] = flag
    return crud.mutate(ctx, req, INSTANCES, "setDeletionProtection", change, name=req.params.get("resource"))


@handler("compute.instances.attachDisk")
def instances_attach_disk(ctx, req):
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        new = []
        d = _attach(ctx, doc, project, zone, body, len(doc["disks"]), new, "resource")
        names = {x.get("deviceName") for x in doc["disks"]}
        if d["deviceName"] in names:
            raise invalid(f"Invalid value for field 'resource.deviceName': '{d['deviceName']}'. "
                          f"Device name is already in use.")
        for disk in new:
            ctx.store.put(DISKS.store, rel_of(disk), disk)
        doc["disks"].append(d)
    return crud.mutate(ctx, req, INSTANCES, "attachDisk", change)


@handler("compute.instances.detachDisk")
def instances_detach_disk(ctx, req):
    device = req.params.get("deviceName")

    def change(doc, *_):
        keep = [d for d in doc["disks"] if d.get("deviceName") != device]
        if len(keep) == len(doc["disks"]):
            raise invalid(f"Invalid value for field 'deviceName': '{device}'. No attached disk found with "
                          f"device name '{device}'")
        gone = [d for d in doc["disks"] if d.get("deviceName") == device][0]
        doc["disks"] = keep
        doc["_refs"] = [r for r in doc["_refs"] if r != relative(gone["source"])]
    return crud.mutate(ctx, req, INSTANCES, "detachDisk", change)

