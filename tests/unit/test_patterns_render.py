"""Rendering: Jinja2 with StrictUndefined (errors with file:line), YAML errors with the rendered line,
the structure check, and render_template from templates/."""

from __future__ import annotations

import textwrap

import pytest

from gcpkit import paths
from gcpkit.errors import BadInput
from gcpkit.model import Pattern
from gcpkit.patterns.render import parse_config, render, render_text

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """cwd = tmp_path, so error paths are shown relative to it; templates/ under it."""
    monkeypatch.chdir(tmp_path)
    templates = tmp_path / "templates"
    templates.mkdir()
    monkeypatch.setattr(paths, "templates_dir", lambda: templates)
    return tmp_path


def make(workdir, text: str, name="p") -> Pattern:
    folder = workdir / name
    folder.mkdir(exist_ok=True)
    (folder / "pattern.yaml").write_text(textwrap.dedent(text))
    return Pattern(name=name, path=folder, description="d", schema={"description": "d", "properties": {}})


def bad(fn, *args) -> BadInput:
    with pytest.raises(BadInput) as info:
        fn(*args)
    assert "\n" not in info.value.message
    return info.value


GOOD = """\
    resources:
    - name: {{ env.deployment }}-net
      type: compute.v1.network
      properties:
        autoCreateSubnetworks: false

    - name: {{ env.deployment }}-vm
      type: compute.v1.instance
      metadata:
        dependsOn: [{{ env.deployment }}-net]
      properties:
        zone: {{ env.zone }}
        size: {{ properties.size }}
    outputs:
    - name: ip
      value: $(ref.{{ env.deployment }}-vm.networkInterfaces[0].networkIP)
    """


def test_render_good(workdir):
    config = render(make(workdir, GOOD), {"size": 3}, ENV)
    assert [(r.name, r.type, r.line) for r in config.resources] == [
        ("demo-net", "compute.v1.network", 2), ("demo-vm", "compute.v1.instance", 7)]
    vm = config.get("demo-vm")
    assert vm.properties == {"zone": "us-central1-a", "size": 3}
    assert vm.depends_on == ["demo-net"]
    assert config.get("demo-net").depends_on == []
    assert config.outputs == [{"name": "ip", "value": "$(ref.demo-vm.networkInterfaces[0].networkIP)"}]


def test_render_text_is_the_jinja_output(workdir):
    text = render_text(make(workdir, GOOD), {"size": 3}, ENV)
    assert "- name: demo-vm\n" in text and "size: 3\n" in text


def test_undefined_variable_names_file_and_line(workdir):
    p = make(workdir, """\
        resources:
        - name: x
          type: t
          properties:
            a: {{ properties.nope }}
        """)
    e = bad(render, p, {}, ENV)
    assert e.message == "p/pattern.yaml:5: undefined: 'dict object' has no attribute 'nope'"
    assert e.where == "p/pattern.yaml:5"


def test_undefined_top_level_name(workdir):
    p = make(workdir, "resources: []\n# {{ propertis.size }}\n")
    assert bad(render, p, {}, ENV).message == "p/pattern.yaml:2: undefined: 'propertis' is undefined"


def test_undefined_is_strict_even_when_only_printed_in_a_loop(workdir):
    p = make(workdir, "{% for x in properties.missing %}{{ x }}{% endfor %}resources: []\n")
    assert bad(render, p, {}, ENV).message == "p/pattern.yaml:1: undefined: 'dict object' has no attribute 'missing'"


def test_jinja_syntax_error_names_file_and_line(workdir):
    p = make(workdir, "resources:\n- name: a\n  type: {{ properties.a + }}\n")
    e = bad(render, p, {}, ENV)
    assert e.message == "p/pattern.yaml:3: template syntax error: unexpected 'end of print statement'"


def test_jinja_unclosed_block(workdir):
    p = make(workdir, "resources:\n{% for x in y %}\n- name: a\n")
    e = bad(render, p, {}, ENV)
    assert e.message.startswith("p/pattern.yaml:2: template syntax error: Unexpected end of template.")


def test_fail_from_template(workdir):
    p = make(workdir, "resources: []\n{% if properties.n > 2 %}{{ fail('n must be at most 2') }}{% endif %}\n")
    assert bad(render, p, {"n": 3}, ENV).message == "p/pattern.yaml:2: n must be at most 2"


def test_render_template_shares_context_and_takes_vars(workdir):
    (workdir / "templates" / "x").mkdir()
    (workdir / "templates" / "x" / "s.sh.j2").write_text(
        "#!/bin/bash\necho {{ env.deployment }} {{ properties.port }} {{ who }}\n")
    p = make(workdir, """\
        resources:
        - name: a
          type: t
          properties:
            script: {{ render_template('x/s.sh.j2', who='me') | tojson }}
        """)
    config = render(p, {"port": 8080}, ENV)
    assert config.resources[0].properties["script"] == "#!/bin/bash\necho demo 8080 me\n"


