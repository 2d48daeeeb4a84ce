"""Expand a Deployment Manager config into gcpkit's pattern YAML.

Each resource whose type names a template is replaced, recursively, by what the template renders
(its properties completed and checked by its schema first); every other resource maps to a gcpkit
type. Then, as Deployment Manager does: a dependsOn naming a template resource means every resource
it expanded to, and a template resource's own dependsOn applies to each of them;
`$(ref.TEMPLATE_RESOURCE.OUTPUT)` is that template's output value; `properties.name` of a resource
whose gcpkit name is its API name renames it (references follow). Problems are collected, not
raised one by one, so the user sees the whole list of what to change at once.
"""

from __future__ import annotations

import copy
import getpass
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gcpkit.dmconfig.files import DmConfig, Imports, display
from gcpkit.dmconfig.problems import Problems
from gcpkit.dmconfig.schema import apply_schema
from gcpkit.dmconfig.templates import TemplateError, render
from gcpkit.dmconfig.types import gcpkit_type, named_by_resource, transform
from gcpkit.patterns.schema import did_you_mean

CONFIG_KEYS = ("imports", "resources", "outputs")
TEMPLATE_KEYS = ("resources", "outputs")
RESOURCE_KEYS = ("name", "type", "properties", "metadata")
MAX_DEPTH = 10


PLACEHOLDER_NUMBER = "000000000000"  # what `render` and `graph` (no API calls) show for env.project_number


class TemplateEnv(dict):
    """A template's `env`, noting whether it read `project_number` (Jinja's env.x and env['x'], Python's
    context.env['x'] and .get all come through here)."""

    def __init__(self, expansion: "Expansion", values: dict):
        super().__init__(values)
        self._expansion = expansion

    def __getitem__(self, key: str) -> Any:
        if key == "project_number":
            self._expansion.project_number_used = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default


@dataclass
class Base:
    """A resource gcpkit creates: its Deployment Manager name, and what it becomes."""

    dm_name: str
    name: str
    type: str
    properties: dict[str, Any]
    where: str
    depends_on: list[str] = field(default_factory=list)


