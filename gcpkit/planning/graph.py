"""The dependency graph of a Config: edges from `$(ref.NAME.FIELD)` and `metadata.dependsOn`.

A graph is `dict[name, set[names it depends on]]`, keys in the Config's resource order.
"""

from __future__ import annotations

import graphlib

from gcpkit.errors import BadInput
from gcpkit.model import Config
from gcpkit.patterns.schema import did_you_mean
from gcpkit.planning.refs import find_refs


def _unknown(owner: str, how: str, missing: str, names: list[str]) -> BadInput:
    return BadInput(f"{owner}: {how} names an unknown resource {missing!r}{did_you_mean(missing, names)}",
                    hint="resources of this pattern: " + ", ".join(names))


def build_graph(config: Config) -> dict[str, set[str]]:
    """name -> the names it depends on. BadInput for an unknown name or a cycle."""
    names = config.names()
    known = set(names)
    graph: dict[str, set[str]] = {}
    for r in config.resources:
        deps: set[str] = set()
        for dep in r.depends_on:
            if dep not in known:
                raise _unknown(f"resource {r.name!r}", "metadata.dependsOn", dep, names)
            deps.add(dep)
        for ref_name, field in sorted(find_refs(r.properties)):
            if ref_name not in known:
                raise _unknown(f"resource {r.name!r}", f"$(ref.{ref_name}.{field})", ref_name, names)
            deps.add(ref_name)
        graph[r.name] = deps
    for out in config.outputs:
        for ref_name, field in sorted(find_refs(out.get("value"))):
            if ref_name not in known:
                raise _unknown(f"output {out.get('name')!r}", f"$(ref.{ref_name}.{field})", ref_name, names)
    check_acyclic(graph)
    return graph


def _sorter(graph: dict[str, set[str]]) -> graphlib.TopologicalSorter:
    ts: graphlib.TopologicalSorter = graphlib.TopologicalSorter()
    for name, deps in graph.items():
        ts.add(name, *sorted(deps))
    return ts


def check_acyclic(graph: dict[str, set[str]]) -> None:
    """BadInput naming the cycle as 'a -> b -> a' (a depends on b, b on a)."""
    try:
        _sorter(graph).prepare()
    except graphlib.CycleError as e:
        cycle = list(e.args[1])  # [n0, n1, ..., n0] where each node is a predecessor of the one before
        nodes = cycle[:-1]
        rank = {n: i for i, n in enumerate(graph)}
        start = min(range(len(nodes)), key=lambda i: rank.get(nodes[i], len(rank)))
        nodes = nodes[start:] + nodes[:start]
        # Present it in "depends on" direction: check the first edge and flip if needed.
        if len(nodes) > 1 and nodes[1] not in graph.get(nodes[0], set()):
            nodes = [nodes[0]] + nodes[:0:-1]
        text = " -> ".join(nodes + [nodes[0]])
        raise BadInput(f"dependency cycle: {text}",
                       hint="a resource cannot depend (by $(ref...) or dependsOn) on itself, directly or not") from None


def levels(graph: dict[str, set[str]]) -> list[list[str]]:
    """Batches that can run together, in dependency order; each batch in the graph's key order."""
    ts = _sorter(graph)
    ts.prepare()
    rank = {n: i for i, n in enumerate(graph)}
    out: list[list[str]] = []
    while ts.is_active():
        ready = sorted(ts.get_ready(), key=lambda n: (rank.get(n, len(rank)), n))
        out.append(ready)
        ts.done(*ready)
    return out


def order(graph: dict[str, set[str]]) -> list[str]:
    """A deterministic creation order: dependencies first, ties in the graph's key order."""
    return [n for batch in levels(graph) for n in batch]


def reversed_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """name -> the names that depend on it (the graph destroy walks)."""
    rev: dict[str, set[str]] = {n: set() for n in graph}
    for name, deps in graph.items():
        for d in deps:
            rev.setdefault(d, set()).add(name)
    return rev


def critical_path(graph: dict[str, set[str]], durations: dict[str, float]) -> tuple[float, list[str]]:
    """The longest chain of dependent resources by duration: (total, [first, ..., last]).

    A resource missing from `durations` counts as 0. With unlimited parallelism, `total` is the
    shortest possible wall time of an apply.
    """
    rank = {n: i for i, n in enumerate(graph)}
    finish: dict[str, float] = {}
    prev: dict[str, str | None] = {}
    for name in order(graph):
        deps = [d for d in graph.get(name, ()) if d in finish]
        best_dep = max(deps, key=lambda d: (finish[d], -rank.get(d, 0)), default=None)
        best = finish[best_dep] if best_dep is not None else 0.0
        finish[name] = best + float(durations.get(name, 0.0))
        prev[name] = best_dep
    if not finish:
        return 0.0, []
    end = max(finish, key=lambda n: (finish[n], -rank.get(n, 0)))
    path = [end]
    while prev[path[-1]] is not None:
        path.append(prev[path[-1]])  # type: ignore[arg-type]
    path.reverse()
    return finish[end], path
