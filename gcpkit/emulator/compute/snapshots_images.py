"""Snapshots and images (public catalog images, images from disks or snapshots, families)."""

from __future__ import annotations

from gcpkit.emulator.core.errors import in_use, invalid, not_found
from gcpkit.emulator.core.registry import handler

from . import catalog, crud
from .common import PUBLIC_PROJECTS, begin, coll, current_status, lookup, resolve, rel_of
from .links import full, parse_ref
from .listing import list_response

SNAPSHOTS = crud.Spec("snapshots", "compute#snapshot", "global", "snapshot", "snapshot", labels=True)
IMAGES = crud.Spec("images", "compute#image", "global", "image", "image", labels=True)


def public_image(project: str, entry) -> dict:
    name, family, image_id, size, desc = entry
    return {"kind": "compute#image", "id": image_id, "creationTimestamp": catalog.IMAGE_TIMESTAMP, "name": name,
            "description": desc, "sourceType": "RAW", "status": "READY", "archiveSizeBytes": "1234567890",
            "diskSizeGb": str(size), "licenses": [full(f"projects/{project}/global/licenses/{family}")],
            "family": family, "selfLink": full(f"projects/{project}/global/images/{name}"),
            "labelFingerprint": "42WmSpB8rSM=", "guestOsFeatures": [{"type": "UEFI_COMPATIBLE"},
                                                                    {"type": "VIRTIO_SCSI_MULTIQUEUE"}],
            "storageLocations": ["us", "eu", "asia"], "architecture": "X86_64"}


def _public(project: str) -> list[dict]:
    return [public_image(project, e) for e in catalog.PUBLIC_IMAGES.get(project, [])]


def image_by_rel(ctx, rel: str) -> dict | None:
    """rel: projects/p/global/images/name or projects/p/global/images/family/f (public or stored)."""
    p = rel.split("/")
    project = p[1]
    if p[4] == "family":
        return from_family(ctx, project, p[5])
    if project in PUBLIC_PROJECTS:
        return next((i for i in _public(project) if i["name"] == p[-1]), None)
    return lookup(ctx, rel)


def from_family(ctx, project: str, family: str) -> dict | None:
    if project in PUBLIC_PROJECTS:
        imgs = [i for i in _public(project) if i.get("family") == family]
    else:
        imgs = [i for i in ctx.store.list(IMAGES.store, prefix=f"projects/{project}/global/images/")
                if i.get("family") == family and "deprecated" not in i]
    if not imgs:
        return None
    return sorted(imgs, key=lambda i: i["creationTimestamp"])[-1]


def resolve_image(ctx, project: str, value: str, field: str) -> dict:
    rel = parse_ref(value, project, "images", field=field)
    img = image_by_rel(ctx, rel)
    if img is None:
        raise not_found(f"The resource '{rel}' was not found")
    if "_readyAt" in img and img["_readyAt"] > ctx.clock.now():
        from gcpkit.emulator.core.errors import not_ready
        raise not_ready(f"The resource '{rel}' is not ready")
    return img


# ---- snapshots ------------------------------------------------------------------------------

def build_snapshot(ctx, doc, project) -> None:
    src = doc.get("sourceDisk")
    if not src:
        raise invalid("Invalid value for field 'resource.sourceDisk': ''. Source disk must be specified.")
    disk_rel = parse_ref(src, project, "disks", field="resource.sourceDisk")
    disk = resolve(ctx, disk_rel)
    doc["sourceDisk"] = full(disk_rel)
    doc["sourceDiskId"] = disk["id"]
    doc["diskSizeGb"] = disk["sizeGb"]
    doc.update(storageBytes="0", storageBytesStatus="UP_TO_DATE", autoCreated=False, snapshotType="STANDARD")
    doc.setdefault("storageLocations", ["us"])
    doc["_phases"] = ["CREATING", "UPLOADING", "READY"]


@handler("compute.snapshots.insert")
def snapshots_insert(ctx, req):
    return crud.insert(ctx, req, SNAPSHOTS, lambda c, d, p, z, r: build_snapshot(c, d, p))


@handler("compute.snapshots.get")
def snapshots_get(ctx, req):
    return crud.get(ctx, req, SNAPSHOTS)


@handler("compute.snapshots.list")
def snapshots_list(ctx, req):
    return crud.list_(ctx, req, SNAPSHOTS)


