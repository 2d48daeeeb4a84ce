"""Patterns: loading (loader), parameter schemas (schema) and Jinja2 rendering (render).

Names are imported lazily so that `gcpkit --help` does not pay for Jinja2.
"""

from __future__ import annotations

_EXPORTS = {
    "find_pattern": "gcpkit.patterns.loader",
    "list_patterns": "gcpkit.patterns.loader",
    "resolve_params": "gcpkit.patterns.schema",
    "render": "gcpkit.patterns.render",
    "render_text": "gcpkit.patterns.render",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
