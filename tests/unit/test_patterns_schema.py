"""Parameter schemas: coercion of --set text, values files, defaults, and every error message."""

from __future__ import annotations

import pytest
import yaml

from gcpkit.errors import BadInput
from gcpkit.model import Pattern
from gcpkit.patterns.schema import check_schema, coerce, resolve_params

SCHEMA = {
    "description": "A test pattern.",
    "properties": {
        "name": {"type": "string", "required": True, "pattern": "^[a-z]+$"},
        "count": {"type": "integer", "default": 1, "minimum": 1, "maximum": 5},
        "ratio": {"type": "number", "default": 0.5, "minimum": 0, "maximum": 1},
        "spot": {"type": "boolean", "default": False},
        "tier": {"type": "string", "default": "small", "enum": ["small", "large"]},
        "tags": {"type": "array", "default": []},
        "ports": {"type": "array", "items": {"type": "integer"}},
        "labels": {"type": "object"},
        "zone": {"type": "string"},
    },
}


def make_pattern(tmp_path, schema=SCHEMA) -> Pattern:
    return Pattern(name="t", path=tmp_path, description="A test pattern.", schema=check_schema(schema, "schema.yaml"))


def err(fn, *args, **kwargs) -> str:
    with pytest.raises(BadInput) as info:
        fn(*args, **kwargs)
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message
    return info.value.message


# ------------------------------------------------------------------ coercion


@pytest.mark.parametrize("raw, value", [("3", 3), (" 4 ", 4), ("+2", 2)])
def test_integer_coercion(raw, value):
    assert coerce("count", {"type": "integer"}, raw) == value


@pytest.mark.parametrize("raw, value", [("0.25", 0.25), ("1", 1), ("1e-1", 0.1)])
def test_number_coercion(raw, value):
    assert coerce("ratio", {"type": "number"}, raw) == value


@pytest.mark.parametrize("raw, value", [("true", True), ("True", True), ("yes", True), ("false", False),
                                        ("NO", False)])
def test_boolean_coercion(raw, value):
    assert coerce("spot", {"type": "boolean"}, raw) is value


@pytest.mark.parametrize("raw, value", [("a,b, c", ["a", "b", "c"]), ("", []), ('["x", 1]', ["x", 1]),
                                        ("one", ["one"])])
def test_array_coercion(raw, value):
    assert coerce("tags", {"type": "array"}, raw) == value


def test_array_items_are_coerced():
    assert coerce("ports", {"type": "array", "items": {"type": "integer"}}, "80, 443") == [80, 443]


def test_object_coercion():
    assert coerce("labels", {"type": "object"}, '{"a": "b"}') == {"a": "b"}


def test_string_is_kept_verbatim():
    assert coerce("name", {"type": "string"}, " a=b ") == " a=b "


@pytest.mark.parametrize("spec, raw, message", [
    ({"type": "integer"}, "abc", "parameter p: expected an integer, got 'abc'"),
    ({"type": "integer"}, "1.5", "parameter p: expected an integer, got '1.5'"),
    ({"type": "number"}, "nan", "parameter p: expected a number, got 'nan'"),
    ({"type": "number"}, "x", "parameter p: expected a number, got 'x'"),
    ({"type": "boolean"}, "maybe", "parameter p: expected true/false/yes/no, got 'maybe'"),
    ({"type": "array"}, "[1,", "parameter p: expected a JSON array or a comma-separated list, got '[1,' "
                               "(Expecting value)"),
    ({"type": "array"}, '["a"', "parameter p: expected a JSON array or a comma-separated list, got '[\"a\"' "
                                "(Expecting ',' delimiter)"),
    ({"type": "array", "items": {"type": "integer"}}, "1,x", "parameter p: expected an integer, got 'x'"),
    ({"type": "object"}, "a=b", "parameter p: expected a JSON object, got 'a=b' (Expecting value)"),
    ({"type": "object"}, "[1]", "parameter p: expected an object (a mapping), got [1]"),
    ({"type": "integer", "minimum": 1}, "0", "parameter p: 0 is below the minimum 1"),
    ({"type": "integer", "maximum": 20}, "21", "parameter p: 21 is above the maximum 20"),
    ({"type": "number", "maximum": 1}, "1.5", "parameter p: 1.5 is above the maximum 1"),
    ({"type": "string", "enum": ["a", "b"]}, "c", "parameter p: 'c' is not one of: 'a', 'b'"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "A1", "parameter p: 'A1' does not match the pattern ^[a-z]+$"),
])
def test_coercion_errors(spec, raw, message):
    assert err(coerce, "p", spec, raw) == message


