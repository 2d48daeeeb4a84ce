"""A Kubernetes API per emulated GKE cluster, enough for the official `kubernetes` Python client.

Where it lives: on the emulator's single port, under the path prefix /kubernetes/PROJECT/LOCATION/CLUSTER.
A client reaches it with

    config = kubernetes.client.Configuration()
    config.host = kubernetes_host(emulator_base_url, project, location, cluster)
    config.api_key = {"authorization": "Bearer anything"}

gcpkit itself writes the same formula out (gcpkit/providers/kube_client.py) because gcpkit never imports
the emulator: change both together.

What it serves (see resources.py): namespaces, serviceaccounts, configmaps, services, pods (generated,
read-only), apps/v1 deployments (+ the scale subresource) and replicasets (generated, read-only),
networking.k8s.io/v1 ingresses; create, get, list (labelSelector, fieldSelector on metadata), replace,
patch (strategic merge, JSON merge, JSON patch) and delete, with Kubernetes Status errors. Objects
persist in the emulator's store; a Deployment's rollout, a LoadBalancer's IP and pending deletions are
computed from stored timestamps when read (no background threads), scaled by the emulator's time_scale.
"""

from __future__ import annotations

PREFIX = "/kubernetes/"


def kubernetes_host(base_url: str, project: str, location: str, cluster: str) -> str:
    """The `host` of a kubernetes.client.Configuration for one cluster, e.g.
    kubernetes_host("http://127.0.0.1:8765", "p", "us-central1-a", "web")
    == "http://127.0.0.1:8765/kubernetes/p/us-central1-a/web"."""
    return f"{base_url.rstrip('/')}/kubernetes/{project}/{location}/{cluster}"


def forget_cluster(store, project: str, location: str, name: str) -> None:
    """Delete every Kubernetes object of the cluster (the GKE emulation calls this once the cluster's
    deletion is done): a cluster created again with the same name starts empty."""
    from gcpkit.emulator.kubernetes.objects import forget

    forget(store, f"{project}/{location}/{name}")
