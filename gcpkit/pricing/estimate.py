"""The estimated monthly cost of a plan: every resource the deployment will have once applied, priced
from its desired properties, with references resolved from what the plan read where it could."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gcpkit.pricing.rules import Cost, resource_cost
from gcpkit.pricing.table import PriceTable


@dataclass
class Line:
    resource: str
    type: str
    cost: Cost


@dataclass
class Estimate:
    table: PriceTable
    region: str  # the deployment's region, to say when the table's differs
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(line.cost.monthly or 0.0 for line in self.lines)

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.cost.monthly is None]

    @property
    def by_use(self) -> list[Line]:
        return [line for line in self.lines if line.cost.usage]

    def to_json(self) -> dict[str, Any]:
        return {
            "note": f"an estimate from {self.table.label()}: no discounts, free tiers, egress or taxes",
            "currency": self.table.currency, "price_date": self.table.date,
            "price_region": self.table.region, "prices": self.table.source,
            "resources": [{"resource": ln.resource, "type": ln.type,
                           "monthly_cost": None if ln.cost.monthly is None else round(ln.cost.monthly, 2),
                           "basis": ln.cost.basis, "usage": ln.cost.usage} for ln in self.lines],
            "total_monthly_cost": round(self.total, 2),
            "no_estimate": [ln.resource for ln in self.unpriced],
        }


def _with_known_refs(obj: Any, live: dict[str, dict]) -> Any:
    """`obj` with each whole-string reference to a resource the plan read replaced by its value; other
    references stay as text (a rule then says what is not known yet)."""
    from gcpkit.planning.refs import REF, get_path

    if isinstance(obj, str):
        whole = REF.fullmatch(obj)
        if whole and whole.group("name") in live:
            try:
                return get_path(live[whole.group("name")], whole.group("field"))
            except KeyError:
                return obj
        return obj
    if isinstance(obj, dict):
        return {k: _with_known_refs(v, live) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_with_known_refs(v, live) for v in obj]
    return obj


def estimate_plan(plan: Any, table: PriceTable) -> Estimate:
    """Price what the deployment will be after `plan` is applied (its deletes are gone)."""
    live = {name: step.live.body for name, step in plan.steps.items() if step.live is not None}
    resolved = {name: (step.type, _with_known_refs(step.properties, live)) for name, step in plan.steps.items()}
    out = Estimate(table, plan.env.get("region", ""))
    for name, (type_name, props) in resolved.items():
        out.lines.append(Line(name, type_name, resource_cost(type_name, props, table, name=name, others=resolved)))
    return out
