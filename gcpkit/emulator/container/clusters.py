"""container.projects.locations.clusters.create/get/list/delete/update/setResourceLabels.

A cluster is created with node pools, as GKE does: either a "default-pool" made from
initialNodeCount (and nodeConfig), which a caller may delete once the cluster runs (Terraform's
remove_default_node_pool), or the pools listed in nodePools. Changes of update/setResourceLabels
are applied when the call is accepted; the cluster is RECONCILING until the operation is done.
"""

from __future__ import annotations

import uuid

from gcpkit.emulator.core.discovery import load as load_document
from gcpkit.emulator.core.registry import handler

from . import defaults
from . import operations as ops
from .certs import b64, new_ca
from .common import (
    CLUSTERS,
    LINK_BASE,
    NODE_POOLS,
    already_exists,
    check_location,
    check_name,
    cluster_key,
    failed_precondition,
    fingerprint,
    fmt_time,
    invalid,
    node_pool_not_found,
    not_implemented,
    number,
    pool_key,
    split,
)
from .state import gone, live_pools, load_cluster, reap, render_cluster

# ClusterUpdate fields applied by a rule of their own (the others map desiredX -> X, see _generic_field).
_SPECIAL = {"desiredNodePoolId", "desiredNodePoolAutoscaling", "desiredNodeVersion", "desiredMasterVersion",
            "desiredReleaseChannel", "desiredWorkloadIdentityConfig", "desiredLocations", "desiredClusterAutoscaling",
            "etag"}


def target(project: str, location: str, cluster: str) -> str:
    return f"{LINK_BASE}projects/{number(project)}/zones/{location}/clusters/{cluster}"


def check_workload_pool(project: str, config: dict | None) -> None:
    pool = (config or {}).get("workloadPool")
    if pool and pool != f"{project}.svc.id.goog":
        raise invalid(f'Workload Identity pool "{pool}" is not valid: it must be "{project}.svc.id.goog".')


# ---- create ------------------------------------------------------------------------------------

def _pool_bodies(body: dict) -> list[dict]:
    pools = body.get("nodePools") or []
    initial = int(body.get("initialNodeCount") or 0)
    if pools and (initial or body.get("nodeConfig")):
        raise invalid("Cluster.initial_node_count and Cluster.node_config must not be set when Cluster.node_pools "
                      "is specified.")
    if not pools:
        if initial <= 0:
            raise invalid("Cluster.initial_node_count must be greater than zero.")
        return [{"name": "default-pool", "initialNodeCount": initial, "config": body.get("nodeConfig")}]
    seen = set()
    for i, pool in enumerate(pools):
        check_name(f"cluster.node_pools[{i}].name", pool.get("name"))
        if pool["name"] in seen:
            raise invalid(f'Node pool name "{pool["name"]}" is used more than once in Cluster.node_pools.')
        seen.add(pool["name"])
    return pools


@handler("container.projects.locations.clusters.create")
def create(ctx, req):
    project, location = split(req.params["parent"], ("projects", "locations"))
    check_location(location)
    body = (req.body or {}).get("cluster")
    if not body:
        raise invalid("Cluster is required.")
    check_name("cluster.name", body.get("name"))
    if (body.get("autopilot") or {}).get("enabled"):
        raise not_implemented("Autopilot clusters")
    check_workload_pool(project, body.get("workloadIdentityConfig"))
    pool_bodies = _pool_bodies(body)
    name = body["name"]
    key = cluster_key(project, location, name)
    now = ctx.clock.now()
    with ctx.store.transaction():
        reap(ctx, key)
        if ctx.store.get(CLUSTERS, key) is not None:
            raise already_exists(f"projects/{project}/zones/{location}/clusters/{name}")
        error = ops.injected_error(ctx, req)
        op = ops.new(ctx, project, location, name, "CREATE_CLUSTER", target(project, location, name),
                     "clusters", "create", error)
        doc = defaults.cluster(project, location, body, uuid.uuid4().hex)
        cert, key_pem = new_ca(now)
        doc.update({"masterAuth": {"clientCertificateConfig": {}, "clusterCaCertificate": b64(cert)},
                    "createTime": fmt_time(now), "_caCert": cert, "_caKey": key_pem, "_readyAt": op["_done"]})
        if "nodePools" not in body:
            doc["initialNodeCount"] = int(body["initialNodeCount"])
        if error:
            doc["_failed"] = op["_error"]["message"]
        ops.claim(ctx, doc, op)
        workload_identity = bool((body.get("workloadIdentityConfig") or {}).get("workloadPool"))
        pools = [defaults.node_pool(project, location, doc, pb, workload_identity) for pb in pool_bodies]
        for pool in pools:
            pool.update({"_readyAt": op["_done"], "_seq": ctx.store.next_id()})
            if error:
                pool["_failed"] = op["_error"]["message"]
            ctx.store.put(NODE_POOLS, pool_key(project, location, name, pool["name"]), pool)
        ctx.store.put(CLUSTERS, key, doc)
        ops.save(ctx, project, location, op)
    return ops.render(ctx, op)


