"""Tearing a deployment down completely: what its state recorded, what its intent journal says a killed run
was creating, and what carries its labels in the project (found by gcpkit.inventory), deleted dependents
first, in parallel where the graph allows.

Order: recorded resources keep their recorded graph. A resource known only from the journal or from its
labels has no recorded edges, so it is ordered by its kind (DELETE_ORDER: forwarding rules before proxies
before url maps ... before subnetworks before networks) against every other resource of the teardown.

Safety: nothing is deleted that the inventory does not show with this deployment's labels (or marker),
except what the state recorded (gcpkit created it) and, for types the inventory cannot see, what the
journal names and a read shows to be ours. A recorded resource that the inventory now shows with someone
else's labels, or none, was replaced behind gcpkit's back: it is left alone and reported.

"In use": when Google refuses a delete because something uses the resource, and that something is part of
this teardown, the delete is retried for a bounded time (it is going away); when it is outside the
deployment, that branch stops at once and the error names the user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from gcpkit.errors import OperationFailed
from gcpkit.providers.base import Ctx, InUse, NotFound, is_ours

# Kinds in the order they can be deleted: what uses something comes before what it uses.
DELETE_ORDER = [
    # Kubernetes objects before their cluster: a LoadBalancer Service's forwarding rule leaks otherwise.
    "k8s.networking.v1.ingress", "k8s.v1.service", "k8s.apps.v1.deployment", "k8s.v1.serviceAccount",
    "k8s.v1.namespace", "container.v1.nodePool", "container.v1.cluster",
    "compute.v1.globalForwardingRule", "compute.v1.targetHttpProxy", "compute.v1.urlMap",
    "compute.v1.backendService", "compute.v1.regionAutoscaler", "compute.v1.regionInstanceGroupManager",
    "compute.v1.healthCheck", "compute.v1.instanceTemplate", "compute.v1.instance",
    "sqladmin.v1.user", "sqladmin.v1.database", "sqladmin.v1.instance",
    "compute.v1.disk", "compute.v1.image", "compute.v1.snapshot", "compute.v1.globalAddress", "compute.v1.address",
    "dns.v1.resourceRecordSet", "dns.v1.managedZone",
    "compute.v1.firewall", "compute.v1.subnetwork", "compute.v1.network",
    "appengine.v1.version",  # empties its staging bucket (below) of the files and claims it wrote
    "storage.v1.bucket", "secretmanager.v1.secret", "artifactregistry.v1.repository", "firestore.v1.database",
    "iam.v1.serviceAccount",
]
RANK = {t: i for i, t in enumerate(DELETE_ORDER)}
IN_USE_INSIDE_WINDOW_S = 60.0  # how long a delete waits for a user that this teardown is deleting

RECORDED, JOURNAL, DISCOVERED = "recorded", "journal", "labels"


@dataclass
class Item:
    key: str  # vertex name in the walk (the resource name, unless two types share it)
    type: str
    name: str
    source: str  # RECORDED | JOURNAL | DISCOVERED
    properties: dict = field(default_factory=dict)
    depends_on: set[str] = field(default_factory=set)
    live: dict | None = None  # the body last seen (state, or the inventory)
    foreign: str | None = None  # set when the live resource now belongs to someone else: left alone
    note: str = ""
    intent: dict = field(default_factory=dict)  # JOURNAL: the payload of the create intent that names it


@dataclass
class TeardownPlan:
    deployment: str
    project: str
    items: dict[str, Item]
    problems: list[str] = field(default_factory=list)  # APIs the inventory could not list

    def graph(self) -> dict[str, set[str]]:
        return {k: set(i.depends_on) for k, i in self.items.items()}


def _unique_key(items: dict[str, Item], name: str, type_name: str) -> str:
    if name not in items:
        return name
    return f"{name} ({type_name.rsplit('.', 1)[-1]})"


def plan_teardown(deployment: str, state: Any, ctx: Ctx, *, discover: bool = True) -> TeardownPlan:
    """Everything the teardown of `deployment` will delete (or refuse to), with its delete graph."""
    from gcpkit.providers.registry import FACTORIES, provider_for

    project = ctx.env["project"]
    items: dict[str, Item] = {}
    for r in state.resources(deployment):
        props = r.properties or {}
        items[r.name] = Item(r.name, r.type, r.name, RECORDED, props.get("resolved") or props.get("template") or {},
                             set(props.get("depends_on", [])), r.live)
    for intent in state.pending_intents(deployment):
        # A killed run may have created this before recording it: deleted only if it carries our labels.
        if intent.action == "create" and intent.resource not in items and intent.type in FACTORIES:
            items[intent.resource] = Item(intent.resource, intent.type, intent.resource, JOURNAL,
                                          dict((intent.payload or {}).get("scope", {})), intent=intent.payload or {})
    problems: list[str] = []
    if discover:
        from gcpkit.inventory import inventory, known_types

        # A journalled cluster or repository whose location the journal did not keep (an intent written before
        # it did) is taken to be the first one of its name that the inventory shows with our labels.
        unplaced = {(i.type, _api_name(i)): i for i in items.values() if _location_unknown(i)}
        by_key = {(i.type, _api_name(i), _where(i, ctx)): i for i in items.values() if not _location_unknown(i)}
        # Every type this deployment ever tried to create is in its records or its journal (an intent is
        # written before each create call); with neither, every type is searched.
        attempted = {r.type for r in items.values()} | {i.type for i in state.intents(deployment)}
        types = (attempted & known_types()) or None
        # Unfiltered by owner: a recorded name that someone else's resource now holds is seen too.
        seen = inventory(ctx.target, project, types=types)
        problems = seen.problems
        for found in seen.items:
            known = by_key.get((found.type, found.name, found.where))
            if known is None and found.owner == deployment:
                known = unplaced.pop((found.type, found.name), None)
            if known is not None:
                if found.owner == deployment:
                    known.live = found.body if known.source != RECORDED else (known.live or found.body)
                    if known.source == JOURNAL:
                        known.source, known.properties = DISCOVERED, {**known.properties, **found.properties()}
                elif _checks_ownership(known.type):
                    known.foreign = (f"now labelled for deployment {found.owner!r}" if found.owner
                                     else "now without gcpkit's labels")
                continue
            if found.owner != deployment:
                continue
            key = _unique_key(items, found.name, found.type)
            items[key] = Item(key, found.type, found.name, DISCOVERED, found.properties(), set(), found.body)
            created_by = _created_by(found.body)
            if created_by:
                items[key].note = f"made by {created_by}"
    _order_unrecorded(items)
    for item in items.values():
        item.depends_on &= items.keys()
        kept = getattr(provider_for(item.type), "destroy_note", None)  # e.g. an App Engine application
        if kept:
            item.note = "; ".join(filter(None, (item.note, kept)))
    return TeardownPlan(deployment, project, items, problems)


def _api_name(item: Item) -> str:
    return api_name(item.type, item.name, item.properties)


_API_NAME_PROPERTY = {"iam.v1.serviceAccount": "accountId", "storage.v1.bucket": "name",
                      "artifactregistry.v1.repository": "repositoryId"}


def api_name(type_name: str, name: str, properties: dict) -> str:
    """The name the API lists a resource by (gcpkit.inventory.Found.name), where it differs from gcpkit's
    resource name (a service account's accountId, a bucket's global name, a repository's id), so a
    recorded resource is not found a second time."""
    prop = _API_NAME_PROPERTY.get(type_name)
    return str((properties or {}).get(prop) or name) if prop else name


def _location_unknown(item: Item) -> bool:
    from gcpkit.inventory import LOCATION_SCOPED

    return item.source == JOURNAL and item.type in LOCATION_SCOPED and not item.properties.get("location")


def _where(item: Item, ctx: Ctx) -> str:
    """Zone, region, location or "global", as gcpkit.inventory.Found.where says it: where the item's
    provider reads it (its properties, else the deployment's default zone or region)."""
    from gcpkit.inventory import LOCATION_SCOPED
    from gcpkit.providers.compute_kinds import KINDS

    if item.type in LOCATION_SCOPED:
        return str(item.properties.get("location") or ctx.env.get(LOCATION_SCOPED[item.type]) or "")
    kind = KINDS.get(item.type)
    if kind is None or kind.scope == "global":
        return "global"
    return str(item.properties.get(kind.scope) or ctx.env.get(kind.scope) or "")


def _checks_ownership(type_name: str) -> bool:
    from gcpkit.providers.registry import provider_for

    provider = provider_for(type_name)
    return not getattr(provider, "external", False) and not getattr(provider, "owned_by_parent", False)


def _created_by(body: dict | None) -> str | None:
    for entry in ((body or {}).get("metadata") or {}).get("items") or []:
        if entry.get("key") == "created-by":
            return str(entry.get("value", "")).rsplit("/", 1)[-1] or None
    return None


def _order_unrecorded(items: dict[str, Item]) -> None:
    """Edges by kind between every resource without a recorded graph and every other resource: the one of
    the earlier kind is deleted first. `depends_on` is creation order, so a later kind is a dependency."""
    loose = [k for k, i in items.items() if i.source != RECORDED and i.type in RANK]
    if not loose:
        return
    added: list[tuple[str, str]] = []
    for a in loose:
        ra = RANK[items[a].type]
        for b, other in items.items():
            if b == a or other.type not in RANK:
                continue
            rb = RANK[other.type]
            if rb > ra:
                added.append((a, b))  # a is deleted before b
            elif rb < ra and other.source == RECORDED:
                added.append((b, a))
    for first, then in added:
        items[first].depends_on.add(then)
    if _has_cycle(items):  # a recorded graph at odds with the kind order: trust the recording
        for first, then in added:
            if items[first].source == RECORDED or items[then].source == RECORDED:
                items[first].depends_on.discard(then)


def _has_cycle(items: dict[str, Item]) -> bool:
    from graphlib import CycleError, TopologicalSorter

    try:
        TopologicalSorter({k: {d for d in i.depends_on if d in items} for k, i in items.items()}).prepare()
    except CycleError:
        return True
    return False


class _Runner:
    def __init__(self, plan: TeardownPlan, state: Any, ctx: Ctx):
        from gcpkit.execution.apply import _Applier
        from gcpkit.planning.plan import DELETE, Plan, Step

        self.plan, self.state, self.ctx = plan, state, ctx
        steps = {k: Step(i.name, i.type, DELETE, i.properties, set()) for k, i in plan.items.items()}
        self.applier = _Applier(Plan(plan.deployment, "", {}, ctx.env, {}, {}, []), state, ctx)
        self.steps = steps
        self.names = {i.name for i in plan.items.values()}

    def run(self, key: str) -> str:
        from gcpkit.providers.registry import provider_for

        item = self.plan.items[key]
        provider = provider_for(item.type)
        if item.foreign:
            raise OperationFailed(f"{item.type} {item.name!r} is recorded in deployment {self.plan.deployment!r} "
                                  f"but is {item.foreign}: left alone",
                                  hint="it was replaced outside gcpkit; delete it yourself if it should go")
        if item.source == JOURNAL:  # a type the inventory cannot list: read it and check its owner
            try:
                live = provider.read(self.ctx, item.name, item.properties)
            except NotFound:
                self._finish(item)
                return "delete"
            made_by = getattr(provider, "made_by_intent", None)  # types without ownership marks (Firestore)
            if getattr(provider, "external", False) or not (
                    is_ours(provider, live, self.plan.deployment)
                    or (made_by is not None and made_by(live, item.intent))):
                self._finish(item)
                return "delete"
            item.live = item.live or live.body  # what delete checks against (Firestore: the uid)
        step = self.steps[key]
        self.applier._journaled(step, "delete", lambda: self._delete(provider, item))
        self._finish(item)
        return "delete"

    def _delete(self, provider: Any, item: Item) -> None:
        deadline = time.monotonic() + IN_USE_INSIDE_WINDOW_S
        delay = 0.2
        while True:
            try:
                provider.delete(self.ctx, item.name, item.properties, item.live)
                return
            except InUse as exc:
                user = exc.user
                inside = bool(user) and user.rstrip("/").rsplit("/", 1)[-1] in self.names
                if inside and time.monotonic() + delay < deadline:
                    time.sleep(delay)  # its user is being deleted by this teardown
                    delay = min(delay * 2, 5.0)
                    continue
                where = "" if inside else f", which is not part of deployment {self.plan.deployment!r}"
                raise OperationFailed(
                    f"{item.type} {item.name!r} is in use by {user or 'another resource'}{where}",
                    hint="delete or change what uses it, then run `gcpkit destroy deployment "
                         f"{self.plan.deployment}` again") from None

    def _finish(self, item: Item) -> None:
        if item.source == RECORDED:
            self.state.remove_resource(self.plan.deployment, item.name)
        for intent in self.state.pending_intents(self.plan.deployment):
            if intent.resource == item.name:
                self.state.finish_intent(intent.id, "done")


def run_teardown(plan: TeardownPlan, state: Any, ctx: Ctx, *, parallelism: int = 10,
                 on_event: Callable[[Any], None] | None = None, forget: bool = True) -> Any:
    """Delete what `plan` lists along its reversed graph; with `forget`, the deployment leaves the state when
    all is gone (orphan clean-up keeps it: the deployment may still own other resources)."""
    from gcpkit.execution.apply import Outcome, _walk
    from gcpkit.execution.walker import reverse

    runner = _Runner(plan, state, ctx)
    outcome = Outcome()
    _walk(reverse(plan.graph()), runner.run, parallelism, on_event, outcome)
    if outcome.ok and forget:
        state.delete_deployment(plan.deployment)
    return outcome


def destroy(deployment: str, state: Any, ctx: Ctx, *, parallelism: int = 10,
            on_event: Callable[[Any], None] | None = None, plan: TeardownPlan | None = None) -> Any:
    return run_teardown(plan or plan_teardown(deployment, state, ctx), state, ctx, parallelism=parallelism,
                        on_event=on_event)
