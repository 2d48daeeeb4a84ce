"""The estimate as `plan` and `up` print it (stderr): a row per resource, then the total, labelled an
estimate with the price table's region and date."""

from __future__ import annotations

from rich.markup import escape

from gcpkit import console
from gcpkit.pricing.estimate import Estimate


def show_estimate(estimate: Estimate) -> None:
    table = estimate.table
    rows = []
    for line in estimate.lines:
        cost = line.cost
        amount = "no estimate" if cost.monthly is None else f"{cost.monthly:.2f}"
        basis = cost.basis.removeprefix("no estimate: ")
        details = "; ".join(part for part in (basis, cost.usage) if part)
        rows.append([escape(line.resource), line.type, amount, escape(details)])
    console.err.print(console.table(f"Estimated monthly cost ({table.label()})",
                                    ["resource", "type", f"{table.currency}/month", "how"], rows))
    extra = []
    if estimate.by_use:
        extra.append("plus what is billed by use (see `how`)")
    if estimate.unpriced:
        extra.append(f"{len(estimate.unpriced)} resource(s) with no estimate")
    console.err.print(f"Estimated total: {estimate.total:.2f} {table.currency}/month"
                      + (f", {', '.join(extra)}" if extra else "") + ".")
    note = "An estimate from list prices: no discounts, free tiers, egress or taxes."
    if estimate.region and estimate.region != table.region:
        note += f" The prices are {table.region}'s; {estimate.region}'s may differ."
    console.err.print(f"[dim]{escape(note)}[/]")
