"""Monthly cost estimates: the price table (table.py), per-type rules (rules.py), a plan's estimate
(estimate.py) and how plan and up print it (report.py)."""
