"""Emulator throughput: simple GETs per second, and firewall insert + wait.

    python bench/emulator_bench.py [--seconds 5] [--procs 2] [--threads 2] [--firewalls 40]

Starts `gcpkit emulator start` in its own process (a server sharing the clients' interpreter
would share their GIL), drives it with keep-alive requests.Session clients spread over
several processes, prints a Markdown table and writes bench/results/emulator.json.
Uses the compute handlers compute.networks.{insert,get}, compute.firewalls.insert and
compute.globalOperations.wait.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "bench" / "results" / "emulator.json"


def start_server(time_scale: float) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", "from gcpkit.cli.main import run; run()", "emulator", "start",
                             "--port", "0", "--in-memory", "--time-scale", str(time_scale)],
                            env=env, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if " on http://" not in line:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, line.split(" on ", 1)[1].split(" ", 1)[0]


def wait_global(session: requests.Session, url: str, project: str, op: dict, deadline_s: float = 120) -> dict:
    deadline = time.monotonic() + deadline_s
    while op.get("status") != "DONE":
        if time.monotonic() > deadline:
            raise RuntimeError(f"operation {op.get('name')} not DONE")
        r = session.post(f"{url}/compute/v1/projects/{project}/global/operations/{op['name']}/wait")
        r.raise_for_status()
        op = r.json()
    if op.get("error"):
        raise RuntimeError(f"operation failed: {op['error']}")
    return op


def _get_worker(url: str, threads: int, seconds: float, queue) -> None:
    counts, errors = [0] * threads, [0] * threads
    stop_at = time.monotonic() + seconds

    def loop(i: int) -> None:
        with requests.Session() as s:
            while time.monotonic() < stop_at:
                if s.get(url).status_code == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    queue.put((sum(counts), sum(errors)))


def bench_get(url: str, project: str, procs: int, threads: int, seconds: float) -> dict:
    target = f"{url}/compute/v1/projects/{project}/global/networks/bench-net"
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_get_worker, args=(target, threads, seconds, queue))
               for _ in range(procs)]
    started = time.monotonic()
    [w.start() for w in workers]
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    [w.join() for w in workers]
    elapsed = time.monotonic() - started
    ok = sum(r[0] for r in results)
    return {"requests": ok, "errors": sum(r[1] for r in results), "seconds": round(elapsed, 2),
            "per_second": round(ok / seconds, 1), "clients": f"{procs} processes x {threads} threads"}


def bench_firewalls(url: str, project: str, count: int) -> dict:
    latencies = []
    with requests.Session() as s:
        started = time.monotonic()
        for i in range(count):
            t0 = time.monotonic()
            r = s.post(f"{url}/compute/v1/projects/{project}/global/firewalls", json={
                "name": f"bench-fw-{i}", "network": f"projects/{project}/global/networks/bench-net",
                "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}], "sourceRanges": ["10.0.0.0/8"]})
            r.raise_for_status()
            wait_global(s, url, project, r.json())
            latencies.append(time.monotonic() - t0)
        elapsed = time.monotonic() - started
    latencies.sort()
    return {"count": count, "seconds": round(elapsed, 2), "per_second": round(count / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--firewalls", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args()

    proc, url = start_server(args.time_scale)
    project = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        with requests.Session() as s:
            r = s.post(f"{url}/compute/v1/projects/{project}/global/networks",
                       json={"name": "bench-net", "autoCreateSubnetworks": False})
            r.raise_for_status()
            wait_global(s, url, project, r.json())
        get = bench_get(url, project, args.procs, args.threads, args.seconds)
        firewalls = bench_firewalls(url, project, args.firewalls)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)

    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
              "python": platform.python_version(), "time_scale": args.time_scale,
              "get_networks": get, "firewall_insert_wait": firewalls}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| benchmark | result | detail |\n| --- | --- | --- |\n"
          f"| compute.networks.get | {get['per_second']} req/s | {get['clients']}, keep-alive, "
          f"{get['seconds']} s, {get['errors']} errors |\n"
          f"| firewalls.insert + wait | {firewalls['per_second']} ops/s | {firewalls['count']} sequential, "
          f"p50 {firewalls['p50_ms']} ms, p95 {firewalls['p95_ms']} ms (time scale {args.time_scale:g}: "
          f"firewall ~5 s real) |")
    print(f"\nwritten to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
