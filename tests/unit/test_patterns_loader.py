"""Finding patterns: built-in names, folders given as paths, and the errors for neither."""

from __future__ import annotations

import pytest

from gcpkit import paths
from gcpkit.errors import BadInput
from gcpkit.patterns import loader
from gcpkit.patterns.loader import find_pattern, list_patterns


def write_pattern(folder, description="A folder pattern.", schema_extra=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pattern.yaml").write_text("resources: []\n")
    (folder / "schema.yaml").write_text(f"description: {description}\nproperties: {{}}\n{schema_extra}")
    return folder


@pytest.fixture
def builtin_root(tmp_path, monkeypatch):
    root = tmp_path / "builtin"
    write_pattern(root / "zeta", "Last one.")
    write_pattern(root / "alpha", "First one.")
    (root / "not-a-pattern").mkdir()
    monkeypatch.setattr(paths, "patterns_dir", lambda: root)
    return root


def test_list_patterns_sorted_with_description(builtin_root):
    found = list_patterns()
    assert [(p.name, p.description, p.builtin) for p in found] == [("alpha", "First one.", True),
                                                                   ("zeta", "Last one.", True)]


def test_find_builtin_by_name(builtin_root):
    p = find_pattern("alpha")
    assert p.name == "alpha" and p.path == builtin_root / "alpha" and p.builtin


def test_find_by_folder_path(builtin_root, tmp_path):
    folder = write_pattern(tmp_path / "mine" / "web-app")
    p = find_pattern(str(folder))
    assert (p.name, p.path, p.builtin) == ("web-app", folder, False)


def test_find_by_pattern_yaml_path(builtin_root, tmp_path):
    folder = write_pattern(tmp_path / "x")
    assert find_pattern(str(folder / "pattern.yaml")).path == folder


def test_find_relative_folder_without_slash(builtin_root, tmp_path, monkeypatch):
    write_pattern(tmp_path / "local")
    monkeypatch.chdir(tmp_path)
    assert find_pattern("local").name == "local"


def test_unknown_name_lists_available(builtin_root):
    with pytest.raises(BadInput) as info:
        find_pattern("alpah")
    assert info.value.message == "unknown pattern 'alpah' (did you mean 'alpha'?); available: alpha, zeta"
    assert info.value.hint == "or give the path of a folder that holds a pattern.yaml"


def test_folder_without_pattern_yaml(builtin_root, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput) as info:
        find_pattern(str(tmp_path / "empty"))
    assert info.value.message == f"{tmp_path / 'empty'}: this folder has no pattern.yaml"


def test_missing_path(builtin_root, tmp_path):
    with pytest.raises(BadInput) as info:
        find_pattern(str(tmp_path / "nowhere"))
    assert info.value.message == f"{tmp_path / 'nowhere'}: no such pattern folder"


def test_missing_schema(builtin_root, tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "pattern.yaml").write_text("resources: []\n")
    with pytest.raises(BadInput) as info:
        find_pattern(str(folder))
    assert info.value.message == (f"{folder / 'schema.yaml'}: missing: a pattern needs a schema.yaml "
                                  "(with at least a one-line 'description')")


def test_bad_schema_yaml_names_line(builtin_root, tmp_path):
    folder = write_pattern(tmp_path / "p")
    (folder / "schema.yaml").write_text("description: d\nproperties:\n  a: {type: string\n")
    with pytest.raises(BadInput) as info:
        find_pattern(str(folder))
    assert info.value.message.startswith(f"{folder / 'schema.yaml'}:4: not valid YAML: ")


def test_real_builtins_include_gce_custom():
    names = loader.builtin_names()
    assert "gce-custom" in names
    p = find_pattern("gce-custom")
    assert p.description.startswith("Your own middleware on your own VMs")
    assert p.readme_path is not None and p.readme_path.name == "README.md"
