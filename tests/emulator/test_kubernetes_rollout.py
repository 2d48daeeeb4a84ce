"""Deployments converging over time, observed step by step through the official `kubernetes` client:
a rolling update never exceeds replicas + maxSurge pods nor drops below replicas - maxUnavailable
available ones, and ends with every pod on the new image; Recreate never mixes old and new pods.

Two emulator processes' worth of servers share one data dir: a fast one (time_scale 0.002) creates the
GKE cluster, a slower one (pods ready after 0.32 s) serves the Kubernetes API, so each step of a rollout
lasts long enough to be seen. The state they share is the store, as with several emulator processes."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.emulator.test_kubernetes_api import Kube, create_cluster, rolled_out, until

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POD_SCALE = 0.04  # pods are ready 8 s * 0.04 = 0.32 s after creation


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """(fast server, Kube on the slow server): one cluster, one data dir, two servers."""
    from gcpkit.emulator.core.server import EmulatorServer

    data_dir = tmp_path_factory.mktemp("k8s-rollout")
    fast = EmulatorServer(port=0, data_dir=data_dir, strict=True, time_scale=0.002).start()
    slow = EmulatorServer(port=0, data_dir=data_dir, strict=True, time_scale=POD_SCALE).start()
    project = f"roll-{uuid.uuid4().hex[:8]}"
    create_cluster(fast, project, "web")
    yield fast, project, Kube(slow, project, "web")
    slow.stop()
    fast.stop()


@pytest.fixture
def kube(shared) -> Kube:
    return shared[2]


def observe(kube: Kube, ns: str, timeout: float = 20.0) -> list[dict]:
    """Poll the Deployment and its pods until the rollout is complete; every observation, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        dep = kube.apps.read_namespaced_deployment("web", ns)
        pods = kube.core.list_namespaced_pod(ns, label_selector="app=web").items
        seen.append({
            "status": dep.status,
            "pods": [(p.spec.containers[0].image, all(c.ready for c in p.status.container_statuses)) for p in pods],
        })
        if rolled_out(dep) and len(pods) == dep.spec.replicas:
            return seen
        assert time.monotonic() < deadline, f"rollout not complete after {timeout}s: {seen[-1]}"
        time.sleep(0.01)


def new_image(kube: Kube, ns: str, image: str) -> None:
    kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": image}]}}}})


@pytest.mark.parametrize("replicas, max_surge, max_unavailable, surge, unavailable", [
    (4, 1, 1, 1, 1),
    (4, "25%", 0, 1, 0),  # one at a time, never below 4 available
    (3, 0, 1, 0, 1),  # never above 3 pods
    (5, "50%", "40%", 3, 2),  # surge rounds up (2.5 -> 3), unavailable down (2.0 -> 2)
    (3, "10%", "10%", 1, 0),  # 0.3 rounds to surge 1, unavailable 0
])
def test_rolling_update_honours_max_surge_and_max_unavailable(kube, replicas, max_surge, max_unavailable,
                                                               surge, unavailable):
    k8s = kube.k8s
    ns = kube.namespace()
    strategy = k8s.V1DeploymentStrategy(type="RollingUpdate", rolling_update=k8s.V1RollingUpdateDeployment(
        max_surge=max_surge, max_unavailable=max_unavailable))
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=replicas, image="app:v1", strategy=strategy))
    observe(kube, ns)

    new_image(kube, ns, "app:v2")
    seen = observe(kube, ns)
    for step in seen:
        status, pods = step["status"], step["pods"]
        assert (status.replicas or 0) <= replicas + surge, step
        assert (status.available_replicas or 0) >= replicas - unavailable, step
        assert len(pods) <= replicas + surge, step
        assert sum(ready for _, ready in pods) >= replicas - unavailable, step
    mixes = {(sum(image == "app:v1" for image, _ in s["pods"]), sum(image == "app:v2" for image, _ in s["pods"]))
             for s in seen}
    assert any(old and new for old, new in mixes), mixes  # old and new pods side by side: a rolling update
    assert seen[-1]["pods"] == [("app:v2", True)] * replicas
    final = seen[-1]["status"]
    assert (final.updated_replicas, final.ready_replicas, final.available_replicas, final.unavailable_replicas) == \
        (replicas, replicas, replicas, None)
    assert {c.type: c.reason for c in final.conditions} == {"Available": "MinimumReplicasAvailable",
                                                            "Progressing": "NewReplicaSetAvailable"}
    old_rs = [rs for rs in kube.apps.list_namespaced_replica_set(ns).items
              if rs.spec.template.spec.containers[0].image == "app:v1"]
    assert [rs.status.replicas for rs in old_rs] == [0]


def test_a_rollout_reports_progress_while_it_runs(kube):
    ns = kube.namespace()
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=4, image="app:v1"))
    observe(kube, ns)
    new_image(kube, ns, "app:v2")
    reasons = []
    for step in observe(kube, ns):
        reason = {c.type: c.reason for c in step["status"].conditions}["Progressing"]
        if not reasons or reasons[-1] != reason:
            reasons.append(reason)
    assert reasons[0] == "NewReplicaSetCreated" and reasons[-1] == "NewReplicaSetAvailable"
    assert "ReplicaSetUpdated" in reasons


def test_recreate_never_mixes_old_and_new_pods(kube):
    k8s = kube.k8s
    ns = kube.namespace()
    strategy = k8s.V1DeploymentStrategy(type="Recreate")
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=3, image="app:v1", strategy=strategy))
    observe(kube, ns)
    new_image(kube, ns, "app:v2")
    seen = observe(kube, ns)
    assert all(len({image for image, _ in s["pods"]}) <= 1 for s in seen)
    assert seen[-1]["pods"] == [("app:v2", True)] * 3


def test_scaling_converges_up_and_down(kube):
    ns = kube.namespace()
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=2))
    observe(kube, ns)
    first = kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 5}}).status  # as of the patch
    assert (first.replicas, first.available_replicas, first.unavailable_replicas) == (5, 2, 3)  # 3 pods starting
    assert len(observe(kube, ns)[-1]["pods"]) == 5
    kube.apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 1}})
    assert len(observe(kube, ns)[-1]["pods"]) == 1


def test_servers_sharing_a_data_dir_see_the_same_objects(shared):
    fast, project, kube = shared
    ns = kube.namespace()
    kube.apps.create_namespaced_deployment(ns, kube.deployment(replicas=1))
    other = Kube(fast, project, "web")
    read = other.apps.read_namespaced_deployment("web", ns)
    assert read.metadata.uid == kube.apps.read_namespaced_deployment("web", ns).metadata.uid
    until(lambda: other.apps.read_namespaced_deployment("web", ns), rolled_out, what="rollout seen by the other")
