"""Teardown of the largest landed pattern (gce-custom) on the emulator's realistic latency profile (scaled
down): `destroy deployment`'s wall time, inventory by labels included, over the critical path of the reversed
graph (the sum of delete latencies along its longest chain).

    python bench/teardown_bench.py [--time-scale 0.05] [--repeat 3] [--vms 3] [--extra-disk-gb 10]

Figures are ratios measured within one run, so machine noise mostly cancels. Target: <= 1.20."""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PATTERN = "gce-custom"


def _requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []


def one_run(time_scale: float, vms: int, extra_disk_gb: int, workdir: Path) -> dict:
    from gcpkit.clients import Target
    from gcpkit.emulator.core.latency import Latency
    from gcpkit.emulator.core.server import EmulatorServer
    from gcpkit.execution.apply import apply, destroy
    from gcpkit.execution.teardown import plan_teardown
    from gcpkit.execution.walker import reverse
    from gcpkit.planning.build import build_plan, prepare
    from gcpkit.planning.graph import critical_path
    from gcpkit.providers.base import Ctx
    from gcpkit.providers.compute_kinds import KINDS
    from gcpkit.state.local import LocalState

    log = workdir / "requests.jsonl"
    server = EmulatorServer(port=0, in_memory=True, time_scale=time_scale, log_requests=log)
    server.start()
    try:
        prep = prepare(PATTERN, deployment="bench", sets=[f"vm_count={vms}", f"extra_disk_size_gb={extra_disk_gb}"],
                       values_file=None, project="bench", region=None, zone=None)
        state = LocalState(workdir / "state.db")
        ctx = Ctx(Target(project="bench", endpoints=server.endpoints()), "bench", prep.env)
        latency = Latency(time_scale)
        durations = {spec.name: latency.duration("compute", KINDS[spec.type].collection, "delete")
                     for spec in prep.config.resources}
        down_path_s, path = critical_path(reverse(prep.graph), durations)
        outcome = apply(build_plan(prep, state, ctx, read_all=False), state, ctx, parallelism=10)
        assert outcome.ok, outcome.failed

        start = time.perf_counter()
        plan = plan_teardown("bench", state, ctx)
        inventory_s = time.perf_counter() - start
        before = len(_requests(log))
        gone = destroy("bench", state, ctx, parallelism=10, plan=plan)
        wall = time.perf_counter() - start
        assert gone.ok, gone.failed
        calls = _requests(log)[before:]
        deletes = [c for c in calls if c["method"] == "DELETE"]
        return {"down_wall_s": wall, "down_critical_path_s": down_path_s, "down_ratio": wall / down_path_s,
                "inventory_s": inventory_s, "resources": len(prep.config.resources), "deletes": len(deletes),
                "critical_path": " -> ".join(path)}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vms", type=int, default=3)
    parser.add_argument("--extra-disk-gb", type=int, default=10)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(args.time_scale, args.vms, args.extra_disk_gb, Path(tmp)))
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "critical_path"}
    result.update(critical_path=runs[0]["critical_path"], time_scale=args.time_scale, vms=args.vms,
                  extra_disk_gb=args.extra_disk_gb, repeat=args.repeat, runs=runs)
    rows = [
        ("destroy deployment: wall / critical path of the reversed graph", f"{result['down_ratio']:.3f}", "<= 1.20"),
        ("destroy wall time (inventory included)", f"{result['down_wall_s']:.2f} s", "(info)"),
        ("critical path (sum of delete latencies)", f"{result['down_critical_path_s']:.2f} s", "(info)"),
        ("inventory by labels + teardown plan", f"{result['inventory_s']:.3f} s", "(info)"),
        ("DELETE requests / resources", f"{result['deletes']:.0f} / {result['resources']:.0f}", "(info)"),
    ]
    print(f"{PATTERN}, {args.vms} VMs with {args.extra_disk_gb} GB data disks ({result['resources']:.0f} resources), "
          f"time scale {args.time_scale}, median of {args.repeat}; critical path: {result['critical_path']}\n")
    print("| figure | value | target |\n| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "teardown.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
