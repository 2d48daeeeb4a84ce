"""Showing plans and the progress of an apply: a rich live table on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from typing import Any

from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.table import Table

from gcpkit import console
from gcpkit.planning.plan import NOOP, Plan


def plan_rows(plan: Plan) -> list[dict[str, Any]]:
    rows = [{"resource": s.name, "type": s.type, "action": s.action, "changed": s.changed, "note": s.note}
            for s in plan.steps.values()]
    rows += [{"resource": s.name, "type": s.type, "action": s.action, "changed": [], "note": "no longer in the pattern"}
             for s in plan.deletes.values()]
    return rows


def show_plan(plan: Plan) -> None:
    table = Table(title=f"Plan for deployment {plan.deployment} ({plan.pattern}, project {plan.env['project']})",
                  title_justify="left", show_edge=False, pad_edge=False)
    for column in ("action", "resource", "type", "details"):
        table.add_column(column)
    for row in plan_rows(plan):
        style = console.ACTION_STYLE.get(row["action"], "")
        details = ", ".join(row["changed"]) if row["changed"] else row["note"]
        table.add_row(f"[{style}]{row['action']}[/]", escape(row["resource"]), row["type"], escape(details))
    console.err.print(table)
    counts = plan.counts()
    summary = ", ".join(f"{n} to {a}" if a != NOOP else f"{n} unchanged" for a, n in sorted(counts.items()))
    console.err.print(f"Plan: {summary or 'nothing'}.")


class ApplyProgress:
    """Receives walker events (from one thread) and shows one row per resource."""

    def __init__(self, actions: dict[str, str], verb: str = "apply"):
        self.actions = actions
        self.state: dict[str, str] = {name: "waiting" for name in actions}
        self.started: dict[str, float] = {}
        self.elapsed: dict[str, float] = {}
        self.live: Live | None = None
        self.plain = not console.is_terminal()
        self.verb = verb

    def __enter__(self) -> "ApplyProgress":
        if not self.plain:
            self.live = Live(self._table(), console=console.err, refresh_per_second=8, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        name, kind = event.node, event.kind
        if kind == "start":
            self.started[name] = time.monotonic()
            self.state[name] = "running"
        else:
            self.elapsed[name] = getattr(event, "elapsed", None) or 0.0
            self.state[name] = {"done": "done", "failed": "failed", "skipped": "skipped"}.get(kind, kind)
        if self.plain:
            if kind == "start":
                return
            line = f"{self.actions.get(name, '')} {name}: {self.state[name]}"
            if kind in ("done", "failed"):
                line += f" ({self.elapsed[name]:.1f}s)"
            if kind == "failed" and getattr(event, "error", None) is not None:
                line += f": {_short(event.error)}"
            console.err.print(escape(line))
        elif self.live is not None:
            self.live.update(self._table())

    def _table(self) -> Table:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("", "resource", "action", "status", "time"):
            table.add_column(column)
        now = time.monotonic()
        for name, action in self.actions.items():
            status = self.state[name]
            if status == "running":
                mark: Any = Spinner("dots")
                took = f"{now - self.started[name]:.1f}s"
            else:
                mark = {"done": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[dim]-[/]"}.get(status, " ")
                took = f"{self.elapsed[name]:.1f}s" if name in self.elapsed else ""
            table.add_row(mark, escape(name), action, status, took)
        return table


def _short(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error).splitlines()[0] if str(error) else type(error).__name__
