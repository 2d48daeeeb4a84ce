"""The legacy projects.zones.* surface (projectId/zone/clusterId path parameters), answered by the
projects.locations.* handlers: same resources, same state. "zone" may name a region, as in GKE."""

from __future__ import annotations

import dataclasses

from gcpkit.emulator.core.registry import handler

from . import clusters, node_pools, operations

_ZONES = "container.projects.zones."


def _names(p: dict) -> dict:
    """The locations-style "parent"/"name" for a zonal request's path parameters."""
    base = f"projects/{p['projectId']}/locations/{p['zone']}"
    if "operationId" in p:
        return {"name": f"{base}/operations/{p['operationId']}", "parent": base}
    if "clusterId" not in p:
        return {"parent": base}
    cluster = f"{base}/clusters/{p['clusterId']}"
    if "nodePoolId" in p:
        return {"name": f"{cluster}/nodePools/{p['nodePoolId']}", "parent": cluster}
    return {"name": cluster, "parent": cluster if p.get("_pools") else base}


def _alias(method_id: str, target, pools: bool = False):
    def answer(ctx, req):
        params = {**req.params, "_pools": pools}
        return target(ctx, dataclasses.replace(req, params={**req.params, **_names(params)}))

    handler(_ZONES + method_id)(answer)


for _id, _target in [("clusters.create", clusters.create), ("clusters.get", clusters.get),
                     ("clusters.list", clusters.list_), ("clusters.delete", clusters.delete),
                     ("clusters.update", clusters.update), ("clusters.resourceLabels", clusters.set_resource_labels),
                     ("clusters.nodePools.get", node_pools.get), ("clusters.nodePools.delete", node_pools.delete),
                     ("clusters.nodePools.update", node_pools.update),
                     ("clusters.nodePools.autoscaling", node_pools.set_autoscaling),
                     ("clusters.nodePools.setSize", node_pools.set_size),
                     ("operations.get", operations.get), ("operations.list", operations.list_)]:
    _alias(_id, _target)
for _id, _target in [("clusters.nodePools.create", node_pools.create), ("clusters.nodePools.list", node_pools.list_)]:
    _alias(_id, _target, pools=True)
