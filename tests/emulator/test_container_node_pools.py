"""GKE node pools (container v1, projects.locations.clusters.nodePools) through google-api-python-client,
over HTTP, against the strict emulator."""

from __future__ import annotations

import uuid

import pytest

from tests.emulator.test_container_clusters import (
    ZONE,
    cluster_name,
    clusters,
    create,
    gke_client,
    http_error,
    wait,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def gke(gke_server):
    # node pool operations last 0.2-0.4 s here: long enough to observe, short enough to wait for
    return gke_client(gke_server)


@pytest.fixture(scope="module")
def gke_server():
    from gcpkit.emulator.core.server import EmulatorServer

    server = EmulatorServer(port=0, in_memory=True, strict=True, time_scale=0.003).start()
    yield server
    server.stop()


@pytest.fixture
def project():
    return f"np-{uuid.uuid4().hex[:10]}"


def pools(gke):
    return clusters(gke).nodePools()


def pool_name(project: str, pool: str, cluster: str = "web") -> str:
    return f"{cluster_name(project, cluster)}/nodePools/{pool}"


def add_pool(gke, project: str, name: str = "workers", **pool) -> dict:
    body = {"nodePool": {"name": name, **(pool or {"initialNodeCount": 1})}}
    op = pools(gke).create(parent=cluster_name(project, "web"), body=body).execute()
    _, done = wait(gke, project, op)
    assert "error" not in done, done
    return pools(gke).get(name=pool_name(project, name)).execute()


def test_remove_the_default_pool_then_add_a_managed_one(gke, gke_server, project, monkeypatch):
    """Terraform's remove_default_node_pool pattern: a tiny default pool, deleted once the cluster runs."""
    create(gke, project, "web")
    monkeypatch.setattr(gke_server.ctx.latency, "time_scale", 0.02)  # pool operations observed mid-way: seconds
    status, error = http_error(pools(gke).get(name=pool_name(project, "workers")))
    assert status == 404 and error["message"] == (
        f'nodePool "projects/{project}/locations/{ZONE}/clusters/web/nodePools/workers" not found')

    op = pools(gke).delete(name=pool_name(project, "default-pool")).execute()
    assert op["operationType"] == "DELETE_NODE_POOL" and op["targetLink"].endswith("/nodePools/default-pool")
    assert pools(gke).get(name=pool_name(project, "default-pool")).execute()["status"] == "STOPPING"
    wait(gke, project, op)
    assert pools(gke).list(parent=cluster_name(project, "web")).execute() == {}
    cluster = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert "nodePools" not in cluster and "currentNodeCount" not in cluster

    op = pools(gke).create(parent=cluster_name(project, "web"), body={"nodePool": {
        "name": "workers", "config": {"machineType": "e2-standard-2", "labels": {"role": "web"}},
        "autoscaling": {"enabled": True, "minNodeCount": 2, "maxNodeCount": 5}}}).execute()
    assert op["operationType"] == "CREATE_NODE_POOL" and op["status"] == "RUNNING"
    assert clusters(gke).get(name=cluster_name(project, "web")).execute()["status"] == "RECONCILING"
    pool = pools(gke).get(name=pool_name(project, "workers")).execute()
    assert pool["status"] == "PROVISIONING"
    seen, _ = wait(gke, project, op)
    assert seen == ["RUNNING", "DONE"]
    pool = pools(gke).get(name=pool_name(project, "workers")).execute()
    assert pool["status"] == "RUNNING" and pool["initialNodeCount"] == 2  # autoscaling's minimum
    assert pool["autoscaling"] == {"enabled": True, "minNodeCount": 2, "maxNodeCount": 5}
    assert pool["config"]["machineType"] == "e2-standard-2" and pool["config"]["labels"] == {"role": "web"}
    assert pool["selfLink"].endswith(f"/projects/{project}/locations/{ZONE}/clusters/web/nodePools/workers")
    assert "locations" not in pool  # inherited from the cluster: GKE leaves it out (recordings)
    assert pool["version"] and pool["management"]["autoRepair"] is True
    cluster = clusters(gke).get(name=cluster_name(project, "web")).execute()
    assert cluster["status"] == "RUNNING" and cluster["currentNodeCount"] == 2
    listed = pools(gke).list(parent=cluster_name(project, "web")).execute()["nodePools"]
    assert [p["name"] for p in listed] == ["workers"]


def test_duplicate_and_invalid_pools(gke, project):
    create(gke, project, "web")
    status, error = http_error(pools(gke).create(parent=cluster_name(project, "web"),
                                                 body={"nodePool": {"name": "default-pool", "initialNodeCount": 1}}))
    assert status == 409 and error["status"] == "ALREADY_EXISTS"
    status, error = http_error(pools(gke).create(parent=cluster_name(project, "web"),
                                                 body={"nodePool": {"name": "Pool!", "initialNodeCount": 1}}))
    assert status == 400 and 'Invalid value for field "node_pool.name"' in error["message"]
    status, error = http_error(pools(gke).create(parent=cluster_name(project, "web"), body={"nodePool": {
        "name": "p", "autoscaling": {"enabled": True, "minNodeCount": 3, "maxNodeCount": 1}}}))
    assert status == 400 and "Invalid autoscaling configuration" in error["message"]
    status, error = http_error(pools(gke).create(parent=cluster_name(project, "ghost"),
                                                 body={"nodePool": {"name": "p", "initialNodeCount": 1}}))
    assert status == 404 and "clusters/ghost" in error["message"]
    assert [p["name"] for p in pools(gke).list(parent=cluster_name(project, "web")).execute()["nodePools"]] == [
        "default-pool"]


def test_one_pool_operation_at_a_time(gke, project):
    create(gke, project, "web")
    op = pools(gke).create(parent=cluster_name(project, "web"),
                           body={"nodePool": {"name": "a", "initialNodeCount": 1}}).execute()
    status, error = http_error(pools(gke).create(parent=cluster_name(project, "web"),
                                                 body={"nodePool": {"name": "b", "initialNodeCount": 1}}))
    assert status == 400 and error["message"] == f"Cluster is running incompatible operation {op['name']}."
    status, _ = http_error(pools(gke).delete(name=pool_name(project, "default-pool")))
    assert status == 400
    wait(gke, project, op)
    assert add_pool(gke, project, "b")["status"] == "RUNNING"  # free again once the first is done


def test_set_autoscaling_and_size(gke, project):
    create(gke, project, "web")
    op = pools(gke).setAutoscaling(name=pool_name(project, "default-pool"), body={
        "autoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}}).execute()
    assert "operationType" not in op  # GKE has no public type for it (recordings)
    wait(gke, project, op)
    pool = pools(gke).get(name=pool_name(project, "default-pool")).execute()
    assert pool["autoscaling"] == {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}

    wait(gke, project, pools(gke).setAutoscaling(name=pool_name(project, "default-pool"),
                                                 body={"autoscaling": {"enabled": False}}).execute())
    op = pools(gke).setSize(name=pool_name(project, "default-pool"), body={"nodeCount": 3}).execute()
    assert op["operationType"] == "SET_NODE_POOL_SIZE"
    wait(gke, project, op)
    pool = pools(gke).get(name=pool_name(project, "default-pool")).execute()
    assert "autoscaling" not in pool and pool["initialNodeCount"] == 3
    assert clusters(gke).get(name=cluster_name(project, "web")).execute()["currentNodeCount"] == 3

    status, error = http_error(pools(gke).setAutoscaling(name=pool_name(project, "default-pool"), body={
        "autoscaling": {"enabled": True, "minNodeCount": 2, "maxNodeCount": 1}}))
    assert status == 400 and "Invalid autoscaling configuration" in error["message"]


def test_update_reconciles_the_pool(gke, gke_server, project, monkeypatch):
    create(gke, project, "web")
    # this update lasts seconds, not a fifth of one: the pool is surely still RECONCILING when read on a busy machine
    monkeypatch.setattr(gke_server.ctx.latency, "time_scale", 0.05)
    op = pools(gke).update(name=pool_name(project, "default-pool"), body={
        "taints": {"taints": [{"key": "dedicated", "value": "web", "effect": "NO_SCHEDULE"}]},
        "labels": {"labels": {"tier": "front"}}, "machineType": "e2-standard-4"}).execute()
    assert "operationType" not in op and op["status"] == "RUNNING"
    assert pools(gke).get(name=pool_name(project, "default-pool")).execute()["status"] == "RECONCILING"
    wait(gke, project, op)
    pool = pools(gke).get(name=pool_name(project, "default-pool")).execute()
    assert pool["status"] == "RUNNING"
    assert pool["config"]["taints"] == [{"key": "dedicated", "value": "web", "effect": "NO_SCHEDULE"}]
    assert pool["config"]["labels"] == {"tier": "front"} and pool["config"]["machineType"] == "e2-standard-4"


def test_pools_of_a_workload_identity_cluster_use_the_gke_metadata_server(gke, project):
    create(gke, project, "web", initialNodeCount=1, workloadIdentityConfig={"workloadPool": f"{project}.svc.id.goog"})
    pool = add_pool(gke, project, "extra")
    assert pool["config"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
