"""Bad input: exit code 2, one clear line naming what is wrong and where, and no API request at all.

Each case is a command a user could type, run through the CLI against a fresh emulator whose request log
must stay empty. Its output must be exactly one `error:` line holding every `names` substring (the
parameter, flag, file:line or resource at fault), optionally followed by `hint:` lines, nothing else.
Every input file the cases read (patterns, values, state files, corrupt ones included) must be
byte-identical afterwards, with no SQLite journal left beside a state file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gcpkit.cli.main import app
from gcpkit.state import SCHEMA_VERSION, LocalState

P = ["--emulator", "--project", "bad-input"]
UP = ["up", "gce-custom", *P, "--yes"]
GKE = ["up", "gke-datastore", *P, "--yes"]
GAE = ["up", "appengine", *P, "--yes"]
MIG = ["up", "snapshot-to-mig", *P, "--yes", "--set", "source_instance=web-1"]
MIG_CMD = ["snapshot-to-mig", "--instance", "web-1", "--zone", "us-central1-a", *P, "--yes"]

NET = "- name: {name}\n  type: compute.v1.network\n  properties: {{}}\n"

# Custom pattern folders (pattern.yaml; schema.yaml is a minimal valid one unless given here).
CUSTOM = {
    "cycle": """resources:
- name: a-net
  type: compute.v1.network
  properties: {description: $(ref.b-net.name)}
- name: b-net
  type: compute.v1.network
  properties: {description: $(ref.a-net.name)}
""",
    "cycle-of-three": """resources:
- name: a-net
  type: compute.v1.network
  properties: {}
  metadata: {dependsOn: [c-net]}
- name: b-net
  type: compute.v1.network
  properties: {description: $(ref.a-net.name)}
- name: c-net
  type: compute.v1.network
  properties: {description: $(ref.b-net.name)}
