"""Fixtures for the Compute emulator tests: the official google-cloud-compute clients over real HTTP, against
the session emulator of tests/conftest.py (or a dedicated one from make_gce), with a fresh project per test."""

from __future__ import annotations

import time
import uuid

import pytest


class ComputeHarness:
    """Official compute_v1 clients pointed at one emulator, a fresh project id, and operation waiting
    through our own *OperationsClient (ExtendedOperation.result() would call compute.googleapis.com)."""

    def __init__(self, server):
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import compute_v1

        self.server = server
        self.v1 = compute_v1
        self.project = f"p-{uuid.uuid4().hex[:12]}"
        self._kw = dict(client_options=ClientOptions(api_endpoint=server.url), credentials=AnonymousCredentials(),
                        transport="rest")
        self._clients: dict[str, object] = {}

    def client(self, name: str):
        """client("Networks") -> compute_v1.NetworksClient for the emulator (cached)."""
        if name not in self._clients:
            self._clients[name] = getattr(self.v1, f"{name}Client")(**self._kw)
        return self._clients[name]

    def __getattr__(self, name: str):
        # h.networks -> NetworksClient, h.region_instance_group_managers -> RegionInstanceGroupManagersClient
        if name.startswith("_"):
            raise AttributeError(name)
        return self.client("".join(p.capitalize() for p in name.split("_")))

    def wait(self, op, timeout: float = 30.0):
        """Wait for an operation (ExtendedOperation or compute_v1.Operation) to be DONE; return it."""
        name = op.name
        deadline = time.monotonic() + timeout
        while True:
            if op.zone:
                cur = self.zone_operations.wait(project=self.project, zone=op.zone.rsplit("/", 1)[1], operation=name)
            elif op.region:
                cur = self.region_operations.wait(project=self.project, region=op.region.rsplit("/", 1)[1],
                                                  operation=name)
            else:
                cur = self.global_operations.wait(project=self.project, operation=name)
            if cur.status == self.v1.Operation.Status.DONE:
                return cur
            assert time.monotonic() < deadline, f"operation {name} not DONE after {timeout}s"

    def done(self, op):
        """Wait and assert the operation succeeded."""
        cur = self.wait(op)
        assert not cur.error.errors, cur.error
        return cur


    @staticmethod
    def error(excinfo) -> tuple[int, str, str]:
        """(status code, first reason, message) of a google.api_core exception."""
        e = excinfo.value
        first = e.errors[0] if e.errors else {}
        return int(e.code), first.get("reason"), first.get("message")


@pytest.fixture
def gce(emulator):
    """Clients on the session's shared emulator (tests/conftest.py), with a fresh project id per test."""
    return ComputeHarness(emulator)


@pytest.fixture
def make_gce(make_emulator):
    """A dedicated emulator: make_gce(time_scale=0.05, faults={...})."""

    def make(time_scale: float = 0.002, faults=None, **kwargs) -> ComputeHarness:
        return ComputeHarness(make_emulator(time_scale=time_scale, faults=faults, **kwargs))

    return make
