"""Objects as the API returns them: the stored object plus what controllers would have written by `now`
(a Deployment's status and revision, a load balancer's address, pending deletions), and the objects that
are never stored but generated from Deployments (ReplicaSets and pods)."""

from __future__ import annotations

import copy
import hashlib
import uuid

from gcpkit.emulator.kubernetes import rollout
from gcpkit.emulator.kubernetes.objects import rfc3339
from gcpkit.emulator.kubernetes.resources import (
    DEPLOYMENTS,
    INGRESSES,
    NAMESPACES,
    SERVICES,
)

_NODES = 3  # pods are spread over the default pool's nodes
REVISION = "deployment.kubernetes.io/revision"  # the deployment controller's annotation


class Timing:
    """Durations (already scaled) from the emulator's latency profile."""

    def __init__(self, latency):
        self.scale = latency.time_scale
        self.pod_ready = latency.duration("kubernetes", "pods", "ready")
        self.service_lb = latency.duration("kubernetes", "services", "loadBalancer")
        self.ingress_lb = latency.duration("kubernetes", "ingresses", "loadBalancer")

    def deletion(self, latency, plural: str) -> float:
        return latency.duration("kubernetes", plural, "delete")


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


def render(res, doc: dict, now: float, timing: Timing) -> dict:
    """The object for a GET, with its computed status."""
    obj = copy.deepcopy(doc["obj"])
    if res is DEPLOYMENTS:
        _deployment_status(obj, doc, now, timing)
    elif res is SERVICES:
        _load_balancer(obj, doc, now, timing.service_lb, obj.get("spec", {}).get("type") == "LoadBalancer", "34")
    elif res is INGRESSES:
        _load_balancer(obj, doc, now, timing.ingress_lb, True, "35")
    elif res is NAMESPACES:
        obj["status"] = {"phase": "Terminating" if "goneAt" in doc else "Active"}
    return obj


def _load_balancer(obj: dict, doc: dict, now: float, delay: float, wanted: bool, first_octet: str) -> None:
    """status.loadBalancer: empty until the load balancer is up, then its IP (stable per object)."""
    status = {}
    since = doc.get("lbSince")
    if wanted and since is not None and now >= since + delay:
        h = _digest(obj["metadata"]["uid"])
        ip = f"{first_octet}.{h % 200 + 20}.{(h >> 8) % 256}.{(h >> 16) % 254 + 1}"
        entry = {"ip": ip, "ipMode": "VIP"} if obj["kind"] == "Service" else {"ip": ip}
        status = {"ingress": [entry]}
    obj["status"] = {"loadBalancer": status}


# ---- Deployments and what they generate ------------------------------------------------------------

def replay(doc: dict, now: float, timing: Timing) -> rollout.State:
    return rollout.simulate(doc["sim"], doc["obj"]["metadata"]["name"], now, timing.pod_ready, timing.scale)


def _deployment_status(obj: dict, doc: dict, now: float, timing: Timing) -> None:
    st = replay(doc, now, timing)
    c = rollout.counts(st, now)
    status = {"observedGeneration": obj["metadata"].get("generation", 1), "replicas": c["replicas"],
              "updatedReplicas": c["updated"], "readyReplicas": c["ready"], "availableReplicas": c["available"],
              "unavailableReplicas": max(c["replicas"] - c["available"], 0)}
    status = {k: v for k, v in status.items() if v}  # the API server omits zero counts
    status["conditions"] = [_condition("Available", st.available), _condition("Progressing", st.progressing)]
    obj["status"] = status
    obj["metadata"].setdefault("annotations", {})[REVISION] = str(st.revisions.get(st.current, 1))


def _condition(kind: str, c: rollout.Condition) -> dict:
    return {"type": kind, "status": c.status, "lastUpdateTime": rfc3339(c.updated),
            "lastTransitionTime": rfc3339(c.transitioned), "reason": c.reason, "message": c.message}


def _owner(api_version: str, kind: str, name: str, uid: str) -> dict:
    return {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid, "controller": True,
            "blockOwnerDeletion": True}


def _rs_uid(deployment: dict, template_key: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{deployment['metadata']['uid']}/rs/{template_key}"))


def replica_sets(doc: dict, now: float, timing: Timing) -> list[dict]:
    """The Deployment's ReplicaSets: the new one and old ones kept up to revisionHistoryLimit."""
    dep = doc["obj"]
    st = replay(doc, now, timing)
    meta, spec = dep["metadata"], dep["spec"]
    want = st.spec["replicas"]
    surge, _ = rollout.fenceposts(st.spec)
    by_hash: dict[str, list[rollout.Pod]] = {}
    for pod in st.pods:
        by_hash.setdefault(pod.hash, []).append(pod)
    history = sorted((h for h in st.revisions if h != st.current and not by_hash.get(h)),
                     key=lambda h: st.revisions[h])
    dropped = set(history[:max(len(history) - spec.get("revisionHistoryLimit", 10), 0)])
    out = []
    for key in sorted(st.revisions, key=lambda h: st.revisions[h]):
        if key in dropped:
            continue
        pods = by_hash.get(key, [])
        template = copy.deepcopy(doc["sim"]["templates"][key])
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = key
        selector = copy.deepcopy(spec["selector"])
        selector.setdefault("matchLabels", {})["pod-template-hash"] = key
        ready = sum(1 for p in pods if p.ready_at <= now)
        available = sum(1 for p in pods if p.available_at <= now)
        status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                  "availableReplicas": available, "observedGeneration": 1}
        out.append({
            "metadata": {
                "name": rollout.rs_name(meta["name"], key), "namespace": meta["namespace"],
                "uid": _rs_uid(dep, key), "resourceVersion": meta["resourceVersion"], "generation": 1,
                "creationTimestamp": rfc3339(st.rs_created[key]), "labels": template["metadata"]["labels"],
                "annotations": {"deployment.kubernetes.io/desired-replicas": str(want),
                                "deployment.kubernetes.io/max-replicas": str(want + surge),
                                "deployment.kubernetes.io/revision": str(st.revisions[key])},
                "ownerReferences": [_owner("apps/v1", "Deployment", meta["name"], meta["uid"])]},
            "spec": {"replicas": len(pods), "selector": selector, "template": template},
            "status": {k: v for k, v in status.items() if v or k == "replicas"},
        })
    return out


