"""gcpkit destroy project / undelete project / orphans, and the teardown plan `destroy deployment` shows.

destroy project deletes through Resource Manager v3 (projects.delete, a long-running operation): the project
moves to DELETE_REQUESTED and can be restored for 30 days (`gcpkit undelete project`). Before anything is
deleted it shows what the project holds, by kind and owner, and asks for the project ID to be typed
(non-interactively: `--yes --confirm PROJECT_ID`). Liens stop it unless `--remove-liens`.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from typing import Annotated, Any, Optional

import typer

from gcpkit import console
from gcpkit.cli.common import (Common, EmulatorOpt, EndpointsOpt, OutputFormat, OutputOpt, ParallelismOpt,
                               PricesOpt, ProjectOpt, StateOpt, VerboseOpt)
from gcpkit.errors import BadInput, LockedError, OperationFailed

PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
RESTORE_DAYS = 30

YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (destroy project also needs --confirm).")]
ConfirmOpt = Annotated[Optional[str], typer.Option("--confirm", metavar="PROJECT_ID", help="The project ID again: "
                                                   "required with --yes, must match.")]
RemoveLiensOpt = Annotated[bool, typer.Option("--remove-liens", help="Delete the project's liens first (else "
                                              "gcpkit lists them and stops).")]


def interactive() -> bool:
    """Whether a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


# --- destroy deployment's plan ------------------------------------------------------------------------------

def _protection(item: Any, force_unprotect: bool) -> str:
    from gcpkit.providers.registry import provider_for

    protected = getattr(provider_for(item.type), "protected", None)
    if protected is None or not protected(item.properties or {}, item.live):
        return ""
    if force_unprotect:
        return "deletion protection will be turned OFF (--force-unprotect)"
    return "deletion protection is on: kept unless you pass --force-unprotect"


def teardown_rows(plan: Any, force_unprotect: bool) -> list[dict]:
    from gcpkit.execution.walker import reverse
    from graphlib import TopologicalSorter

    order = list(TopologicalSorter(reverse(plan.graph())).static_order())
    rows = []
    for key in order:
        item = plan.items[key]
        if item.foreign:
            action, note = "keep", f"{item.foreign}: left alone"
        else:
            action = "delete"
            note = "; ".join(n for n in (_protection(item, force_unprotect), item.note) if n)
        where = item.properties.get("zone") or item.properties.get("region") or item.properties.get("location") or ""
        rows.append({"action": action, "resource": item.name, "type": item.type, "where": where,
                     "found_by": item.source, "after": sorted(k for k, i in plan.items.items() if key in i.depends_on),
                     "note": note})
    return rows


def show_teardown_plan(plan: Any, force_unprotect: bool) -> list[dict]:
    rows = teardown_rows(plan, force_unprotect)
    console.err.print(console.table(
        f"Destroy deployment {plan.deployment} (project {plan.project}), in this order",
        ["action", "resource", "type", "where", "found by", "note"],
        [[r["action"], r["resource"], r["type"], r["where"], r["found_by"], r["note"]] for r in rows]))
    for problem in plan.problems:
        console.err.print(f"[yellow]warning:[/] could not list {problem}: resources there were not searched")
    return rows


# --- Resource Manager ---------------------------------------------------------------------------------------

class RmCallError(OperationFailed):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.detail = status, message


def _rm(request: Any) -> Any:
    from googleapiclient.errors import HttpError

    from gcpkit.execution.retry import call_with_retry
    from gcpkit.providers.google_api import error_message

    try:
        return call_with_retry(request.execute, deadline_s=120.0)
    except HttpError as exc:
        raise RmCallError(int(exc.resp.status), error_message(exc)) from None


def _wait(client: Any, op: dict, what: str, deadline_s: float = 600.0) -> dict:
    from gcpkit.providers.google_api import poll

    if not op.get("done"):
        op = poll(lambda: _rm(client.operations().get(name=op["name"])), lambda o: bool(o.get("done")),
                  deadline_s=deadline_s, what=what)
    if op.get("error"):
        err = op["error"]
        raise OperationFailed(f"{what} failed: {err.get('message') or err}")
    return op


def _check_project_id(project_id: str) -> None:
    if not PROJECT_ID.match(project_id or ""):
        raise BadInput(f"{project_id!r} is not a project ID (6-30 lowercase letters, digits or hyphens, starting "
                       "with a letter, not ending with a hyphen)", where="PROJECT_ID")


def _get_project(client: Any, project_id: str) -> dict:
    try:
        return _rm(client.projects().get(name=f"projects/{project_id}"))
    except RmCallError as exc:
        if exc.status in (403, 404):
            raise OperationFailed(f"project {project_id!r} does not exist, or these credentials cannot see it "
                                  f"(HTTP {exc.status}: {exc.detail})",
                                  hint="check the project ID (`gcloud projects list`) and your credentials") from None
        raise


