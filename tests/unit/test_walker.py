"""The DAG walker: eager starts, bounded parallelism, failure skipping, interrupts. No timing assertions."""

from __future__ import annotations

import threading

import pytest

from gcpkit.execution.walker import Event, reverse, walk

WAIT = 30  # generous upper bound for an Event that must be set; never a measured duration


def test_empty_graph():
    result = walk({}, lambda n: n)
    assert (result.succeeded, result.failed, result.skipped, result.not_started) == ({}, {}, {}, set())
    assert result.ok


def test_every_node_runs_after_its_dependencies():
    graph = {"net": set(), "subnet": {"net"}, "fw": {"net"}, "vm": {"subnet", "fw"}, "dns": {"vm"}, "bucket": set()}
    done: list[str] = []
    lock = threading.Lock()

    def run(node):
        with lock:
            assert all(dep in done for dep in graph[node]), node
            done.append(node)
        return node.upper()

    result = walk(graph, run, parallelism=3)
    assert result.succeeded == {n: n.upper() for n in graph}
    assert result.ok and result.root_causes() == {}


def test_node_starts_as_soon_as_its_dependency_is_done_while_unrelated_slow_node_runs():
    # A and B start together; C depends only on A. C must start (and finish) while B is still running:
    # B blocks until C has run, so a level-by-level walker would deadlock here (caught by the timeout).
    c_ran = threading.Event()
    b_gave_up = []

    def run(node):
        if node == "B":
            if not c_ran.wait(WAIT):
                b_gave_up.append(True)
                raise AssertionError("C never started while B was running")
        if node == "C":
            c_ran.set()
        return node

    result = walk({"A": set(), "B": set(), "C": {"A"}, "D": {"B", "C"}}, run, parallelism=4)
    assert not b_gave_up
    assert set(result.succeeded) == {"A", "B", "C", "D"}


def test_parallelism_bound_is_never_exceeded_and_is_reached():
    n_nodes, bound = 12, 3
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "in_flight": 0, "max_in_flight": 0}
    full = threading.Barrier(bound, timeout=WAIT)  # the first `bound` nodes wait for each other

    def on_event(event):
        # A node counts from its "start" until its "done"/"failed" event, which comes after it really
        # ended: so this count is never below the real concurrency, and is exact for the walker's decisions.
        if event.kind == "start":
            state["in_flight"] += 1
            state["max_in_flight"] = max(state["max_in_flight"], state["in_flight"])
        elif event.kind in ("done", "failed"):
            state["in_flight"] -= 1

    def run(node):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        try:
            if int(node[1:]) < bound:
                full.wait()  # proves `bound` nodes really ran at the same time
        finally:
            with lock:
                state["now"] -= 1
        return node

    graph = {f"n{i}": set() for i in range(n_nodes)}
    result = walk(graph, run, parallelism=bound, on_event=on_event)
    assert len(result.succeeded) == n_nodes
    assert state["max_in_flight"] == bound
    assert state["max"] == bound


def test_failure_skips_transitive_dependents_and_independent_branches_finish():
    graph = {
        "net": set(), "subnet": {"net"}, "vm": {"subnet"}, "dns": {"vm"},
        "bucket": set(), "site": {"bucket"},
        "sql": set(), "app": {"sql", "vm"},
    }
    events: list[Event] = []

    def run(node):
        if node == "subnet":
            raise RuntimeError("quota")
        return node

    result = walk(graph, run, parallelism=2, on_event=events.append)
    assert set(result.succeeded) == {"net", "bucket", "site", "sql"}
    assert list(result.failed) == ["subnet"] and str(result.failed["subnet"]) == "quota"
    assert result.skipped == {"vm": "subnet", "dns": "subnet", "app": "subnet"}
    assert list(result.root_causes()) == ["subnet"]
    assert result.not_started == set() and not result.interrupted and not result.ok
    kinds = {(e.kind, e.node) for e in events}
    assert ("failed", "subnet") in kinds and ("skipped", "dns") in kinds
    assert next(e for e in events if e.kind == "failed").error is result.failed["subnet"]
    assert {e.cause for e in events if e.kind == "skipped"} == {"subnet"}
    assert not any(e.kind == "start" and e.node in result.skipped for e in events)


