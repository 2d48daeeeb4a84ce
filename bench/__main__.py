"""`python -m bench`: gcpkit's whole benchmark against the emulator, one Markdown table, JSON in bench/results/.

    python -m bench [--time-scale 0.05] [--repeat 3] [--scale-vms 200] [--patterns a,b] [--no-scale] [--quick]
                    [--results-dir DIR]

Every figure is a ratio or a count measured within one run (machine noise mostly cancels), the median
of --repeat repetitions:
  * per pattern (every one under patterns/ that runs standalone, and snapshot-to-mig on a source VM):
    up and destroy wall time / critical path (target <= 1.10 for up), gcpkit's speed-up over
    (a) one step at a time and (b) the client libraries' default operation polling (see
    bench/alternatives.py), API requests per created (target <= 3) and per destroyed resource, also
    without the requests that only polled; the critical path weighs each resource by the waits its
    create or delete involves in the emulator's latency profile (bench/durations.py);
  * start-up of `gcpkit --help` and `gcpkit patterns` (median of 10, target <= 0.3 s) and the peak
    memory of `gcpkit up` for the largest pattern;
  * scale (bench/scale.py): 1,000 resources: plan, up, destroy, a rate limit, memory.
--quick: one repetition, a 20-resource scale run, a tiny time scale (the CI smoke test)."""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # python bench/__main__.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.alternatives import ALTERNATIVES, library_polling_defaults, library_waiting
from bench.durations import LONG_RUNNING, durations  # noqa: F401 - LONG_RUNNING: the model's table

PROJECT = "bench"
MODES = ("gcpkit", "sequential", "library")
COMPUTE_GCPKIT_TYPES = ("gcpkit.v1.sourceInstance", "gcpkit.v1.instanceStart")  # Compute operations too


# ------------------------------------------------------------------ patterns and how to run them

def _snapshot_module():
    try:
        from bench import snapshot_to_mig_bench
    except Exception:  # noqa: BLE001 - being written by another engineer: use it when it is there
        return None
    return snapshot_to_mig_bench


def pattern_cases(quick: bool) -> dict[str, dict]:
    """Pattern name -> how to run it: --set values, zone, and an optional setup (server, workdir) -> state."""
    from gcpkit.errors import GcpkitError
    from gcpkit.patterns.loader import builtin_names
    from gcpkit.planning.build import prepare

    cases: dict[str, dict] = {}
    for name in builtin_names():
        if name == "gce-custom":
            cases[name] = {"sets": [f"vm_count={1 if quick else 3}"], "zone": None, "setup": None}
        elif name == "snapshot-to-mig":
            snap = _snapshot_module()
            if snap is None or not hasattr(snap, "_source_vm"):
                cases[name] = {"skip": "bench/snapshot_to_mig_bench.py (its source-VM set-up) is missing"}
            else:
                cases[name] = {"sets": ["source_instance=src-vm-1", "domain=example.com"],
                               "zone": "us-central1-a", "setup": snap._source_vm}
        else:
            try:
                prepare(name, deployment="bench", sets=[], values_file=None, project=PROJECT, region=None,
                        zone=None)
            except GcpkitError as exc:
                cases[name] = {"skip": f"does not run standalone: {exc.message}"}
                continue
            cases[name] = {"sets": [], "zone": None, "setup": None}
    return cases


