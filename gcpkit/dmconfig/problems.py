"""Collect everything a config uses that gcpkit cannot run, then report it all in one error."""

from __future__ import annotations

from gcpkit.errors import BadInput

HINT = "see 'Deployment Manager configs' in gcpkit's README for what is supported"


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        item = f"{where}: {message}"
        if item not in self.items:
            self.items.append(item)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """One BadInput (exit 2) naming every problem, each with its file and resource."""
        if not self.items:
            return
        count = len(self.items)
        raise BadInput(f"this Deployment Manager config cannot run ({count} problem{'s' if count > 1 else ''}): "
                       + "; ".join(self.items), hint=HINT)
