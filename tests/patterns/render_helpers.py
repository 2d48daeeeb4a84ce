"""What the pattern render tests share: the checks `gcpkit up` runs on a rendered config before any call,
and walking its dependency graph."""

from __future__ import annotations

from gcpkit.planning.graph import build_graph
from gcpkit.planning.validate import validate
from gcpkit.providers.registry import provider_for, type_names


def check(config):
    """What `gcpkit up` checks before any call: validate, graph, each provider's property checks (for
    Kubernetes objects: the manifest against the kubernetes client's models)."""
    known = {t: None for t in type_names()}
    validate(config, known_types=known, fields_of=lambda t: provider_for(t).fields() if t in known else None)
    for spec in config.resources:
        provider_for(spec.type).check_properties(spec.name, spec.properties)
    return build_graph(config)


def ancestors(graph, name) -> set[str]:
    """Everything `name` depends on, directly or not."""
    seen: set[str] = set()
    todo = list(graph[name])
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(graph[n])
    return seen
