"""gce-custom on the emulator's realistic latency profile (scaled down): wall time over the critical
path of the graph, API requests per created resource, and `gcpkit --help` start-up time.

    python bench/gce_custom_bench.py [--time-scale 0.05] [--repeat 3] [--vms 3]

Figures are ratios and counts measured within one run, so machine noise mostly cancels."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _requests(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []


def _durations(prep, latency, verb: str) -> dict[str, float]:
    from gcpkit.providers.compute_kinds import KINDS

    return {spec.name: latency.duration("compute", KINDS[spec.type].collection, verb)
            for spec in prep.config.resources}


def one_run(time_scale: float, vms: int, workdir: Path) -> dict:
    from gcpkit.clients import Target
    from gcpkit.emulator.core.latency import Latency
    from gcpkit.emulator.core.server import EmulatorServer
    from gcpkit.execution.apply import apply, destroy
    from gcpkit.execution.walker import reverse
    from gcpkit.planning.build import build_plan, prepare
    from gcpkit.planning.graph import critical_path
    from gcpkit.providers.base import Ctx
    from gcpkit.state.local import LocalState

    log = workdir / "requests.jsonl"
    server = EmulatorServer(port=0, in_memory=True, time_scale=time_scale, log_requests=log)
    server.start()
    try:
        prep = prepare("gce-custom", deployment="bench", sets=[f"vm_count={vms}"], values_file=None,
                       project="bench", region=None, zone=None)
        state = LocalState(workdir / "state.db")
        ctx = Ctx(Target(project="bench", endpoints=server.endpoints()), "bench", prep.env)
        latency = Latency(time_scale)
        up_path_s, _ = critical_path(prep.graph, _durations(prep, latency, "insert"))
        down_path_s, _ = critical_path(reverse(prep.graph), _durations(prep, latency, "delete"))

        before = len(_requests(log))
        start = time.perf_counter()
        plan = build_plan(prep, state, ctx, read_all=False)
        outcome = apply(plan, state, ctx, parallelism=10)
        up_wall = time.perf_counter() - start
        assert outcome.ok, outcome.failed
        up_requests = _requests(log)[before:]

        before = len(_requests(log))
        start = time.perf_counter()
        gone = destroy("bench", state, ctx, parallelism=10)
        down_wall = time.perf_counter() - start
        assert gone.ok, gone.failed
        down_requests = _requests(log)[before:]
        created = len(prep.config.resources)
        return {"up_wall_s": up_wall, "up_critical_path_s": up_path_s, "up_ratio": up_wall / up_path_s,
                "down_wall_s": down_wall, "down_critical_path_s": down_path_s, "down_ratio": down_wall / down_path_s,
                "resources": created, "requests_per_created": len(up_requests) / created,
                "requests_per_destroyed": len(down_requests) / created}
    finally:
        server.stop()


def startup_time(args: list[str], repeat: int = 10) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gcpkit", *args], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vms", type=int, default=3)
    parser.add_argument("--startup-repeat", type=int, default=10)
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(args.time_scale, args.vms, Path(tmp)))
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result["help_startup_s"] = startup_time(["--help"], args.startup_repeat)
    result["time_scale"] = args.time_scale
    result["vms"] = args.vms
    result["repeat"] = args.repeat
    rows = [
        ("up: wall / critical path", f"{result['up_ratio']:.3f}", "<= 1.10"),
        ("destroy: wall / critical path", f"{result['down_ratio']:.3f}", "(info)"),
        ("API requests per created resource", f"{result['requests_per_created']:.2f}", "<= 3"),
        ("API requests per destroyed resource", f"{result['requests_per_destroyed']:.2f}", "(info)"),
        ("`gcpkit --help` start-up (median)", f"{result['help_startup_s']:.3f} s", "<= 0.3 s"),
    ]
    print(f"gce-custom, {args.vms} VMs ({result['resources']:.0f} resources), time scale {args.time_scale}, "
          f"median of {args.repeat}; critical path up {result['up_critical_path_s']:.2f} s\n")
    print("| figure | value | target |\n| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gce_custom.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
