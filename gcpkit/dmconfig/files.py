"""Read a Deployment Manager config and the files it imports (templates, schemas, any other file).

`imports: [{path: vm.jinja, name: my-vm}]` paths are relative to the file that declares them (the
config, or a template's schema); a resource's `type` names an import by its `name` or its `path`.
Like `gcloud deployment-manager deployments create --config`, a template named by path but not
imported is imported too, and `TEMPLATE.schema` beside a template is its schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gcpkit.dmconfig.problems import Problems
from gcpkit.errors import BadInput
from gcpkit.model import Pattern

TEMPLATE_SUFFIXES = (".jinja", ".jinja2", ".py")


def display(path: Path) -> str:
    from gcpkit.patterns.render import display_path

    return display_path(path)


def yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"not valid YAML: {problem}" + (f" (line {mark.line + 1})" if mark is not None else "")


@dataclass
class DmConfig(Pattern):
    """A Deployment Manager config file, loaded as a pattern without parameters."""

    config_file: Path = field(default_factory=Path)
    document: dict[str, Any] = field(default_factory=dict)
    uses_project_number: bool = False  # a template read env.project_number (set when expanded)

    @property
    def template_path(self) -> Path:
        return self.config_file

    @property
    def readme_path(self) -> Path | None:
        return None

    def render_text(self, params: dict, env: dict) -> str:
        """The expanded config as gcpkit pattern YAML (what `gcpkit render CONFIG` prints)."""
        from gcpkit.dmconfig.expand import expand_config

        return expand_config(self, env)


def load_config(path: Path) -> DmConfig:
    """Read the config file itself; what it uses is checked when it is expanded (all problems at once)."""
    where = display(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise BadInput(f"cannot read: {e.strerror or e}", where=where) from None
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", where=where) from None
    except yaml.YAMLError as e:
        raise BadInput(yaml_problem(e), where=where) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise BadInput("a Deployment Manager config is a mapping with a 'resources' list", where=where,
                       hint="a built-in pattern is named without a path; a pattern folder holds pattern.yaml")
    folder = path.resolve().parent
    return DmConfig(name=path.stem, path=folder, description=f"Deployment Manager config {where}",
                    schema={"description": f"Deployment Manager config {where}", "properties": {}},
                    config_file=path, document=doc)


@dataclass
class Imported:
    name: str  # the name resources use in `type:` (the import's name, else its path as written)
    path: Path
    text: str

    @property
    def is_template(self) -> bool:
        return self.path.suffix.lower() in TEMPLATE_SUFFIXES


class Imports:
    """Every imported file by name and by path as written; its text is also offered to templates
    (Jinja `imports[NAME]`, Python `context.imports[NAME]`)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.by_name: dict[str, Imported] = {}

    def texts(self) -> dict[str, str]:
        return {name: item.text for name, item in self.by_name.items()}

    def add_list(self, entries: Any, declared_in: Path) -> None:
        where = display(declared_in)
        if entries is None:
            return
        if not isinstance(entries, list):
            self.problems.add(where, "'imports' must be a list of {path, name}")
            return
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                self.problems.add(where, f"import {entry!r} needs a 'path'")
                continue
            unknown = sorted(set(entry) - {"path", "name"})
            if unknown:
                self.problems.add(where, f"import {entry['path']!r}: unsupported key(s) {', '.join(unknown)}")
            self.add(entry["path"], entry.get("name"), declared_in, where)

    def add(self, written: str, name: str | None, declared_in: Path, where: str) -> Imported | None:
        path = (declared_in.parent / written).resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            self.problems.add(where, f"import {written!r}: cannot read {display(path)} "
                                     f"({getattr(e, 'strerror', None) or type(e).__name__})")
            return None
        item = Imported(name or written, path, text)
        for key in {item.name, written}:
            known = self.by_name.get(key)
            if known is not None and known.path != path:
                self.problems.add(where, f"import name {key!r} is used for both {display(known.path)} "
                                         f"and {display(path)}")
            self.by_name[key] = item
        return item

    def template(self, type_name: str, declared_in: Path, where: str) -> Imported | None:
        """The template a resource type names, imported on the fly when it is a template file's path."""
        item = self.by_name.get(type_name)
        if item is None and type_name.lower().endswith(TEMPLATE_SUFFIXES):
            if not (declared_in.parent / type_name).is_file():
                self.problems.add(where, f"template {type_name!r} is not imported and no such file exists "
                                         f"beside {display(declared_in)}")
                return None
            item = self.add(type_name, None, declared_in, where)
        return item if item is not None and item.is_template else None

    def schema_of(self, template: Imported) -> tuple[Path, dict] | None:
        """The template's schema (TEMPLATE.schema beside it), parsed; its own imports are added."""
        path = template.path.with_name(template.path.name + ".schema")
        if not path.is_file():
            return None
        where = display(path)
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            self.problems.add(where, f"cannot read: {e}")
            return None
        except yaml.YAMLError as e:
            self.problems.add(where, yaml_problem(e))
            return None
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            self.problems.add(where, "a schema must be a mapping")
            return None
        self.add_list(doc.get("imports"), path)
        return path, doc