""",
    "self-dependency": "resources:\n- name: a-net\n  type: compute.v1.network\n  properties: {}\n"
                       "  metadata: {dependsOn: [a-net]}\n",
    "unknown-type": "resources:\n- name: x-thing\n  type: compute.v1.teleporter\n  properties: {}\n",
    "yaml-error": "resources:\n- name: x-net\n\ttype: compute.v1.network\n",  # a tab: YAML forbids it
    "empty": "",
    "unknown-key": "resources:\n- name: a-net\n  typ: compute.v1.network\n  properties: {}\n",
    "unknown-property": "resources:\n- name: x-net\n  type: compute.v1.network\n  properties: {autoSubnets: true}\n",
    "unknown-ref": "resources:\n- name: a-net\n  type: compute.v1.network\n  properties: {}\n"
                   "- name: x-fw\n  type: compute.v1.firewall\n  properties: {network: $(ref.nope-net.selfLink)}\n",
    "unknown-ref-field": "resources:\n- name: a-net\n  type: compute.v1.network\n  properties: {}\n"
                         "- name: b-fw\n  type: compute.v1.firewall\n  properties: {network: $(ref.a-net.selfLnk)}\n",
    "malformed-ref": "resources:\n- name: a-net\n  type: compute.v1.network\n"
                     "  properties: {description: $(ref.a-net)}\n",
    "output-ref-field": "resources:\n" + NET.format(name="a-net")
                        + "outputs:\n- name: net-id\n  value: $(ref.a-net.idd)\n",
    "depends-on-unknown": "resources:\n- name: a-net\n  type: compute.v1.network\n  properties: {}\n"
                          "  metadata: {dependsOn: [ghost-net]}\n",
    "duplicate-name": "resources:\n" + NET.format(name="a-net") + NET.format(name="a-net"),
    "unknown-zone": "resources:\n- name: a-disk\n  type: compute.v1.disk\n"
                    "  properties: {zone: mars-east1-a, sizeGb: 10}\n",
    "jinja-undefined": "resources:\n{{ properties.missing_param }}\n",
    "jinja-syntax": "resources:\n{% for x in %}\n",
    "jinja-runtime": "resources:\n- name: a-net\n  type: compute.v1.network\n  properties:\n"
                     "    description: '{{ 1 // 0 }}'\n",
    "name-underscore": "resources:\n" + NET.format(name="Bad_Name"),
    "name-too-long": "resources:\n" + NET.format(name="n" * 64),
    "name-uppercase": "resources:\n" + NET.format(name="MyNet"),
    "name-digit-first": "resources:\n" + NET.format(name="1net"),
    "name-hyphen-last": "resources:\n" + NET.format(name="a-net-"),
    "schema-yaml-error": "resources: []\n",
}
SCHEMAS = {"schema-yaml-error": "description: a test pattern\nproperties:\n  size: {type: integer\n  zone: 1\n"}

VALUES = {
    "latin1.yaml": b"vm_count: 2\nmachine_type: caf\xe9\n",  # not UTF-8
    "list.yaml": b"- vm_count\n- 2\n",
    "syntax.yaml": b"vm_count: 2\nmachine_type: [e2-small\nspot: true\n",
    "syntax.json": b'{"vm_count": 2,\n "spot": }\n',
    "unknown.yaml": b"vm_count: 2\nvm_size: big\n",
    "wrong-type.yaml": b"vm_count: two\n",
    "endpoints.json": b'{"compute": "http://127.0.0.1:9"}',
    "endpoints-bad.json": b"{not json",
    "prices-bad.yaml": b"compute: {machine_hourly: {e2-small: cheap}}\n",
}


@dataclass(frozen=True)
class Case:
    args: list[str]
    names: tuple[str, ...]  # each must appear in the one error line
    files: dict[str, str] = field(default_factory=dict)  # extra files for this case only


def bad(id_: str, args: list[str], *names: str, files: dict[str, str] | None = None):
    return pytest.param(Case(args, names, files or {}), id=id_)


CASES = [
    # ---- patterns and parameters
    bad("unknown-pattern", ["up", "no-such-pattern", *P, "--yes"], "no-such-pattern"),
    bad("no-such-folder", ["up", "./nowhere", *P, "--yes"], "./nowhere", "no such pattern folder"),
    bad("unknown-param", [*UP, "--set", "vm_cout=2"], "vm_cout", "did you mean 'vm_count'"),
    bad("set-without-value", [*UP, "--set", "vm_count"], "vm_count", "KEY=VALUE"),
    bad("set-without-key", [*UP, "--set", "=3"], "'=3'", "KEY=VALUE"),
    bad("not-an-integer", [*UP, "--set", "vm_count=many"], "vm_count", "'many'"),
    bad("below-minimum", [*UP, "--set", "vm_count=0"], "vm_count", "below the minimum 1"),
    bad("above-maximum", [*UP, "--set", "vm_count=21"], "vm_count", "above the maximum 20"),
    bad("not-a-boolean", [*UP, "--set", "spot=maybe"], "spot", "'maybe'"),
    bad("cidr-format", [*UP, "--set", "ssh_source_range=everywhere"], "ssh_source_range", "'everywhere'"),
    bad("machine-type-format", [*UP, "--set", "machine_type=E2_SMALL"], "machine_type", "'E2_SMALL'"),
    bad("param-zone-unknown", [*UP, "--set", "zone=us-central1-z"], "us-central1-z", "gce-custom-vm-1"),
    # ---- zones, regions, project, deployment names
    bad("zone-not-a-zone", [*UP, "--zone", "nowhere"], "--zone", "'nowhere'"),
    bad("zone-unknown-region", [*UP, "--zone", "us-central9-a"], "--zone", "us-central9"),
    bad("region-unknown", [*UP, "--region", "mars-east1"], "--region", "mars-east1"),
    bad("region-zone-mismatch", [*UP, "--region", "europe-west1", "--zone", "us-central1-a"],
        "--zone", "not in region europe-west1"),
    bad("param-zone-vs-region-flag", [*UP, "--region", "europe-west1", "--set", "zone=us-central1-a"],
        "parameter zone", "in region us-central1", "--region is europe-west1"),
    bad("param-zone-vs-zone-flag", [*UP, "--zone", "us-central1-b", "--set", "zone=us-central1-a"],
        "parameter zone", "contradicts --zone us-central1-b"),
    bad("sql-param-region-vs-region-flag", ["up", "gce-sql", *P, "--yes", "--region", "us-east1",
                                            "--set", "region=us-central1"],
        "parameter region", "--region is us-east1"),
    bad("deployment-underscore", [*UP, "--deployment", "Bad_Name"], "--deployment", "Bad_Name"),
    bad("deployment-too-long", [*UP, "--deployment", "d" * 41], "--deployment", "1-40"),
    bad("deployment-digit-first", [*UP, "--deployment", "1web"], "--deployment", "'1web'"),
    bad("missing-project", ["up", "gce-custom", "--emulator", "--yes"], "no project given"),
    bad("project-not-an-id", ["up", "gce-custom", "--emulator", "--project", "My_Project", "--yes"],
        "project 'My_Project'", "not a project ID"),
    # ---- flags click rejects, and flags that conflict
    bad("output-unknown-format", [*UP, "--output", "xml"], "--output", "'xml'"),
    bad("parallelism-zero", ["plan", "gce-custom", *P, "--parallelism", "0"], "--parallelism"),
    bad("unknown-option", [*UP, "--colour"], "--colour"),
    bad("no-terminal-without-yes", ["up", "gce-custom", *P], "--yes", "no terminal"),
    bad("emulator-and-endpoints", [*UP, "--endpoints", "endpoints.json"], "--emulator and --endpoints"),
    bad("orphans-yes-without-delete", ["orphans", *P, "--yes"], "--yes", "only applies with --delete"),
    bad("emulator-data-and-in-memory", ["emulator", "start", "--data", "emu", "--in-memory"],
        "--data and --in-memory"),
    bad("destroy-project-yes-without-confirm", ["destroy", "project", "bad-input", *P[:1], "--yes"],
        "--confirm", "--yes needs --confirm"),
    bad("destroy-project-confirm-mismatch",
        ["destroy", "project", "bad-input", *P[:1], "--yes", "--confirm", "other-project"],
        "--confirm", "'other-project'"),
    # ---- files: values, endpoints, prices, config
    bad("values-missing", [*UP, "--values", "missing.yaml"], "missing.yaml"),
    bad("values-directory", [*UP, "--values", "values-dir"], "values-dir", "cannot read the values file"),
    bad("values-not-utf8", [*UP, "--values", "latin1.yaml"], "latin1.yaml", "not UTF-8"),
    bad("values-not-a-mapping", [*UP, "--values", "list.yaml"], "list.yaml", "must be a mapping"),
    bad("values-yaml-syntax", [*UP, "--values", "syntax.yaml"], "syntax.yaml:3", "not valid YAML"),
    bad("values-json-syntax", [*UP, "--values", "syntax.json"], "syntax.json:2", "not valid JSON"),
    bad("values-unknown-param", [*UP, "--values", "unknown.yaml"], "unknown.yaml", "vm_size"),
    bad("values-wrong-type", [*UP, "--values", "wrong-type.yaml"], "vm_count", "'two'"),
    bad("endpoints-missing", ["plan", "gce-custom", "--project", "x", "--endpoints", "missing.json"],
        "missing.json"),
    bad("endpoints-not-json", ["plan", "gce-custom", "--project", "x", "--endpoints", "endpoints-bad.json"],
        "endpoints-bad.json", "not valid JSON"),
    bad("prices-not-a-number", [*UP, "--prices", "prices-bad.yaml"], "prices-bad.yaml", "e2-small", "'cheap'"),
    bad("config-yaml-syntax", UP, ".gcpkit/config.yaml:2", "not valid YAML",
        files={".gcpkit/config.yaml": "state: .gcpkit/state.db\n  prices: prices.yaml\n"}),
    bad("state-bucket-name", [*UP, "--state", "gs://Bad_Bucket/prod"], "--state", "Bad_Bucket"),
    # ---- state files: never overwritten (checked for every case below the table)
    bad("state-not-sqlite", [*UP, "--state", "not-sqlite.db"], "not-sqlite.db", "not an SQLite database"),
    bad("state-truncated", ["plan", "gce-custom", *P, "--state", "truncated.db"], "truncated.db", "corrupt"),
    bad("state-damaged-page", [*UP, "--state", "damaged.db"], "damaged.db", "corrupt"),
    bad("state-damaged-page-status", ["status", "--state", "damaged.db"], "damaged.db", "corrupt"),
    bad("state-newer-version", ["destroy", "deployment", "web", *P, "--yes", "--state", "newer.db"],
        "newer.db", f"schema {SCHEMA_VERSION + 1} > {SCHEMA_VERSION}"),
    bad("state-newer-version-up", [*UP, "--state", "newer.db"], "newer.db", "newer gcpkit"),
    bad("state-foreign-sqlite", ["outputs", "web", "--state", "foreign.db"], "foreign.db",
        "not a gcpkit state file"),
    bad("state-is-a-directory", [*UP, "--state", "state-dir"], "state-dir", "is a directory"),
    bad("destroy-unknown-deployment", ["destroy", "deployment", "never-made", *P, "--yes"], "never-made"),
    bad("outputs-unknown-deployment", ["outputs", "never-made"], "never-made"),
    # ---- custom patterns: YAML, Jinja, references, names, types
    bad("yaml-syntax", ["up", "./yaml-error", *P, "--yes"], "yaml-error/pattern.yaml (rendered) line 3"),
    bad("empty-pattern", ["up", "./empty", *P, "--yes"], "empty/pattern.yaml", "'resources'"),
    bad("schema-yaml-syntax", ["up", "./schema-yaml-error", *P, "--yes"], "schema-yaml-error/schema.yaml:4",
        "not valid YAML"),
    bad("jinja-undefined", ["up", "./jinja-undefined", *P, "--yes"], "jinja-undefined/pattern.yaml:2",
        "missing_param"),
    bad("jinja-syntax", ["up", "./jinja-syntax", *P, "--yes"], "jinja-syntax/pattern.yaml:2", "syntax error"),
    bad("jinja-runtime", ["up", "./jinja-runtime", *P, "--yes"], "jinja-runtime/pattern.yaml:5",
        "ZeroDivisionError"),
    bad("ref-cycle", ["up", "./cycle", *P, "--yes"], "dependency cycle", "a-net", "b-net"),
    bad("ref-cycle-of-three", ["up", "./cycle-of-three", *P, "--yes"], "a-net -> c-net -> b-net -> a-net"),
    bad("self-dependency", ["up", "./self-dependency", *P, "--yes"], "a-net -> a-net"),
    bad("ref-unknown-resource", ["up", "./unknown-ref", *P, "--yes"], "nope-net"),
    bad("ref-unknown-field", ["up", "./unknown-ref-field", *P, "--yes"], "b-fw", "'selfLnk'",
        "did you mean 'selfLink'"),
    bad("ref-malformed", ["up", "./malformed-ref", *P, "--yes"], "'a-net'", "malformed reference"),
    bad("output-ref-unknown-field", ["up", "./output-ref-field", *P, "--yes"], "output 'net-id'", "'idd'"),
    bad("depends-on-unknown", ["up", "./depends-on-unknown", *P, "--yes"], "ghost-net", "dependsOn"),
    bad("unknown-type", ["up", "./unknown-type", *P, "--yes"], "x-thing", "compute.v1.teleporter"),
    bad("unknown-resource-key", ["up", "./unknown-key", *P, "--yes"], "unknown-key/pattern.yaml (rendered) line 2",
        "'typ'"),
    bad("unknown-property", ["up", "./unknown-property", *P, "--yes"], "x-net", "autoSubnets"),
    bad("duplicate-name", ["up", "./duplicate-name", *P, "--yes"], "line 5", "'a-net' is defined twice"),
    bad("property-zone-unknown", ["up", "./unknown-zone", *P, "--yes"], "a-disk", "mars-east1-a"),
    bad("name-underscore", ["up", "./name-underscore", *P, "--yes"], "Bad_Name", "'_'"),
    bad("name-too-long", ["up", "./name-too-long", *P, "--yes"], "n" * 64, "too long (64 > 63)"),
    bad("name-uppercase", ["up", "./name-uppercase", *P, "--yes"], "MyNet", "'M', 'N'"),
    bad("name-digit-first", ["up", "./name-digit-first", *P, "--yes"], "'1net'", "start with a lowercase letter"),
    bad("name-hyphen-last", ["up", "./name-hyphen-last", *P, "--yes"], "'a-net-'", "must end with"),
    # ---- gcpkit graph and gcpkit render make no call either
    bad("graph-unknown-pattern", ["graph", "no-such-pattern"], "no-such-pattern"),
    bad("graph-cycle", ["graph", "./cycle-of-three"], "dependency cycle"),
    bad("graph-duplicate-name", ["graph", "./duplicate-name"], "'a-net' is defined twice"),
    bad("graph-unknown-format", ["graph", "gce-custom", "--format", "jpeg"], "--format", "'jpeg'"),
    bad("graph-bad-param", ["graph", "gce-custom", "--set", "vm_count=0"], "vm_count"),
    bad("graph-zone-region-mismatch", ["graph", "gce-custom", "--zone", "us-central1-a", "--region", "europe-west1"],
        "--zone", "europe-west1"),
    bad("render-jinja-runtime", ["render", "./jinja-runtime", "--project", "x"], "jinja-runtime/pattern.yaml:5"),
    bad("render-unknown-param", ["render", "gce-custom", "--project", "x", "--set", "vm_cout=1"], "vm_cout"),
    bad("render-missing-project", ["render", "gce-custom"], "no project given"),
    # ---- gke-datastore
    bad("gke-image-uppercase", [*GKE, "--set", "image=Docker.io/My/App:1"], "parameter image", "Docker.io/My/App"),
    bad("gke-image-bad-digest", [*GKE, "--set", "image=us-docker.pkg.dev/p/r/app@sha256:123"], "parameter image"),
    bad("gke-replicas-zero", [*GKE, "--set", "replicas=0"], "parameter replicas", "below the minimum 1"),
    bad("gke-surge-and-unavailable-zero", [*GKE, "--set", "max_surge=0", "--set", "max_unavailable=0"],
        "gke-datastore/pattern.yaml:", "max_surge and max_unavailable cannot both be 0"),
    bad("gke-surge-negative", [*GKE, "--set", "max_surge=-1"], "parameter max_surge"),
    bad("gke-min-above-max-nodes", [*GKE, "--set", "min_nodes=5", "--set", "max_nodes=2"],
        "gke-datastore/pattern.yaml:", "min_nodes 5 is above max_nodes 2"),
    bad("gke-node-count-outside", [*GKE, "--set", "node_count=9"], "node_count 9 is outside"),
    bad("gke-machine-type-format", [*GKE, "--set", "machine_type=E2-Medium"], "parameter machine_type", "E2-Medium"),
    bad("gke-location-unknown", [*GKE, "--set", "location=mars-east1"], "gke-datastore-gke", "mars-east1"),
    bad("gke-database-location-unknown", [*GKE, "--set", "database_location=mars-east1"],
        "gke-datastore-datastore", "locationId", "mars-east1"),
    bad("gke-memory-request-above-limit", [*GKE, "--set", "memory_request=1Gi", "--set", "memory_limit=256Mi"],
        "gke-datastore-deployment", "requests.memory", "1Gi", "256Mi"),
    bad("gke-location-vs-region-flag", [*GKE, "--region", "europe-west1", "--set", "location=us-central1"],
        "parameter location", "region us-central1", "--region is europe-west1"),
    bad("gke-regional-location-vs-zone-flag", [*GKE, "--zone", "europe-west1-b", "--set", "location=us-central1"],
        "--zone", "europe-west1-b is not in region us-central1"),
    bad("gke-release-channel", [*GKE, "--set", "release_channel=NIGHTLY"], "release_channel", "'NIGHTLY'"),
    bad("gke-container-port", [*GKE, "--set", "container_port=80"], "container_port", "below the minimum 1024"),
    # ---- appengine
    bad("gae-runtime-unknown", [*GAE, "--set", "runtime=python27"], "parameter runtime", "'python27'"),
    bad("gae-region-unknown", [*GAE, "--set", "region=mars-east1"], "appengine-app", "'mars-east1'"),
    bad("gae-region-vs-region-flag", [*GAE, "--region", "europe-west1", "--set", "region=us-central1"],
        "parameter region", "--region is europe-west1"),
    bad("gae-min-above-max", [*GAE, "--set", "min_instances=5", "--set", "max_instances=2"],
        "appengine/pattern.yaml:", "min_instances (5) is above max_instances (2)"),
    bad("gae-env-reserved", [*GAE, "--set", 'env_variables={"PORT": "1"}'], "env_variables", "PORT"),
    bad("gae-instance-class", [*GAE, "--set", "instance_class=F8"], "instance_class", "'F8'"),
    bad("gae-deployment-reserved-prefix", [*GAE, "--deployment", "ah-web"], "ah-web", '"ah-"'),
    # ---- snapshot-to-mig, as a pattern and as its own command
    bad("mig-source-missing", ["up", "snapshot-to-mig", *P, "--yes"], "parameter source_instance", "required"),
    bad("mig-source-uppercase", ["up", "snapshot-to-mig", *P, "--yes", "--set", "source_instance=Web_1"],
        "source_instance", "'Web_1'"),
    bad("mig-min-above-max", [*MIG, "--set", "min_replicas=5", "--set", "max_replicas=2"],
        "snapshot-to-mig/pattern.yaml:", "max_replicas (2) is below min_replicas (5)"),
    bad("mig-size-outside", [*MIG, "--set", "target_size=9"], "target_size (9)"),
    bad("mig-host-rule-backend", [*MIG, "--set", 'host_rules=["api.example.com=/v1:db"]'],
        "host_rules", 'unknown backend "db"'),
    bad("mig-source-zone-unknown", [*MIG, "--set", "source_zone=mars-east1-a"], "mars-east1-a"),
    bad("mig-source-zone-vs-zone-flag", [*MIG, "--zone", "us-central1-b", "--set", "source_zone=us-central1-a"],
        "parameter source_zone", "contradicts --zone us-central1-b"),
    bad("mig-cmd-min-above-max", [*MIG_CMD, "--min", "5", "--max", "2"], "--max", "below --min 5"),
    bad("mig-cmd-target-cpu", [*MIG_CMD, "--target-cpu", "1.5"], "--target-cpu", "1.5"),
    bad("mig-cmd-host-rule-format", [*MIG_CMD, "--host-rule", "api.example.com"], "--host-rule api.example.com",
        "HOST=PATH_PREFIX:BACKEND"),
    bad("mig-cmd-domain", [*MIG_CMD, "--domain", "not_a_domain"], "--domain", "'not_a_domain'"),
    bad("mig-cmd-instance-name", ["snapshot-to-mig", "--instance", "Web_1", "--zone", "us-central1-a", *P, "--yes"],
        "--instance", "'Web_1'"),
    bad("mig-cmd-zone-missing", ["snapshot-to-mig", "--instance", "web-1", *P, "--yes"], "'--zone'"),
    bad("mig-cmd-zone-region-mismatch", [*MIG_CMD, "--region", "europe-west1"], "--zone", "europe-west1"),
]


def write_state_files(root: Path) -> None:
    """Real gcpkit state files, then made unreadable in the ways a disk, a copy or a newer gcpkit can."""
    seed = root / "seed.db"
    LocalState(seed).close()
    with sqlite3.connect(seed) as con:
        page = con.execute("PRAGMA page_size").fetchone()[0]
        rootpage = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'deployments'").fetchone()[0]
    con.close()
    data = seed.read_bytes()
    seed.unlink()
    (root / "not-sqlite.db").write_text("deployments:\n  web: {project: demo}\n")
    (root / "truncated.db").write_bytes(data[:2 * page])
    start = (rootpage - 1) * page  # the deployments table's page: header, schema and meta still read fine
    (root / "damaged.db").write_bytes(data[:start] + b"\xff" * page + data[start + page:])
    LocalState(root / "newer.db").close()
    with sqlite3.connect(root / "newer.db") as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    con.close()
    with sqlite3.connect(root / "foreign.db") as con:
        con.execute("CREATE TABLE notes (text TEXT)")
    con.close()
    (root / "state-dir").mkdir()


def write_workspace(root: Path, extra: dict[str, str]) -> dict[Path, bytes]:
    """Every file the cases read; returns each file's bytes, to prove afterwards that none changed."""
    for name, text in CUSTOM.items():
        folder = root / name
        folder.mkdir()
        (folder / "pattern.yaml").write_text(text)
        (folder / "schema.yaml").write_text(SCHEMAS.get(name, "description: a test pattern\nproperties: {}\n"))
    for name, data in VALUES.items():
        (root / name).write_bytes(data)
    (root / "values-dir").mkdir()
    write_state_files(root)
    for name, text in extra.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "requests.jsonl"}


