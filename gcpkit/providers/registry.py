"""Type name -> provider. Providers are built on first use; importing this module is cheap.

A provider family registers its type names here with a factory that imports its module lazily."""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

from gcpkit.providers.compute_kinds import KINDS


def _compute(type_name: str) -> Callable[[], Any]:
    return lambda: import_module("gcpkit.providers.compute").ComputeProvider(KINDS[type_name])


def _lazy(module: str, cls: str) -> Callable[[], Any]:
    return lambda: getattr(import_module(module), cls)()


FACTORIES: dict[str, Callable[[], Any]] = {
    **{t: _compute(t) for t in KINDS},
}


def register(type_name: str, module: str, cls: str) -> None:
    FACTORIES[type_name] = _lazy(module, cls)


def type_names() -> list[str]:
    return sorted(FACTORIES)


@lru_cache(maxsize=None)
def provider_for(type_name: str) -> Any:
    return FACTORIES[type_name]()
