"""Kubernetes objects in a GKE cluster, applied with the official `kubernetes` client (kube_client.py).

Properties are the manifest (apiVersion, kind, metadata, spec) plus `cluster` and `location`, which
say where the cluster is. Every object gets the labels managed-by=gcpkit and gcpkit-deployment=NAME.
Apply is create, or a patch (strategic merge) of the whole manifest when it changed: a new image is an
update of the Deployment, never a replace.

What is waited for, with a deadline and a message naming what did not converge:
- a Deployment's rollout: observedGeneration >= generation and updated == available == replicas, with
  no old pod left (status.replicas == replicas);
- a LoadBalancer Service's or an Ingress's external address (status.loadBalancer.ingress[0]);
- on delete, a Service or an Ingress until it is gone: in GKE its load balancer (forwarding rule,
  addresses) is removed by a finalizer, and a cluster deleted before that leaks them.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers.base import Ctx, Live, NotFound, owner_from, ownership_labels

ROLLOUT_DEADLINE_S = 600.0
ADDRESS_DEADLINE_S = {"Service": 600.0, "Ingress": 1200.0}  # a GKE Ingress takes several minutes
GONE_DEADLINE_S = 600.0


@dataclass(frozen=True)
class Kind:
    type_name: str
    api_version: str
    kind: str
    api: str  # kubernetes.client class
    method: str  # suffix of its methods: create_namespaced_<method>, read_..., patch_..., delete_...
    namespaced: bool = True


KINDS = {k.type_name: k for k in [
    Kind("k8s.v1.namespace", "v1", "Namespace", "CoreV1Api", "namespace", namespaced=False),
    Kind("k8s.v1.serviceAccount", "v1", "ServiceAccount", "CoreV1Api", "service_account"),
    Kind("k8s.apps.v1.deployment", "apps/v1", "Deployment", "AppsV1Api", "deployment"),
    Kind("k8s.v1.service", "v1", "Service", "CoreV1Api", "service"),
    Kind("k8s.networking.v1.ingress", "networking.k8s.io/v1", "Ingress", "NetworkingV1Api", "ingress"),
]}


class KubeObjectProvider:
    has_labels = True
    external = False
    owned_by_parent = False
    kind: Kind

    def __init__(self, kind: Kind | None = None):
        if kind is not None:
            self.kind = kind
        self.type_name = self.kind.type_name

    # ------------------------------------------------------------------ checks (no call)

    def fields(self) -> set[str]:
        return {"apiVersion", "kind", "metadata", "spec", "status", "cluster", "location"}

    def check_properties(self, name: str, properties: dict) -> None:
        from gcpkit.providers.kube_manifests import ManifestError, validate_manifest

        where = f"resource {name}"
        for key in ("cluster", "location"):
            if not isinstance(properties.get(key), str) or not properties[key] or "$(ref." in properties[key]:
                raise BadInput(f"{self.type_name} needs {key!r} written out (the cluster's {key}), not a reference",
                               where=where)
        manifest = self.manifest(properties)
        if (manifest.get("apiVersion"), manifest.get("kind")) != (self.kind.api_version, self.kind.kind):
            raise BadInput(f"{self.type_name} takes apiVersion {self.kind.api_version} kind {self.kind.kind}, not "
                           f"{manifest.get('apiVersion')} {manifest.get('kind')}", where=where)
        if "$(ref." in str(manifest):
            raise BadInput(f"{self.type_name}: a manifest cannot hold $(ref...) (it is validated before any call)",
                           where=where)
        try:
            validate_manifest(manifest)
        except ManifestError as exc:
            raise BadInput(f"invalid manifest: {exc}", where=where) from None

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def manifest(properties: dict) -> dict:
        return {k: v for k, v in properties.items() if k not in ("cluster", "location")}

    @staticmethod
    def object_name(name: str, properties: dict) -> str:
        return ((properties.get("metadata") or {}).get("name")) or name

    @staticmethod
    def namespace(properties: dict) -> str:
        return ((properties.get("metadata") or {}).get("namespace")) or "default"

    def _api(self, ctx: Ctx, properties: dict) -> tuple[Any, Any]:
        from kubernetes import client as k8s

        from gcpkit.providers.kube_client import api_client

        client = api_client(ctx, properties["location"], properties["cluster"])
        return getattr(k8s, self.kind.api)(client), client

    def _call(self, ctx: Ctx, properties: dict, verb: str, name: str, **kwargs: Any) -> Any:
        from gcpkit.providers.kube_client import call

        api, _ = self._api(ctx, properties)
        if self.kind.namespaced:
            method = getattr(api, f"{verb}_namespaced_{self.kind.method}")
            kwargs["namespace"] = self.namespace(properties)
        else:
            method = getattr(api, f"{verb}_{self.kind.method}")
        args = () if verb == "create" else (name,)
        return call(lambda: method(*args, **kwargs))

    def _live(self, ctx: Ctx, properties: dict, obj: Any) -> Live:
        _, client = self._api(ctx, properties)
        body = client.sanitize_for_serialization(obj)
        meta = body.get("metadata") or {}
        link = "/".join(p for p in (self.kind.kind.lower(), meta.get("namespace"), meta.get("name")) if p)
        return Live(self_link=link, body=body)

    def _body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = copy.deepcopy(self.manifest(properties))
        meta = body.setdefault("metadata", {})
        meta["name"] = self.object_name(name, properties)
        meta["labels"] = {**(meta.get("labels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def owner(self, live: Live) -> str | None:
        return owner_from({"labels": (live.body.get("metadata") or {}).get("labels") or {}})

    # ------------------------------------------------------------------ the provider protocol

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        return self._live(ctx, properties, self._call(ctx, properties, "read", self.object_name(name, properties)))

    def read_after_create(self, ctx: Ctx, name: str, properties: dict, window_s: float = 10.0) -> Live:
        from gcpkit.providers.base import read_until_found

        return read_until_found(lambda: self.read(ctx, name, properties), window_s)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        try:
            obj = self._call(ctx, properties, "create", "", body=self._body(ctx, name, properties))
        except NotFound as exc:  # a create answered 404: what it goes into is missing
            where = f"namespace {self.namespace(properties)!r} of " if self.kind.namespaced else ""
            raise OperationFailed(f"cannot create {self._label(name, properties)}: {where}cluster "
                                  f"{properties['cluster']!r} in {properties['location']} not found ({exc})") from None
        return self.converge(ctx, name, properties, self._live(ctx, properties, obj))

    def updatable(self, changed: list[str]) -> bool:
        return set(changed) <= {"metadata", "spec"}

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        obj = self._call(ctx, properties, "patch", self.object_name(name, properties),
                         body=self._body(ctx, name, properties))
        return self.converge(ctx, name, properties, self._live(ctx, properties, obj))

    def converge(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        """Wait for what makes the object usable (subclasses); the object as last read."""
        return live

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        try:
            self._call(ctx, properties, "delete", self.object_name(name, properties),
                       propagation_policy="Background")
        except NotFound:
            return

    # ------------------------------------------------------------------ waiting

    def wait_for(self, ctx: Ctx, name: str, properties: dict, ready: Any, describe: Any, deadline_s: float,
                  what: str) -> Live:
        """Poll read() until ready(body); OperationFailed naming `what` and describe(body) at the deadline."""
        deadline = time.monotonic() + min(deadline_s, ctx.deadline_s)
        delay = 0.05
        while True:
            live = self.read(ctx, name, properties)
            problem = ready(live.body)
            if problem is None:
                return live
            if time.monotonic() + delay > deadline:
                raise OperationFailed(f"{what} did not converge within {min(deadline_s, ctx.deadline_s):.0f}s: "
                                      f"{problem}", hint=describe)
            time.sleep(delay)
            delay = min(delay * 1.6, 5.0)

    def _label(self, name: str, properties: dict) -> str:
        ns = f"{self.namespace(properties)}/" if self.kind.namespaced else ""
        return f"{self.kind.kind} {ns}{self.object_name(name, properties)}"

    def _kubectl(self, name: str, properties: dict) -> str:
        ns = f" -n {self.namespace(properties)}" if self.kind.namespaced else ""
        return (f"see `kubectl{ns} describe {self.kind.kind.lower()} {self.object_name(name, properties)}`; "
                "run the command again to keep waiting")


class NamespaceProvider(KubeObjectProvider):
    kind = KINDS["k8s.v1.namespace"]


class ServiceAccountProvider(KubeObjectProvider):
    kind = KINDS["k8s.v1.serviceAccount"]


class DeploymentProvider(KubeObjectProvider):
    kind = KINDS["k8s.apps.v1.deployment"]

    def converge(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        return self.wait_for(ctx, name, properties, rollout_problem, self._kubectl(name, properties),
                             ROLLOUT_DEADLINE_S, f"the rollout of {self._label(name, properties)}")


def rollout_problem(body: dict) -> str | None:
    """None when the Deployment's rollout is complete, else what is still missing (for the error)."""
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    want = spec.get("replicas", 1)
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return f"progress deadline exceeded: {condition.get('message', '')}"
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return f"generation {meta.get('generation')} not observed yet (at {status.get('observedGeneration') or 0})"
    updated, available = status.get("updatedReplicas") or 0, status.get("availableReplicas") or 0
    total = status.get("replicas") or 0
    if updated == available == total == want:
        return None
    return f"{updated}/{want} replicas updated, {available} available, {total} running"