def pods(doc: dict, now: float, timing: Timing, cluster: str) -> list[dict]:
    """The Deployment's pods at `now`: Pending while their containers are created, Running, then Ready."""
    dep = doc["obj"]
    st = replay(doc, now, timing)
    meta = dep["metadata"]
    out = []
    for pod in st.pods:
        template = doc["sim"]["templates"][pod.hash]
        rs = rollout.rs_name(meta["name"], pod.hash)
        h = _digest(meta["uid"], str(pod.seq))
        suffix = "".join(rollout._HASH_ALPHABET[(h >> (5 * i)) % 27] for i in range(5))
        labels = {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": pod.hash}
        spec = copy.deepcopy(template.get("spec") or {})
        node = pod.seq % _NODES
        spec.setdefault("serviceAccountName", "default")
        spec["serviceAccount"] = spec["serviceAccountName"]
        spec["nodeName"] = _node_name(cluster, node)
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("tolerations", [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}])
        annotations = (template.get("metadata") or {}).get("annotations")
        metadata = {"name": f"{rs}-{suffix}", "generateName": f"{rs}-", "namespace": meta["namespace"],
                    "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{meta['uid']}/pod/{pod.seq}")),
                    "resourceVersion": meta["resourceVersion"], "creationTimestamp": rfc3339(pod.created),
                    "labels": labels, "ownerReferences": [_owner("apps/v1", "ReplicaSet", rs, _rs_uid(dep, pod.hash))]}
        if annotations:
            metadata["annotations"] = copy.deepcopy(annotations)
        out.append({"metadata": metadata, "spec": spec, "status": _pod_status(pod, spec, now, h, node)})
    return out


def _pod_status(pod: rollout.Pod, spec: dict, now: float, h: int, node: int) -> dict:
    running_at = pod.created + (pod.ready_at - pod.created) / 2  # containers start, then the probe passes
    running, ready = now >= running_at, now >= pod.ready_at
    names = [c.get("name", "") for c in spec.get("containers") or []]

    def cond(kind: str, ok: bool, since: float, reason: str | None = None) -> dict:
        out = {"type": kind, "status": "True" if ok else "False", "lastTransitionTime": rfc3339(since if ok
                                                                                              else pod.created)}
        if not ok and reason:
            out["reason"] = reason
            out["message"] = f"containers with unready status: [{' '.join(names)}]"
        return out

    statuses = []
    for container in spec.get("containers") or []:
        image = container.get("image", "")
        entry = {"name": container.get("name", ""), "image": image, "imageID": "", "ready": ready, "restartCount": 0,
                 "started": running}
        if running:
            repo = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image.split("@")[0]
            entry["imageID"] = f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"
            container_key = f"{h}/{entry['name']}".encode()
            entry["containerID"] = f"containerd://{hashlib.sha256(container_key).hexdigest()}"
            entry["state"] = {"running": {"startedAt": rfc3339(running_at)}}
        else:
            entry["state"] = {"waiting": {"reason": "ContainerCreating"}}
        statuses.append(entry)
    ip = f"10.{96 + (h >> 40) % 4}.{(h >> 8) % 256}.{h % 254 + 1}"
    return {
        "phase": "Running" if running else "Pending",
        "conditions": [cond("PodReadyToStartContainers", running, running_at), cond("Initialized", True, pod.created),
                       cond("Ready", ready, pod.ready_at, "ContainersNotReady"),
                       cond("ContainersReady", ready, pod.ready_at, "ContainersNotReady"),
                       cond("PodScheduled", True, pod.created)],
        "hostIP": f"10.128.0.{node + 2}", "hostIPs": [{"ip": f"10.128.0.{node + 2}"}],
        "podIP": ip, "podIPs": [{"ip": ip}], "startTime": rfc3339(pod.created),
        "containerStatuses": statuses, "qosClass": _qos(spec),
    }


def _qos(spec: dict) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(r.get("limits") and all(r.get("limits", {}).get(k) == r.get("requests", r["limits"]).get(k)
                                              for k in ("cpu", "memory")) and {"cpu", "memory"} <= set(r["limits"])
                     for r in resources)
    return "Guaranteed" if guaranteed else "Burstable"


def _node_name(cluster: str, node: int) -> str:
    """GKE's node names: gke-CLUSTER-POOL-<instance group hash>-<instance suffix>."""
    d = _digest(cluster, str(node))
    suffix = "".join(rollout._HASH_ALPHABET[(d >> (5 * i)) % 27] for i in range(4))
    return f"gke-{cluster[:20]}-default-pool-{_digest(cluster) % 16**8:08x}-{suffix}"
