"""Zonal persistent disks (insert/get/list/delete/setLabels/resize/createSnapshot)."""

from __future__ import annotations

from gcpkit.emulator.core.errors import invalid
from gcpkit.emulator.core.registry import handler

from . import catalog, crud
from .catalog_api import check_disk_type
from .common import coll, rel_of, resolve, users_of
from .links import full, parse_ref


def _render(ctx, out, doc):
    rel = rel_of(doc)
    project = rel.split("/")[1]
    users = [d["selfLink"] for d in users_of(ctx, rel, ("instances",), f"projects/{project}/zones/")]
    if users:
        out["users"] = users
    return out


DISKS = crud.Spec("disks", "compute#disk", "zone", "disk", "disk", users=("instances",), labels=True,
                  render=_render)


def build_disk(ctx, doc, project, zone, *, source_image: str | None = None, field: str = "resource") -> None:
    """Complete a disk document (also used for boot disks created by instances.insert)."""
    from .snapshots_images import resolve_image

    doc["type"] = check_disk_type(project, zone, doc.get("type") or "pd-standard", f"{field}.type")
    size = None
    image_ref = source_image or doc.get("sourceImage")
    if image_ref:
        img = resolve_image(ctx, project, image_ref, f"{field}.sourceImage")
        doc["sourceImage"] = img["selfLink"]
        doc["sourceImageId"] = img["id"]
        size = int(img.get("diskSizeGb", "10"))
    elif doc.get("sourceSnapshot"):
        snap_rel = parse_ref(doc["sourceSnapshot"], project, "snapshots", field=f"{field}.sourceSnapshot")
        snap = resolve(ctx, snap_rel)
        doc["sourceSnapshot"] = full(snap_rel)
        doc["sourceSnapshotId"] = snap["id"]
        size = int(snap.get("diskSizeGb", "10"))
    if doc.get("sizeGb") is not None:
        want = int(doc["sizeGb"])
        if size is not None and want < size:
            raise invalid(f"Invalid value for field '{field}.sizeGb': '{want}'. Requested disk size cannot be "
                          f"smaller than the image size ({size} GB)")
        size = want
    if size is None:
        size = catalog.DISK_TYPES[doc["type"].rsplit("/", 1)[1]][1]
    doc["sizeGb"] = str(size)
    doc.setdefault("physicalBlockSizeBytes", "4096")
    doc["_phases"] = ["CREATING", "READY"]


def _build(ctx, doc, project, zone, region):
    # disks.insert?sourceImage= (query parameter) is the same as the body's sourceImage
    build_disk(ctx, doc, project, zone, source_image=doc.pop("_sourceImageParam", None))
    return None


@handler("compute.disks.insert")
def disks_insert(ctx, req):
    body = dict(req.body or {})
    if req.params.get("sourceImage"):
        body["_sourceImageParam"] = req.params["sourceImage"]
    return crud.insert(ctx, req, DISKS, _build, body=body)


@handler("compute.disks.get")
def disks_get(ctx, req):
    return crud.get(ctx, req, DISKS)


@handler("compute.disks.list")
def disks_list(ctx, req):
    return crud.list_(ctx, req, DISKS)


@handler("compute.disks.delete")
def disks_delete(ctx, req):
    return crud.delete(ctx, req, DISKS)


@handler("compute.disks.setLabels")
def disks_set_labels(ctx, req):
    return crud.set_labels(ctx, req, DISKS, bare=True)  # the bare DONE operation (recordings)


@handler("compute.disks.resize")
def disks_resize(ctx, req):
    size = int((req.body or {}).get("sizeGb") or 0)

    def change(doc, *_):
        if size <= int(doc["sizeGb"]):
            raise invalid(f"Invalid value for field 'sizeGb': '{size}'. New disk size '{size}' GB must be larger "
                          f"than existing size '{doc['sizeGb']}' GB.")
        doc["sizeGb"] = str(size)

    return crud.mutate(ctx, req, DISKS, "resizeDisk", change, verb="resize", bare=True)  # bare, DONE (recordings)


@handler("compute.disks.createSnapshot")
def disks_create_snapshot(ctx, req):
    from .snapshots_images import SNAPSHOTS, build_snapshot
    from .common import begin

    from . import operations

    prior = operations.replay(ctx, req)
    if prior is not None:
        return prior
    project, zone, _ = begin(ctx, req)
    disk_rel = f"projects/{project}/zones/{zone}/disks/{req.params['disk']}"
    disk = resolve(ctx, disk_rel)
    body = dict(req.body or {})
    body["sourceDisk"] = disk_rel
    # the snapshot is global; the operation is zonal and targets the disk
    snap_req = type(req)(api=req.api, method_id=req.method_id, http_method=req.http_method, path=req.path,
                         params={"project": project}, body=body, headers=req.headers)

    def build(ctx2, doc, p, z, r):
        build_snapshot(ctx, doc, p)

    op = crud.insert(ctx, snap_req, SNAPSHOTS, build, body=body, loc=(project, None, None))
    if op.get("httpErrorStatusCode") or op.get("error"):
        return op
    # GCP reports createSnapshot as a zonal operation targeting the disk.
    from .links import relative

    ops_rel = relative(op["selfLink"])
    opdoc = ctx.store.get(coll("operations"), ops_rel)
    ctx.store.delete(coll("operations"), ops_rel)
    return operations.start(ctx, req, project=project, zone=zone, op_type="createSnapshot", target_rel=disk_rel,
                            target_id=disk["id"], duration=opdoc["_end"] - opdoc["_start"])