# ---- read --------------------------------------------------------------------------------------

@handler("container.projects.locations.clusters.get")
def get(ctx, req):
    project, location, name = split(req.params["name"], ("projects", "locations", "clusters"))
    return render_cluster(ctx, project, location, load_cluster(ctx, project, location, name))


@handler("container.projects.locations.clusters.list")
def list_(ctx, req):
    project, location = split(req.params["parent"], ("projects", "locations"))
    prefix = f"{project}/" if location == "-" else f"{project}/{location}/"  # "-": every location
    out = []
    for doc in ctx.store.list(CLUSTERS, prefix):
        reap(ctx, cluster_key(project, doc["location"], doc["name"]))
        if not gone(ctx.clock.now(), doc):
            out.append(render_cluster(ctx, project, doc["location"], doc))
    out.sort(key=lambda c: (c["location"], c["name"]))
    return {"clusters": out} if out else {}


# ---- delete ------------------------------------------------------------------------------------

@handler("container.projects.locations.clusters.delete")
def delete(ctx, req):
    project, location, name = split(req.params["name"], ("projects", "locations", "clusters"))
    with ctx.store.transaction():
        doc = load_cluster(ctx, project, location, name)
        error = ops.injected_error(ctx, req)
        op = ops.new(ctx, project, location, name, "DELETE_CLUSTER", target(project, location, name),
                     "clusters", "delete", error)
        ops.claim(ctx, doc, op)
        if not error:
            doc["_goneAt"] = op["_done"]
        ctx.store.put(CLUSTERS, cluster_key(project, location, name), doc)
        ops.save(ctx, project, location, op)
    return ops.render(ctx, op)


# ---- update ------------------------------------------------------------------------------------

def _cluster_fields() -> set[str]:
    return set(load_document("container.v1.json").schemas["Cluster"]["properties"])


def _generic_field(desired: str) -> str | None:
    """desiredLoggingService -> loggingService, when the Cluster has such a field."""
    field = desired[len("desired"):]
    field = field[:1].lower() + field[1:]
    return field if desired.startswith("desired") and field in _cluster_fields() else None


