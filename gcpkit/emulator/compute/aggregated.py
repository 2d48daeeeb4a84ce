"""aggregatedList for the zonal and regional collections: items grouped by "zones/z" / "regions/r"
(GCP also lists empty scopes with a NO_RESULTS_ON_PAGE warning; only non-empty scopes here)."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from . import crud
from .addresses import ADDRESSES
from .disks import DISKS
from .instances import INSTANCES
from .listing import paginate
from .links import full
from .networks import SUBNETWORKS
from .common import begin
from .templates_and_groups import AUTOSCALERS, MIGS
from . import operations

_SPECS = {
    "instances": (INSTANCES, "compute#instanceAggregatedList"),
    "disks": (DISKS, "compute#diskAggregatedList"),
    "addresses": (ADDRESSES, "compute#addressAggregatedList"),
    "subnetworks": (SUBNETWORKS, "compute#subnetworkAggregatedList"),
    "instanceGroupManagers": (MIGS, "compute#instanceGroupManagerAggregatedList"),
    "autoscalers": (AUTOSCALERS, "compute#autoscalerAggregatedList"),
}


def _scope_key(doc: dict) -> str | None:
    parts = doc["selfLink"].split("/compute/v1/", 1)[1].split("/")
    return f"{parts[2]}/{parts[3]}" if parts[2] in ("zones", "regions") else None


def _aggregate(req, collection: str, docs: list[dict], kind: str) -> dict:
    project = req.params["project"]
    page, nxt = paginate(req, docs)
    items: dict[str, dict] = {}
    for d in page:
        scope = _scope_key(d)
        if scope:
            items.setdefault(scope, {}).setdefault(collection, []).append(d)
    rel = f"projects/{project}/aggregated/{collection}"
    out = {"kind": kind, "id": rel, "items": items, "selfLink": full(rel)}
    if nxt:
        out["nextPageToken"] = nxt
    return out


def _make(collection: str, spec: crud.Spec, kind: str):
    @handler(f"compute.{collection}.aggregatedList")
    def aggregated(ctx, req):
        project, _, _ = begin(ctx, req)
        docs = [crud.show(ctx, spec, d) for d in ctx.store.list(spec.store, prefix=f"projects/{project}/")
                if _scope_key(d)]
        return _aggregate(req, collection, docs, kind)

    return aggregated


for _c, (_spec, _kind) in _SPECS.items():
    _make(_c, _spec, _kind)


@handler("compute.globalOperations.aggregatedList")
def operations_aggregated(ctx, req):
    project, _, _ = begin(ctx, req)
    docs = [operations.render(ctx, d) for d in ctx.store.list(operations.OPS, prefix=f"projects/{project}/")]
    out = _aggregate(req, "operations", [d for d in docs if _scope_key(d)], "compute#operationAggregatedList")
    glob = [d for d in docs if not _scope_key(d)]
    if glob:
        out["items"]["global"] = {"operations": glob}
    return out
