"""GKE clusters and node pools on container v1 (google-api-python-client).

Both live under projects/P/locations/L, where L is a zone (zonal cluster) or a region (regional
cluster): properties.location. GKE has no `operations.wait`, so operations are polled with
google_api.poll. GKE runs one operation at a time per cluster and answers others with 400
FAILED_PRECONDITION ("incompatible operation"): gcpkit.execution.retry treats that as transient, and
mutating calls here retry it up to the resource's deadline.

A separately managed node pool: real GKE cannot create a Standard cluster without one, so the cluster
is created with the smallest default pool and, with `removeDefaultNodePool: true`, that pool is deleted
once the cluster is RUNNING (what Terraform's remove_default_node_pool does); the pattern's own pool is a
container.v1.nodePool resource, which can then change without touching the cluster.
"""

from __future__ import annotations

import copy
from typing import Any

from gcpkit.errors import OperationFailed
from gcpkit.providers.base import Ctx, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute, poll


DEFAULT_POOL = "default-pool"  # what GKE names the pool it makes from a cluster's initialNodeCount/nodeConfig


def parent(ctx: Ctx, properties: dict) -> str:
    return f"projects/{ctx.env['project']}/locations/{properties.get('location') or ctx.env['zone']}"


def check_location(name: str, properties: dict) -> None:
    """A zone (zonal cluster) or a region (regional cluster) that exists, before any call."""
    from gcpkit.planning import regions

    location = properties.get("location")
    if not isinstance(location, str) or not location:
        from gcpkit.errors import BadInput

        raise BadInput("needs 'location' (a zone such as us-central1-a, or a region such as us-central1)",
                       where=f"resource {name}")
    zonal = len(location.rsplit("-", 1)[-1]) == 1
    (regions.check_zone if zonal else regions.check_region)(location, f"resource {name}: location")


def wait_operation(ctx: Ctx, client: Any, properties: dict, op: dict, what: str) -> dict:
    name = f"{parent(ctx, properties)}/operations/{op['name'].rsplit('/', 1)[-1]}"
    ops = client.projects().locations().operations()
    op = poll(lambda: execute(ops.get(name=name)), lambda o: o.get("status") == "DONE",
              deadline_s=ctx.deadline_s, what=f"GKE operation {op.get('operationType', '')} {what}")
    error = op.get("error") or {}
    if error.get("message") or error.get("code"):
        from gcpkit.execution.retry import operation_error_text

        raise OperationFailed(f"GKE {op.get('operationType', 'operation')} of {what} failed: "
                              f"{operation_error_text(error, op.get('statusMessage', ''))}")
    return op


def mutate(ctx: Ctx, request: Any) -> dict:
    """A mutating call, riding out FAILED_PRECONDITION while another operation runs on the cluster."""
    return execute(request, deadline_s=ctx.deadline_s)


def settled(ctx: Ctx, read: Any, what: str) -> Live:
    """The resource once its creation has ended (no longer PROVISIONING): RUNNING, or ERROR if it failed."""
    box: list[Live] = []

    def fetch() -> dict:
        box[:] = [read()]
        return box[0].body

    poll(fetch, lambda body: body.get("status") != "PROVISIONING", deadline_s=ctx.deadline_s,
         what=f"GKE creating {what}")
    return box[0]


