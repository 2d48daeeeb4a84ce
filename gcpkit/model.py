"""The data every layer passes around: a loaded pattern, and the config it renders to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ResourceSpec:
    """One resource of a rendered pattern.

    `name` is the real GCP resource name, `type` a Deployment Manager style type name
    (`compute.v1.instance`), `properties` the REST API body (camelCase) plus `zone`/`region`,
    `depends_on` the names from `metadata.dependsOn` (references add more edges in the graph),
    `line` the line of the resource in the rendered pattern.yaml (for error messages).
    """

    name: str
    type: str
    properties: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass
class Config:
    """A rendered pattern: its resources in file order and its outputs ({name, value} dicts)."""

    resources: list[ResourceSpec]
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def by_name(self) -> dict[str, ResourceSpec]:
        return {r.name: r for r in self.resources}

    def get(self, name: str) -> ResourceSpec:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def names(self) -> list[str]:
        return [r.name for r in self.resources]


@dataclass
class Pattern:
    """A pattern folder: `pattern.yaml` (Jinja2 + YAML), `schema.yaml`, README.md.

    `schema` is the whole parsed schema.yaml; `parameters` its `properties` mapping
    (parameter name -> {type, default, required, enum, pattern, minimum, maximum, description}).
    """

    name: str
    path: Path
    description: str
    schema: dict[str, Any]
    builtin: bool = False

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return self.schema.get("properties") or {}

    @property
    def template_path(self) -> Path:
        return self.path / "pattern.yaml"

    @property
    def readme_path(self) -> Path | None:
        p = self.path / "README.md"
        return p if p.is_file() else None
