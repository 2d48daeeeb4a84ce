"""Bad input: exit code 2, one clear line naming what is wrong and where, and no API request at all."""

from __future__ import annotations

import pytest

from gcpkit.cli.main import app

P = ["--emulator", "--project", "bad-input"]

GOOD_RESOURCE = """\
- name: {{ env.deployment }}-net
  type: compute.v1.network
  properties: {autoCreateSubnetworks: false}
"""

CUSTOM = {
    "cycle": """resources:
- name: a-net
  type: compute.v1.network
  properties: {description: $(ref.b-net.name)}
- name: b-net
  type: compute.v1.network
  properties: {description: $(ref.a-net.name)}
""",
    "unknown-type": "resources:\n- name: x-thing\n  type: compute.v1.teleporter\n  properties: {}\n",
    "yaml-error": "resources:\n- name: x\n  type: [unclosed\n",
    "unknown-field": "resources:\n- name: x-net\n  type: compute.v1.network\n  properties: {autoSubnets: true}\n",
    "unknown-ref": "resources:\n" + GOOD_RESOURCE + "- name: x-fw\n  type: compute.v1.firewall\n"
                   "  properties: {network: $(ref.nope-net.selfLink)}\n",
    "jinja-error": "resources:\n{{ properties.missing_param }}\n",
    "bad-name": "resources:\n- name: Bad_Name\n  type: compute.v1.network\n  properties: {}\n",
}

CASES = [
    (["up", "no-such-pattern", *P, "--yes"], "no-such-pattern"),
    (["up", "gce-custom", *P, "--yes", "--set", "vm_cout=2"], "vm_cout"),
    (["up", "gce-custom", *P, "--yes", "--set", "vm_count"], "vm_count"),
    (["up", "gce-custom", *P, "--yes", "--set", "vm_count=many"], "vm_count"),
    (["up", "gce-custom", *P, "--yes", "--set", "vm_count=0"], "vm_count"),
    (["up", "gce-custom", *P, "--yes", "--set", "ssh_source_range=everywhere"], "ssh_source_range"),
    (["up", "gce-custom", *P, "--yes", "--zone", "nowhere"], "--zone"),
    (["up", "gce-custom", *P, "--yes", "--zone", "us-central9-a"], "--zone"),
    (["up", "gce-custom", *P, "--yes", "--region", "europe-west1", "--zone", "us-central1-a"], "--zone"),
    (["up", "gce-custom", *P, "--yes", "--deployment", "Bad_Name"], "--deployment"),
    (["up", "gce-custom", "--emulator", "--yes"], "project"),
    (["up", "gce-custom", *P], "--yes"),
    (["up", "gce-custom", *P, "--yes", "--values", "missing.yaml"], "missing.yaml"),
    (["up", "gce-custom", *P, "--yes", "--endpoints", "endpoints.json"], "--endpoints"),
    (["plan", "gce-custom", "--project", "x", "--endpoints", "missing.json"], "missing.json"),
    (["destroy", "deployment", "never-made", *P, "--yes"], "never-made"),
    (["outputs", "never-made"], "never-made"),
] + [(["up", f"./{name}", *P, "--yes"], expected) for name, expected in [
    ("cycle", "a-net"), ("unknown-type", "compute.v1.teleporter"), ("yaml-error", "pattern.yaml (rendered) line"),
    ("unknown-field", "autoSubnets"), ("unknown-ref", "nope-net"), ("jinja-error", "missing_param"),
    ("bad-name", "Bad_Name")]]


@pytest.mark.parametrize("args,names", CASES, ids=[" ".join(c[0][:2] + c[0][-1:]) for c in CASES])
def test_bad_input_exits_2_with_one_line_and_no_call(cli, tmp_path, args, names):
    runner, emu = cli
    for name, text in CUSTOM.items():
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        (folder / "pattern.yaml").write_text(text)
        (folder / "schema.yaml").write_text("description: a test pattern\nproperties: {}\n")
    (tmp_path / "endpoints.json").write_text('{"compute": "http://127.0.0.1:9"}')
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert all(line.startswith(("error:", "hint:")) for line in lines), result.output
    assert names in errors[0], result.output
    assert emu.requests() == []
