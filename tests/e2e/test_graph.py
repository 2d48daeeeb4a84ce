"""`gcpkit graph`: every pattern drawn in every format (Mermaid and DOT always, SVG and PNG when Graphviz
is installed), grouped by tier, region and zone, with an arrow per dependency, and no API call; a
deployment drawn from its state, coloured by status; Graphviz missing is bad input (exit 2)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from e2e_helpers import start_emulator
from typer.testing import CliRunner

from gcpkit.cli.main import app
from gcpkit.constants import EMULATOR_HOST_ENV
from gcpkit.patterns.loader import list_patterns

PATTERNS = [p.name for p in list_patterns()]
ARGS = {"snapshot-to-mig": ["--set", "source_instance=web-1", "--set", "domain=example.com"]}
TIER_OF = {"compute.v1.instance": "Compute", "compute.v1.network": "Network and edge",
           "compute.v1.globalForwardingRule": "Network and edge", "dns.v1.managedZone": "Network and edge",
           "compute.v1.regionInstanceGroupManager": "Compute", "sqladmin.v1.instance": "Data",
           "storage.v1.bucket": "Data", "compute.v1.disk": "Data", "iam.v1.serviceAccount": "Identity and access",
           "container.v1.cluster": "Compute", "firestore.v1.database": "Data", "appengine.v1.version": "Compute"}
TIERS = {"Network and edge", "Compute", "Data", "Identity and access", "Other"}
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def _rendered(runner, pattern: str) -> tuple[dict[str, dict], set[tuple[str, str]]]:
    """What the diagram must show, read from `gcpkit render`: resources, and (resource, dependency) edges
    from $(ref.NAME...) and metadata.dependsOn."""
    result = runner.invoke(app, ["render", pattern, "--project", "demo", *ARGS.get(pattern, [])])
    assert result.exit_code == 0, result.output
    resources = {r["name"]: r for r in yaml.safe_load(result.stdout)["resources"]}
    edges = set()
    for name, r in resources.items():
        refs = set(re.findall(r"\$\(ref\.([a-z0-9-]+)\.", yaml.safe_dump(r.get("properties"))))
        edges |= {(name, dep) for dep in refs | set((r.get("metadata") or {}).get("dependsOn", []))}
    return resources, edges


def _graph(runner, *args: str):
    result = runner.invoke(app, ["graph", *args])
    assert result.exit_code == 0, result.output
    return result


def _mermaid(text: str) -> tuple[dict[str, tuple[str, list[str]]], set[tuple[str, str]], dict[str, str]]:
    """node id -> (label, enclosing subgraph titles outermost first); edges by id; id -> status class."""
    nodes, edges, classes, stack = {}, set(), {}, []
    for line in text.splitlines()[4:]:
        if m := re.fullmatch(r'\s*subgraph \w+\["([^"]+)"\]', line):
            stack.append(m.group(1))
        elif line.strip() == "end":
            stack.pop()
        elif m := re.fullmatch(r'\s*(n_\w+)\["([^"]+)"\]', line):
            nodes[m.group(1)] = (m.group(2), list(stack))
        elif m := re.fullmatch(r"\s*(n_\w+) --> (n_\w+)", line):
            edges.add((m.group(1), m.group(2)))
        elif m := re.fullmatch(r"\s*class ([\w,]+) (\w+)", line):
            classes.update({node: m.group(2) for node in m.group(1).split(",")})
        else:
            assert re.fullmatch(r"\s*classDef \w+ .+", line), f"unexpected line {line!r}"
    assert stack == []
    return nodes, edges, classes


def _dot(text: str) -> tuple[dict[str, tuple[str, list[str], str]], set[tuple[str, str]]]:
    """node name -> (label, enclosing cluster labels outermost first, fill colour); edges by name."""
    nodes, edges, stack = {}, set(), []
    for line in text.splitlines()[1:-1]:
        if re.fullmatch(r'\s*subgraph "cluster_[^"]+" \{', line):
            stack.append(None)
        elif m := re.match(r'\s*label="([^"]+)"; style=', line):
            stack[-1] = m.group(1)
        elif line.strip() == "}":
            stack.pop()
        elif m := re.match(r'\s*"([^"]+)" \[label="([^"]+)", fillcolor="([^"]+)"', line):
            nodes[m.group(1)] = (m.group(2), list(stack), m.group(3))
        elif m := re.fullmatch(r'\s*"([^"]+)" -> "([^"]+)";', line):
            edges.add((m.group(1), m.group(2)))
    assert stack == []
    return nodes, edges


def _mid(name: str) -> str:
    return "n_" + name.replace("-", "_")


@pytest.mark.parametrize("pattern", PATTERNS)
def test_mermaid_of_every_pattern_groups_by_tier_and_zone_with_an_arrow_per_dependency(cli, pattern):
    runner, emu = cli
    resources, edges = _rendered(runner, pattern)
    mark = emu.mark()
    text = _graph(runner, pattern, "--project", "demo", *ARGS.get(pattern, [])).stdout
    assert emu.since(mark) == []  # a pattern's picture calls no API
    assert text.splitlines()[:4] == ["---", f"title: pattern {pattern} (deployment {pattern})", "---", "flowchart LR"]
    nodes, drawn, classes = _mermaid(text)
    assert set(nodes) == {_mid(n) for n in resources}
    assert drawn == {(_mid(a), _mid(b)) for a, b in edges}
    assert classes == {}  # a design has no status
    for name, r in resources.items():
        label, groups = nodes[_mid(name)]
        assert label == f"{name}<br/>{r['type']}"
        assert groups[0] in TIERS
        assert groups[0] == TIER_OF.get(r["type"], groups[0])
        zone = (r.get("properties") or {}).get("zone")
        if zone:
            assert groups[1:] == [f"region {zone.rsplit('-', 1)[0]}", f"zone {zone}"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_dot_of_every_pattern_has_clusters_nodes_and_edges(cli, pattern):
    runner, _ = cli
    resources, edges = _rendered(runner, pattern)
    text = _graph(runner, pattern, "--project", "demo", "--format", "dot", *ARGS.get(pattern, [])).stdout
    assert text.startswith(f'digraph "pattern {pattern} (deployment {pattern})" {{\n')
    nodes, drawn = _dot(text)
    assert set(nodes) == set(resources)
    assert drawn == edges
    for name, r in resources.items():
        label, clusters, _ = nodes[name]
        assert label == f"{name}\\n{r['type']}"
        assert clusters[0] == TIER_OF.get(r["type"], clusters[0]) and clusters[0] in TIERS
    if shutil.which("dot"):  # Graphviz accepts it as it is
        checked = subprocess.run(["dot", "-Tcanon"], input=text.encode(), capture_output=True, check=False)
        assert checked.returncode == 0, checked.stderr.decode()


@NEEDS_DOT
@pytest.mark.parametrize("pattern", PATTERNS)
def test_svg_and_png_of_every_pattern(cli, pattern, tmp_path):
    runner, _ = cli
    resources, _ = _rendered(runner, pattern)
    svg = _graph(runner, pattern, "--project", "demo", "--format", "svg", *ARGS.get(pattern, [])).stdout
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for name in resources:
        assert name in texts
    png = tmp_path / "arch.png"
    wrote = _graph(runner, pattern, "--project", "demo", "-o", str(png), *ARGS.get(pattern, []))
    assert wrote.stderr == f"Wrote {png} (png, {len(resources)} resource(s)).\n"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_pattern_graph_loads_no_google_client_library():
    """The strongest proof that drawing calls no API: the libraries that could are never imported."""
    probe = ("import sys\nfrom typer.testing import CliRunner\nfrom gcpkit.cli.main import app\n"
             "r = CliRunner().invoke(app, ['graph', 'gce-sql-gcs', '--project', 'demo', '-f', 'dot'])\n"
             "assert r.exit_code == 0, r.output\n"
             "print(sorted(m for m in sys.modules if m.startswith(('googleapiclient', 'google.cloud', "
             "'google.auth', 'kubernetes'))))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


@pytest.mark.parametrize("args", [["--format", "svg"], ["-o", "arch.png"]])
def test_svg_or_png_without_graphviz_is_bad_input(cli, monkeypatch, tmp_path, args):
    runner, _ = cli
    empty = tmp_path / "no-graphviz"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = runner.invoke(app, ["graph", "gce-custom", "--project", "demo", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: --format: SVG and PNG need Graphviz's `dot`, which is not on PATH",
        "hint: install Graphviz (apt-get install graphviz, or brew install graphviz), or use --format dot or mermaid"]
    assert not Path("arch.png").exists()


@pytest.fixture
def faulty_cli(tmp_path, monkeypatch):
    """An emulator whose first subnet create fails (QUOTA_EXCEEDED), for a deployment with every status."""
    handle = start_emulator(tmp_path, faults={"rules": [{"method_id": "compute.subnetworks.insert",
                                                         "operation_error": "QUOTA_EXCEEDED", "times": 1}]})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
    yield CliRunner(), handle
    handle.server.stop()


def test_a_deployment_is_coloured_by_status_from_its_state(faulty_cli):
    runner, _ = faulty_cli
    up = ["up", "gce-custom", "--deployment", "shop", "--emulator", "--project", "demo", "--yes"]
    failed = runner.invoke(app, [*up, "--set", "extra_disk_size_gb=10"])
    assert failed.exit_code == 1, failed.output

    # "shop" is no pattern: the name means the deployment
    _, _, classes = _mermaid(_graph(runner, "shop").stdout)
    assert classes == {_mid("shop-net"): "created", _mid("shop-allow-http"): "created",
                       _mid("shop-allow-ssh"): "created", _mid("shop-vm-1-data"): "created",
                       _mid("shop-subnet"): "failed", _mid("shop-vm-1"): "pending"}
    nodes, _ = _dot(_graph(runner, "--deployment", "shop", "-f", "dot").stdout)
    assert nodes["shop-subnet"][0] == "shop-subnet\\ncompute.v1.subnetwork\\n(failed)"
    assert {name: fill for name, (_, _, fill) in nodes.items()
            if not name.startswith("status: ")} == {
        "shop-net": "#d4edda", "shop-allow-http": "#d4edda", "shop-allow-ssh": "#d4edda",
        "shop-vm-1-data": "#d4edda", "shop-subnet": "#f8d7da", "shop-vm-1": "#fff3cd"}

    resumed = runner.invoke(app, up)  # the data disk is no longer wanted: deleted
    assert resumed.exit_code == 0, resumed.output
    _, _, classes = _mermaid(_graph(runner, "gce-custom", "--deployment", "shop").stdout)
    assert classes[_mid("shop-vm-1-data")] == "deleted"
    assert {c for n, c in classes.items() if n != _mid("shop-vm-1-data")} == {"created"}


def test_a_pattern_name_means_the_pattern_even_when_a_deployment_has_it(cli):
    runner, _ = cli
    assert runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", "demo", "--yes"]).exit_code == 0
    _, _, classes = _mermaid(_graph(runner, "gce-custom", "--project", "demo").stdout)
    assert classes == {}
    _, _, classes = _mermaid(_graph(runner, "--deployment", "gce-custom").stdout)
    assert set(classes.values()) == {"created"}


@pytest.mark.parametrize("args, message", [
    (["nothing-here"], "error: unknown pattern 'nothing-here'; available: "),
    (["--deployment", "nope"], "error: no deployment named 'nope' in the state (known: none)"),
    ([], "error: nothing to draw"),
])
def test_unknown_names_are_bad_input(cli, args, message):
    runner, emu = cli
    mark = emu.mark()
    result = runner.invoke(app, ["graph", *args])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(message)
    assert emu.since(mark) == []


def test_a_deployment_is_drawn_as_applied_not_with_new_parameters(cli):
    runner, _ = cli
    assert runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", "demo", "--yes"]).exit_code == 0
    result = runner.invoke(app, ["graph", "--deployment", "gce-custom", "--set", "vm_count=2"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == ("error: --set: --set and --values change a pattern's design; "
                                             "a deployment is drawn as last applied")