def _liens(client: Any, project_id: str) -> list[dict]:
    liens: list[dict] = []
    token = None
    while True:
        page = _rm(client.liens().list(parent=f"projects/{project_id}", pageToken=token))
        liens += page.get("liens") or []
        token = page.get("nextPageToken")
        if not token:
            return liens


def _session(c: Common, project_id: str):
    from gcpkit.session import Session

    return Session(c.target_options(), project_id)


def _inventory_rows(inv: Any, state: Any) -> tuple[list[dict], dict[str, int]]:
    from gcpkit.inventory import short_kind

    by_kind: dict[str, dict] = {}
    for f in inv.items:
        row = by_kind.setdefault(f.type, {"kind": short_kind(f.type), "type": f.type, "count": 0,
                                          "deployments": {}, "not_gcpkit": 0})
        row["count"] += 1
        if f.owner:
            row["deployments"][f.owner] = row["deployments"].get(f.owner, 0) + 1
        else:
            row["not_gcpkit"] += 1
    totals: dict[str, int] = {}
    for f in inv.items:
        totals[f.owner or ""] = totals.get(f.owner or "", 0) + 1
    return [by_kind[k] for k in sorted(by_kind)], totals


def _show_inventory(project_id: str, inv: Any, state: Any) -> list[dict]:
    rows, _ = _inventory_rows(inv, state)
    console.err.print(console.table(
        f"Project {project_id}: what it holds (all of it is deleted with the project)",
        ["kind", "count", "gcpkit deployments", "not gcpkit's"],
        [[r["kind"], r["count"], ", ".join(f"{d} ({n})" for d, n in sorted(r["deployments"].items())) or "-",
          r["not_gcpkit"] or "-"] for r in rows]))
    if not rows:
        console.err.print("No resources found in the APIs gcpkit knows.")
    for problem in inv.problems:
        console.err.print(f"[yellow]warning:[/] could not list {problem}")
    known = [d.name for d in state.list_deployments() if (d.env or {}).get("project", d.project) == project_id]
    if known:
        console.err.print(f"gcpkit deployments recorded in the local state for this project: {', '.join(known)} "
                          "(their state is kept, so an undelete brings them back)")
    return rows


def destroy_project(project_id: str, yes: YesOpt = False, confirm: ConfirmOpt = None,
                    remove_liens: RemoveLiensOpt = False, emulator: EmulatorOpt = False,
                    endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10,
                    output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False, state: StateOpt = None) -> None:
    """Delete project PROJECT_ID and everything in it (restorable for 30 days with `gcpkit undelete project`)."""
    from gcpkit.inventory import inventory

    _check_project_id(project_id)
    if confirm is not None and confirm != project_id:
        raise BadInput(f"--confirm {confirm!r} does not match the project {project_id!r}: nothing was deleted",
                       where="--confirm")
    if yes and confirm is None:
        raise BadInput("--yes needs --confirm PROJECT_ID as well (the project ID typed a second time)",
                       where="--confirm")
    if not yes and not interactive():
        raise BadInput("no terminal to confirm on", where="--yes",
                       hint=f"pass --yes --confirm {project_id} to delete without a prompt")
    c = Common(project_id, None, None, emulator, endpoints, parallelism, output, verbose, state)
    with _session(c, project_id) as session:
        target = session.connect()
        rm = target.discovery("cloudresourcemanager", "v3")
        project = _get_project(rm, project_id)
        if project.get("state") != "ACTIVE":
            raise OperationFailed(f"project {project_id!r} is already being deleted (state {project.get('state')}"
                                  f"{', since ' + project['deleteTime'] if project.get('deleteTime') else ''})",
                                  hint=f"`gcpkit undelete project {project_id}` restores it")
        inv = inventory(target, project_id, parallelism=parallelism)
        rows = _show_inventory(project_id, inv, session.state)
        liens = _liens(rm, project_id)
        if liens:
            console.err.print(console.table(f"Liens on project {project_id} (each one blocks its deletion)",
                                            ["lien", "origin", "reason", "restrictions"],
                                            [[l["name"], l.get("origin", ""), l.get("reason", ""),
                                              ", ".join(l.get("restrictions") or [])] for l in liens]))
            if not remove_liens:
                raise LockedError(f"project {project_id!r} has {len(liens)} lien(s) that prevent its deletion: "
                                  f"{', '.join(l['name'] for l in liens)}; nothing was deleted",
                                  hint="remove them yourself, or run again with --remove-liens")
        if not yes:
            typed = typer.prompt(f"This deletes project {project_id} and everything in it. Type the project ID "
                                 "to confirm", default="", show_default=False, err=True)
            if typed.strip() != project_id:
                console.error(f"{typed.strip()!r} is not {project_id!r}: nothing was deleted")
                raise typer.Exit(1)
        removed = []
        for lien in liens:
            _rm(rm.liens().delete(name=lien["name"]))
            removed.append(lien["name"])
            console.err.print(f"Removed lien {lien['name']} ({lien.get('origin', '')}).")
        try:
            op = _rm(rm.projects().delete(name=f"projects/{project_id}"))
        except RmCallError as exc:
            if exc.status == 403:
                raise OperationFailed(f"these credentials cannot delete project {project_id!r} "
                                      f"(HTTP 403: {exc.detail})",
                                      hint="deleting a project needs resourcemanager.projects.delete "
                                           "(roles/owner, or roles/resourcemanager.projectDeleter)") from None
            if exc.status == 412:
                raise LockedError(f"project {project_id!r} cannot be deleted: {exc.detail}",
                                  hint="run again with --remove-liens") from None
            raise
        _wait(rm, op, f"deleting project {project_id}")
        after = _get_project(rm, project_id)
    undelete = f"gcpkit undelete project {project_id}"
    console.err.print(f"[green]Done.[/] Project {project_id} is {after.get('state')}: Google shuts it down and "
                      f"deletes it after {RESTORE_DAYS} days. Until then it can be restored with:\n  {undelete}")
    if c.json:
        console.print_json({"project": project_id, "state": after.get("state"), "deleteTime": after.get("deleteTime"),
                            "inventory": rows, "problems": inv.problems, "liens_removed": removed,
                            "restorable_days": RESTORE_DAYS, "undelete": undelete})


