"""Each step of snapshot-to-mig failing once (a fault injected in the emulator): exit 1 naming that root
cause only, the independent branches finish, and a re-run completes creating only what was missing, with
no duplicate. Bad flags: exit 2, one clear line, no API call at all."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import compute_client, start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV

PROJECT = "s2m-faults"
ZONE = "us-central1-a"
VM = "gce-custom-vm-1"
DEP = "web"
CMD = ["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--deployment", DEP, "--emulator", "--project",
       PROJECT, "--yes", "--domain", "example.com", "--min", "1", "--max", "3"]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
QUOTA_403 = {"status": 403, "reason": "quotaExceeded", "message": "Quota exceeded for quota metric 'Managed zones'"}

# (method that fails, the resource it fails, the fault)
STEPS = [
    ("compute.instances.stop", "source", {"operation_error": "INTERNAL_ERROR_NOT_RETRIED"}),
    ("compute.snapshots.insert", "snapshot", {"operation_error": "QUOTA_EXCEEDED", "quota": "SNAPSHOTS"}),
    ("compute.instances.start", "restart", {"operation_error": "ZONE_RESOURCE_POOL_EXHAUSTED"}),
    ("compute.images.insert", "image", {"operation_error": "QUOTA_EXCEEDED", "quota": "IMAGES"}),
    ("compute.instanceTemplates.insert", "template", {"operation_error": "QUOTA_EXCEEDED",
                                                      "quota": "INSTANCE_TEMPLATES"}),
    ("compute.regionInstanceGroupManagers.insert", "mig", {"operation_error": "QUOTA_EXCEEDED",
                                                           "quota": "INSTANCE_GROUP_MANAGERS"}),
    ("compute.regionAutoscalers.insert", "autoscaler", {"operation_error": "QUOTA_EXCEEDED", "quota": "AUTOSCALERS"}),
    ("compute.firewalls.insert", "allow-health-checks", {"operation_error": "QUOTA_EXCEEDED", "quota": "FIREWALLS",
                                                         "nth": 3}),  # after gce-custom's two
    ("compute.healthChecks.insert", "hc", {"operation_error": "QUOTA_EXCEEDED", "quota": "HEALTH_CHECKS"}),
    ("compute.backendServices.insert", "backend", {"operation_error": "QUOTA_EXCEEDED",
                                                   "quota": "BACKEND_SERVICES"}),
    ("compute.urlMaps.insert", "url-map", {"operation_error": "QUOTA_EXCEEDED", "quota": "URL_MAPS"}),
    ("compute.targetHttpProxies.insert", "http-proxy", {"operation_error": "QUOTA_EXCEEDED",
                                                        "quota": "TARGET_HTTP_PROXIES"}),
    ("compute.globalAddresses.insert", "ip", {"operation_error": "QUOTA_EXCEEDED",
                                              "quota": "STATIC_ADDRESSES"}),
    ("compute.globalForwardingRules.insert", "http-rule", {"operation_error": "QUOTA_EXCEEDED",
                                                           "quota": "FORWARDING_RULES"}),
    ("dns.managedZones.create", "zone", {"error": QUOTA_403}),
    ("dns.changes.create", "dns-apex|dns-www", {"error": QUOTA_403}),
]
# What each resource's creation calls (to count that nothing is created twice).
CREATES = {
    "compute.snapshots.insert", "compute.images.insert", "compute.instanceTemplates.insert",
    "compute.regionInstanceGroupManagers.insert", "compute.regionAutoscalers.insert", "compute.firewalls.insert",
    "compute.healthChecks.insert", "compute.backendServices.insert", "compute.urlMaps.insert",
    "compute.targetHttpProxies.insert", "compute.globalAddresses.insert", "compute.globalForwardingRules.insert",
    "dns.managedZones.create",
}


@pytest.fixture
def make_cli(tmp_path, monkeypatch):
    servers = []

    def make(faults=None):
        handle = start_emulator(tmp_path, faults=faults)
        servers.append(handle)
        monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
        return CliRunner(), handle

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    yield make
    for handle in servers:
        handle.server.stop()


def _successful(calls: list[dict]) -> list[str]:
    return [c["method_id"] for c in calls if c["method"] in MUTATING and c["status"] == 200]


@pytest.mark.parametrize("method_id,resource,fault", STEPS, ids=[s[1] for s in STEPS])
def test_a_failed_step_names_its_root_cause_and_a_rerun_completes_without_duplicates(make_cli, method_id,
                                                                                         resource, fault):
    runner, emu = make_cli({"rules": [{"method_id": method_id, "times": 1, **fault}]})
    made = runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", PROJECT, "--zone", ZONE, "--yes"])
    assert made.exit_code == 0, made.output

    mark = emu.mark()
    failed = runner.invoke(app, CMD)
    assert failed.exit_code == 1, failed.output
    errors = [line for line in failed.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2, failed.output  # the root cause, then the summary
    names = [f"{DEP}-{r}" for r in resource.split("|")]
    assert any(errors[0].startswith(f"error: {n}: ") for n in names), errors[0]
    code = (fault.get("operation_error") or "HTTP 403")
    assert code in errors[0]
    assert errors[1].startswith("error: 1 resource(s) failed")
    assert "run `gcpkit snapshot-to-mig --instance gce-custom-vm-1" in failed.output
    first = emu.since(mark)
    assert method_id in [c["method_id"] for c in first]
    # an independent branch finished regardless: the health check, unless it is what failed
    if resource != "hc":
        assert compute_client(emu, "HealthChecksClient").get(project=PROJECT, health_check=f"{DEP}-hc").name

    mark = emu.mark()
    resumed = runner.invoke(app, [*CMD, "-o", "json"])
    assert resumed.exit_code == 0, resumed.output
    plan = {row["resource"]: row["action"] for row in json.loads(resumed.stdout)["plan"]}
    assert [n for n in names if plan[n] == "create"] == [n for n in names if errors[0].startswith(f"error: {n}: ")]
    second = emu.since(mark)
    # nothing was created twice: every create call was accepted once over both runs (plus the injected
    # operation failure, which the API accepts with HTTP 200 before its operation fails)
    failed_op = [method_id] if "operation_error" in fault else []
    accepted = _successful(first) + _successful(second)
    assert sorted(m for m in accepted if m in CREATES) == sorted([*CREATES, *[m for m in failed_op if m in CREATES]])
    assert accepted.count("dns.changes.create") == 2
    # the source VM ends running, stopped and started once by this deployment
    assert accepted.count("compute.instances.stop") == 1 + failed_op.count("compute.instances.stop")
    assert accepted.count("compute.instances.start") == 1 + failed_op.count("compute.instances.start")
    vm = compute_client(emu, "InstancesClient").get(project=PROJECT, zone=ZONE, instance=VM)
    assert vm.status == "RUNNING"
    managed = list(compute_client(emu, "RegionInstanceGroupManagersClient").list_managed_instances(
        project=PROJECT, region="us-central1", instance_group_manager=f"{DEP}-mig"))
    assert len(managed) == 1


def _flags(*extra: str) -> list[str]:
    return ["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--emulator", "--project", PROJECT, "--yes",
            *extra]


UP = ["up", "snapshot-to-mig", "--emulator", "--project", PROJECT, "--zone", ZONE, "--yes"]
BAD = [
    (_flags("--min", "5", "--max", "2"), "error: --max: --max 2 is below --min 5"),
    (_flags("--min", "0"), "error: --min: 0 is below 1"),
    (_flags("--size", "9"), "error: --size: 9 is outside --min 2 .. --max 5"),
    (_flags("--target-cpu", "1.5"), "error: --target-cpu: 1.5 is not a share of CPU: give a number above 0 and "
                                    "at most 1 (0.6 = 60 %)"),
    (_flags("--target-cpu", "0"), "error: --target-cpu: 0 is not a share of CPU"),
    (_flags("--cooldown", "-1"), "error: --cooldown: -1 is not a number of seconds from 0 to 3600"),
    (_flags("--port", "70000"), "error: --port: 70000 is not a port number (1-65535)"),
    (_flags("--health-path", "healthz"), "error: --health-path: 'healthz' is not a URL path (e.g. /healthz)"),
    (_flags("--host-rule", "api.example.com/v1:web"),
     "error: --host-rule api.example.com/v1:web: expected HOST=PATH_PREFIX:BACKEND"),
    (_flags("--host-rule", "api.example.com=v1:web"),
     "error: --host-rule api.example.com=v1:web: 'v1' is not a path prefix: start it with / and leave out *, ? and #"),
    (_flags("--host-rule", "api.example.com=/v1:api"),
     "error: --host-rule api.example.com=/v1:api: unknown backend 'api'; for now the only backend is 'web' "
     "(the instance group)"),
    (_flags("--host-rule", "api_x.example.com=/v1:web"),
     "error: --host-rule api_x.example.com=/v1:web: 'api_x.example.com' is not a host name"),
    (_flags("--host-rule", "a.example.com=/v1:web", "--host-rule", "a.example.com=/v1/:web"),
     "error: --host-rule a.example.com=/v1/:web: the path /v1/ is given twice for a.example.com"),
    (_flags("--domain", "example"), "error: --domain: 'example' is not a domain name (e.g. example.com)"),
    (["snapshot-to-mig", "--instance", "Bad_VM", "--zone", ZONE, "--emulator", "--project", PROJECT, "--yes"],
     "error: --instance: 'Bad_VM' is not an instance name"),
    (["snapshot-to-mig", "--instance", VM, "--zone", "us-central1-z", "--emulator", "--project", PROJECT,
      "--yes"], "error: --zone: unknown zone 'us-central1-z'; the zones of us-central1 are"),
    (["snapshot-to-mig", "--instance", VM, "--zone", "mars-north1-a", "--emulator", "--project", PROJECT,
      "--yes"], "error: --zone: unknown zone 'mars-north1-a': unknown region 'mars-north1'"),
    (_flags("--region", "europe-west1"), "error: --zone: zone us-central1-a is not in region europe-west1"),
    (_flags("--deployment", "Web"), "error: --deployment: invalid deployment name 'Web'"),
    (["snapshot-to-mig", "--instance", VM, "--zone", ZONE, "--emulator", "--project", PROJECT],
     "error: --yes: no terminal to confirm on"),
    ([*UP, "--set", f"source_instance={VM}", "--set", "min_replicas=5", "--set", "max_replicas=2"],
     "max_replicas (2) is below min_replicas (5)"),
    ([*UP, "--set", f"source_instance={VM}", "--set", "target_size=9"],
     "target_size (9) must be between min_replicas (2) and max_replicas (5)"),
    ([*UP, "--set", f"source_instance={VM}", "--set", "host_rules=api.example.com:/v1"],
     'host_rules: "api.example.com:/v1" is not HOST=PATH_PREFIX:BACKEND'),
    ([*UP, "--set", f"source_instance={VM}", "--set", "host_rules=a.example.com=/x:db"],
     'host_rules: "a.example.com=/x:db": unknown backend "db"; the backends are: web'),
    ([*UP, "--set", f"source_instance={VM}", "--set", "target_cpu=1.5"],
     "error: parameter target_cpu: 1.5 is above the maximum 1"),
    ([*UP], "error: parameter source_instance: required but not set"),
]


@pytest.mark.parametrize("args,expected", BAD, ids=[" ".join(a[3:5] if a[0] == "up" else a[5:7]) + f"-{i}"
                                                    for i, (a, _) in enumerate(BAD)])
def test_bad_flags_exit_2_with_one_line_and_no_call(make_cli, args, expected):
    runner, emu = make_cli()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert all(line.startswith(("error:", "hint:")) for line in lines), result.output
    assert expected in errors[0], errors[0]
    assert emu.requests() == []
