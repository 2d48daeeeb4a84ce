"""Where the built-in patterns and templates live: inside the wheel, or at the repo root in a checkout."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_REPO = _PKG.parent


def _data_dir(name: str) -> Path:
    installed = _PKG / "_data" / name
    return installed if installed.is_dir() else _REPO / name


def patterns_dir() -> Path:
    return _data_dir("patterns")


def templates_dir() -> Path:
    return _data_dir("templates")
