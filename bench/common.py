"""Shared helpers of the benchmarks: an emulator in its own process, the request log, critical paths,
medians, start-up and peak-memory measurement of the gcpkit CLI."""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "bench" / "results"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def medians(runs: list[dict]) -> dict:
    """Key -> median over runs, for the numeric keys every run has."""
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return {k: median(r[k] for r in runs if k in r) for k in keys}


def machine() -> dict:
    return {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(terse=True),
            "machine": platform.machine()}


def read_log(log: Path) -> list[dict]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


class RequestCounter:
    """Counts the emulator's logged requests between two points of a run."""

    def __init__(self, log: Path):
        self.log = log
        self.mark = 0

    def start(self) -> None:
        self.mark = len(read_log(self.log))

    def since(self) -> list[dict]:
        return read_log(self.log)[self.mark:]


def waiting_requests(entries: list[dict]) -> int:
    """How many of the logged requests only waited: operations.get / operations.wait, and a GET of a path
    already read in the same stretch (polling a Kubernetes object, a Cloud SQL instance). APIs without
    operations.wait (GKE, App Engine, Cloud SQL, Firestore) cost one request per poll."""
    seen: set[str] = set()
    count = 0
    for e in entries:
        method_id, path = e.get("method_id") or "", e.get("path", "")
        if ".operations." in method_id or "/operations/" in path:
            count += 1
        elif e.get("method") == "GET":
            count += path in seen
            seen.add(path)
    return count


def gcpkit_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env


def gcpkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", "from gcpkit.cli.main import run; run()", *args]


class EmulatorProcess:
    """`gcpkit emulator start` in its own process (so the emulator does not share the client's GIL)."""

    def __init__(self, time_scale: float, *, faults: Path | None = None, log: Path | None = None):
        args = ["emulator", "start", "--port", "0", "--in-memory", "--time-scale", repr(time_scale)]
        if faults is not None:
            args += ["--faults", str(faults)]
        if log is not None:
            args += ["--log-requests", str(log)]
        self.proc = subprocess.Popen(gcpkit_cmd(*args), env=gcpkit_env(), stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if " on http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = line.split(" on ", 1)[1].split(" ", 1)[0]
        self.host = self.url

    def endpoints(self) -> dict[str, str]:
        from gcpkit.emulator.core.services import endpoints

        return endpoints(self.url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def in_process_emulator(time_scale: float, *, faults: Any = None, log: Path | None = None) -> Iterator[Any]:
    from gcpkit.emulator.core.server import EmulatorServer

    server = EmulatorServer(port=0, in_memory=True, time_scale=time_scale, faults=faults, log_requests=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_cli(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            check: bool = True) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run the gcpkit CLI in a subprocess: (wall seconds, peak RSS in KiB of that child, result).

    ru_maxrss of RUSAGE_CHILDREN is the largest of all children waited for so far; each measurement runs
    in a fresh intermediate process so the figure is this command's own."""
    code = ("import resource, subprocess, sys, json, time\n"
            "t = time.perf_counter()\n"
            "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "wall = time.perf_counter() - t\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(json.dumps({'wall': wall, 'rss': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime, "
            "'rc': r.returncode, 'out': r.stdout, 'err': r.stderr[-4000:]}))\n")
    probe = subprocess.run([sys.executable, "-c", code, *gcpkit_cmd(*args)], env=env or gcpkit_env(),
                           cwd=cwd, capture_output=True, text=True, check=False)
    data = json.loads(probe.stdout.strip().splitlines()[-1])
    result = subprocess.CompletedProcess(args, data["rc"], data["out"], data["err"])
    result.cpu_s = data["cpu"]  # user + system CPU seconds of the command: less sensitive to a busy machine
    if check and data["rc"] != 0:
        raise RuntimeError(f"gcpkit {' '.join(args)} exited {data['rc']}: {data['err'][-2000:]}")
    return data["wall"], data["rss"], result


def startup_time(args: list[str], repeat: int = 10) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `gcpkit ARGS` (the installed console
    script when there is one; `python -m gcpkit` otherwise)."""
    exe = Path(sys.executable).parent / "gcpkit"
    cmd = [str(exe), *args] if exe.exists() else [sys.executable, "-m", "gcpkit", *args]
    return command_time(cmd, repeat)


def command_time(cmd: list[str], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=gcpkit_env())
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return median(walls), median(cpus)


def self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_json(name: str, data: dict, results_dir: Path | None = None) -> Path:
    out = (results_dir or RESULTS) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return out
