"""RateGovernor's unpaced-until-throttled mode (what each Target uses) and its wiring into the calls."""

from __future__ import annotations

import pytest

from gcpkit.execution.retry import RateGovernor


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def test_unpaced_governor_costs_nothing_until_throttled():
    t = FakeTime()
    gov = RateGovernor(rate=20, max_rate=1000, clock=t.clock, sleep=t.sleep, unpaced_until_throttled=True)
    assert [gov.acquire() for _ in range(100)] == [0.0] * 100
    assert t.sleeps == []


def test_first_throttle_starts_pacing_near_what_got_through():
    t = FakeTime()
    gov = RateGovernor(rate=20, max_rate=1000, decrease=0.5, increase=0, clock=t.clock, sleep=t.sleep,
                       unpaced_until_throttled=True)
    for _ in range(80):  # 8 successes per second, then the server says 429
        t.now += 0.125
        gov.on_success()
    t.now += 0.5
    gov.on_throttled()
    assert gov.paced
    assert gov.rate == pytest.approx(5 * 0.5)  # the 5 successes of the last second (9.5..10), halved
    gov.on_throttled()  # within the cooldown: not cut again
    assert gov.rate == pytest.approx(2.5)
    gov.acquire()
    waits = [gov.acquire() for _ in range(3)]
    assert waits == [pytest.approx(1 / 2.5)] * 3


def test_first_throttle_never_goes_below_min_rate():
    t = FakeTime()
    gov = RateGovernor(rate=20, min_rate=2, clock=t.clock, sleep=t.sleep, unpaced_until_throttled=True)
    gov.on_throttled()
    assert gov.rate == 2


def test_target_shares_one_governor_and_google_api_finds_it():
    from gcpkit.clients import Target
    from gcpkit.providers import google_api

    target = Target(project="p", endpoints={"compute": "http://127.0.0.1:1", "dns": "http://127.0.0.1:1/dns/"})
    assert target.governor() is target.governor()
    assert not target.governor().paced

    class Http:
        gcpkit_governor = target.governor()

    class Request:
        method = "POST"
        http = Http()

        def execute(self):
            return {"ok": True}

    seen = []
    gov = target.governor()
    gov.on_success = lambda: seen.append("success")
    assert google_api.execute(Request()) == {"ok": True}
    assert seen == ["success"]
    Request.method = "GET"
    assert google_api.execute(Request()) == {"ok": True}
    assert seen == ["success"]  # reads are not paced


def test_discovery_clients_carry_their_targets_governor():
    from gcpkit.clients import Target

    target = Target(project="p", endpoints={"dns": "http://127.0.0.1:1/dns/v1/"})
    client = target.discovery("dns", "v1")
    request = client.managedZones().create(project="p", body={"name": "z"})
    assert request.http.gcpkit_governor is target.governor()
