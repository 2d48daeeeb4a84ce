"""What a resource, as the API shows it, roughly costs a month: `gcpkit orphans` asks this.

The prices are gcpkit's shipped table (gcpkit/data/prices.yaml: list prices of one region on one date,
no discounts); the rules that apply them are gcpkit.pricing.rules, shared with the estimates of
`gcpkit plan` and `gcpkit up`.
"""

from __future__ import annotations

from gcpkit.pricing.rules import resource_cost
from gcpkit.pricing.table import shipped_table

PRICE_DATE = shipped_table().date
CURRENCY = shipped_table().currency


def monthly_cost(type_name: str, body: dict, table=None) -> float | None:
    """Estimated monthly cost of one live resource (in the table's currency; by default the shipped
    table's, CURRENCY), or None when the table cannot tell."""
    return resource_cost(type_name, body, table or shipped_table()).monthly