# ------------------------------------------------------------------ resolve_params


def test_defaults_then_sets(tmp_path):
    p = make_pattern(tmp_path)
    got = resolve_params(p, ["name=web", "count=3", "spot=yes", "tags=a,b", "labels={\"k\": \"v\"}"], None)
    assert got == {"name": "web", "count": 3, "ratio": 0.5, "spot": True, "tier": "small", "tags": ["a", "b"],
                   "ports": None, "labels": {"k": "v"}, "zone": None}
    assert list(got) == list(SCHEMA["properties"])  # schema order


def test_default_is_copied_not_shared(tmp_path):
    p = make_pattern(tmp_path)
    got = resolve_params(p, ["name=a"])
    got["tags"].append("x")
    assert resolve_params(p, ["name=a"])["tags"] == []


def test_values_file_then_set_overrides(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "values.yaml"
    f.write_text("name: fromfile\ncount: 2\ntier: large\n")
    got = resolve_params(p, ["count=4"], str(f))
    assert (got["name"], got["count"], got["tier"]) == ("fromfile", 4, "large")


def test_values_file_json(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "values.json"
    f.write_text('{"name": "j", "ratio": 1}')
    got = resolve_params(p, [], str(f))
    assert got["name"] == "j" and got["ratio"] == 1


def test_empty_values_file_is_empty_mapping(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "values.yaml"
    f.write_text("# nothing\n")
    assert resolve_params(p, ["name=a"], str(f))["count"] == 1


def test_null_in_values_file_means_not_given(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\ncount:\nzone: null\n")
    got = resolve_params(p, [], str(f))
    assert (got["count"], got["zone"]) == (1, None)


def test_set_value_may_contain_equals(tmp_path):
    schema = {"description": "d", "properties": {"s": {"type": "string"}}}
    assert resolve_params(make_pattern(tmp_path, schema), ["s=a=b"]) == {"s": "a=b"}


def test_unknown_parameter_from_set(tmp_path):
    p = make_pattern(tmp_path)
    assert err(resolve_params, p, ["cont=2"]) == (
        "--set cont=2: unknown parameter 'cont' (did you mean 'count'?); "
        "known parameters: name, count, ratio, spot, tier, tags, ports, labels, zone")


def test_unknown_parameter_without_close_match(tmp_path):
    p = make_pattern(tmp_path)
    assert err(resolve_params, p, ["zzzzzz=2"]) == (
        "--set zzzzzz=2: unknown parameter 'zzzzzz'; "
        "known parameters: name, count, ratio, spot, tier, tags, ports, labels, zone")


def test_unknown_parameter_from_values_file(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\nspott: true\n")
    assert err(resolve_params, p, [], str(f)) == (
        f"{f}: unknown parameter 'spott' (did you mean 'spot'?); "
        "known parameters: name, count, ratio, spot, tier, tags, ports, labels, zone")


@pytest.mark.parametrize("item, where", [("count", "--set 'count'"), ("=3", "--set '=3'")])
def test_malformed_set(tmp_path, item, where):
    p = make_pattern(tmp_path)
    with pytest.raises(BadInput) as info:
        resolve_params(p, [item])
    assert info.value.message == f"{where}: expected KEY=VALUE"
    assert info.value.hint == "for example: --set vm_count=2"


def test_required_missing(tmp_path):
    p = make_pattern(tmp_path)
    with pytest.raises(BadInput) as info:
        resolve_params(p, [])
    assert info.value.message == "parameter name: required but not set"
    assert info.value.hint == "pass --set name=VALUE or put it in a values file (--values)"


def test_required_list_at_top_level(tmp_path):
    schema = {"description": "d", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    assert err(resolve_params, make_pattern(tmp_path, schema), []) == "parameter a: required but not set"


def test_values_file_wrong_type(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\ncount: '3'\n")
    assert err(resolve_params, p, [], str(f)) == "parameter count: expected an integer, got '3'"


def test_values_file_bool_is_not_integer(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\ncount: true\n")
    assert err(resolve_params, p, [], str(f)) == "parameter count: expected an integer, got true"


def test_values_file_missing(tmp_path):
    p = make_pattern(tmp_path)
    missing = tmp_path / "nope.yaml"
    assert err(resolve_params, p, [], str(missing)) == (
        f"{missing}: cannot read the values file: No such file or directory")


def test_values_file_bad_yaml_names_line(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\ncount: [1,\n  tier: x: y\n")
    msg = err(resolve_params, p, [], str(f))
    assert msg.startswith(f"{f}:3: not valid YAML: ")


def test_values_file_bad_json_names_line(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.json"
    f.write_text('{\n "name": "a",\n "count": 2,\n}\n')
    assert err(resolve_params, p, [], str(f)) == f"{f}:4: not valid JSON: Expecting property name enclosed in double quotes"


def test_values_file_not_a_mapping(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("- a\n- b\n")
    assert err(resolve_params, p, [], str(f)) == f"{f}: must be a mapping of parameter names to values, got list"


def test_constraints_apply_to_values_file(tmp_path):
    p = make_pattern(tmp_path)
    f = tmp_path / "v.yaml"
    f.write_text("name: a\ntier: medium\n")
    assert err(resolve_params, p, [], str(f)) == "parameter tier: 'medium' is not one of: 'small', 'large'"


# ------------------------------------------------------------------ schema.yaml checks (pattern authors)


@pytest.mark.parametrize("doc, message", [
    ([1], "schema.yaml: must be a mapping with 'description' and 'properties', got list"),
    ({"properties": {}}, "schema.yaml: needs a top-level 'description' (one line)"),
    ({"description": "a\nb"}, "schema.yaml: 'description' must be one line"),
    ({"description": "d", "properties": []},
     "schema.yaml: 'properties' must be a mapping of parameter name -> spec, got list"),
    ({"description": "d", "properties": {"a": {"type": "int"}}},
     "schema.yaml: parameter a: type must be one of string, integer, number, boolean, array, object, got 'int'"),
    ({"description": "d", "properties": {"a": {"type": "string", "defualt": "x"}}},
     "schema.yaml: parameter a: unknown key 'defualt' (did you mean 'default'?); allowed: type, default, "
     "required, enum, pattern, minimum, maximum, description, items"),
    ({"description": "d", "properties": {"a": {"type": "integer", "default": 0, "minimum": 1}}},
     "schema.yaml: parameter a: bad default: 0 is below the minimum 1"),
    ({"description": "d", "properties": {"a": {"type": "integer", "default": "1"}}},
     "schema.yaml: parameter a: bad default: expected an integer, got '1'"),
    ({"description": "d", "properties": {"a": {"type": "string", "pattern": "("}}},
     "schema.yaml: parameter a: 'pattern' is not a valid regular expression: missing ), unterminated subpattern "
     "at position 0"),
    ({"description": "d", "properties": {"a": {"type": "string", "minimum": 1}}},
     "schema.yaml: parameter a: 'minimum' is only for integer and number parameters"),
    ({"description": "d", "properties": {"a": {"type": "string"}}, "required": ["b"]},
     "schema.yaml: 'required' names 'b', which is not in 'properties'"),
    ({"description": "d", "properties": {"a-b": {"type": "string"}}},
     "schema.yaml: parameter name 'a-b' must be an identifier (letters, digits, _)"),
])
def test_schema_errors(doc, message):
    assert err(check_schema, doc, "schema.yaml") == message


def test_builtin_schemas_are_valid():
    from gcpkit.paths import patterns_dir

    for folder in sorted(patterns_dir().iterdir()):
        if (folder / "schema.yaml").is_file():
            check_schema(yaml.safe_load((folder / "schema.yaml").read_text()), str(folder / "schema.yaml"))