def test_error_inside_rendered_template_names_that_file(workdir):
    (workdir / "templates" / "x").mkdir()
    (workdir / "templates" / "x" / "s.sh.j2").write_text("#!/bin/bash\n\necho {{ properties.nope }}\n")
    p = make(workdir, "resources: []\n# {{ render_template('x/s.sh.j2') }}\n")
    assert bad(render, p, {}, ENV).message == "templates/x/s.sh.j2:3: undefined: 'dict object' has no attribute 'nope'"


def test_missing_template(workdir):
    p = make(workdir, "resources: []\n# {{ render_template('x/none.j2') }}\n")
    assert bad(render, p, {}, ENV).message == "p/pattern.yaml:2: template 'x/none.j2' not found (looked in p, templates)"


def test_include_from_pattern_folder(workdir):
    p = make(workdir, "resources:\n{% include 'more.yaml' %}\n")
    (p.path / "more.yaml").write_text("- name: {{ env.deployment }}-x\n  type: t\n")
    assert render(p, {}, ENV).names() == ["demo-x"]


def test_yaml_error_names_rendered_line(workdir):
    p = make(workdir, """\
        {#- a comment that renders to nothing -#}
        resources:
        - name: a
          type: t
          properties:
            a: b: c
        """)
    e = bad(render, p, {}, ENV)
    assert e.message == "p/pattern.yaml (rendered) line 5: invalid YAML: mapping values are not allowed here"
    assert e.hint == "see the rendered text with `gcpkit render PATTERN`"


@pytest.mark.parametrize("text, message", [
    ("", "pattern.yaml (rendered) line 1: must be a mapping with a 'resources' list, got nothing"),
    ("resources: {}\n", "pattern.yaml (rendered) line 1: 'resources' must be a list, got mapping"),
    ("resource: []\n", "pattern.yaml (rendered) line 1: unknown top-level key 'resource' (did you mean "
                       "'resources'?); allowed: resources, outputs"),
    ("resources:\n- just-a-name\n", "pattern.yaml (rendered) line 2: resource 1 must be a mapping (name, type, "
                                    "properties), got string"),
    ("resources:\n- type: t\n", "pattern.yaml (rendered) line 2: resource 1 needs a 'name' (a string), got nothing"),
    ("resources:\n- name: 12\n  type: t\n",
     "pattern.yaml (rendered) line 2: resource 1 needs a 'name' (a string), got integer"),
    ("resources:\n- name: a\n", "pattern.yaml (rendered) line 2: resource 'a': 'type' must be a string such as "
                                "compute.v1.instance, got nothing"),
    ("resources:\n- name: a\n  type: t\n  properties: [1]\n",
     "pattern.yaml (rendered) line 2: resource 'a': 'properties' must be a mapping, got list"),
    ("resources:\n- name: a\n  type: t\n  propertes: {}\n",
     "pattern.yaml (rendered) line 2: resource 'a': unknown key 'propertes' (did you mean 'properties'?); "
     "allowed: name, type, properties, metadata"),
    ("resources:\n- name: a\n  type: t\n  metadata: {dependson: [b]}\n",
     "pattern.yaml (rendered) line 2: resource 'a': unknown metadata key 'dependson' (did you mean 'dependsOn'?); "
     "allowed: dependsOn"),
    ("resources:\n- name: a\n  type: t\n  metadata: {dependsOn: b}\n",
     "pattern.yaml (rendered) line 2: resource 'a': 'metadata.dependsOn' must be a list of resource names"),
    ("resources:\n- name: a\n  type: t\n- name: b\n  type: t\n- name: a\n  type: u\n",
     "pattern.yaml (rendered) line 6: resource 'a' is defined twice (first at line 2)"),
    ("resources: []\noutputs: {a: 1}\n", "pattern.yaml (rendered) line 2: 'outputs' must be a list of {name, value}, "
                                         "got mapping"),
    ("resources: []\noutputs:\n- value: 1\n", "pattern.yaml (rendered) line 3: output 1 needs a 'name' (a string)"),
    ("resources: []\noutputs:\n- name: x\n", "pattern.yaml (rendered) line 3: output 'x' needs a 'value'"),
    ("resources: []\noutputs:\n- name: x\n  value: 1\n  vlaue: 2\n",
     "pattern.yaml (rendered) line 3: output 'x': unknown key 'vlaue' (did you mean 'value'?)"),
    ("resources: []\noutputs:\n- {name: x, value: 1}\n- {name: x, value: 2}\n",
     "pattern.yaml (rendered) line 4: output 'x' is defined twice"),
])
def test_structure_errors(text, message):
    with pytest.raises(BadInput) as info:
        parse_config(text)
    assert info.value.message == message


def test_missing_properties_and_outputs_are_empty():
    config = parse_config("resources:\n- name: a\n  type: t\n  properties:\n")
    assert config.resources[0].properties == {} and config.outputs == []