def undelete_project(project_id: str, emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None,
                     output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False,
                     state: StateOpt = None) -> None:
    """Restore project PROJECT_ID, deleted less than 30 days ago, with everything in it."""
    _check_project_id(project_id)
    c = Common(project_id, None, None, emulator, endpoints, 1, output, verbose, state)
    with _session(c, project_id) as session:
        rm = session.connect().discovery("cloudresourcemanager", "v3")
        project = _get_project(rm, project_id)
        if project.get("state") != "DELETE_REQUESTED":
            raise OperationFailed(f"project {project_id!r} is not being deleted (state {project.get('state')}): "
                                  "nothing to undelete")
        try:
            op = _rm(rm.projects().undelete(name=f"projects/{project_id}", body={}))
        except RmCallError as exc:
            if exc.status == 403:
                raise OperationFailed(f"these credentials cannot undelete project {project_id!r} "
                                      f"(HTTP 403: {exc.detail})",
                                      hint="undeleting needs resourcemanager.projects.undelete (roles/owner)") from None
            raise
        _wait(rm, op, f"undeleting project {project_id}")
        after = _get_project(rm, project_id)
    console.err.print(f"[green]Done.[/] Project {project_id} is {after.get('state')} again.")
    if c.json:
        console.print_json({"project": project_id, "state": after.get("state")})


# --- orphans ------------------------------------------------------------------------------------------------

def _age(created: str | None, now: datetime) -> tuple[float | None, str]:
    if not created:
        return None, "?"
    try:
        then = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return None, "?"
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 3600:
        text = f"{int(seconds // 60)}m"
    elif seconds < 86400:
        text = f"{seconds / 3600:.1f}h"
    else:
        text = f"{seconds / 86400:.1f}d"
    return seconds, text


def _resolved(record: Any) -> dict:
    props = record.properties or {}
    return props.get("resolved") or props.get("template") or {}


def find_orphans(inv: Any, state: Any, project_id: str) -> list[tuple[Any, str]]:
    """(resource, why) for every gcpkit-labelled resource that no deployment in the state claims."""
    from gcpkit.execution.teardown import _created_by, api_name

    records: dict[str, Any] = {}
    found_groups = {f.name for f in inv.items if f.type == "compute.v1.regionInstanceGroupManager"}
    out = []
    for f in inv.managed():
        if f.owner not in records:
            deployment = state.get_deployment(f.owner)
            # by the name the API lists it by: a service account's accountId, a bucket's or a repository's own
            records[f.owner] = (deployment, {(r.type, api_name(r.type, r.name, _resolved(r))): r
                                             for r in state.resources(f.owner)})
        deployment, recorded = records[f.owner]

        group = _created_by(f.body) if f.type == "compute.v1.instance" else None
        if group and group in found_groups:
            continue  # a VM of a group: it goes with its group, which is listed (or claimed) itself
        record = recorded.get((f.type, f.name))
        other_project = deployment is not None and (deployment.env or {}).get("project", deployment.project) \
            not in (None, "", project_id)
        if record is not None and not other_project:
            continue
        if deployment is None and not recorded:
            why = f"deployment {f.owner!r} is not in the state"
        elif other_project:
            why = f"deployment {f.owner!r} in the state is in another project"
        else:
            why = f"not recorded in deployment {f.owner!r} (a killed or failed run?)"
        out.append((f, why))
    return out


