"""snapshot-to-mig on the emulator's realistic latency profile (scaled down): wall time over the critical
path of the graph, and the speed-up over doing the same steps one after another, as the console walk
does (the same apply with parallelism=1 is a fair model of that).

    python bench/snapshot_to_mig_bench.py [--time-scale 0.05] [--repeat 3] [--no-domain]

Each run builds a source VM with gce-custom first (not timed), then times `up` of snapshot-to-mig
(parallel, then sequential on a fresh emulator) and its destroy. Figures are ratios measured within one
run, so machine noise mostly cancels."""

from __future__ import annotations

import argparse
import json
import pkgutil
import statistics
import tempfile
import time
from importlib import import_module
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _immediate_collections() -> set[str]:
    """Compute collections whose operations the emulator answers already DONE (as GCP does for URL maps
    and target proxies): they take no time on the critical path."""
    import gcpkit.emulator.compute as package
    from gcpkit.emulator.compute.crud import Spec

    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = import_module(f"{package.__name__}.{info.name}")
        found |= {v.collection for v in vars(module).values() if isinstance(v, Spec) and v.immediate}
    return found


def durations(prep, latency, verb: str) -> dict[str, float]:
    """Each resource's operation time in the emulator's profile (the model the emulator itself runs)."""
    from gcpkit.providers.compute_kinds import KINDS

    immediate = _immediate_collections()
    out = {}
    for spec in prep.config.resources:
        if spec.type == "gcpkit.v1.sourceInstance":
            out[spec.name] = latency.duration("compute", "instances", "stop") if verb == "insert" else 0.0
        elif spec.type == "gcpkit.v1.instanceStart":
            out[spec.name] = latency.duration("compute", "instances", "start") if verb == "insert" else 0.0
        elif spec.type == "dns.v1.managedZone":
            out[spec.name] = 0.0  # zones are created and deleted synchronously
        elif spec.type == "dns.v1.resourceRecordSet":
            out[spec.name] = latency.duration("dns", "changes", "create") if verb == "insert" else 0.0
        else:
            collection = KINDS[spec.type].collection
            out[spec.name] = 0.0 if collection in immediate else latency.duration("compute", collection, verb)
    return out


def _source_vm(server, workdir: Path):
    from gcpkit.clients import Target
    from gcpkit.execution.apply import apply
    from gcpkit.planning.build import build_plan, prepare
    from gcpkit.providers.base import Ctx
    from gcpkit.state.local import LocalState

    prep = prepare("gce-custom", deployment="src", sets=[], values_file=None, project="bench", region=None,
                   zone="us-central1-a")
    state = LocalState(workdir / "state.db")
    ctx = Ctx(Target(project="bench", endpoints=server.endpoints()), "src", prep.env)
    outcome = apply(build_plan(prep, state, ctx, read_all=False), state, ctx, parallelism=10)
    assert outcome.ok, outcome.failed
    return state


def one_apply(time_scale: float, domain: bool, parallelism: int, workdir: Path) -> dict:
    from gcpkit.clients import Target
    from gcpkit.emulator.core.latency import Latency
    from gcpkit.emulator.core.server import EmulatorServer
    from gcpkit.execution.apply import apply, destroy
    from gcpkit.execution.walker import reverse
    from gcpkit.planning.build import build_plan, prepare
    from gcpkit.planning.graph import critical_path
    from gcpkit.providers.base import Ctx

    server = EmulatorServer(port=0, in_memory=True, time_scale=time_scale)
    server.start()
    try:
        state = _source_vm(server, workdir)
        sets = ["source_instance=src-vm-1"] + (["domain=example.com"] if domain else [])
        prep = prepare("snapshot-to-mig", deployment="bench", sets=sets, values_file=None, project="bench",
                       region=None, zone="us-central1-a")
        ctx = Ctx(Target(project="bench", endpoints=server.endpoints()), "bench", prep.env)
        latency = Latency(time_scale)
        up_durations = durations(prep, latency, "insert")
        up_path, up_nodes = critical_path(prep.graph, up_durations)
        down_path, _ = critical_path(reverse(prep.graph), durations(prep, latency, "delete"))

        start = time.perf_counter()
        outcome = apply(build_plan(prep, state, ctx, read_all=False), state, ctx, parallelism=parallelism)
        up_wall = time.perf_counter() - start
        assert outcome.ok, outcome.failed

        start = time.perf_counter()
        gone = destroy("bench", state, ctx, parallelism=parallelism)
        down_wall = time.perf_counter() - start
        assert gone.ok, gone.failed
        return {"up_wall_s": up_wall, "up_critical_path_s": up_path, "up_sum_s": sum(up_durations.values()),
                "down_wall_s": down_wall, "down_critical_path_s": down_path, "resources": len(prep.config.resources),
                "critical_path": up_nodes}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-domain", action="store_true", help="leave out the Cloud DNS zone and records")
    args = parser.parse_args()
    domain = not args.no_domain
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as par_dir, tempfile.TemporaryDirectory() as seq_dir:
            par = one_apply(args.time_scale, domain, 10, Path(par_dir))
            seq = one_apply(args.time_scale, domain, 1, Path(seq_dir))
        runs.append({"up_ratio": par["up_wall_s"] / par["up_critical_path_s"],
                     "down_ratio": par["down_wall_s"] / par["down_critical_path_s"],
                     "speedup": seq["up_wall_s"] / par["up_wall_s"],
                     "model_speedup": par["up_sum_s"] / par["up_critical_path_s"],
                     "up_wall_s": par["up_wall_s"], "up_sequential_wall_s": seq["up_wall_s"],
                     "up_critical_path_s": par["up_critical_path_s"], "up_sum_s": par["up_sum_s"],
                     "down_wall_s": par["down_wall_s"], "down_critical_path_s": par["down_critical_path_s"],
                     "resources": par["resources"]})
        critical = par["critical_path"]
    result = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result.update(time_scale=args.time_scale, repeat=args.repeat, domain=domain, critical_path=critical)
    rows = [
        ("up: wall / critical path", f"{result['up_ratio']:.3f}", "<= 1.10"),
        ("up: speed-up over one step at a time (parallelism=1)", f"{result['speedup']:.2f}x", "(info)"),
        ("up: sum of step times / critical path (the model's bound)", f"{result['model_speedup']:.2f}x", "(info)"),
        ("destroy: wall / critical path", f"{result['down_ratio']:.3f}", "(info)"),
    ]
    print(f"snapshot-to-mig ({result['resources']:.0f} resources{', with DNS' if domain else ''}), time scale "
          f"{args.time_scale}, median of {args.repeat}; critical path up {result['up_critical_path_s']:.2f} s "
          f"(wall {result['up_wall_s']:.2f} s, one at a time {result['up_sequential_wall_s']:.2f} s)")
    print("critical path: " + " -> ".join(critical) + "\n")
    print("| figure | value | target |\n| --- | --- | --- |")
    for row in rows:
        print(f"| {row[0]} | {row[1]} | {row[2]} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "snapshot_to_mig.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
