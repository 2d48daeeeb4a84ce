"""A local emulator of Google Cloud control-plane APIs. Imports nothing from gcpkit but gcpkit.constants.

`from gcpkit.emulator import EmulatorServer` is the embedding entry point; it is resolved lazily so
importing this package stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EmulatorServer"]


def __getattr__(name: str) -> Any:
    if name == "EmulatorServer":
        from gcpkit.emulator.core.server import EmulatorServer

        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
