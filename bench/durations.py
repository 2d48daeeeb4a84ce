"""The critical-path model of the pattern benchmarks: each resource's create or delete time in the
emulator's own latency profile (gcpkit/emulator/core/latency.py), i.e. what the emulator makes any
client wait for. APIs the emulator answers synchronously (IAM, Secret Manager, Storage, Cloud SQL users
and database creation, DNS zones, Kubernetes namespaces and service accounts) take no time.

A resource's time is every wait its creation or deletion involves, because those waits are what a user
of any tool would sit through:
  * a GKE cluster with removeDefaultNodePool: its creation, then deleting the default node pool (GKE
    cannot create a Standard cluster without one, and runs one operation at a time per cluster);
  * a Deployment: its pods ready (pod start + minReadySeconds); a LoadBalancer Service or an Ingress: its
    load balancer's address, and on delete its release (GKE's finalizer);
  * an App Engine version: its deployment (the first version of a service gets the traffic with it); on
    delete, the version that serves the default service stays (App Engine refuses to delete it), while a
    service other than default goes as a whole;
  * a Cloud SQL instance or a Firestore database with deletion protection: turning it off, then the
    delete (the benchmark destroys with --force-unprotect).
"""

from __future__ import annotations

#: Types whose create and delete are one long-running operation of the emulator's profile: (api, collection).
LONG_RUNNING = {
    "container.v1.nodePool": ("container", "nodePools"),
    "artifactregistry.v1.repository": ("artifactregistry", "repositories"),
}


def immediate_collections() -> set[str]:
    """Compute collections the emulator answers already DONE (URL maps, target proxies, ...)."""
    try:
        from bench import snapshot_to_mig_bench
    except ImportError:
        return set()
    return snapshot_to_mig_bench._immediate_collections()


def durations(prep, latency, verb: str) -> dict[str, float]:
    """Resource name -> seconds (scaled) of its create (verb "insert") or delete (verb "delete")."""
    from gcpkit.providers.compute_kinds import KINDS

    immediate = immediate_collections()
    out = {}
    for spec in prep.config.resources:
        t, props = spec.type, spec.properties or {}
        if t in KINDS:
            c = KINDS[t].collection
            out[spec.name] = 0.0 if c in immediate else latency.duration("compute", c, verb)
        elif t == "gcpkit.v1.sourceInstance":
            out[spec.name] = latency.duration("compute", "instances", "stop") if verb == "insert" else 0.0
        elif t == "gcpkit.v1.instanceStart":
            out[spec.name] = latency.duration("compute", "instances", "start") if verb == "insert" else 0.0
        elif t == "sqladmin.v1.instance":
            protected = (props.get("settings") or {}).get("deletionProtectionEnabled")
            unprotect = latency.duration("sqladmin", "instances", "patch") if verb == "delete" and protected else 0.0
            out[spec.name] = unprotect + latency.duration("sqladmin", "instances", verb)
        elif t == "sqladmin.v1.database":
            out[spec.name] = 0.0 if verb == "insert" else latency.duration("sqladmin", "databases", verb)
        elif t == "dns.v1.resourceRecordSet":
            out[spec.name] = latency.duration("dns", "changes", "create") if verb == "insert" else 0.0
        elif t.startswith(("container.", "firestore.", "appengine.", "k8s.")):
            out[spec.name] = _gke_or_appengine(t, props, latency, verb)
        elif t in LONG_RUNNING:
            api, collection = LONG_RUNNING[t]
            out[spec.name] = latency.duration(api, collection, "create" if verb == "insert" else "delete")
        else:
            out[spec.name] = 0.0
    return out


def _gke_or_appengine(t: str, props: dict, latency, verb: str) -> float:
    creating = verb == "insert"
    d = latency.duration
    if t == "container.v1.cluster":
        if not creating:
            return d("container", "clusters", "delete")
        default_pool = d("container", "nodePools", "delete") if props.get("removeDefaultNodePool") else 0.0
        return d("container", "clusters", "create") + default_pool
    if t == "container.v1.nodePool":
        return d("container", "nodePools", "create" if creating else "delete")
    if t == "firestore.v1.database":
        if creating:
            return d("firestore", "databases", "create")
        unprotect = d("firestore", "databases", "patch") \
            if props.get("deleteProtectionState") == "DELETE_PROTECTION_ENABLED" else 0.0
        return unprotect + d("firestore", "databases", "delete")
    if t == "appengine.v1.application":  # created once, never deleted (App Engine keeps it)
        return d("appengine", "apps", "create") if creating else 0.0
    if t == "appengine.v1.version":
        if creating:
            return d("appengine", "versions", "create")
        return 0.0 if props.get("service", "default") == "default" else d("appengine", "services", "delete")
    if t == "k8s.apps.v1.deployment":
        spec = props.get("spec") or {}
        min_ready = float(spec.get("minReadySeconds") or 0) * latency.time_scale
        return d("kubernetes", "pods", "ready") + min_ready if creating else 0.0
    if t == "k8s.v1.service":
        if (props.get("spec") or {}).get("type") != "LoadBalancer":
            return 0.0
        return d("kubernetes", "services", "loadBalancer" if creating else "delete")
    if t == "k8s.networking.v1.ingress":
        return d("kubernetes", "ingresses", "loadBalancer" if creating else "delete")
    return 0.0  # namespaces, service accounts: answered at once; gcpkit does not wait for a namespace's end
