"""The README's benchmark tables from a `python -m bench` result: one row per pattern, then the rest.

    python bench/readme_table.py [bench/results/bench.json]

The same figures as the table `python -m bench` prints, laid out to be read in the README."""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # python bench/readme_table.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.__main__ import fmt, library, scale_rows


def pattern_table(patterns: dict) -> str:
    lines = [("| pattern (resources) | up wall / critical path (target <= 1.10) | destroy wall / critical path | "
             "up speed-up over (a) / (b) | destroy speed-up over (a) / (b) | "
             "API requests per created / destroyed resource (without polls) |"),
             "| --- | --- | --- | --- | --- | --- |"]
    for name, p in patterns.items():
        if "skipped" in p:
            lines.append(f"| {name} | not run: {p['skipped']} | | | | |")
            continue
        lines.append(
            f"| {name} ({p['resources']:.0f}) | {fmt(p['up_ratio'], '.3f')} | {fmt(p['down_ratio'], '.3f')} | "
            f"{fmt(p['up_speedup_vs_sequential'], '.2f', 'x')} / {library(p, 'up_speedup_vs_library')} | "
            f"{fmt(p['down_speedup_vs_sequential'], '.2f', 'x')} / {library(p, 'down_speedup_vs_library')} | "
            f"{fmt(p['requests_per_created'])} / {fmt(p['requests_per_destroyed'])} "
            f"({fmt(p['requests_per_created_not_waiting'])} / {fmt(p['requests_per_destroyed_not_waiting'])}) |")
    return "\n".join(lines)


def other_table(result: dict) -> str:
    ran = [p for p in result["patterns"].values() if "skipped" not in p]
    made = sum(p["resources"] for p in ran)
    s, m = result["startup"], result.get("memory") or {}
    rows = [
        ("all patterns: API requests per created / destroyed resource (sums over sums; without polls)",
         (f"{fmt(sum(p['up_requests'] for p in ran) / made)} / {fmt(sum(p['down_requests'] for p in ran) / made)} "
         f"({fmt(sum(p['requests_per_created_not_waiting'] * p['resources'] for p in ran) / made)} / "
         f"{fmt(sum(p['requests_per_destroyed_not_waiting'] * p['resources'] for p in ran) / made)})"),
         "<= 3 created"),
        (f"`gcpkit --help` start-up, wall (CPU), median of {s['repeat']}",
         f"{fmt(s['help_s'], '.3f', ' s')} ({fmt(s['help_cpu_s'], '.3f', ' s')})", "<= 0.3 s"),
        (f"`gcpkit patterns` start-up, wall (CPU), median of {s['repeat']}",
         f"{fmt(s['patterns_s'], '.3f', ' s')} ({fmt(s['patterns_cpu_s'], '.3f', ' s')})", "<= 0.3 s"),
        (f"`gcpkit up {m.get('pattern')}` peak memory (largest pattern)", fmt(m.get("peak_rss_mb"), ".0f", " MB"),
         "(info)"),
    ]
    if result.get("scale"):
        rows += scale_rows(result["scale"])
    return "\n".join(["| figure | value | target |", "| --- | --- | --- |"]
                     + [f"| {a} | {b} | {c} |" for a, b, c in rows])


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results" / "bench.json"
    result = json.loads(path.read_text())
    print(pattern_table(result["patterns"]) + "\n\n" + other_table(result))


if __name__ == "__main__":
    main()