def run_pattern_once(name: str, case: dict, mode: str, time_scale: float, workdir: Path) -> dict:
    """One up + destroy of a pattern on a fresh in-process emulator, in one of MODES."""
    from gcpkit.clients import Target
    from gcpkit.emulator.core.latency import Latency
    from gcpkit.execution.apply import apply, destroy
    from gcpkit.execution.walker import reverse
    from gcpkit.planning.build import build_plan, prepare
    from gcpkit.planning.graph import critical_path
    from gcpkit.providers.base import Ctx
    from gcpkit.state.local import LocalState

    log = workdir / "requests.jsonl"
    parallelism = 1 if mode == "sequential" else 10
    with common.in_process_emulator(time_scale, log=log) as server:
        state = case["setup"](server, workdir) if case.get("setup") else LocalState(workdir / "state.db")
        prep = prepare(name, deployment="bench", sets=case["sets"], values_file=None, project=PROJECT,
                       region=None, zone=case["zone"])
        ctx = Ctx(Target(project=PROJECT, endpoints=server.endpoints()), "bench", prep.env, force_unprotect=True)
        latency = Latency(time_scale)
        up_path, up_nodes = critical_path(prep.graph, durations(prep, latency, "insert"))
        down_path, _ = critical_path(reverse(prep.graph), durations(prep, latency, "delete"))
        counter = common.RequestCounter(log)
        waiting = library_waiting() if mode == "library" else _nothing()
        with waiting:
            counter.start()
            start = time.perf_counter()
            outcome = apply(build_plan(prep, state, ctx, read_all=False), state, ctx, parallelism=parallelism)
            up_wall = time.perf_counter() - start
            if not outcome.ok:
                raise RuntimeError(f"{name} up ({mode}) failed: {outcome.failed or outcome.skipped}")
            up_requests = counter.since()
            counter.start()
            start = time.perf_counter()
            gone = destroy("bench", state, ctx, parallelism=parallelism)
            down_wall = time.perf_counter() - start
            if not gone.ok:
                raise RuntimeError(f"{name} destroy ({mode}) failed: {gone.failed or gone.skipped}")
            down_requests = counter.since()
    n = len(prep.config.resources)
    compute = sum(1 for s in prep.config.resources if s.type.startswith("compute.") or s.type in COMPUTE_GCPKIT_TYPES)
    return {"resources": n, "compute_resources": compute, "up_wall_s": up_wall, "down_wall_s": down_wall,
            "up_critical_path_s": up_path, "down_critical_path_s": down_path, "up_requests": len(up_requests), "down_requests": len(down_requests),
            "up_waiting": common.waiting_requests(up_requests), "down_waiting": common.waiting_requests(down_requests),
            "critical_path": up_nodes}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def bench_pattern(name: str, case: dict, time_scale: float, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        by_mode = {}
        for mode in MODES:
            with tempfile.TemporaryDirectory(prefix="gcpkit-bench-") as tmp:
                by_mode[mode] = run_pattern_once(name, case, mode, time_scale, Path(tmp))
        g, s, lib = by_mode["gcpkit"], by_mode["sequential"], by_mode["library"]
        runs.append({
            "resources": g["resources"], "compute_resources": g["compute_resources"],
            "up_ratio": g["up_wall_s"] / g["up_critical_path_s"],
            # App Engine keeps the serving version of the default service: nothing to wait for, no ratio
            "down_ratio": g["down_wall_s"] / g["down_critical_path_s"] if g["down_critical_path_s"] else math.nan,
            "up_speedup_vs_sequential": s["up_wall_s"] / g["up_wall_s"],
            "up_speedup_vs_library": lib["up_wall_s"] / g["up_wall_s"],
            "down_speedup_vs_sequential": s["down_wall_s"] / g["down_wall_s"],
            "down_speedup_vs_library": lib["down_wall_s"] / g["down_wall_s"],
            "requests_per_created": g["up_requests"] / g["resources"],
            "requests_per_destroyed": g["down_requests"] / g["resources"],
            "requests_per_created_not_waiting": (g["up_requests"] - g["up_waiting"]) / g["resources"],
            "requests_per_destroyed_not_waiting": (g["down_requests"] - g["down_waiting"]) / g["resources"],
            "up_requests": g["up_requests"], "down_requests": g["down_requests"],
            "library_requests_per_created": lib["up_requests"] / g["resources"],
            "up_wall_s": g["up_wall_s"], "up_critical_path_s": g["up_critical_path_s"],
            "down_wall_s": g["down_wall_s"], "down_critical_path_s": g["down_critical_path_s"],
            "sequential_up_wall_s": s["up_wall_s"], "library_up_wall_s": lib["up_wall_s"],
        })
    result = common.medians(runs)
    result["critical_path"] = g["critical_path"]
    result["repeat"] = repeat
    return result


# ------------------------------------------------------------------ start-up and memory

def bench_startup(repeat: int) -> dict:
    help_s, help_cpu = common.startup_time(["--help"], repeat)
    patterns_s, patterns_cpu = common.startup_time(["patterns"], repeat)
    python_s, _ = common.command_time([sys.executable, "-c", "pass"], repeat)
    return {"help_s": help_s, "help_cpu_s": help_cpu, "patterns_s": patterns_s, "patterns_cpu_s": patterns_cpu,
            "python_floor_s": python_s, "repeat": repeat}


def bench_up_memory(name: str, case: dict, time_scale: float) -> dict:
    """Peak RSS of `gcpkit up NAME` (the CLI in its own process; the emulator in another one)."""
    with tempfile.TemporaryDirectory(prefix="gcpkit-bench-mem-") as tmp, \
            common.EmulatorProcess(time_scale) as emu:
        env = common.gcpkit_env(GCPKIT_EMULATOR_HOST=emu.url)
        state = str(Path(tmp) / "state.db")
        base = ["--emulator", "--project", PROJECT, "--state", state, "--yes"]
        if case.get("setup"):  # snapshot-to-mig: its source VM first (gce-custom, deployment src)
            common.run_cli(["up", "gce-custom", "--deployment", "src", "--zone", "us-central1-a", *base],
                           env=env, cwd=Path(tmp))
        zone = ["--zone", case["zone"]] if case.get("zone") else []
        sets = [a for s in case["sets"] for a in ("--set", s)]
        wall, rss_kib, _ = common.run_cli(["up", name, "--deployment", "bench", *zone, *sets, *base],
                                          env=env, cwd=Path(tmp))
    return {"pattern": name, "peak_rss_mb": rss_kib / 1024, "wall_s": wall}


# ------------------------------------------------------------------ the table

def fmt(value: float, spec: str = ".2f", unit: str = "") -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:{spec}}{unit}"


