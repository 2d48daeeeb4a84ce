"""gcpkit plan / up / destroy deployment: parse, call the engine, render."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Callable, Optional

import typer

from gcpkit import console
from gcpkit.cli.common import (Common, EmulatorOpt, EndpointsOpt, OutputOpt, OutputFormat, ParallelismOpt,
                               PricesOpt, ProjectOpt, RegionOpt, StateOpt, VerboseOpt, ZoneOpt, guarded)
from gcpkit.errors import AccessDenied, BadInput, Interrupted, OperationFailed

DeploymentOpt = Annotated[Optional[str], typer.Option("--deployment", "-d", help="Deployment name "
                                                      "(default: the pattern's name).")]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", metavar="KEY=VALUE", help="A parameter value; "
                                                     "repeat for more.")]
ValuesOpt = Annotated[Optional[str], typer.Option("--values", metavar="FILE", help="YAML/JSON file of "
                                                  "parameter values.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ForceUnprotectOpt = Annotated[bool, typer.Option("--force-unprotect", help="Turn deletion protection off "
                                                 "(Cloud SQL, Firestore) so those resources can be deleted.")]
BreakLockOpt = Annotated[bool, typer.Option("--break-lock", help="Remove the deployment's lock first if the "
                                            "process holding it is no longer running (after a crash).")]

destroy_app = typer.Typer(no_args_is_help=True, help="Tear down what gcpkit created.")


def _prepare(pattern: str, deployment: str | None, sets: list[str] | None, values: str | None, c: Common,
             project_number: str | None = None):
    from gcpkit.planning.build import prepare
    from gcpkit.session import resolve_project

    project = resolve_project(c.project)
    return prepare(pattern, deployment=deployment, sets=sets or [], values_file=values, project=project,
                   region=c.region, zone=c.zone, project_number=project_number)


def _with_project_number(prep: Any, target: Any, pattern: str, deployment: str | None, sets: list[str] | None,
                         values: str | None, c: Common) -> Any:
    """`prep` again with what only the API knows, once connected: a Deployment Manager config's
    env.project_number, when one of its templates reads it (else `prep` as it is, and no call)."""
    from gcpkit.planning.project_number import fetch_project_number, needs_project_number

    if not needs_project_number(prep):
        return prep
    return _prepare(pattern, deployment, sets, values, c, fetch_project_number(target, prep.env["project"]))


def _require_yes_without_terminal(yes: bool) -> None:
    if not yes and not sys.stdin.isatty():
        raise BadInput("no terminal to confirm on", where="--yes", hint="pass --yes to apply without a prompt")


def plan(pattern: str, deployment: DeploymentOpt = None, set_: SetOpt = None, values: ValuesOpt = None,
         project: ProjectOpt = None, region: RegionOpt = None, zone: ZoneOpt = None, emulator: EmulatorOpt = False,
         endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10, output: OutputOpt = OutputFormat.text,
         verbose: VerboseOpt = False, state: StateOpt = None, prices: PricesOpt = None) -> None:
    """Show what `up` would do to each resource: create, update, replace, no change, delete; and an
    estimate of the monthly cost."""
    from gcpkit.cli.progress import plan_rows, show_plan
    from gcpkit.planning.build import build_plan
    from gcpkit.pricing.estimate import estimate_plan
    from gcpkit.pricing.report import show_estimate
    from gcpkit.pricing.table import load_table
    from gcpkit.providers.base import Ctx
    from gcpkit.session import Session

    c = Common(project, region, zone, emulator, endpoints, parallelism, output, verbose, state)
    price_table = load_table(prices)  # a bad price file stops here, before any call
    prep = _prepare(pattern, deployment, set_, values, c)
    with Session(c.target_options(), prep.env["project"]) as session:
        store = session.state
        target = session.connect()
        prep = _with_project_number(prep, target, pattern, deployment, set_, values, c)
        ctx = Ctx(target, prep.env["deployment"], prep.env)
        the_plan = build_plan(prep, store, ctx, read_all=True)
    show_plan(the_plan)
    estimate = estimate_plan(the_plan, price_table)
    show_estimate(estimate)
    if c.json:
        console.print_json({"deployment": the_plan.deployment, "pattern": the_plan.pattern,
                            "plan": plan_rows(the_plan), "changes": the_plan.has_changes,
                            "estimate": estimate.to_json()})


def up(pattern: str, deployment: DeploymentOpt = None, set_: SetOpt = None, values: ValuesOpt = None,
       yes: YesOpt = False, break_lock: BreakLockOpt = False, project: ProjectOpt = None, region: RegionOpt = None, zone: ZoneOpt = None,
       emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10,
       output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False, state: StateOpt = None,
       prices: PricesOpt = None) -> None:
    """Create or update a deployment of PATTERN: show the plan and its estimated monthly cost, confirm,
    apply, print the outputs."""
    from gcpkit.cli.progress import plan_rows
    from gcpkit.pricing.estimate import estimate_plan
    from gcpkit.pricing.table import load_table

    c = Common(project, region, zone, emulator, endpoints, parallelism, output, verbose, state)
    the_plan, outcome, _ = run_up(pattern, deployment=deployment, sets=set_, values=values, yes=yes,
                                  break_lock=break_lock, c=c, prices=prices)
    name = the_plan.deployment
    report(outcome, f"gcpkit up {pattern} --deployment {name}", name, c)
    if c.json:
        console.print_json({"deployment": name, "pattern": the_plan.pattern, "plan": plan_rows(the_plan),
                            "result": "ok", "outputs": outcome.outputs,
                            "estimate": estimate_plan(the_plan, load_table(prices)).to_json()})


def run_up(pattern: str, *, deployment: str | None, sets: list[str] | None, values: str | None, yes: bool,
           break_lock: bool, c: Common, command: str = "gcpkit up",
           after_apply: Callable[[Any, Any, Any], Any] | None = None,
           prices: str | None = None) -> tuple[Any, Any, Any]:
    """`up`'s flow, for every command that deploys a pattern: prepare (bad input fails before any call),
    lock, plan, show, confirm, apply with progress. `after_apply(ctx, plan, outcome)` runs inside the
    session (the embedded emulator still up) when the apply succeeded; its result is returned third.
    The plan's estimated monthly cost (prices: see gcpkit.pricing.table) is shown before the confirmation."""
    from gcpkit.cli.progress import ApplyProgress, show_plan
    from gcpkit.execution.apply import apply
    from gcpkit.planning.build import build_plan
    from gcpkit.pricing.estimate import estimate_plan
    from gcpkit.pricing.report import show_estimate
    from gcpkit.pricing.table import load_table
    from gcpkit.providers.base import Ctx
    from gcpkit.session import Session

    _require_yes_without_terminal(yes)
    price_table = load_table(prices)
    prep = _prepare(pattern, deployment, sets, values, c)
    name = prep.env["deployment"]
    extra = None
    with Session(c.target_options(), prep.env["project"]) as session:
        store = session.state
        with session.lock(name, command, break_stale=break_lock):
            target = session.connect()
            prep = _with_project_number(prep, target, pattern, deployment, sets, values, c)
            ctx = Ctx(target, name, prep.env)
            the_plan = build_plan(prep, store, ctx, read_all=False)
            show_plan(the_plan)
            show_estimate(estimate_plan(the_plan, price_table))
            if the_plan.has_changes and not yes and not typer.confirm("Apply this plan?", err=True):
                raise typer.Exit(1)
            actions = {n: s.action for n, s in {**the_plan.deletes, **the_plan.steps}.items()}
            with ApplyProgress(actions) as progress:
                outcome = apply(the_plan, store, ctx, parallelism=c.parallelism, on_event=progress)
            if after_apply is not None and outcome.ok:
                extra = after_apply(ctx, the_plan, outcome)
    return the_plan, outcome, extra


