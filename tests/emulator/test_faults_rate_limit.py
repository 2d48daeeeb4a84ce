"""The rate_limit fault rule: at most N mutating calls per second, 429 rateLimitExceeded beyond."""

from __future__ import annotations

import pytest

from gcpkit.emulator.core.errors import ConfigError
from gcpkit.emulator.core.faults import Faults

PATH = "/compute/v1/projects/p/global/firewalls"


def test_rate_limit_lets_n_mutating_calls_through_per_second(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("gcpkit.emulator.core.faults.time.monotonic", lambda: now[0])
    faults = Faults({"rules": [{"api": "compute", "rate_limit": 3}]})
    answers = [faults.before("compute", "POST", "compute.firewalls.insert", PATH)[0] for _ in range(5)]
    assert [a is None for a in answers] == [True, True, True, False, False]
    assert answers[3].code == 429 and answers[3].to_body()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    # reads and operation waits are not counted, nor throttled
    assert faults.before("compute", "GET", "compute.firewalls.get", PATH + "/x")[0] is None
    assert faults.before("compute", "POST", "compute.globalOperations.wait", PATH)[0] is None
    now[0] += 1.0  # a second later the window has room again
    assert faults.before("compute", "DELETE", "compute.firewalls.delete", PATH + "/x")[0] is None
    assert faults.rules[0].fired == 2
    faults.reset()
    assert faults.rules[0].fired == 0 and not faults.rules[0].window


def test_rate_limit_respects_match_keys():
    faults = Faults({"rules": [{"method_id": "compute.networks.insert", "rate_limit": 1}]})
    for _ in range(3):
        assert faults.before("compute", "POST", "compute.firewalls.insert", PATH)[0] is None


@pytest.mark.parametrize("value", [0, -1, "fast", True])
def test_rate_limit_must_be_positive(value):
    with pytest.raises(ConfigError, match="rate_limit must be"):
        Faults({"rules": [{"rate_limit": value}]})


def test_rate_limit_over_http(make_emulator):
    import requests

    server = make_emulator(faults={"rules": [{"api": "compute", "rate_limit": 2}]})
    base = server.endpoints()["compute"].rstrip("/")
    statuses = [requests.post(f"{base}/compute/v1/projects/p/global/firewalls",
                              json={"name": f"fw{i}", "network": "global/networks/default"}).status_code
                for i in range(4)]
    assert statuses.count(429) >= 1 and 429 not in statuses[:2]
