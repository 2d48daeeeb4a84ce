"""The appengine pattern: its renders against the saved expected output, app.yaml as rendered (loaded with
yaml, and as the provider turns it into the Version the Admin API receives), a version id that follows the
content and nothing else, the sample app itself (a WSGI app, called directly), and the parameter checks made
before any call.

To accept a deliberate change of a render: GCPKIT_UPDATE_EXPECTED=1 pytest tests/patterns, then review
the diff of tests/patterns/expected/appengine.yaml.
"""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.patterns.loader import find_pattern
from gcpkit.patterns.render import render
from gcpkit.patterns.schema import resolve_params
from gcpkit.planning.plan import changed_fields
from gcpkit.providers import appengine_staging, appengine_yaml
from tests.patterns.render_helpers import check

ENV = {"project": "demo", "deployment": "demo", "region": "us-central1", "zone": "us-central1-a"}
CASES = {
    "default": [],
    "eu-api-service": ["region=europe-west1", "runtime=python311", "instance_class=F2", "min_instances=1",
                       "max_instances=10", "target_cpu_utilization=0.75", "service=api", "keep_versions=5",
                       'env_variables={"GREETING": "Bonjour", "FEATURE_X": true, "RETRIES": 3}',
                       "staging_bucket=demo-eu-staging"],
}
EXPECTED = Path(__file__).parent / "expected" / "appengine.yaml"


def render_case(sets, env=ENV):
    pattern = find_pattern("appengine")
    params = resolve_params(pattern, sets, None)
    return params, render(pattern, params, env)



class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, lambda dumper, data: dumper.represent_scalar(
    "tag:yaml.org,2002:str", data, style="|" if "\n" in data else None))


@pytest.fixture(scope="module")
def renders():
    return {case: render_case(sets) for case, sets in CASES.items()}


def version_props(config) -> dict:
    return next(r for r in config.resources if r.type == "appengine.v1.version").properties


def test_render_matches_expected(renders):
    got = {case: {"params": params, "outputs": config.outputs,
                  "resources": [{"name": r.name, "type": r.type, "depends_on": r.depends_on,
                                 "properties": r.properties} for r in config.resources]}
           for case, (params, config) in renders.items()}
    if os.environ.get("GCPKIT_UPDATE_EXPECTED"):
        EXPECTED.write_text("# Saved render of patterns/appengine (tests/patterns/test_appengine_render.py).\n"
                            f"# env: {json.dumps(ENV)}\n"
                            + yaml.dump(got, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True))
    assert yaml.safe_load(EXPECTED.read_text()) == got


def test_every_case_passes_the_checks_made_before_any_call(renders):
    for _, config in renders.values():
        graph = check(config)
        assert graph == {"demo-app": set(), "demo-staging": set(), "demo-version": {"demo-app", "demo-staging"}}


def test_app_yaml_renders_and_loads(renders):
    app_yaml = yaml.safe_load(version_props(renders["default"][1])["appYaml"])
    assert app_yaml == {
        "runtime": "python312", "instance_class": "F1", "entrypoint": "gunicorn --bind :$PORT --workers 2 main:app",
        "automatic_scaling": {"min_instances": 0, "max_instances": 2, "target_cpu_utilization": 0.6},
        "handlers": [{"url": "/.*", "script": "auto", "secure": "always"}],
        "env_variables": {"GREETING": "Hello from App Engine"}}
    tuned = yaml.safe_load(version_props(renders["eu-api-service"][1])["appYaml"])
    assert tuned["runtime"] == "python311" and tuned["instance_class"] == "F2"
    assert tuned["automatic_scaling"] == {"min_instances": 1, "max_instances": 10, "target_cpu_utilization": 0.75}
    # App Engine wants strings: a boolean or a number given as a parameter arrives as its text
    assert tuned["env_variables"] == {"FEATURE_X": "true", "GREETING": "Bonjour", "RETRIES": "3"}


def test_app_yaml_becomes_the_version_the_admin_api_receives(renders):
    body = appengine_yaml.parse(version_props(renders["eu-api-service"][1])["appYaml"], "test")
    assert body == {
        "runtime": "python311", "env": "standard", "instanceClass": "F2",
        "entrypoint": {"shell": "gunicorn --bind :$PORT --workers 2 main:app"},
        "envVariables": {"FEATURE_X": "true", "GREETING": "Bonjour", "RETRIES": "3"},
        "automaticScaling": {"standardSchedulerSettings": {"minInstances": 1, "maxInstances": 10,
                                                           "targetCpuUtilization": 0.75}},
        "handlers": [{"urlRegex": "/.*", "script": {"scriptPath": "auto"}, "securityLevel": "SECURE_ALWAYS"}]}


