"""How long emulated long-running operations take: a profile of real GCP durations, scaled.

Figures are typical wall-clock times of the real Compute Engine operations (seconds). With the
default time_scale of 0.01 a 20 s VM creation completes in 0.2 s; time_scale=1 is real time.
"""

from __future__ import annotations

DEFAULT_SECONDS = 5.0

# (api, collection) -> {verb: seconds}; the "*" verb covers verbs not listed.
PROFILE: dict[tuple[str, str], dict[str, float]] = {
    ("compute", "firewalls"): {"*": 5.0},
    ("compute", "networks"): {"insert": 15.0, "delete": 15.0, "*": 5.0},
    ("compute", "subnetworks"): {"insert": 15.0, "delete": 15.0, "*": 10.0},
    ("compute", "instances"): {"insert": 20.0, "stop": 30.0, "start": 20.0, "delete": 40.0, "reset": 10.0,
                               "*": 5.0},
    ("compute", "disks"): {"*": 5.0},
    ("compute", "snapshots"): {"*": 30.0},
    ("compute", "images"): {"insert": 70.0, "delete": 20.0, "*": 10.0},
    ("compute", "instanceTemplates"): {"*": 3.0},
    ("compute", "regionInstanceTemplates"): {"*": 3.0},
    ("compute", "instanceGroupManagers"): {"*": 15.0},
    ("compute", "regionInstanceGroupManagers"): {"*": 15.0},
    ("compute", "autoscalers"): {"*": 5.0},
    ("compute", "regionAutoscalers"): {"*": 5.0},
    ("compute", "healthChecks"): {"*": 5.0},
    ("compute", "regionHealthChecks"): {"*": 5.0},
    ("compute", "backendServices"): {"*": 30.0},
    ("compute", "regionBackendServices"): {"*": 30.0},
    ("compute", "urlMaps"): {"*": 10.0},
    ("compute", "targetHttpProxies"): {"*": 10.0},
    ("compute", "targetHttpsProxies"): {"*": 10.0},
    ("compute", "globalForwardingRules"): {"*": 20.0},
    ("compute", "forwardingRules"): {"*": 20.0},
    ("compute", "addresses"): {"*": 5.0},
    ("compute", "globalAddresses"): {"*": 5.0},
    ("compute", "routers"): {"*": 10.0},
    # Cloud SQL: a real instance takes minutes; user and database creation is answered DONE at once.
    ("sqladmin", "instances"): {"insert": 300.0, "delete": 60.0, "update": 90.0, "patch": 60.0, "*": 60.0},
    ("sqladmin", "databases"): {"*": 5.0},
    # App Engine: creating the application takes about half a minute, deploying a version a minute or
    # more (files copied, instances started); traffic moves and deletes take seconds.
    ("appengine", "apps"): {"create": 30.0, "*": 5.0},
    ("appengine", "versions"): {"create": 90.0, "delete": 10.0, "*": 5.0},
    ("appengine", "services"): {"patch": 10.0, "delete": 30.0, "*": 5.0},
    # Cloud DNS: the recordings show changes already done in the create response, or nearly.
    ("dns", "changes"): {"*": 1.0},
    ("dns", "managedZones"): {"*": 1.0},
    # GKE: a cluster takes several minutes to create and 2-3 to delete; node pools a minute or two.
    ("container", "clusters"): {"create": 330.0, "delete": 160.0, "update": 60.0, "setResourceLabels": 5.0,
                                "*": 30.0},
    ("container", "nodePools"): {"create": 90.0, "delete": 120.0, "update": 60.0, "setAutoscaling": 10.0,
                                 "setSize": 60.0, "*": 30.0},
    # Firestore databases and Artifact Registry repositories: seconds.
    ("firestore", "databases"): {"create": 10.0, "delete": 5.0, "patch": 3.0, "*": 3.0},
    ("artifactregistry", "repositories"): {"create": 2.0, "delete": 3.0, "*": 1.0},
    # Kubernetes in a GKE cluster: a pod is ready some seconds after creation (image pull, start, readiness
    # probe); a LoadBalancer Service gets its IP in under a minute, an Ingress's load balancer takes longer;
    # deleting either waits for the load balancer's release, a namespace for its contents.
    ("kubernetes", "pods"): {"ready": 8.0},
    ("kubernetes", "services"): {"loadBalancer": 45.0, "delete": 30.0},
    ("kubernetes", "ingresses"): {"loadBalancer": 90.0, "delete": 60.0},
    ("kubernetes", "namespaces"): {"delete": 10.0},
}


class Latency:
    def __init__(self, time_scale: float = 0.01):
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.time_scale = time_scale

    def duration(self, api: str, collection: str, verb: str) -> float:
        """Scaled seconds for e.g. ("compute", "instances", "insert"); collection may be "compute/instances"."""
        collection = collection.rsplit("/", 1)[-1]
        verbs = PROFILE.get((api, collection), {})
        return verbs.get(verb, verbs.get("*", DEFAULT_SECONDS)) * self.time_scale