def check_rejected(runner, emu, root: Path, case: Case) -> None:
    inputs = write_workspace(root, case.files)
    mark = emu.mark()
    result = runner.invoke(app, case.args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert all(line.startswith(("error:", "hint:")) for line in lines), result.output
    assert all(name in errors[0] for name in case.names), (case.names, result.output)
    assert emu.since(mark) == []
    assert {p: p.read_bytes() for p in inputs} == inputs  # corrupt state included: never overwritten
    assert not [p for p in root.glob("*.db-*")], "an SQLite journal was left beside a state file"


PASSED: set[str] = set()  # case ids rejected as they should be, in this process


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_one_line_and_no_call(cli, tmp_path, request, case):
    runner, emu = cli
    check_rejected(runner, emu, tmp_path, case)
    PASSED.add(request.node.callspec.id)


def test_figure_bad_inputs_rejected(cli, tmp_path, monkeypatch, record_property):
    """The figure. Under xdist the cases are shared between workers: those this one has not seen run here."""
    runner, emu = cli
    failed = []
    for param in CASES:
        if param.id in PASSED:
            continue
        root = tmp_path / param.id
        root.mkdir()
        monkeypatch.chdir(root)
        try:
            check_rejected(runner, emu, root, param.values[0])
            PASSED.add(param.id)
        except AssertionError as exc:
            failed.append(f"{param.id}: {exc}")
    assert not failed, "\n".join(failed)
    record_property("figure", f"bad input: {len(PASSED)} inputs rejected with exit 2 and 0 API requests")


def test_a_deployment_planned_in_another_project_is_bad_input_and_nothing_is_called(cli):
    """Deployment gce-custom lives in project demo; `up` with --project other would create it there
    afresh and write over the records of what exists in demo. Refused before any call."""
    runner, emu = cli
    made = runner.invoke(app, ["up", "gce-custom", "--emulator", "--project", "demo", "--yes", "--set", "vm_count=1"])
    assert made.exit_code == 0, made.output
    for command in (["up", "gce-custom", "--yes"], ["plan", "gce-custom"]):
        mark = emu.mark()
        result = runner.invoke(app, [*command, "--emulator", "--project", "other"])
        assert result.exit_code == 2, result.output
        assert result.output.splitlines() == [
            "error: --project: deployment 'gce-custom' lives in project 'demo', not 'other'",
            "hint: pass --project demo, or give the deployment in other another --deployment name"]
        assert emu.since(mark) == []
    again = runner.invoke(app, ["plan", "gce-custom", "--emulator", "--project", "demo"])
    assert again.exit_code == 0 and "Plan: 5 unchanged." in again.output, again.output
