"""Crash and resume, over every landed pattern: `gcpkit up` runs as a real subprocess and is SIGKILLed at
seeded moments (while a mutating request is in flight, right after the API accepted a create and before
gcpkit wrote it down, and after a random number of requests); each kill is followed by another `up`
that is killed in turn, until one finishes on its own. Every chain ends converged (no duplicate, no
orphan, nothing left to do) and `destroy deployment` leaves nothing labelled. SIGINT on a real pattern:
exit 130, state saved and unlocked, a resume hint, and the next `up` completes.

Moments are observed from outside only: gcpkit's journal (read-only) and the emulator's request log.
A kill counts as mid-request when the log later shows a mutating request that started before the kill
and was answered after it; as between a create and its state write when, at the kill, the API had
accepted more creates in that run than gcpkit had recorded as done."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter

import pytest
from reliability_helpers import (PATTERNS, SOAK, Case, Lab, LogTail, StateView, assert_converged, case_ids,
                                 destroy_leaves_nothing, is_create, is_mutation, kill)

KILLS_PER_PATTERN = 20 * SOAK
KILLS_PER_CHAIN = 5  # then a run to completion (in-process, it is cheaper), the checks, and a fresh chain
IN_FLIGHT_S = 0.25
# Every POST but an operation's wait (its path ends in "/wait") takes IN_FLIGHT_S longer, so that a kill
# can land while a create is on the wire. (fnmatch: `*` crosses "/", `[!t]` is "not ending in t".)
LATENCY = {"rules": [{"http_method": "POST", "path": "*[!t]", "latency": IN_FLIGHT_S}]}
KINDS = ("mid-request", "after-create", "after-n-requests")


def _moment(kind: str, rng: random.Random) -> dict:
    if kind == "mid-request":  # while the k-th slowed POST of the run is on the wire
        return {"kind": kind, "k": rng.choice((1, 1, 2)), "delay": rng.uniform(0, IN_FLIGHT_S / 2)}
    if kind == "after-create":  # as soon as the k-th create of the run is accepted
        return {"kind": kind, "k": rng.choice((1, 1, 2)), "delay": 0.0}
    return {"kind": kind, "k": rng.randint(1, 8), "delay": rng.uniform(0, 0.05)}


def _slowed(call: dict) -> bool:
    """Whether the LATENCY rule matched this call (a POST whose path does not end in "t")."""
    return call["method"] == "POST" and not call["path"].endswith("t")


def _reached(moment: dict, lab: Lab, calls: list[dict], started: int) -> bool:
    if moment["kind"] == "mid-request":
        # The emulator counts a rule's matches as requests arrive, before the added latency: more
        # arrivals than answers means one is in flight.
        arrived = lab.emu.server.faults.rules[0].seen - started
        answered = sum(1 for c in calls if _slowed(c))
        return arrived >= moment["k"] and arrived > answered
    if moment["kind"] == "after-create":
        return sum(1 for c in calls if is_create(c)) >= moment["k"]
    return len(calls) >= moment["k"]


def run_and_kill(lab: Lab, case: Case, moment: dict) -> str | None:
    """Run `up` and SIGKILL it at `moment`. Returns what the kill was proven to interrupt ("mid-request",
    "after-create" or "elsewhere"), or None when the run finished first (it must then have succeeded)."""
    tail, state = LogTail(lab.emu.log), StateView(lab.state_path)
    skip, first_intent = len(tail.poll()), state.last_intent()
    started = lab.emu.server.faults.rules[0].seen
    proc = lab.spawn([*case.args(), "--break-lock"])
    while proc.poll() is None and not _reached(moment, lab, tail.poll()[skip:], started):
        time.sleep(0.002)
    if proc.poll() is None and moment["delay"]:
        time.sleep(moment["delay"])
    if proc.poll() is not None:
        out, err = proc.communicate()
        assert proc.returncode == 0, f"up exited {proc.returncode}\n{out}\n{err}"
        return None
    killed_at = kill(proc)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    done = sum(1 for _, _, action, st in state.intents_since(first_intent) if action == "create" and st == "done")
    accepted = sum(1 for c in tail.poll()[skip:] if is_create(c) and c["ts"] < killed_at)
    if _answered_after(tail, skip, killed_at):
        return "mid-request"
    return "after-create" if accepted > done else "elsewhere"


def _answered_after(tail: LogTail, skip: int, killed_at: float) -> bool:
    """Whether a mutating request that started before the kill was answered after it (the emulator
    finishes a request whose client died: it is logged at most IN_FLIGHT_S later)."""
    deadline = time.time() + IN_FLIGHT_S + 1.0
    while True:
        for call in tail.poll()[skip:]:
            started = call["ts"] - call["duration_ms"] / 1000
            if is_mutation(call) and started < killed_at < call["ts"]:
                return True
        if time.time() > deadline:
            return False
        time.sleep(0.02)


@pytest.mark.parametrize("case", PATTERNS, ids=case_ids(PATTERNS))
def test_sigkill_at_seeded_moments_then_resume(case, tmp_path, monkeypatch, record_property):
    rng = random.Random(f"crash:{case.pattern}")
    survived: Counter[str] = Counter()
    chains = 0
    while sum(survived.values()) < KILLS_PER_PATTERN:
        lab = Lab(tmp_path / f"chain-{chains}", monkeypatch, faults=LATENCY)
        try:
            if case.setup:
                case.setup(lab)
            for _ in range(min(KILLS_PER_CHAIN, KILLS_PER_PATTERN - sum(survived.values()))):
                moment = _moment(KINDS[sum(survived.values()) % len(KINDS)], rng)
                outcome = run_and_kill(lab, case, moment)
                if outcome is None:
                    break  # this run finished before its moment: the chain is complete
                survived[outcome] += 1
            lab.invoke([*case.args(), "--break-lock"], expect=0)
            assert_converged(lab, case)
            destroy_leaves_nothing(lab, case)
            chains += 1
        finally:
            lab.stop()
    total = sum(survived.values())
    record_property("figure", f"crash-resume {case.pattern}: {total} SIGKILL points survived "
                              f"({survived['mid-request']} mid-request, {survived['after-create']} between a "
                              f"create and its state write, {survived['elsewhere']} elsewhere) over {chains} "
                              "chain(s); 0 duplicates, 0 orphans, nothing labelled after destroy")
    assert survived["mid-request"] >= 2 * SOAK and survived["after-create"] >= 2 * SOAK, survived


def test_sigint_on_a_real_pattern_saves_state_and_resumes(tmp_path, monkeypatch):
    case = next(c for c in PATTERNS if c.pattern == "gce-sql")
    lab = Lab(tmp_path, monkeypatch, faults=LATENCY)
    try:
        state = StateView(lab.state_path)
        proc = lab.spawn(case.args())
        while proc.poll() is None and len(state.resources(case.deployment)) < 2:
            time.sleep(0.005)
        kill(proc, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert f"run `gcpkit up {case.pattern}" in err or "run the same command again" in err, err
        recorded = {r["name"] for r in state.resources(case.deployment)}
        assert len(recorded) >= 2
        # unlocked: the next `up` needs no --break-lock, keeps what was recorded and completes
        lab.invoke(case.args(), expect=0)
        assert recorded <= {r["name"] for r in state.resources(case.deployment)}
        assert_converged(lab, case)
        destroy_leaves_nothing(lab, case)
    finally:
        lab.stop()
