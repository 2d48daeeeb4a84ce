"""The plan: what `up` would do per resource, from the desired config, the state and the live resources.

Changes are detected by comparing the desired properties as written (refs unresolved) with those the
last apply recorded; live reads tell whether a recorded resource still exists, and adopt resources a
killed run created before it could record them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATE, UPDATE, REPLACE, NOOP, DELETE, ADOPT = "create", "update", "replace", "no change", "delete", "adopt"


@dataclass
class Step:
    name: str
    type: str
    action: str
    properties: dict  # desired, refs unresolved (for deletes: as last recorded)
    depends_on: set[str] = field(default_factory=set)
    changed: list[str] = field(default_factory=list)
    live: Any = None  # providers.base.Live when read during planning
    request_id: str | None = None  # reused from a pending intent, so a retried create is deduplicated
    note: str = ""


@dataclass
class Plan:
    deployment: str
    pattern: str
    params: dict
    env: dict
    steps: dict[str, Step]  # desired resources, in dependency order
    deletes: dict[str, Step]  # recorded resources no longer desired
    outputs: list[dict]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step in [*self.steps.values(), *self.deletes.values()]:
            counts[step.action] = counts.get(step.action, 0) + 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(s.action != NOOP for s in self.steps.values()) or bool(self.deletes)

    def graph(self) -> dict[str, set[str]]:
        return {name: set(step.depends_on) for name, step in self.steps.items()}


def changed_fields(desired: dict, recorded: dict) -> list[str]:
    keys = set(desired) | set(recorded)
    return sorted(k for k in keys if desired.get(k) != recorded.get(k))