def test_two_independent_failures_are_both_root_causes():
    graph = {"a": set(), "b": set(), "c": {"a", "b"}, "d": {"b"}}
    result = walk(graph, lambda n: (_ for _ in ()).throw(ValueError(n)) if n in "ab" else n)
    assert set(result.root_causes()) == {"a", "b"}
    assert set(result.skipped) == {"c", "d"} and result.skipped["d"] == "b"


def test_events_come_from_the_walker_thread_one_at_a_time():
    caller = threading.get_ident()
    seen_threads, kinds = set(), []
    inside = threading.Lock()

    def on_event(event):
        assert inside.acquire(blocking=False), "events delivered concurrently"
        try:
            seen_threads.add(threading.get_ident())
            kinds.append((event.kind, event.node))
            if event.kind in ("done", "failed"):
                assert event.elapsed is not None and event.elapsed >= 0
        finally:
            inside.release()

    graph = {f"n{i}": ({f"n{i - 1}"} if i % 3 else set()) for i in range(9)}
    walk(graph, lambda n: n, parallelism=4, on_event=on_event)
    assert seen_threads == {caller}
    for node in graph:
        assert kinds.index(("start", node)) < kinds.index(("done", node))


def test_stop_event_starts_nothing_new_and_lets_running_nodes_finish():
    stop = threading.Event()
    a_running = threading.Event()

    def run(node):
        if node == "a":
            a_running.set()
            stop.set()  # e.g. the SIGINT handler fires while `a` runs
        return node

    graph = {"a": set(), "b": {"a"}, "c": {"b"}, "x": {"a"}}
    result = walk(graph, run, parallelism=1, stop=stop)
    assert result.interrupted
    assert set(result.succeeded) == {"a"}  # the running node finished and was recorded
    assert result.not_started == {"b", "c", "x"}
    assert result.failed == {} and result.skipped == {}


def test_keyboard_interrupt_in_walker_sets_stop_and_drains_running_nodes():
    stop = threading.Event()
    events: list[tuple[str, str]] = []

    def on_event(event):
        events.append((event.kind, event.node))
        if event.kind == "done" and event.node == "fast":
            raise KeyboardInterrupt  # Ctrl-C lands in the walker's thread

    def run(node):
        if node == "slow":
            assert stop.wait(WAIT), "the walker did not tell running nodes to stop"
        return node

    graph = {"fast": set(), "slow": set(), "after_fast": {"fast"}, "after_slow": {"slow"}}
    result = walk(graph, run, parallelism=4, stop=stop, on_event=on_event)
    assert result.interrupted and stop.is_set()
    assert set(result.succeeded) == {"fast", "slow"}  # slow was drained, not abandoned
    assert result.not_started == {"after_fast", "after_slow"}
    assert ("start", "after_fast") not in events


def test_invalid_graphs_are_rejected():
    with pytest.raises(ValueError, match="ghost"):
        walk({"a": {"ghost"}}, lambda n: n)
    with pytest.raises(ValueError):
        walk({"a": {"b"}, "b": {"a"}}, lambda n: n)
    with pytest.raises(ValueError):
        walk({"a": set()}, lambda n: n, parallelism=0)


def test_reverse_and_destroy_order():
    graph = {"net": set(), "subnet": {"net"}, "vm": {"subnet", "disk"}, "disk": set()}
    rev = reverse(graph)
    assert rev == {"net": {"subnet"}, "subnet": {"vm"}, "vm": set(), "disk": {"vm"}}
    order: list[str] = []
    lock = threading.Lock()

    def run(node):
        with lock:
            order.append(node)

    walk(rev, run, parallelism=4)
    assert order.index("vm") < order.index("subnet") < order.index("net")
    assert order.index("vm") < order.index("disk")