def test_the_version_id_follows_the_content_and_nothing_else():
    _, first = render_case([])
    _, again = render_case([])
    _, changed = render_case(['env_variables={"GREETING": "Hi"}'])
    _, more = render_case(["keep_versions=7"])
    ids = [appengine_staging.version_id("demo", version_props(c)["appYaml"], version_props(c)["files"])
           for c in (first, again, changed, more)]
    assert ids[0] == ids[1] == ids[3] and ids[0] != ids[2]
    assert ids[0].startswith("demo-") and len(ids[0]) == len("demo-") + 12
    # the plan sees exactly what changed: the app.yaml (a new version), or the pruning count (no new version)
    assert changed_fields(version_props(changed), version_props(first)) == ["appYaml"]
    assert changed_fields(version_props(more), version_props(first)) == ["keepVersions"]


def test_the_sample_app_answers_with_its_greeting_and_version(renders, monkeypatch):
    source = version_props(renders["default"][1])["files"]["main.py"]
    module = types.ModuleType("gae_main")
    exec(compile(source, "main.py", "exec"), module.__dict__)  # noqa: S102 - our own template
    monkeypatch.setenv("GREETING", "Hello <there>")
    monkeypatch.setenv("GAE_VERSION", "demo-0123456789ab")
    seen = {}

    def call(path):
        body = b"".join(module.app({"PATH_INFO": path}, lambda status, headers: seen.update(status=status)))
        return seen["status"], body.decode()

    assert call("/api") == ("200 OK", json.dumps({"greeting": "Hello <there>", "service": "default",
                                                  "version": "demo-0123456789ab"}))
    status, page = call("/")
    assert status == "200 OK" and "<h1>Hello &lt;there&gt;</h1>" in page
    assert call("/healthz") == ("200 OK", "ok") and call("/nope")[0] == "404 Not Found"
    assert version_props(renders["default"][1])["files"]["requirements.txt"] == "gunicorn==23.0.0\n"


@pytest.mark.parametrize("sets, env, message", [
    (["min_instances=5", "max_instances=2"], ENV, "min_instances (5) is above max_instances (2)"),
    (['env_variables={"GAE_VERSION": "x"}'], ENV, "env_variables: GAE_VERSION is set by App Engine itself"),
    (['env_variables={"1X": "x"}'], ENV, "env_variables: invalid name 1X"),
    (['env_variables={"A-B": "x"}'], ENV, "env_variables: invalid name A-B"),
    (['env_variables={"X": {"nested": 1}}'], ENV, "env_variables: X must be a string, a number or a boolean"),
    ([], {**ENV, "deployment": "ah-app"}, 'deployment ah-app starts with "ah-"'),
])
def test_bad_combinations_fail_the_render_in_one_line(sets, env, message):
    with pytest.raises(BadInput) as info:
        render_case(sets, env)
    assert message in info.value.message and "\n" not in info.value.message


@pytest.mark.parametrize("sets, message", [
    (["keep_versions=0"], "keep_versions"),
    (["target_cpu_utilization=0.3"], "target_cpu_utilization"),
    (["runtime=python27"], "runtime"),
    (["service=Api"], "service"),
])
def test_bad_parameters_are_refused_by_the_schema(sets, message):
    with pytest.raises(BadInput) as info:
        render_case(sets)
    assert message in f"{info.value.message} {info.value.where}"


def test_a_region_without_app_engine_is_refused_by_the_provider_check():
    _, config = render_case(["region=me-west1"])
    with pytest.raises(BadInput) as info:
        check(config)
    assert info.value.message == "resource demo-app: App Engine does not run in 'me-west1'"
    assert "us-central is us-central1" in info.value.hint


@pytest.mark.parametrize("text, message", [
    ("runtime: python312\ninstance_clas: F2\n", "app.yaml: unknown key instance_clas (did you mean 'instance_class'?)"),
    ("runtime: python312\nautomatic_scaling: {max_instance: 3}\n", "unknown key automatic_scaling.max_instance"),
    ("instance_class: F1\n", "app.yaml: runtime is required"),
    ("runtime: python312\nhandlers: [{url: /}]\n", "handler '/' needs script, static_dir or static_files"),
    ("runtime: [python312\n", "app.yaml is not valid YAML"),
])
def test_an_app_yaml_the_provider_cannot_translate_is_refused_before_any_call(text, message):
    with pytest.raises(BadInput) as info:
        appengine_yaml.parse(text, "resource demo-version")
    assert message in info.value.message and "\n" not in info.value.message


def test_static_handlers_translate_as_gcloud_does():
    body = appengine_yaml.parse("runtime: python312\nhandlers:\n- url: /static\n  static_dir: public\n"
                                "  expiration: 1d\n- url: /.*\n  script: auto\n", "test")
    assert body["handlers"] == [
        {"urlRegex": "/static/(.*)", "staticFiles": {"path": "public/\\1", "uploadPathRegex": "public/.*",
                                                      "expiration": "1d"}},
        {"urlRegex": "/.*", "script": {"scriptPath": "auto"}}]