def _apply_update(ctx, project: str, location: str, doc: dict, update: dict) -> str:
    """Check and apply a ClusterUpdate to `doc` and its pools (stored); return the operation type."""
    unknown = [k for k in update if k not in _SPECIAL and not _generic_field(k)]
    if unknown:
        raise not_implemented(f"ClusterUpdate.{unknown[0]}")
    pool_id = update.get("desiredNodePoolId")
    pool_fields = [k for k in ("desiredNodePoolAutoscaling", "desiredNodeVersion") if k in update]
    if pool_id and not pool_fields:
        raise invalid("desiredNodePoolId was given without a node pool field to change.")
    if "desiredNodePoolAutoscaling" in update and not pool_id:
        raise invalid("desiredNodePoolId must be set with desiredNodePoolAutoscaling.")
    pools = live_pools(ctx, project, location, doc["name"])
    if pool_id:
        pools = [p for p in pools if p["name"] == pool_id]
        if not pools:
            raise node_pool_not_found(project, location, doc["name"], pool_id)
    if "desiredWorkloadIdentityConfig" in update:
        check_workload_pool(project, update["desiredWorkloadIdentityConfig"])
    if "desiredNodePoolAutoscaling" in update:
        defaults.check_autoscaling(update["desiredNodePoolAutoscaling"])
    channel = doc["releaseChannel"]["channel"]
    op_type = "UPDATE_CLUSTER"
    for field, value in update.items():
        if field == "desiredNodePoolAutoscaling":
            view = defaults.autoscaling_view(value)
            for pool in pools:
                pool.pop("autoscaling", None)
                if view:
                    pool["autoscaling"] = view
        elif field == "desiredNodeVersion":
            for pool in pools:
                pool["version"] = defaults.version_for(channel, value)
            doc["currentNodeVersion"] = defaults.version_for(channel, value)
            op_type = "UPGRADE_NODES"
        elif field == "desiredMasterVersion":
            doc["currentMasterVersion"] = defaults.version_for(channel, value)
            op_type = "UPGRADE_MASTER"
        elif field == "desiredReleaseChannel":
            doc["releaseChannel"] = {"channel": value.get("channel") or "UNSPECIFIED"}
        elif field == "desiredWorkloadIdentityConfig":
            if value.get("workloadPool"):
                doc["workloadIdentityConfig"] = {"workloadPool": value["workloadPool"]}
            else:
                doc.pop("workloadIdentityConfig", None)
        elif field == "desiredLocations":
            doc["locations"] = list(value)
        elif field == "desiredClusterAutoscaling":
            doc["autoscaling"] = defaults.merge(doc.get("autoscaling"), value)
        elif field not in ("desiredNodePoolId", "etag"):
            doc[_generic_field(field)] = value
    for pool in pools:
        if pool_fields:
            ctx.store.put(NODE_POOLS, pool_key(project, location, doc["name"], pool["name"]), pool)
    return op_type


@handler("container.projects.locations.clusters.update")
def update(ctx, req):
    project, location, name = split(req.params["name"], ("projects", "locations", "clusters"))
    changes = (req.body or {}).get("update") or {}
    if not changes:
        raise invalid("Update has no fields to change.")
    with ctx.store.transaction():
        doc = load_cluster(ctx, project, location, name)
        error = ops.injected_error(ctx, req)
        op = ops.new(ctx, project, location, name, "UPDATE_CLUSTER", target(project, location, name),
                     "clusters", "update", error)
        ops.claim(ctx, doc, op)
        if not error:
            op["operationType"] = _apply_update(ctx, project, location, doc, changes)
            doc["_busyType"] = op["operationType"]
        ctx.store.put(CLUSTERS, cluster_key(project, location, name), doc)
        ops.save(ctx, project, location, op)
    return ops.render(ctx, op)


@handler("container.projects.locations.clusters.setResourceLabels")
def set_resource_labels(ctx, req):
    project, location, name = split(req.params["name"], ("projects", "locations", "clusters"))
    body = req.body or {}
    with ctx.store.transaction():
        doc = load_cluster(ctx, project, location, name)
        given = body.get("labelFingerprint")
        if given and given != doc["labelFingerprint"]:
            raise failed_precondition(f'Labels could not be set due to fingerprint mismatch: "{given}" is not the '
                                      f'current labelFingerprint "{doc["labelFingerprint"]}".')
        error = ops.injected_error(ctx, req)
        op = ops.new(ctx, project, location, name, "SET_LABELS", target(project, location, name),
                     "clusters", "setResourceLabels", error)
        ops.claim(ctx, doc, op)
        if not error:
            doc["resourceLabels"] = dict(body.get("resourceLabels") or {})
            doc["labelFingerprint"] = fingerprint(doc["resourceLabels"])
        ctx.store.put(CLUSTERS, cluster_key(project, location, name), doc)
        ops.save(ctx, project, location, op)
    return ops.render(ctx, op)
