"""Where a diagram's resources come from: a pattern rendered with its parameters (no state, no API
call), or a deployment's state (its pattern rendered again with the recorded parameters, for what
is not created yet, plus what the state and its intent journal say about each resource)."""

from __future__ import annotations

from typing import Any

from gcpkit.errors import BadInput
from gcpkit.graphing.model import Diagram, diagram

PLACEHOLDER_PROJECT = "my-project"  # a design needs no project; names that embed one show this


def _config(pattern: Any, params: dict, env: dict):
    from gcpkit.patterns.render import render
    from gcpkit.planning.graph import build_graph
    from gcpkit.planning.validate import validate
    from gcpkit.providers.registry import type_names

    config = render(pattern, params, env)
    # Names, types, references, zones: what plan checks before any call, short of the providers' own
    # property checks (those load the Google client libraries, which a drawing does not need).
    validate(config, known_types={t: None for t in type_names()})
    return config, build_graph(config)


def pattern_diagram(ref: str, *, deployment: str | None, sets: list[str], values: str | None,
                    project: str | None, region: str | None, zone: str | None) -> Diagram:
    from gcpkit.patterns.loader import find_pattern
    from gcpkit.patterns.schema import resolve_params
    from gcpkit.planning.build import check_deployment_name, make_env

    pattern = find_pattern(ref)
    name = deployment or pattern.name
    check_deployment_name(name)
    params = resolve_params(pattern, sets, values)
    env = make_env(project or PLACEHOLDER_PROJECT, name, region, zone)
    config, graph = _config(pattern, params, env)
    return diagram(f"pattern {pattern.name} (deployment {name})",
                   [(r.name, r.type, r.properties) for r in config.resources], graph)


def _status(name: str, recorded: dict, last_intent: dict, desired: set[str]) -> str:
    intent = last_intent.get(name)
    if intent is not None and intent.state in ("failed", "pending"):
        return intent.state  # the last change of it failed, or a run stopped in the middle of it
    if name in recorded:
        return "created"
    if intent is not None and intent.action == "delete" and intent.state == "done":
        return "deleted"
    return "pending"


def deployment_diagram(store: Any, record: Any) -> Diagram:
    """`record`: the state's Deployment. Resources of its pattern not created yet are pending."""
    from gcpkit.patterns.loader import find_pattern

    name = record.name
    recorded = {r.name: r for r in store.resources(name)}
    last_intent = {i.resource: i for i in store.intents(name)}  # oldest first: the last one wins
    resources: list[tuple[str, str, dict]] = []
    graph: dict[str, set[str]] = {}
    try:
        config, graph = _config(find_pattern(record.pattern), record.params, record.env)
        resources = [(r.name, r.type, r.properties) for r in config.resources]
    except BadInput:
        pass  # the pattern is gone or no longer renders: draw what the state knows
    desired = {n for n, _, _ in resources}
    for r in recorded.values():
        if r.name not in desired:
            resources.append((r.name, r.type, (r.properties or {}).get("resolved", {})))
        graph.setdefault(r.name, set()).update((r.properties or {}).get("depends_on", []))
    known = {n for n, _, _ in resources}
    for intent in last_intent.values():
        if intent.resource not in known:
            resources.append((intent.resource, intent.type, (intent.payload or {}).get("scope", {})))
            known.add(intent.resource)
    statuses = {n: _status(n, recorded, last_intent, desired) for n in known}
    return diagram(f"deployment {name} ({record.pattern}, project {record.project})", resources, graph, statuses)
