"""The DAG walker: run each node as soon as its dependencies succeeded, in a bounded pool.

After Terraform's dag walker: a node starts the moment its last dependency succeeded
(not level by level); at most `parallelism` nodes run at once; when a node fails, all its
transitive dependents are skipped and recorded with that root cause, while independent
branches run to the end. Only failed nodes are root causes.

Interrupts: when `stop` is set, or KeyboardInterrupt reaches the walker, nothing new is
started; nodes already running are allowed to finish (they may watch `stop` to finish
early), their results are recorded, and the walk returns with `interrupted=True` and the
nodes never started in `not_started`. The caller saves state and exits 130.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Generic, TypeVar

T = TypeVar("T")

Graph = Mapping[str, Iterable[str]]  # node -> the nodes it depends on


@dataclass(frozen=True)
class Event:
    """Progress of one node, delivered from the walker's own thread, one at a time.

    kind: "start" | "done" | "failed" | "skipped". elapsed: seconds the node ran
    (None for start and skipped). error: the exception of a failed node. cause: the
    failed node that made a skipped node skip.
    """

    kind: str
    node: str
    elapsed: float | None = None
    error: BaseException | None = None
    cause: str | None = None


@dataclass
class WalkResult(Generic[T]):
    succeeded: dict[str, T] = field(default_factory=dict)
    failed: dict[str, BaseException] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # node -> the failed node that caused the skip
    not_started: set[str] = field(default_factory=set)  # left over after an interrupt
    interrupted: bool = False

    def root_causes(self) -> dict[str, BaseException]:
        """The nodes that failed by themselves (never the skipped ones), in the order they failed."""
        return dict(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.not_started and not self.interrupted


def reverse(graph: Graph) -> dict[str, set[str]]:
    """The graph with every edge turned round (destroy order): a node now waits for its dependents."""
    out: dict[str, set[str]] = {node: set() for node in graph}
    for node, deps in graph.items():
        for dep in deps:
            out.setdefault(dep, set()).add(node)
    return out


def _check(graph: Graph) -> dict[str, set[str]]:
    deps = {node: set(d) for node, d in graph.items()}
    unknown = sorted({d for ds in deps.values() for d in ds} - deps.keys())
    if unknown:
        raise ValueError(f"graph has dependencies that are not nodes: {', '.join(unknown)}")
    TopologicalSorter(deps).prepare()  # raises graphlib.CycleError (a ValueError) naming the cycle
    return deps


def walk(graph: Graph, run: Callable[[str], T], *, parallelism: int = 10,
         on_event: Callable[[Event], None] | None = None,
         stop: threading.Event | None = None) -> WalkResult[T]:
    """Run `run(node)` for every node of `graph` in dependency order. See the module doc."""
    if parallelism < 1:
        raise ValueError("parallelism must be at least 1")
    deps = _check(graph)
    order = {node: i for i, node in enumerate(deps)}
    dependents: dict[str, set[str]] = {node: set() for node in deps}
    for node, ds in deps.items():
        for d in ds:
            dependents[d].add(node)
    waiting = {node: len(ds) for node, ds in deps.items()}
    ready = deque(node for node in deps if waiting[node] == 0)
    result: WalkResult[T] = WalkResult()
    running: dict[Future, tuple[str, float]] = {}
    emit = on_event or (lambda event: None)

    def skip_dependents(root: str) -> None:
        todo = sorted(dependents[root], key=order.__getitem__)
        while todo:
            node = todo.pop(0)
            if node in result.skipped:
                continue
            result.skipped[node] = root
            emit(Event("skipped", node, cause=root))
            todo.extend(sorted(dependents[node] - result.skipped.keys(), key=order.__getitem__))

    def record(fut: Future, node: str, t0: float) -> None:
        elapsed = time.monotonic() - t0
        error = fut.exception()
        if error is not None:
            result.failed[node] = error
            emit(Event("failed", node, elapsed, error))
            skip_dependents(node)
            return
        result.succeeded[node] = fut.result()
        emit(Event("done", node, elapsed))
        for child in sorted(dependents[node], key=order.__getitem__):
            waiting[child] -= 1
            if waiting[child] == 0 and child not in result.skipped:
                ready.append(child)

    def stopping() -> bool:
        return result.interrupted or (stop is not None and stop.is_set())

    pool = ThreadPoolExecutor(max_workers=min(parallelism, max(1, len(deps))), thread_name_prefix="gcpkit-walk")
    try:
        while ready or running:
            try:
                while ready and len(running) < parallelism and not stopping():
                    node = ready.popleft()
                    emit(Event("start", node))
                    running[pool.submit(run, node)] = (node, time.monotonic())
                if stopping():
                    result.interrupted = True
                    if not running:
                        break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: order[running[f][0]]):
                    node, t0 = running.pop(fut)
                    record(fut, node, t0)
            except KeyboardInterrupt:
                # Start nothing new; tell running nodes; keep draining them so their results are recorded.
                result.interrupted = True
                if stop is not None:
                    stop.set()
    finally:
        pool.shutdown(wait=True)
    finished = result.succeeded.keys() | result.failed.keys() | result.skipped.keys()
    result.not_started = set(deps) - finished
    return result