def library(p: dict, key: str) -> str:
    """(b) replaces the waiting of Compute operations only: google-api-python-client, which gcpkit uses for
    GKE, App Engine, Firestore and the rest, has no operation waiting of its own to compare with."""
    if p.get("compute_resources") == 0:
        return "n/a (no Compute operation)"
    return fmt(p[key], ".2f", "x")


def table(result: dict) -> str:
    rows: list[tuple[str, str, str]] = []
    for name, p in result["patterns"].items():
        if "skipped" in p:
            rows.append((f"{name}", f"not run: {p['skipped']}", ""))
            continue
        n = f"{name} ({p['resources']:.0f} resources)"
        rows += [
            (f"{n}: up wall / critical path", fmt(p["up_ratio"], ".3f"), "<= 1.10"),
            (f"{n}: destroy wall / critical path", fmt(p["down_ratio"], ".3f"), "(info)"),
            (f"{n}: up speed-up over (a) one step at a time", fmt(p["up_speedup_vs_sequential"], ".2f", "x"),
             "(info)"),
            (f"{n}: up speed-up over (b) library default polling", library(p, "up_speedup_vs_library"), "(info)"),
            (f"{n}: destroy speed-up over (a) / (b)",
             f"{fmt(p['down_speedup_vs_sequential'], '.2f', 'x')} / {library(p, 'down_speedup_vs_library')}",
             "(info)"),
            (f"{n}: API requests per created / destroyed resource (without polls)",
             (f"{fmt(p['requests_per_created'])} / {fmt(p['requests_per_destroyed'])} "
             f"({fmt(p.get('requests_per_created_not_waiting'))} / {fmt(p.get('requests_per_destroyed_not_waiting'))})"),
             "<= 3 created"),
        ]
    ran = [p for p in result["patterns"].values() if "skipped" not in p]
    if ran:
        made = sum(p["resources"] for p in ran)
        rows.append(("all patterns: API requests per created / destroyed resource (sums over sums)",
                     (f"{fmt(sum(p['up_requests'] for p in ran) / made)} / "
                     f"{fmt(sum(p['down_requests'] for p in ran) / made)}"), "<= 3 created"))
    s = result["startup"]
    rows += [(f"`gcpkit --help` start-up, wall (CPU) median of {s['repeat']}",
              f"{fmt(s['help_s'], '.3f', ' s')} ({fmt(s['help_cpu_s'], '.3f', ' s')})", "<= 0.3 s"),
             (f"`gcpkit patterns` start-up, wall (CPU) median of {s['repeat']}",
              f"{fmt(s['patterns_s'], '.3f', ' s')} ({fmt(s['patterns_cpu_s'], '.3f', ' s')})", "<= 0.3 s"),
             ("`python -c pass` on this machine now (floor)", fmt(s["python_floor_s"], ".3f", " s"), "(info)")]
    m = result.get("memory")
    if m:
        rows.append((f"`gcpkit up {m['pattern']}` peak memory (largest pattern)", fmt(m["peak_rss_mb"], ".0f", " MB"),
                     "(info)"))
    sc = result.get("scale")
    if sc:
        rows += scale_rows(sc)
    lines = ["| figure | value | target |", "| --- | --- | --- |"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def scale_rows(sc: dict) -> list[tuple[str, str, str]]:
    n = f"scale ({sc['resources']} resources)"
    rl = sc["rate_limited"]
    return [
        (f"{n}: `gcpkit plan`, every resource live: CLI wall (CPU)",
         f"{fmt(sc['plan_cli_wall_s'], '.2f', ' s')} ({fmt(sc['plan_cli_cpu_s'], '.2f', ' s')})", "<= 3 s"),
        (f"{n}: the same plan of 20 resources: CLI wall (CPU)",
         f"{fmt(sc['plan_small_cli_wall_s'], '.2f', ' s')} ({fmt(sc['plan_small_cli_cpu_s'], '.2f', ' s')})", "(info)"),
        ("`import google.cloud.compute_v1` alone now: wall (CPU)",
         f"{fmt(sc['compute_import_s'], '.2f', ' s')} ({fmt(sc['compute_import_cpu_s'], '.2f', ' s')})", "(info)"),
        (f"{n}: of which emulator time serving the plan's requests", fmt(sc["plan_emulator_s"], ".2f", " s"),
         "(info)"),
        (f"{n}: plan's live reads, in-process (build_plan)", fmt(sc["plan_reads_s"], ".2f", " s"), "(info)"),
        (f"{n}: up wall / best schedule at --parallelism {sc['parallelism']}", fmt(sc["up_ratio_schedule"], ".2f"),
         "<= 1.20"),
        (f"{n}: up wall / critical path (best schedule alone: {fmt(sc.get('floor_up'), '.2f')})",
         fmt(sc["up_ratio"], ".2f"), "(the floor is the best schedule)"),
        (f"{n}: destroy wall / best schedule at --parallelism {sc['parallelism']}",
         fmt(sc["down_ratio_schedule"], ".2f"), "<= 1.20"),
        (f"{n}: of which discovery (listing the project) / the delete walk alone over the best schedule",
         f"{fmt(sc.get('down_discovery_s'), '.2f', ' s')} / {fmt(sc.get('down_walk_ratio_schedule'), '.2f')}",
         "(info)"),
        (f"{n}: destroy wall / critical path (best schedule alone: {fmt(sc.get('floor_down'), '.2f')})",
         fmt(sc["down_ratio"], ".2f"), "(the floor is the best schedule)"),
        (f"{n}: API requests per created / destroyed resource",
         f"{fmt(sc['requests_per_created'])} / {fmt(sc['requests_per_destroyed'])}", "(info)"),
        (f"{n}: rate limit {rl['limit_per_s']}/s: converged, 429s, retries exhausted",
         (f"{'yes' if rl['converged'] else 'NO'}, {rl['throttled_429']} (of {rl['mutating_requests']} mutating), "
          f"{rl['exhausted']}"), "converges, 0 exhausted"),
        (f"{n}: rate limit: mutating requests per second achieved", fmt(rl["mutating_per_s"], ".1f"),
         f"<= {rl['limit_per_s']}"),
        (f"{n}: gcpkit peak memory (`gcpkit up` / `plan` / `destroy`)",
         (f"{fmt(sc['up_peak_rss_mb'], '.0f')} / {fmt(sc['plan_peak_rss_mb'], '.0f')} / "
          f"{fmt(sc['down_peak_rss_mb'], '.0f')} MB"), "< 300 MB"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--time-scale", type=float, default=0.05, help="emulator time scale of the pattern runs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--startup-repeat", type=int, default=10)
    parser.add_argument("--scale-vms", type=int, default=200, help="VMs of the scale run (5 resources each)")
    parser.add_argument("--scale-time-scale", type=float, default=0.1)
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--quick", action="store_true", help="one repetition, 20-resource scale run, tiny time scale")
    parser.add_argument("--patterns", help="comma-separated patterns to run (default: all)")
    parser.add_argument("--results-dir", type=Path, default=common.RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.startup_repeat, args.scale_vms = 1, 2, 4
        args.time_scale, args.scale_time_scale = 0.002, 0.002

    started = time.perf_counter()
    result: dict = {"machine": common.machine(), "command": "python -m bench " + " ".join(argv or sys.argv[1:]),
                    "time_scale": args.time_scale, "repeat": args.repeat,
                    "library_polling_defaults": library_polling_defaults(), "alternatives": ALTERNATIVES,
                    "patterns": {}}
    cases = pattern_cases(args.quick)
    if args.patterns:
        wanted = args.patterns.split(",")
        unknown = sorted(set(wanted) - cases.keys())
        if unknown:
            parser.error(f"--patterns: no pattern {', '.join(unknown)} (patterns: {', '.join(sorted(cases))})")
        cases = {n: c for n, c in cases.items() if n in wanted}
    for name, case in cases.items():
        if "skip" in case:
            result["patterns"][name] = {"skipped": case["skip"]}
            continue
        print(f"pattern {name} ...", file=sys.stderr, flush=True)
        try:
            result["patterns"][name] = bench_pattern(name, case, args.time_scale, args.repeat)
        except Exception as exc:  # noqa: BLE001 - a pattern still being written must not stop the rest
            result["patterns"][name] = {"skipped": f"failed: {type(exc).__name__}: {str(exc)[:300]}"}
            print(f"  {name} failed: {exc}", file=sys.stderr, flush=True)
    print("start-up ...", file=sys.stderr, flush=True)
    result["startup"] = bench_startup(args.startup_repeat)
    ran = {n: p for n, p in result["patterns"].items() if "skipped" not in p}
    if ran:
        largest = max(ran, key=lambda n: ran[n]["resources"])
        print(f"memory of gcpkit up {largest} ...", file=sys.stderr, flush=True)
        try:
            result["memory"] = bench_up_memory(largest, cases[largest], args.time_scale)
        except Exception as exc:  # noqa: BLE001 - reported in the table, the rest still runs
            result["memory"] = {"pattern": largest, "peak_rss_mb": float("nan"), "error": str(exc)[:500]}
    if not args.no_scale:
        from bench.scale import bench_scale

        print(f"scale ({args.scale_vms} VMs) ...", file=sys.stderr, flush=True)
        result["scale"] = bench_scale(vms=args.scale_vms, health_checks=max(0, args.scale_vms - 2),
                                      time_scale=args.scale_time_scale, repeat=args.repeat)
    result["elapsed_s"] = time.perf_counter() - started
    text = table(result)
    m = result["machine"]
    header = (f"`{result['command'].strip()}` on {m['when']}, {m['platform']}, {m['cpus']} CPUs, Python {m['python']}; "
              f"emulator time scale {args.time_scale:g} (scale run {args.scale_time_scale:g}), median of {args.repeat}")
    result["table"] = text
    print(header + "\n\n" + text)
    out = common.write_json("bench.json", result, args.results_dir)
    print(f"\nwritten to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