class ClusterProvider(ApiProvider):
    type_name = "container.v1.cluster"
    api = "container"
    schema = "Cluster"
    has_labels = True
    extra_properties = frozenset({"removeDefaultNodePool"})

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        check_location(name, properties)

    def owner(self, live: Live) -> str | None:
        from gcpkit.providers.base import owner_from

        return owner_from({"labels": live.body.get("resourceLabels") or {}})

    def _name(self, ctx: Ctx, name: str, properties: dict) -> str:
        return f"{parent(ctx, properties)}/clusters/{name}"

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).projects().locations().clusters().get(
            name=self._name(ctx, name, properties)))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def _body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = {k: copy.deepcopy(v) for k, v in properties.items() if k not in ("location", "removeDefaultNodePool")}
        body["name"] = name
        body["resourceLabels"] = {**(body.get("resourceLabels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        clusters = client.projects().locations().clusters()
        op = mutate(ctx, clusters.create(parent=parent(ctx, properties),
                                         body={"cluster": self._body(ctx, name, properties)}))
        wait_operation(ctx, client, properties, op, f"cluster {name}")
        live = self.read_after_create(ctx, name, properties)  # a new resource may answer 404 for a while
        return self._without_default_pool(ctx, name, properties, live)

    def resume(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        """This deployment's cluster, found existing where a create was intended (a killed run created it):
        finish what create does after its call. Wait for it; one whose creation failed (ERROR) cannot be
        repaired, so it is deleted and created again; then its default pool goes, if asked."""
        live = settled(ctx, lambda: self.read(ctx, name, properties), f"cluster {name}")
        if live.body.get("status") == "ERROR":
            self.delete(ctx, name, properties)
            return self.create(ctx, name, properties, "")
        return self._without_default_pool(ctx, name, properties, live)

    def _without_default_pool(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        """With removeDefaultNodePool: delete the pool GKE made from initialNodeCount/nodeConfig, which it
        names default-pool (as Terraform's remove_default_node_pool does); other pools are never touched."""
        if not properties.get("removeDefaultNodePool"):
            return live
        client = self.client(ctx)
        for pool in live.body.get("nodePools") or []:
            if pool.get("name") != DEFAULT_POOL:
                continue
            try:
                op = mutate(ctx, client.projects().locations().clusters().nodePools().delete(
                    name=f"{self._name(ctx, name, properties)}/nodePools/{DEFAULT_POOL}"))
            except NotFound:  # a killed run's delete finished meanwhile
                continue
            wait_operation(ctx, client, properties, op, f"node pool {DEFAULT_POOL} of cluster {name}")
            live = self.read(ctx, name, properties)
        return live

    def updatable(self, changed: list[str]) -> bool:
        return set(changed) <= {"releaseChannel", "resourceLabels"}

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        client = self.client(ctx)
        clusters = client.projects().locations().clusters()
        cluster = self._name(ctx, name, properties)
        if "releaseChannel" in changed:
            op = mutate(ctx, clusters.update(name=cluster, body={"update": {
                "desiredReleaseChannel": properties.get("releaseChannel") or {}}}))
            wait_operation(ctx, client, properties, op, f"cluster {name}")
        if "resourceLabels" in changed:
            current = self.read(ctx, name, properties).body
            op = mutate(ctx, clusters.setResourceLabels(name=cluster, body={
                "resourceLabels": self._body(ctx, name, properties)["resourceLabels"],
                "labelFingerprint": current.get("labelFingerprint", "")}))
            wait_operation(ctx, client, properties, op, f"cluster {name}")
        return self.read(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        try:
            op = mutate(ctx, client.projects().locations().clusters().delete(name=self._name(ctx, name, properties)))
        except NotFound:
            return
        wait_operation(ctx, client, properties, op, f"cluster {name}")


class NodePoolProvider(ApiProvider):
    """A node pool of a cluster (properties.cluster, properties.location). Node pools have no labels of
    their own: they live inside a labelled cluster (owned_by_parent). Size and autoscaling change in
    place (setSize / setAutoscaling); other changes replace the pool."""

    type_name = "container.v1.nodePool"
    api = "container"
    schema = "NodePool"
    owned_by_parent = True
    extra_properties = frozenset({"cluster", "location"})

    def _name(self, ctx: Ctx, name: str, properties: dict) -> str:
        return f"{parent(ctx, properties)}/clusters/{properties['cluster']}/nodePools/{name}"

    def check_properties(self, name: str, properties: dict) -> None:
        from gcpkit.errors import BadInput

        super().check_properties(name, properties)
        check_location(name, properties)
        if not properties.get("cluster"):
            raise BadInput(f"{self.type_name} needs 'cluster' (the cluster's name)", where=f"resource {name}")
        autoscaling = properties.get("autoscaling") or {}
        low, high = autoscaling.get("minNodeCount"), autoscaling.get("maxNodeCount")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            raise BadInput(f"autoscaling minNodeCount {low} is above maxNodeCount {high}", where=f"resource {name}")

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        pools = self.client(ctx).projects().locations().clusters().nodePools()
        body = execute(pools.get(name=self._name(ctx, name, properties)))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        body = {k: copy.deepcopy(v) for k, v in properties.items() if k not in ("cluster", "location")}
        body["name"] = name
        op = mutate(ctx, client.projects().locations().clusters().nodePools().create(
            parent=f"{parent(ctx, properties)}/clusters/{properties['cluster']}", body={"nodePool": body}))
        wait_operation(ctx, client, properties, op, f"node pool {name}")
        return self.read_after_create(ctx, name, properties)

    def resume(self, ctx: Ctx, name: str, properties: dict, live: Live) -> Live:
        """A pool found existing where a create was intended: a killed run's (waited for), or one whose
        creation failed, say on a quota, which GKE leaves in ERROR: deleted and created again."""
        live = settled(ctx, lambda: self.read(ctx, name, properties), f"node pool {name}")
        if live.body.get("status") == "ERROR":
            self.delete(ctx, name, properties)
            return self.create(ctx, name, properties, "")
        return live

    def updatable(self, changed: list[str]) -> bool:
        return set(changed) <= {"autoscaling", "initialNodeCount"}

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        client = self.client(ctx)
        pools = client.projects().locations().clusters().nodePools()
        pool = self._name(ctx, name, properties)
        if "autoscaling" in changed:
            op = mutate(ctx, pools.setAutoscaling(name=pool, body={"autoscaling": properties.get("autoscaling") or {}}))
            wait_operation(ctx, client, properties, op, f"node pool {name}")
        if "initialNodeCount" in changed and not (properties.get("autoscaling") or {}).get("enabled"):
            op = mutate(ctx, pools.setSize(name=pool, body={"nodeCount": properties.get("initialNodeCount")}))
            wait_operation(ctx, client, properties, op, f"node pool {name}")
        return self.read(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        try:
            op = mutate(ctx, client.projects().locations().clusters().nodePools().delete(
                name=self._name(ctx, name, properties)))
        except NotFound:
            return
        wait_operation(ctx, client, properties, op, f"node pool {name}")
