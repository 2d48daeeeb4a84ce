"""CI smoke test of the benchmark: `python -m bench --quick` completes and writes well-formed JSON with every
expected key. Never asserts on timing: figures belong to the benchmark, not to tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PATTERN_KEYS = {"resources", "up_ratio", "down_ratio", "up_speedup_vs_sequential", "up_speedup_vs_library",
                "down_speedup_vs_sequential", "down_speedup_vs_library", "requests_per_created",
                "requests_per_destroyed", "requests_per_created_not_waiting", "requests_per_destroyed_not_waiting",
                "compute_resources", "up_wall_s", "up_critical_path_s", "critical_path"}
SCALE_KEYS = {"resources", "parallelism", "up_ratio", "down_ratio", "up_ratio_schedule", "down_ratio_schedule",
              "plan_cli_wall_s", "plan_cli_cpu_s", "plan_small_cli_wall_s", "compute_import_s", "plan_emulator_s", "plan_reads_s", "plan_changes", "requests_per_created",
              "requests_per_destroyed", "up_peak_rss_mb", "up_critical_path_s", "up_best_schedule_s",
              "rate_limited", "floor_up", "floor_down", "down_discovery_s", "down_walk_ratio_schedule"}
RATE_KEYS = {"limit_per_s", "converged", "exhausted", "mutating_requests", "throttled_429", "mutating_per_s"}


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench-results")
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--results-dir", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| figure | value | target |" in proc.stdout
    return json.loads((out / "bench.json").read_text())


def test_quick_bench_writes_every_key(quick_result):
    r = quick_result
    assert {"machine", "command", "time_scale", "repeat", "library_polling_defaults", "patterns", "startup",
            "memory", "scale", "table"} <= r.keys()
    assert set(r["library_polling_defaults"]) == {"initial_s", "maximum_s", "multiplier", "timeout_s"}
    for name in ("gce-custom", "gke-datastore", "appengine"):
        assert "skipped" not in r["patterns"][name], r["patterns"][name]
    for name, p in r["patterns"].items():
        assert "skipped" in p or PATTERN_KEYS <= p.keys(), name
    assert {"help_s", "help_cpu_s", "patterns_s", "patterns_cpu_s", "repeat"} <= r["startup"].keys()
    assert {"pattern", "peak_rss_mb"} <= r["memory"].keys()
    assert SCALE_KEYS <= r["scale"].keys()
    assert r["scale"]["resources"] == 20
    assert RATE_KEYS <= r["scale"]["rate_limited"].keys()


def test_quick_bench_runs_converge(quick_result):
    """Counts, not timings: every run finished, and plan found every resource live and unchanged."""
    scale = quick_result["scale"]
    assert scale["rate_limited"]["converged"] is True
    assert scale["plan_changes"] is False
    assert quick_result["patterns"]["gce-custom"]["requests_per_created"] > 0


def test_quick_bench_long_operations_on_the_critical_path(quick_result):
    """GKE and App Engine wait minutes in the latency profile: their chains are the critical paths."""
    gke, app = quick_result["patterns"]["gke-datastore"], quick_result["patterns"]["appengine"]
    assert gke["critical_path"] == ["bench-gke", "bench-nodes", "bench-deployment"]
    assert app["critical_path"] == ["bench-app", "bench-version"]
    assert gke["compute_resources"] == app["compute_resources"] == 0
    assert "| gke-datastore (11 resources): up wall / critical path |" in quick_result["table"]
