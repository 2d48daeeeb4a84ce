"""Carrying out a plan, and destroying a deployment: each resource a vertex of the walk, state written
around every mutating call (intent before, record after) so a killed run resumes cleanly."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from gcpkit.errors import OperationFailed
from gcpkit.planning.plan import ADOPT, CREATE, DELETE, NOOP, REPLACE, Plan, Step
from gcpkit.providers.base import Conflict, Ctx, InUse, Live, NotFound, is_ours

# Fields that an insert's operation already tells (targetLink, targetId): no read needed for them.
KNOWN_WITHOUT_READ = {"selfLink", "name"}


@dataclass
class Outcome:
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, BaseException] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> root cause
    not_started: list[str] = field(default_factory=list)
    interrupted: bool = False
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.not_started and not self.interrupted


def _referenced_fields(objs: list[Any]) -> dict[str, set[str]]:
    from gcpkit.planning.refs import find_refs

    fields: dict[str, set[str]] = {}
    for obj in objs:
        for name, path in find_refs(obj):
            fields.setdefault(name, set()).add(path)
    return fields


class _Applier:
    def __init__(self, plan: Plan, state: Any, ctx: Ctx):
        self.plan, self.state, self.ctx = plan, state, ctx
        self.live: dict[str, Live] = {n: s.live for n, s in plan.steps.items() if s.live is not None}
        self.lock = threading.Lock()
        refs = _referenced_fields([s.properties for s in plan.steps.values()] + [plan.outputs])
        self.needs_read = {n for n, paths in refs.items()
                           if any(p.split(".")[0].split("[")[0] not in KNOWN_WITHOUT_READ for p in paths)}

    def lookup(self, name: str, path: str) -> Any:
        from gcpkit.planning.refs import get_path

        with self.lock:
            live = self.live[name]
        return get_path(live.body, path)

    def resolve(self, obj: Any) -> Any:
        from gcpkit.planning.refs import resolve

        return resolve(obj, self.lookup)

    def run(self, name: str) -> str:
        from gcpkit.providers.registry import provider_for

        step = self.plan.steps[name]
        provider = provider_for(step.type)
        if step.action == NOOP:  # recorded and live: a run killed after recording it left its intent pending
            self._finish_create_intents(name)
            return NOOP
        resolved = self.resolve(step.properties)
        if step.action == ADOPT:  # a killed run's create: its pending intent is closed once recorded
            live = _resumed(provider, self.ctx, name, resolved, step.live)
        elif step.action in (CREATE, REPLACE):
            if step.action == REPLACE:
                before = step.live.body if step.live is not None else None
                self._journaled(step, "delete", lambda: provider.delete(self.ctx, name, resolved, before))
            live = self._create(step, provider, resolved)
        else:  # UPDATE
            live = self._journaled(step, "update",
                                   lambda: provider.update(self.ctx, name, resolved, step.live, step.changed))
            if name in self.needs_read:
                live = provider.read(self.ctx, name, resolved)
        with self.lock:
            self.live[name] = live
        self._record(step, resolved, live)
        self._finish_create_intents(name)  # those an interrupted run left behind
        return step.action

    def _create(self, step: Step, provider: Any, resolved: dict) -> Live:
        request_id = step.request_id or str(uuid.uuid4())
        scope = {k: resolved[k] for k in ("zone", "region", "location") if k in resolved}
        # `started`: when the create call may first have reached the API; a resource without ownership marks
        # created after it, found by a resumed run, was made by this call (see made_by_intent).
        intent = self.state.begin_intent(self.plan.deployment, step.name, "create", step.type,
                                         {"request_id": request_id, "scope": scope, "started": time.time()})
        try:
            try:
                live = provider.create(self.ctx, step.name, resolved, request_id)
            except Conflict as conflict:  # it exists: a 404 now is a consistency window (a new resource)
                try:
                    live = provider.read_after_create(self.ctx, step.name, resolved)
                except NotFound:
                    raise OperationFailed(
                        f"{step.type} {step.name!r} cannot be created: 409 {conflict} Yet nothing of that name "
                        f"can be read.",
                        hint="the name may be held by a resource being deleted, or reserved after a delete (Cloud "
                             "SQL keeps an instance's name for up to a week): wait, or choose another name") from None
                owner = provider.owner(live)
                if not is_ours(provider, live, self.plan.deployment):
                    raise OperationFailed(
                        f"{step.type} {step.name!r} already exists and was not created by deployment "
                        f"{self.plan.deployment!r}" + (f" (owner: {owner})" if owner else ""),
                        hint="choose another --deployment name, or delete that resource yourself") from None
                live = _resumed(provider, self.ctx, step.name, resolved, live)
            if step.name in self.needs_read:
                live = provider.read_after_create(self.ctx, step.name, resolved)
        except BaseException:
            self.state.finish_intent(intent, "failed")
            raise
        self.state.finish_intent(intent, "done")
        return live

    def _journaled(self, step: Step, action: str, fn: Callable[[], Any]) -> Any:
        intent = self.state.begin_intent(self.plan.deployment, step.name, action, step.type, {})
        try:
            result = fn()
        except BaseException:
            self.state.finish_intent(intent, "failed")
            raise
        self.state.finish_intent(intent, "done")
        return result

    def _record(self, step: Step, resolved: dict, live: Live) -> None:
        from gcpkit.state.local import ResourceRecord

        self.state.put_resource(ResourceRecord(
            deployment=self.plan.deployment, name=step.name, type=step.type, self_link=live.self_link,
            properties={"template": step.properties, "resolved": resolved, "depends_on": sorted(step.depends_on)},
            live=live.body, status="ready"))

    def delete(self, name: str) -> str:
        from gcpkit.providers.registry import provider_for

        step = self.plan.deletes[name]
        record = self.state.get_resource(self.plan.deployment, name)
        resolved = (record.properties or {}).get("resolved", {}) if record else step.properties
        provider = provider_for(step.type)
        if record is None:  # known only from the journal: delete it only if it is ours
            try:
                live = provider.read(self.ctx, name, resolved)
            except NotFound:
                self._finish_create_intents(name)
                return DELETE
            if not is_ours(provider, live, self.plan.deployment) or getattr(provider, "external", False):
                self._finish_create_intents(name)
                return DELETE
        try:
            recorded_live = record.live if record else None
            self._journaled(step, "delete", lambda: provider.delete(self.ctx, name, resolved, recorded_live))
        except InUse as exc:
            user = f" by {exc.user}" if exc.user else ""
            raise OperationFailed(f"{step.type} {name!r} is still in use{user}",
                                  hint="remove what uses it, then run the command again") from None
        self.state.remove_resource(self.plan.deployment, name)
        self._finish_create_intents(name)
        return DELETE

    def _finish_create_intents(self, name: str) -> None:
        for intent in self.state.pending_intents(self.plan.deployment):
            if intent.resource == name:
                self.state.finish_intent(intent.id, "done")

    def outputs(self) -> dict[str, Any]:
        result = {}
        for output in self.plan.outputs:
            try:
                result[output["name"]] = self.resolve(output["value"])
            except KeyError:
                result[output["name"]] = None
        return result


def _resumed(provider: Any, ctx: Ctx, name: str, resolved: dict, live: Live) -> Live:
    """A resource of ours found existing where a create was intended (a killed or failed run made it):
    providers whose create does more than one call, or whose resources can be left half made, finish it
    (`resume`); for the others it is the resource as found."""
    resume = getattr(provider, "resume", None)
    return resume(ctx, name, resolved, live) if resume is not None else live


def _walk(graph: dict[str, set[str]], run: Callable[[str], Any], parallelism: int,
          on_event: Callable[[Any], None] | None, outcome: Outcome) -> None:
    from gcpkit.execution.walker import walk

    result = walk(graph, run, parallelism=parallelism, on_event=on_event)
    outcome.succeeded += list(result.succeeded)
    outcome.failed.update(result.failed)
    outcome.skipped.update(result.skipped)
    outcome.not_started += list(result.not_started)
    outcome.interrupted = outcome.interrupted or result.interrupted


def apply(plan: Plan, state: Any, ctx: Ctx, *, parallelism: int = 10,
          on_event: Callable[[Any], None] | None = None) -> Outcome:
    """Deletes of resources no longer wanted first (dependents before what they use), then the rest."""
    from gcpkit.execution.walker import reverse
    from gcpkit.state.local import Deployment

    applier = _Applier(plan, state, ctx)
    outcome = Outcome()
    if plan.deletes:
        graph = {n: {d for d in s.depends_on if d in plan.deletes} for n, s in plan.deletes.items()}
        _walk(reverse(graph), applier.delete, parallelism, on_event, outcome)
    if outcome.ok:
        _walk(plan.graph(), applier.run, parallelism, on_event, outcome)
    outcome.outputs = applier.outputs() if outcome.ok else {}
    previous = state.get_deployment(plan.deployment)
    state.save_deployment(Deployment(
        name=plan.deployment, project=plan.env["project"], pattern=plan.pattern, params=plan.params,
        env=plan.env, outputs=outcome.outputs if outcome.ok else (previous.outputs if previous else {}),
        created_at=previous.created_at if previous else None, updated_at=None))
    return outcome


def destroy(deployment: str, state: Any, ctx: Ctx, *, parallelism: int = 10,
            on_event: Callable[[Any], None] | None = None, plan: Any = None) -> Outcome:
    """What the state recorded, what the journal says a killed run was creating, and what carries the
    deployment's labels in the project: see gcpkit.execution.teardown."""
    from gcpkit.execution.teardown import destroy as teardown

    return teardown(deployment, state, ctx, parallelism=parallelism, on_event=on_event, plan=plan)
