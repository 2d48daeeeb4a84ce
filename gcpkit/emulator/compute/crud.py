"""Generic insert/get/list/delete/patch/setLabels for Compute resources, parameterised by a Spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gcpkit.emulator.core.errors import already_exists, condition_not_met
from gcpkit.emulator.core.registry import handler

from . import common, operations
from .common import (base_doc, begin, check_labels, check_name, check_not_in_use, coll, fingerprint, must_get,
                     render as render_doc, resource_fingerprint)
from .links import key
from .listing import list_response

OUTPUT_ONLY = {"kind", "id", "creationTimestamp", "selfLink", "selfLinkWithId", "zone", "region",
               "status", "labelFingerprint", "fingerprint"}


@dataclass(frozen=True)
class Spec:
    collection: str  # URL collection, e.g. "networks"
    kind: str  # "compute#network"
    scope: str  # "global" | "zone" | "region"
    type_name: str  # used in in-use messages: "The <type_name> resource '...'"
    param: str  # path parameter holding the name
    list_kind: str = ""
    users: tuple[str, ...] = ()  # collections whose documents may reference this one
    fingerprint: bool = False  # has a resource `fingerprint`
    labels: bool = False  # has labels + labelFingerprint
    self_link_with_id: bool = False
    render: Callable | None = None  # (ctx, out_dict, stored_doc) -> out_dict
    immediate: bool = False  # GCP answers this kind's operations already DONE, in the bare form (urlMaps,
    # targetHttpProxies; see operations.start)

    @property
    def store(self) -> str:
        return coll(self.collection)


def apply_phases(ctx, doc: dict, dur: float) -> None:
    """doc["_phases"] = ["PROVISIONING", "STAGING", "RUNNING"] -> a timeline spread over dur seconds."""
    phases = doc.pop("_phases", None)
    if phases:
        now = ctx.clock.now()
        n = len(phases)
        doc["_timeline"] = [[now + (dur * i / (n - 1) if n > 1 else 0.0), p] for i, p in enumerate(phases)]
        doc.pop("status", None)


def op_latency(ctx, spec: Spec, verb: str) -> float:
    return 0.0 if spec.immediate else latency(ctx, spec.collection, verb)


def latency(ctx, collection: str, verb: str) -> float:
    lat = getattr(ctx, "latency", None)
    return float(lat.duration("compute", collection, verb)) if lat is not None else 0.0


def rel_for(spec: Spec, project, zone, region, name) -> str:
    return key(project, spec.collection, name, zone=zone if spec.scope == "zone" else None,
               region=region if spec.scope == "region" else None)


def op_scope(spec: Spec, zone, region) -> dict:
    if spec.scope == "zone":
        return {"zone": zone}
    if spec.scope == "region":
        return {"region": region}
    return {}


def show(ctx, spec: Spec, doc: dict) -> dict:
    out = render_doc(ctx, doc)
    if spec.render:
        out = spec.render(ctx, out, doc)
    return out


def refresh_fingerprints(spec: Spec, doc: dict) -> None:
    if spec.labels:
        doc["labelFingerprint"] = fingerprint(doc.get("labels") or {})
    if spec.fingerprint:
        doc["fingerprint"] = resource_fingerprint(doc)


def start_op(ctx, req, spec: Spec, doc: dict, op_type: str, *, project, zone=None, region=None,
             error=None, duration=None, verb=None, bare: bool | None = None) -> dict:
    if duration is None:
        duration = op_latency(ctx, spec, verb or op_type)
    from .links import relative

    return operations.start(ctx, req, project=project, op_type=op_type, target_rel=relative(doc["selfLink"]),
                            target_id=doc.get("id"), error=error, duration=duration,
                            bare=spec.immediate if bare is None else bare, **op_scope(spec, zone, region))


def insert(ctx, req, spec: Spec, build: Callable | None = None, *, body: dict | None = None,
           loc: tuple | None = None) -> dict:
    """build(ctx, doc, project, zone, region) validates and completes `doc` without side effects and
    may return a callable run after the document is stored (to create dependants)."""
    prior = operations.replay(ctx, req)
    if prior is not None:
        return prior
    project, zone, region = loc or begin(ctx, req)
    body = dict(req.body or {}) if body is None else body
    name = body.get("name")
    check_name(name)
    if spec.labels:
        check_labels(body.get("labels"))
    rel = rel_for(spec, project, zone, region, name)
    with ctx.store.transaction():
        if ctx.store.get(spec.store, rel) is not None:
            raise already_exists(f"The resource '{rel}' already exists")
        doc = base_doc(ctx, spec.kind, project, spec.collection, name,
                       **{k: v for k, v in op_scope(spec, zone, region).items()})
        for k, v in body.items():
            if k not in OUTPUT_ONLY and k != "name":
                doc[k] = v
        after = build(ctx, doc, project, zone, region) if build else None
        err = operations.fault_for(ctx, req)
        dur = op_latency(ctx, spec, "insert")
        op = start_op(ctx, req, spec, doc, "insert", project=project, zone=zone, region=region, error=err,
                      duration=dur)
        if err:
            return op
        if spec.self_link_with_id:
            doc["selfLinkWithId"] = doc["selfLink"].rsplit("/", 1)[0] + "/" + doc["id"]
        doc["_readyAt"] = ctx.clock.now() + dur
        apply_phases(ctx, doc, dur)
        refresh_fingerprints(spec, doc)
        ctx.store.put(spec.store, rel, doc)
        if after:
            after()
    return op


def locate(ctx, req, spec: Spec, name: str | None = None) -> tuple[str, dict, tuple]:
    project, zone, region = begin(ctx, req)
    rel = rel_for(spec, project, zone, region, name or req.params[spec.param])
    return rel, must_get(ctx, rel), (project, zone, region)


def get(ctx, req, spec: Spec) -> dict:
    _, doc, _ = locate(ctx, req, spec)
    return show(ctx, spec, doc)


def list_(ctx, req, spec: Spec, items: list[dict] | None = None) -> dict:
    project, zone, region = begin(ctx, req)
    prefix = rel_for(spec, project, zone, region, "")
    docs = ctx.store.list(spec.store, prefix=prefix) if items is None else items
    with common.one_listing():
        out = [show(ctx, spec, d) for d in docs]
    return list_response(req, out, spec.list_kind or spec.kind + "List", prefix.rstrip("/"))


def delete(ctx, req, spec: Spec, *, before: Callable | None = None, after: Callable | None = None,
           name: str | None = None) -> dict:
    """before(doc) may raise (in-use checks beyond spec.users); after(doc) cascades."""
    prior = operations.replay(ctx, req)
    if prior is not None:
        return prior
    with ctx.store.transaction():
        rel, doc, (project, zone, region) = locate(ctx, req, spec, name)
        if spec.users:
            check_not_in_use(ctx, rel, spec.type_name, spec.users)
        if before:
            before(doc)
        err = operations.fault_for(ctx, req)
        op = start_op(ctx, req, spec, doc, "delete", project=project, zone=zone, region=region, error=err)
        if err:
            return op
        ctx.store.delete(spec.store, rel)
        if after:
            after(doc)
    return op


def check_fingerprint(doc: dict, given, field: str = "fingerprint", message: str | None = None) -> None:
    if given is not None and given != doc.get(field):
        raise condition_not_met(message or "Invalid fingerprint.")


def mutate(ctx, req, spec: Spec, op_type: str, change: Callable, *, name: str | None = None,
           verb: str | None = None, duration: float | None = None, bare: bool | None = None) -> dict:
    """Apply change(doc, project, zone, region) (which may raise) and record an operation (bare: see
    operations.start)."""
    prior = operations.replay(ctx, req)
    if prior is not None:
        return prior
    with ctx.store.transaction():
        rel, doc, (project, zone, region) = locate(ctx, req, spec, name)
        change(doc, project, zone, region)
        err = operations.fault_for(ctx, req)
        dur = op_latency(ctx, spec, verb or op_type) if duration is None else duration
        op = start_op(ctx, req, spec, doc, op_type, project=project, zone=zone, region=region, error=err,
                      duration=dur, bare=bare)
        if err:
            return op
        apply_phases(ctx, doc, dur)
        refresh_fingerprints(spec, doc)
        ctx.store.put(spec.store, rel, doc)
    return op


def merge_patch(doc: dict, body: dict) -> None:
    for k, v in body.items():
        if k in OUTPUT_ONLY or k == "name":
            continue
        if v is None:
            doc.pop(k, None)
        elif isinstance(v, dict) and isinstance(doc.get(k), dict) and k not in ("labels",):
            merge_patch(doc[k], v)
        else:
            doc[k] = v


def patch(ctx, req, spec: Spec, validate: Callable | None = None, *, replace: bool = False,
          op_type: str | None = None, name: str | None = None) -> dict:
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        if spec.fingerprint:
            check_fingerprint(doc, body.get("fingerprint"))
        if replace:
            keep = {k: v for k, v in doc.items() if k in OUTPUT_ONLY or k.startswith("_") or k == "name"}
            doc.clear()
            doc.update(keep)
        merge_patch(doc, body)
        if validate:
            doc["_refs"] = []
            validate(ctx, doc, project, zone, region)

    return mutate(ctx, req, spec, op_type or ("update" if replace else "patch"), change, name=name)


def set_labels(ctx, req, spec: Spec, *, immediate: bool = True, bare: bool = False) -> dict:
    body = dict(req.body or {})

    def change(doc, *_):
        check_fingerprint(doc, body.get("labelFingerprint"), "labelFingerprint",
                          "Labels fingerprint either invalid or resource labels have changed")
        labels = body.get("labels") or {}
        check_labels(labels, "labels")
        if labels:
            doc["labels"] = labels
        else:
            doc.pop("labels", None)

    # GCP answers setLabels with an operation that is already DONE (see the recordings)
    return mutate(ctx, req, spec, "setLabels", change, name=req.params.get("resource"),
                  duration=0.0 if immediate else None, bare=bare)


def register(prefix: str, spec: Spec, build, *, with_update: bool = True, with_patch: bool = True) -> None:
    """Register the standard verbs of a collection: compute.PREFIX.insert, get, list, delete, and (unless
    turned off, for collections with their own) update (a replace) and patch."""

    @handler(f"compute.{prefix}.insert")
    def _insert(ctx, req):
        return insert(ctx, req, spec, build)

    @handler(f"compute.{prefix}.get")
    def _get(ctx, req):
        return get(ctx, req, spec)

    @handler(f"compute.{prefix}.list")
    def _list(ctx, req):
        return list_(ctx, req, spec)

    @handler(f"compute.{prefix}.delete")
    def _delete(ctx, req):
        return delete(ctx, req, spec)

    if with_update:
        @handler(f"compute.{prefix}.update")
        def _update(ctx, req):
            return patch(ctx, req, spec, build, replace=True)

    if with_patch:
        @handler(f"compute.{prefix}.patch")
        def _patch(ctx, req):
            return patch(ctx, req, spec, build)
