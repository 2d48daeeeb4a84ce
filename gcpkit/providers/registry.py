"""Type name -> provider. Providers are built on first use; importing this module is cheap."""

from __future__ import annotations

from functools import lru_cache

from gcpkit.providers.compute_kinds import KINDS


def type_names() -> list[str]:
    return sorted(KINDS)


@lru_cache(maxsize=None)
def provider_for(type_name: str):
    from gcpkit.providers.compute import ComputeProvider

    return ComputeProvider(KINDS[type_name])