def _protection_note(record, force_unprotect: bool) -> str:
    from gcpkit.providers.registry import provider_for

    protected = getattr(provider_for(record.type), "protected", None)
    if protected is None or not protected((record.properties or {}).get("resolved", {}), record.live):
        return ""
    if force_unprotect:
        return "deletion protection will be turned OFF (--force-unprotect)"
    return "deletion protection is on: kept unless you pass --force-unprotect"


def report(outcome, resume: str, deployment: str, c: Common) -> None:
    """Print the result; failures name only their root causes and how to resume or clean up."""
    if outcome.interrupted and not outcome.failed:
        raise Interrupted(f"interrupted: {len(outcome.not_started)} resource(s) not started; state is saved",
                          hint=f"run `{resume}` again to resume")
    if outcome.failed:
        for name, error in outcome.failed.items():
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            console.error(f"{name}: {message}", getattr(error, "hint", None))
        skipped = f"; {len(outcome.skipped)} dependent resource(s) skipped" if outcome.skipped else ""
        denied = all(isinstance(e, AccessDenied) for e in outcome.failed.values())  # exit 4, not 1
        raise (AccessDenied if denied else OperationFailed)(
            f"{len(outcome.failed)} resource(s) failed{skipped}; {len(outcome.succeeded)} done and recorded",
            hint=f"fix the cause above and run `{resume}` again to resume"
                 + ("" if resume.startswith("gcpkit destroy") else
                    f", or `gcpkit destroy deployment {deployment}` to remove what exists"))
    if outcome.outputs and not c.json:
        console.err.print(console.table("Outputs", ["name", "value"],
                                        [[k, v] for k, v in outcome.outputs.items()]))
    console.err.print(f"[green]Done.[/] {len(outcome.succeeded)} resource(s) handled.")


