"""container.projects.locations.clusters.nodePools.create/get/list/delete/update/setAutoscaling/setSize.

Every mutating call claims the cluster (one operation at a time, see operations.claim). Node pool
updates and autoscaling changes have no public operation type: GKE leaves operationType out of their
operations (gcp-golden/container--containernodepool.http.log), and so does the emulator.
"""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from . import defaults
from . import operations as ops
from .common import (
    CLUSTERS,
    LINK_BASE,
    NODE_POOLS,
    already_exists,
    check_name,
    cluster_key,
    invalid,
    not_implemented,
    number,
    pool_key,
    split,
)
from .state import gone, live_pools, load_cluster, load_pool, render_pool

_CLUSTER = ("projects", "locations", "clusters")
_POOL = ("projects", "locations", "clusters", "nodePools")
# UpdateNodePoolRequest fields copied into the pool's config: field -> (config key, wrapper key or None).
_CONFIG_FIELDS = {"machineType": ("machineType", None), "diskSizeGb": ("diskSizeGb", None),
                  "diskType": ("diskType", None), "imageType": ("imageType", None),
                  "taints": ("taints", "taints"), "labels": ("labels", "labels"),
                  "resourceLabels": ("resourceLabels", "labels"), "tags": ("tags", "tags"),
                  "workloadMetadataConfig": ("workloadMetadataConfig", None), "kubeletConfig": ("kubeletConfig", None),
                  "linuxNodeConfig": ("linuxNodeConfig", None), "loggingConfig": ("loggingConfig", None)}
_IGNORED = {"name", "projectId", "zone", "clusterId", "nodePoolId", "etag"}


def target(project: str, location: str, cluster: str, pool: str) -> str:
    return f"{LINK_BASE}projects/{number(project)}/zones/{location}/clusters/{cluster}/nodePools/{pool}"


def _workload_identity(cluster: dict) -> bool:
    return bool((cluster.get("workloadIdentityConfig") or {}).get("workloadPool"))


def _start(ctx, req, project, location, cluster, pool_name, op_type, verb):
    """A new operation on the pool, with the cluster claimed (call inside a transaction)."""
    op = ops.new(ctx, project, location, cluster["name"], op_type, target(project, location, cluster["name"], pool_name),
                 "nodePools", verb, ops.injected_error(ctx, req))
    ops.claim(ctx, cluster, op)
    ctx.store.put(CLUSTERS, cluster_key(project, location, cluster["name"]), cluster)
    ops.save(ctx, project, location, op)
    return op


@handler("container.projects.locations.clusters.nodePools.create")
def create(ctx, req):
    project, location, cluster_name = split(req.params["parent"], _CLUSTER)
    body = (req.body or {}).get("nodePool")
    if not body:
        raise invalid("NodePool is required.")
    check_name("node_pool.name", body.get("name"))
    name = body["name"]
    with ctx.store.transaction():
        cluster = load_cluster(ctx, project, location, cluster_name)
        existing = ctx.store.get(NODE_POOLS, pool_key(project, location, cluster_name, name))
        if existing is not None and not gone(ctx.clock.now(), existing):
            raise already_exists(f"projects/{project}/zones/{location}/clusters/{cluster_name}/nodePools/{name}")
        pool = defaults.node_pool(project, location, cluster, body, _workload_identity(cluster))
        if not body.get("locations"):  # inherited from the cluster: GKE leaves it out (recordings)
            del pool["locations"]
        op = _start(ctx, req, project, location, cluster, name, "CREATE_NODE_POOL", "create")
        pool.update({"_readyAt": op["_done"], "_seq": ctx.store.next_id()})
        if ops.failed(op):
            pool["_failed"] = op["_error"]["message"]
        ctx.store.put(NODE_POOLS, pool_key(project, location, cluster_name, name), pool)
    return ops.render(ctx, op)


@handler("container.projects.locations.clusters.nodePools.get")
def get(ctx, req):
    project, location, cluster_name, name = split(req.params["name"], _POOL)
    cluster = load_cluster(ctx, project, location, cluster_name)
    return render_pool(ctx, project, location, cluster, load_pool(ctx, project, location, cluster_name, name))