class Expansion:
    def __init__(self, cfg: DmConfig, env: dict) -> None:
        from gcpkit.providers.registry import type_names

        self.cfg = cfg
        self.problems = Problems()
        self.imports = Imports(self.problems)
        self.known_types = set(type_names())
        self.bases: dict[str, Base] = {}
        self.members: dict[str, list[str]] = {}  # template resource -> the base resources it expanded to
        self.outputs: dict[str, dict[str, Any]] = {}  # template resource -> its outputs
        self.seen: dict[str, str] = {}  # every resource name -> where it is defined
        self.failed: set[str] = set()  # template resources that did not expand (already reported)
        self.depends: list[tuple[str, str]] = []  # (where, name) of every metadata.dependsOn entry
        # project_number is only known from the API: until a command has asked for it (after every check
        # passed, see gcpkit.planning.project_number) templates see PLACEHOLDER_NUMBER, and reading it
        # marks the config as needing the real one.
        self.project_number_used = False
        self.env = {"deployment": env["deployment"], "project": env["project"],
                    "project_number": env.get("project_number") or PLACEHOLDER_NUMBER,
                    "current_time": int(time.time()), "username": _username()}

    # ------------------------------------------------------------ walking configs and templates

    def resources(self, items: Any, declared_in: Path, depth: int) -> list[str]:
        """Expand a `resources` list; the names of the base resources it produced."""
        source = display(declared_in)
        if not isinstance(items, list):
            self.problems.add(source, "'resources' must be a list")
            return []
        produced: list[str] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
                self.problems.add(source, f"resource {i + 1} needs a 'name'")
                continue
            name = item["name"]
            where = f"{source}: resource {name!r}"
            if name in self.seen:
                self.problems.add(where, f"the name is also used at {self.seen[name]}")
                continue
            self.seen[name] = where
            if "action" in item:
                self.problems.add(where, f"actions are not supported (action: {item['action']})")
                continue
            depends = self._checked_keys(item, where)
            rtype = item.get("type")
            if not isinstance(rtype, str) or not rtype:
                self.problems.add(where, "needs a 'type'")
                continue
            props = item.get("properties") or {}
            if not isinstance(props, dict):
                self.problems.add(where, "'properties' must be a mapping")
                continue
            template = self.imports.template(rtype, declared_in, where)
            if template is not None:
                made = self._template(name, rtype, template, props, where, depth)
                for member in made:
                    self.bases[member].depends_on += depends
                produced += made
            elif not rtype.lower().endswith((".jinja", ".jinja2", ".py")):
                made_one = self._base(name, rtype, props, where, depends)
                produced += [made_one] if made_one else []
        return produced

    def _checked_keys(self, item: dict, where: str) -> list[str]:
        for key in item:
            if key not in RESOURCE_KEYS:
                self.problems.add(where, f"{key} is not supported")
        metadata = item.get("metadata") or {}
        if not isinstance(metadata, dict):
            self.problems.add(where, "'metadata' must be a mapping")
            return []
        for key in metadata:
            if key != "dependsOn":
                self.problems.add(where, f"metadata.{key} is not supported")
        depends = metadata.get("dependsOn") or []
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            self.problems.add(where, "metadata.dependsOn must be a list of resource names")
            return []
        self.depends += [(where, d) for d in depends]
        return list(depends)

    def _template(self, name: str, rtype: str, template, props: dict, where: str, depth: int) -> list[str]:
        tpl_where = f"{display(template.path)} (resource {name!r})"
        if depth >= MAX_DEPTH:
            self.problems.add(tpl_where, f"templates nest deeper than {MAX_DEPTH} levels")
            return []
        schema = self.imports.schema_of(template)
        props = copy.deepcopy(props)
        if schema is not None:
            props, errors = apply_schema(schema[1], props)
            for error in errors:
                self.problems.add(f"{display(schema[0])} (resource {name!r})", error)
            if errors:  # as Deployment Manager does: a template is not rendered with bad properties
                self.failed.add(name)
                return []
        env = TemplateEnv(self, {**self.env, "name": name, "type": rtype})
        try:
            result = render(template, props, env, self.imports.texts())
        except TemplateError as e:
            self.problems.add(tpl_where, str(e))
            self.failed.add(name)
            return []
        for key in result:
            if key not in TEMPLATE_KEYS:
                self.problems.add(tpl_where, f"template output key {key!r} is not supported")
        made = self.resources(result.get("resources") or [], template.path, depth + 1)
        self.members[name] = made
        self.outputs[name] = self._outputs(result.get("outputs"), tpl_where)
        return made

    def _outputs(self, items: Any, where: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if items is None:
            return found
        if not isinstance(items, list):
            self.problems.add(where, "'outputs' must be a list of {name, value}")
            return found
        for out in items:
            if not isinstance(out, dict) or not isinstance(out.get("name"), str) or "value" not in out:
                self.problems.add(where, f"output {out!r} needs a 'name' and a 'value'")
                continue
            found[out["name"]] = out["value"]
        return found

    def _base(self, name: str, rtype: str, props: dict, where: str, depends: list[str]) -> str | None:
        gtype = gcpkit_type(rtype, self.known_types)
        if gtype is None:
            self.problems.add(where, f"type {rtype!r} is not supported"
                                     f"{did_you_mean(rtype, sorted(self.known_types))}")
            return None
        props = transform(rtype, copy.deepcopy(props))
        real = name
        if named_by_resource(gtype) and "name" in props:
            given = props.pop("name")
            if not isinstance(given, str) or "$(ref." in given:
                self.problems.add(where, "properties.name must be written out (not a reference)")
            else:
                real = given
        self.bases[name] = Base(name, real, gtype, props, where, list(depends))
        return name


def _username() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def expand_config(cfg: DmConfig, env: dict) -> str:
    """The config expanded into gcpkit's pattern YAML; BadInput listing every problem found."""
    from gcpkit.dmconfig.finish import finish

    ex = Expansion(cfg, env)
    source = display(cfg.config_file)
    for key in cfg.document:
        if key not in CONFIG_KEYS:
            ex.problems.add(source, f"top-level key {key!r} is not supported")
    ex.imports.add_list(cfg.document.get("imports"), cfg.config_file)
    ex.resources(cfg.document.get("resources"), cfg.config_file, 0)
    outputs = ex._outputs(cfg.document.get("outputs"), source)
    doc = finish(ex, outputs, source)
    ex.problems.raise_if_any()
    cfg.uses_project_number = ex.project_number_used
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100_000,
                     allow_unicode=True)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (startup scripts) as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
