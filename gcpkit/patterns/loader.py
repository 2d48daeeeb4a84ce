"""Find patterns: the built-in ones under patterns/, or any folder holding a pattern.yaml."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from gcpkit import paths
from gcpkit.errors import BadInput
from gcpkit.model import Pattern
from gcpkit.patterns.schema import check_schema, did_you_mean


def _is_pattern_dir(p: Path) -> bool:
    return p.is_dir() and (p / "pattern.yaml").is_file()


def _read_schema(folder: Path) -> dict:
    schema_file = folder / "schema.yaml"
    where = str(schema_file)
    try:
        text = schema_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput("missing: a pattern needs a schema.yaml (with at least a one-line 'description')",
                       where=where) from None
    except OSError as e:
        raise BadInput(f"cannot read: {e.strerror or e}", where=where) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        raise BadInput(f"not valid YAML: {problem}",
                       where=f"{where}:{mark.line + 1}" if mark is not None else where) from None
    return check_schema(doc, where)


def load_pattern(folder: Path, *, name: str | None = None, builtin: bool = False) -> Pattern:
    """Load the pattern in `folder` (which holds pattern.yaml and schema.yaml)."""
    folder = Path(folder)
    schema = _read_schema(folder)
    return Pattern(name=name or folder.resolve().name, path=folder, description=schema["description"].strip(),
                   schema=schema, builtin=builtin)


def builtin_names() -> list[str]:
    root = paths.patterns_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if _is_pattern_dir(p))


def list_patterns() -> list[Pattern]:
    """The built-in patterns, sorted by name."""
    root = paths.patterns_dir()
    return [load_pattern(root / n, name=n, builtin=True) for n in builtin_names()]


def _looks_like_path(s: str) -> bool:
    return (os.sep in s or "/" in s or (os.altsep is not None and os.altsep in s)
            or s in (".", "..") or s.endswith(".yaml") or s.startswith("~"))


def find_pattern(name_or_path: str) -> Pattern:
    """A built-in pattern by name, or the pattern in a folder (or its pattern.yaml) given as a path."""
    s = str(name_or_path).strip()
    names = builtin_names()
    if not _looks_like_path(s) and s in names:
        return load_pattern(paths.patterns_dir() / s, name=s, builtin=True)
    p = Path(s).expanduser()
    from gcpkit.dmconfig import is_dm_config, load_config

    if is_dm_config(p):  # a Deployment Manager config file (gcpkit/dmconfig)
        return load_config(p)
    if p.is_file() and p.name == "pattern.yaml":
        p = p.parent
    if _is_pattern_dir(p):
        return load_pattern(p)
    if p.is_dir():
        raise BadInput("this folder has no pattern.yaml", where=s,
                       hint="a pattern folder holds pattern.yaml, schema.yaml and README.md")
    if _looks_like_path(s):
        raise BadInput("no such pattern folder", where=s)
    available = ", ".join(names) or "(none)"
    raise BadInput(f"unknown pattern {s!r}{did_you_mean(s, names)}; available: {available}",
                   hint="or give the path of a folder that holds a pattern.yaml")
