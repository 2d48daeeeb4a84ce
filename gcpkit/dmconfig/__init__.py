"""Google Cloud Deployment Manager configs: `gcpkit up config.yaml` runs one (with its Jinja and Python
templates and their schemas) on gcpkit's engine.

A config is loaded as a Pattern (`files.load_config`); rendering it expands every template and maps
Deployment Manager's type names to gcpkit's (`expand.expand_config`), so plan, up, render and graph
treat it like any pattern. Everything gcpkit cannot run is listed in one error before any API call.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_SUFFIXES = (".yaml", ".yml")


def is_dm_config(path: Path) -> bool:
    """A YAML file that is not a pattern's own pattern.yaml: a Deployment Manager config."""
    return path.is_file() and path.suffix.lower() in CONFIG_SUFFIXES and path.name != "pattern.yaml"


def load_config(path: Path):
    from gcpkit.dmconfig.files import load_config as load

    return load(path)
