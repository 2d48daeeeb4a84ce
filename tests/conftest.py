"""Shared fixtures: one emulator per test session, run in strict mode so handlers can't drift from the schema."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def emulator():
    from gcpkit.emulator.core.server import EmulatorServer

    server = EmulatorServer(port=0, in_memory=True, strict=True, time_scale=0.002)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def anonymous_credentials():
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


@pytest.fixture
def compute_options(emulator):
    from google.api_core.client_options import ClientOptions

    return ClientOptions(api_endpoint=emulator.url)


@pytest.fixture
def make_emulator():
    """Factory of extra emulators (own faults, data dir, log...); all are stopped after the test."""
    from gcpkit.emulator.core.server import EmulatorServer

    started = []

    def make(**kwargs):
        kwargs.setdefault("port", 0)
        kwargs.setdefault("strict", True)
        kwargs.setdefault("time_scale", 0.002)
        if "data_dir" not in kwargs:
            kwargs.setdefault("in_memory", True)
        server = EmulatorServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def pytest_terminal_summary(terminalreporter):
    """Show the figures tests record (parity, races...) even without -s and under xdist: they travel
    as `record_property` user properties; golden.REPORT adds the parity details of a local run."""
    lines = [str(value) for reports in terminalreporter.stats.values() for report in reports
             for key, value in getattr(report, "user_properties", ()) if key in ("figure", "compute_parity")]
    golden = sys.modules.get("tests.emulator.golden")
    if golden is not None:
        lines += list(golden.REPORT)
    if lines:
        terminalreporter.section("figures")
        for line in dict.fromkeys(lines):
            terminalreporter.write_line(line)