@handler("compute.snapshots.delete")
def snapshots_delete(ctx, req):
    return crud.delete(ctx, req, SNAPSHOTS)


@handler("compute.snapshots.setLabels")
def snapshots_set_labels(ctx, req):
    return crud.set_labels(ctx, req, SNAPSHOTS)


# ---- images -----------------------------------------------------------------------------------

def _build_image(ctx, doc, project, zone, region, force: bool = False):
    sources = [k for k in ("sourceDisk", "sourceSnapshot", "sourceImage", "rawDisk") if doc.get(k)]
    if len(sources) != 1:
        raise invalid("Invalid value for field 'resource': ''. Exactly one of sourceDisk, sourceSnapshot, "
                      "sourceImage or rawDisk must be specified.")
    size = "10"
    if doc.get("sourceDisk"):
        disk_rel = parse_ref(doc["sourceDisk"], project, "disks", field="resource.sourceDisk")
        disk = resolve(ctx, disk_rel)
        if not force:
            for inst in ctx.store.list(coll("instances"), prefix=f"projects/{project}/zones/"):
                if disk_rel in inst.get("_refs", ()) and current_status(ctx, inst) not in ("TERMINATED", "STOPPED"):
                    raise in_use(f"The disk resource '{disk_rel}' is already being used by '{rel_of(inst)}'")
        doc["sourceDisk"] = full(disk_rel)
        doc["sourceDiskId"] = disk["id"]
        size = disk["sizeGb"]
    elif doc.get("sourceSnapshot"):
        snap_rel = parse_ref(doc["sourceSnapshot"], project, "snapshots", field="resource.sourceSnapshot")
        snap = resolve(ctx, snap_rel)
        doc["sourceSnapshot"] = full(snap_rel)
        doc["sourceSnapshotId"] = snap["id"]
        size = snap["diskSizeGb"]
    elif doc.get("sourceImage"):
        img = resolve_image(ctx, project, doc["sourceImage"], "resource.sourceImage")
        doc["sourceImage"] = img["selfLink"]
        doc["sourceImageId"] = img["id"]
        size = img.get("diskSizeGb", "10")
    doc.update(sourceType="RAW", diskSizeGb=str(size))
    doc.setdefault("storageLocations", ["us"])
    doc["_phases"] = ["PENDING", "READY"]


@handler("compute.images.insert")
def images_insert(ctx, req):
    force = bool(req.params.get("forceCreate"))
    return crud.insert(ctx, req, IMAGES, lambda c, d, p, z, r: _build_image(c, d, p, z, r, force))


@handler("compute.images.get")
def images_get(ctx, req):
    project = req.params["project"]
    if project in PUBLIC_PROJECTS:
        rel = f"projects/{project}/global/images/{req.params['image']}"
        img = image_by_rel(ctx, rel)
        if img is None:
            raise not_found(f"The resource '{rel}' was not found")
        return img
    return crud.get(ctx, req, IMAGES)


@handler("compute.images.getFromFamily")
def images_get_from_family(ctx, req):
    project, _, _ = begin(ctx, req)
    family = req.params["family"]
    img = from_family(ctx, project, family)
    if img is None:
        raise not_found(f"The resource 'projects/{project}/global/images/family/{family}' was not found")
    if project in PUBLIC_PROJECTS:  # GCP answers a public family with these keys only (recordings)
        return {k: img[k] for k in ("kind", "name", "family", "selfLink", "status")}
    return crud.show(ctx, IMAGES, img)


@handler("compute.images.list")
def images_list(ctx, req):
    project = req.params["project"]
    if project in PUBLIC_PROJECTS:
        return list_response(req, _public(project), "compute#imageList", f"projects/{project}/global/images")
    return crud.list_(ctx, req, IMAGES)


@handler("compute.images.delete")
def images_delete(ctx, req):
    return crud.delete(ctx, req, IMAGES)


@handler("compute.images.patch")
def images_patch(ctx, req):
    return crud.patch(ctx, req, IMAGES)


@handler("compute.images.setLabels")
def images_set_labels(ctx, req):
    return crud.set_labels(ctx, req, IMAGES)


@handler("compute.images.deprecate")
def images_deprecate(ctx, req):
    body = dict(req.body or {})

    def change(doc, *_):
        if body.get("state") in (None, "", "ACTIVE"):
            doc.pop("deprecated", None)
        else:
            doc["deprecated"] = body

    return crud.mutate(ctx, req, IMAGES, "deprecate", change)