@handler("container.projects.locations.clusters.nodePools.list")
def list_(ctx, req):
    project, location, cluster_name = split(req.params["parent"], _CLUSTER)
    cluster = load_cluster(ctx, project, location, cluster_name)
    pools = [render_pool(ctx, project, location, cluster, p) for p in live_pools(ctx, project, location, cluster_name)]
    return {"nodePools": pools} if pools else {}


@handler("container.projects.locations.clusters.nodePools.delete")
def delete(ctx, req):
    project, location, cluster_name, name = split(req.params["name"], _POOL)
    with ctx.store.transaction():
        cluster = load_cluster(ctx, project, location, cluster_name)
        pool = load_pool(ctx, project, location, cluster_name, name)
        op = _start(ctx, req, project, location, cluster, name, "DELETE_NODE_POOL", "delete")
        if not ops.failed(op):
            pool["_goneAt"] = op["_done"]
        ctx.store.put(NODE_POOLS, pool_key(project, location, cluster_name, name), pool)
    return ops.render(ctx, op)


def _change(ctx, req, op_type: str | None, verb: str, apply) -> dict:
    """Claim the cluster, apply `apply(pool)` unless the operation is to fail, mark the pool busy."""
    project, location, cluster_name, name = split(req.params["name"], _POOL)
    with ctx.store.transaction():
        cluster = load_cluster(ctx, project, location, cluster_name)
        pool = load_pool(ctx, project, location, cluster_name, name)
        apply(cluster, dict(pool))  # check the request before claiming anything
        op = _start(ctx, req, project, location, cluster, name, op_type, verb)
        if not ops.failed(op):
            apply(cluster, pool)
        pool["_busyUntil"] = op["_done"]
        ctx.store.put(NODE_POOLS, pool_key(project, location, cluster_name, name), pool)
    return ops.render(ctx, op)


@handler("container.projects.locations.clusters.nodePools.update")
def update(ctx, req):
    body = req.body or {}
    unknown = [k for k in body if k not in _CONFIG_FIELDS and k not in _IGNORED
               and k not in ("locations", "upgradeSettings", "nodeVersion")]
    if unknown:
        raise not_implemented(f"UpdateNodePoolRequest.{unknown[0]}")

    def apply(cluster, pool):
        config = dict(pool["config"])
        for field, (key, wrapper) in _CONFIG_FIELDS.items():
            if field in body:
                value = body[field]
                config[key] = value.get(wrapper) if wrapper else value
                if config[key] in (None, [], {}):
                    del config[key]
        config["bootDisk"] = {"diskType": config["diskType"], "sizeGb": str(config["diskSizeGb"])}
        pool["config"] = config
        if body.get("locations"):
            pool["locations"] = pool["_zones"] = list(body["locations"])
        if body.get("upgradeSettings"):
            pool["upgradeSettings"] = defaults.merge(pool["upgradeSettings"], body["upgradeSettings"])
        if body.get("nodeVersion"):
            pool["version"] = defaults.version_for(cluster["releaseChannel"]["channel"], body["nodeVersion"])

    return _change(ctx, req, None, "update", apply)


@handler("container.projects.locations.clusters.nodePools.setAutoscaling")
def set_autoscaling(ctx, req):
    autoscaling = (req.body or {}).get("autoscaling") or {}
    defaults.check_autoscaling(autoscaling)

    def apply(cluster, pool):
        pool.pop("autoscaling", None)
        view = defaults.autoscaling_view(autoscaling)
        if view:
            pool["autoscaling"] = view

    return _change(ctx, req, None, "setAutoscaling", apply)


@handler("container.projects.locations.clusters.nodePools.setSize")
def set_size(ctx, req):
    count = (req.body or {}).get("nodeCount")
    if count is None or int(count) < 0:
        raise invalid("SetNodePoolSizeRequest.node_count must be zero or more.")

    def apply(cluster, pool):
        pool["initialNodeCount"] = int(count)

    return _change(ctx, req, "SET_NODE_POOL_SIZE", "setSize", apply)