@destroy_app.command("deployment")
@guarded
def destroy_deployment(name: str, yes: YesOpt = False, break_lock: BreakLockOpt = False,
                       force_unprotect: ForceUnprotectOpt = False,
                       dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the teardown plan (recorded "
                                                             "and labelled resources, in order); delete nothing.")] = False,
                       project: ProjectOpt = None, emulator: EmulatorOpt = False,
                       endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10,
                       output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False,
                       state: StateOpt = None) -> None:
    """Delete what deployment NAME created, dependents first, in parallel where the graph allows."""
    from gcpkit.cli.progress import ApplyProgress
    from gcpkit.cli.teardown_cmds import show_teardown_plan
    from gcpkit.execution.apply import destroy
    from gcpkit.execution.teardown import plan_teardown
    from gcpkit.providers.base import Ctx
    from gcpkit.session import Session, resolve_project

    c = Common(project, None, None, emulator, endpoints, parallelism, output, verbose, state)
    if not dry_run:
        _require_yes_without_terminal(yes)
    from gcpkit.cli.info_cmds import _open_state, unknown_deployment

    from contextlib import ExitStack

    with ExitStack() as stack:  # a gs:// state is read through the target the flags name (the emulator's storage)
        probe = _open_state(state, emulator=emulator, endpoints=endpoints, project=project, stack=stack)
        record = probe.get_deployment(name)
        resources = probe.resources(name)
        if record is None and not resources and not probe.pending_intents(name):
            raise unknown_deployment(probe, name,
                                     hint="`gcpkit orphans --project PROJECT` finds labelled resources no state knows")
    env = dict(record.env) if record else {}
    project_id = c.project or env.get("project") or resolve_project(None)
    env["project"] = project_id
    with Session(c.target_options(), project_id) as session:
        store = session.state
        with session.lock(name, "gcpkit destroy", break_stale=break_lock):
            ctx = Ctx(session.connect(), name, env, force_unprotect=force_unprotect)
            teardown = plan_teardown(name, store, ctx)
            rows = show_teardown_plan(teardown, force_unprotect)
            if dry_run:
                if c.json:
                    console.print_json({"deployment": name, "project": project_id, "dry_run": True, "plan": rows,
                                        "problems": teardown.problems})
                return
            if not yes and not typer.confirm(f"Delete these {len(teardown.items)} resource(s)?", err=True):
                raise typer.Exit(1)
            with ApplyProgress({k: "delete" for k in teardown.items}, verb="destroy") as progress:
                outcome = destroy(name, store, ctx, parallelism=c.parallelism, on_event=progress, plan=teardown)
    report(outcome, f"gcpkit destroy deployment {name}", name, c)
    _print_remains(teardown)
    if c.json:
        console.print_json({"deployment": name, "result": "ok", "deleted": sorted(outcome.succeeded)})


def _print_remains(teardown) -> None:
    """What outlives a teardown by the API's own rules (an App Engine application), as its type says it."""
    from gcpkit.providers.registry import provider_for

    for item in teardown.items.values():
        remains = getattr(provider_for(item.type), "remains_after_destroy", None)
        if remains is not None:
            console.err.print(remains(item.name, item.properties, item.live), markup=False, highlight=False)