class ServiceProvider(KubeObjectProvider):
    kind = KINDS["k8s.v1.service"]

    def converge(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        if (properties.get("spec") or {}).get("type") != "LoadBalancer":
            return live
        return self.wait_for(ctx, name, properties, address_problem, self._kubectl(name, properties),
                             ADDRESS_DEADLINE_S[self.kind.kind], f"the external IP of {self._label(name, properties)}")

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        super().delete(ctx, name, properties, live)
        wait_gone(self, ctx, name, properties)


class IngressProvider(ServiceProvider):
    kind = KINDS["k8s.networking.v1.ingress"]

    def converge(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        return self.wait_for(ctx, name, properties, address_problem, self._kubectl(name, properties),
                             ADDRESS_DEADLINE_S[self.kind.kind], f"the external IP of {self._label(name, properties)}")


def address_problem(body: dict) -> str | None:
    ingress = (((body.get("status") or {}).get("loadBalancer") or {}).get("ingress")) or []
    if ingress and (ingress[0].get("ip") or ingress[0].get("hostname")):
        return None
    return "no external IP assigned yet"


def wait_gone(provider: KubeObjectProvider, ctx: Ctx, name: str, properties: dict) -> None:
    """Until the object is gone (its finalizers, e.g. GKE's load balancer clean-up, have run)."""
    deadline = time.monotonic() + min(GONE_DEADLINE_S, ctx.deadline_s)
    delay = 0.05
    while True:
        try:
            provider.read(ctx, name, properties)
        except NotFound:
            return
        if time.monotonic() + delay > deadline:
            raise OperationFailed(f"{provider._label(name, properties)} is still being deleted after "
                                  f"{min(GONE_DEADLINE_S, ctx.deadline_s):.0f}s (its load balancer is not "
                                  "released yet)", hint=provider._kubectl(name, properties))
        time.sleep(delay)
        delay = min(delay * 1.6, 5.0)