def orphans(project: ProjectOpt = None, delete: Annotated[bool, typer.Option(
                "--delete", help="Delete the orphans (dependents first), after confirming.")] = False,
            yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before deleting.")] = False,
            break_lock: Annotated[bool, typer.Option("--break-lock", help="Remove a deployment's lock first if the "
                                                     "process holding it is no longer running.")] = False,
            emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10,
            output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False, state: StateOpt = None,
            prices: PricesOpt = None) -> None:
    """List resources labelled managed-by=gcpkit that no deployment in the state claims: kind, age, cost."""
    from gcpkit.inventory import inventory, short_kind
    from gcpkit.prices import monthly_cost
    from gcpkit.pricing.table import load_table
    from gcpkit.session import resolve_project

    if yes and not delete:
        raise BadInput("--yes only applies with --delete", where="--yes")
    if delete and not yes and not interactive():
        raise BadInput("no terminal to confirm on", where="--yes", hint="pass --delete --yes to delete without a prompt")
    table = load_table(prices)  # a bad price file stops here, before any call
    currency, price_date = table.currency, table.date
    project_id = resolve_project(project)
    c = Common(project_id, None, None, emulator, endpoints, parallelism, output, verbose, state)
    now = datetime.now(timezone.utc)
    with _session(c, project_id) as session:
        target = session.connect()
        inv = inventory(target, project_id, parallelism=parallelism)
        found = find_orphans(inv, session.state, project_id)
        rows = []
        for f, why in found:
            seconds, age = _age(f.created, now)
            cost = monthly_cost(f.type, f.body, table)
            rows.append({"kind": short_kind(f.type), "type": f.type, "name": f.name, "where": f.where,
                         "deployment": f.owner, "created": f.created, "age_s": seconds, "age": age,
                         "monthly_cost": None if cost is None else round(cost, 2), "why": why})
        total = round(sum(r["monthly_cost"] or 0 for r in rows), 2)
        console.err.print(console.table(
            f"Orphans in project {project_id}: labelled managed-by=gcpkit, claimed by no deployment state",
            ["kind", "name", "where", "deployment", "age", f"est. {currency}/month", "why"],
            [[r["kind"], r["name"], r["where"], r["deployment"], r["age"],
              "?" if r["monthly_cost"] is None else f"{r['monthly_cost']:.2f}", r["why"]] for r in rows]))
        console.err.print(f"{len(rows)} orphan(s), about {total:.2f} {currency}/month (list prices of {price_date}; "
                          "estimates only)")
        for problem in inv.problems:
            console.err.print(f"[yellow]warning:[/] could not list {problem}")
        deleted: list[str] = []
        if delete and found:
            if not yes and not typer.confirm(f"Delete these {len(found)} resource(s)?", err=True):
                raise typer.Exit(1)
            deleted = _delete_orphans([f for f, _ in found], session, target, project_id, c, break_lock)
    if c.json:
        console.print_json({"project": project_id, "price_date": price_date, "currency": currency,
                            "orphans": rows, "total_monthly_cost": total, "deleted": deleted,
                            "problems": inv.problems})


def _delete_orphans(found: list[Any], session: Any, target: Any, project_id: str, c: Common,
                    break_lock: bool) -> list[str]:
    from gcpkit.execution.teardown import DISCOVERED, Item, TeardownPlan, _order_unrecorded, run_teardown
    from gcpkit.providers.base import Ctx

    by_owner: dict[str, list[Any]] = {}
    for f in found:
        by_owner.setdefault(f.owner, []).append(f)
    deleted, failures = [], []
    for owner, items in sorted(by_owner.items()):
        plan_items: dict[str, Item] = {}
        for f in items:
            key = f.name if f.name not in plan_items else f"{f.name} ({f.type.rsplit('.', 1)[-1]})"
            plan_items[key] = Item(key, f.type, f.name, DISCOVERED, f.properties(), set(), f.body)
        _order_unrecorded(plan_items)
        plan = TeardownPlan(owner, project_id, plan_items)
        with session.lock(owner, "gcpkit orphans --delete", break_stale=break_lock):
            ctx = Ctx(target, owner, {"project": project_id})
            outcome = run_teardown(plan, session.state, ctx, parallelism=c.parallelism, forget=False)
        deleted += [plan_items[k].name for k in outcome.succeeded]
        for key, error in outcome.failed.items():
            failures.append(f"{key}: {getattr(error, 'message', None) or error}")
    for failure in failures:
        console.error(failure)
    if failures:
        raise OperationFailed(f"{len(failures)} orphan(s) could not be deleted; {len(deleted)} deleted",
                              hint="fix the causes above and run `gcpkit orphans --delete` again")
    console.err.print(f"[green]Done.[/] {len(deleted)} orphan(s) deleted.")
    return sorted(deleted)
