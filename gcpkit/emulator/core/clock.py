"""Time as the emulated services see it (a seam for tests that want to control it)."""

from __future__ import annotations

import time


class Clock:
    def now(self) -> float:
        """Epoch seconds."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
