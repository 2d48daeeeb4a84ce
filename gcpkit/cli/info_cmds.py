"""gcpkit patterns / render / status / outputs: reading, no changes."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Annotated, Optional

import typer

from gcpkit import console
from gcpkit.cli.common import (Common, EmulatorOpt, EndpointsOpt, OutputOpt, OutputFormat, ProjectOpt, RegionOpt,
                               StateOpt, VerboseOpt, ZoneOpt, guarded)
from gcpkit.cli.deploy_cmds import DeploymentOpt, SetOpt, ValuesOpt
from gcpkit.errors import BadInput

patterns_app = typer.Typer(invoke_without_command=True, help="List the built-in patterns, or show one.")


@patterns_app.callback()
@guarded
def patterns_list(ctx: typer.Context, output: OutputOpt = OutputFormat.text) -> None:
    """List the built-in patterns with a one-line description."""
    if ctx.invoked_subcommand:
        return
    from gcpkit.patterns.loader import list_patterns

    found = list_patterns()
    if output == OutputFormat.json:
        console.print_json([{"name": p.name, "description": p.description} for p in found])
        return
    console.out.print(console.table(None, ["pattern", "description"], [[p.name, p.description] for p in found]))


@patterns_app.command("show")
@guarded
def patterns_show(name: str, output: OutputOpt = OutputFormat.text) -> None:
    """Show a pattern's parameters with their types and defaults."""
    from gcpkit.patterns.loader import find_pattern

    pattern = find_pattern(name)
    params = pattern.parameters
    if output == OutputFormat.json:
        console.print_json({"name": pattern.name, "description": pattern.description, "parameters": params})
        return
    console.out.print(f"{pattern.name}: {pattern.description}")
    rows = []
    for key, spec in params.items():
        default = spec.get("default", "(required)" if spec.get("required") else "")
        allowed = ", ".join(map(str, spec["enum"])) if spec.get("enum") else ""
        rows.append([key, spec.get("type", "string"), default, allowed, spec.get("description", "")])
    console.out.print(console.table(None, ["parameter", "type", "default", "allowed", "description"], rows))


@guarded
def render(pattern: str, deployment: DeploymentOpt = None, set_: SetOpt = None, values: ValuesOpt = None,
           project: ProjectOpt = None, region: RegionOpt = None, zone: ZoneOpt = None,
           verbose: VerboseOpt = False) -> None:
    """Print PATTERN's config rendered with its parameters (no API call)."""
    from gcpkit.patterns.render import render_text
    from gcpkit.patterns.schema import resolve_params
    from gcpkit.planning.build import check_deployment_name, make_env
    from gcpkit.patterns.loader import find_pattern
    from gcpkit.session import resolve_project

    found = find_pattern(pattern)
    name = deployment or found.name
    check_deployment_name(name)
    env = make_env(resolve_project(project), name, region, zone)
    text = render_text(found, resolve_params(found, set_ or [], values), env)
    typer.echo(text, nl=not text.endswith("\n"))


def unknown_deployment(store, name: str, hint: str | None = None) -> BadInput:
    """The one error for a deployment the state does not know, listing those it does."""
    known = ", ".join(d.name for d in store.list_deployments()) or "none"
    return BadInput(f"no deployment named {name!r} in the state (known: {known})", hint=hint)


def _open_state(path: str | None, *, emulator: bool = False, endpoints: str | None = None,
                project: str | None = None, stack: ExitStack | None = None):
    """The state store. State in Cloud Storage is reached through the target the flags name (with
    --emulator, the emulator's storage): the session then lives as long as `stack`."""
    from gcpkit.session import Session, TargetOptions, open_state
    from gcpkit.state.location import configured_state, is_gcs

    resolved = configured_state(path)
    if stack is None or not (emulator or endpoints) or not is_gcs(str(resolved) if resolved is not None else None):
        return open_state(path)
    session = stack.enter_context(Session(TargetOptions(project=project, emulator=emulator,
                                                        endpoints_file=endpoints, state_path=path),
                                          project or "-"))
    return session.state


@guarded
def status(deployment: Annotated[Optional[str], typer.Argument()] = None, project: ProjectOpt = None,
           emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None, output: OutputOpt = OutputFormat.text,
           verbose: VerboseOpt = False, state: StateOpt = None) -> None:
    """Without DEPLOYMENT: the deployments in the state. With it: each resource, read live."""
    with ExitStack() as stack:
        store = _open_state(state, emulator=emulator, endpoints=endpoints, project=project, stack=stack)
        _status(store, deployment, project, emulator, endpoints, output, verbose, state)


def _status(store, deployment, project, emulator, endpoints, output, verbose, state) -> None:
    if deployment is None:
        rows = [{"deployment": d.name, "pattern": d.pattern, "project": d.project,
                 "resources": len(store.resources(d.name)), "updated": d.updated_at}
                for d in store.list_deployments()]
        if output == OutputFormat.json:
            console.print_json(rows)
        else:
            console.out.print(console.table(None, ["deployment", "pattern", "project", "resources", "updated"],
                                            [list(r.values()) for r in rows]) if rows else "No deployments.")
        return
    rows = _live_status(store, deployment, Common(project, None, None, emulator, endpoints, 10, output,
                                                  verbose, state))
    if output == OutputFormat.json:
        console.print_json({"deployment": deployment, "resources": rows})
        return
    console.out.print(console.table(f"Deployment {deployment}", ["resource", "type", "exists", "status"],
                                    [[r["resource"], r["type"], "yes" if r["exists"] else "MISSING", r["status"]]
                                     for r in rows]))


def _live_status(store, deployment: str, c: Common) -> list[dict]:
    from gcpkit.providers.base import Ctx, NotFound
    from gcpkit.providers.registry import provider_for
    from gcpkit.session import Session

    record = store.get_deployment(deployment)
    if record is None:
        raise unknown_deployment(store, deployment)
    env = dict(record.env)
    env["project"] = c.project or record.project
    rows = []
    with Session(c.target_options(), env["project"]) as session:
        ctx = Ctx(session.connect(), deployment, env)
        for r in store.resources(deployment):
            try:
                live = provider_for(r.type).read(ctx, r.name, (r.properties or {}).get("resolved", {}))
                rows.append({"resource": r.name, "type": r.type, "exists": True,
                             "status": live.body.get("status", "")})
            except NotFound:
                rows.append({"resource": r.name, "type": r.type, "exists": False, "status": ""})
    return rows


@guarded
def outputs(deployment: str, output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False,
            state: StateOpt = None, emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None) -> None:
    """Print a deployment's outputs, as recorded by its last successful `up`."""
    with ExitStack() as stack:
        store = _open_state(state, emulator=emulator, endpoints=endpoints, stack=stack)
        record = store.get_deployment(deployment)
        if record is None:
            raise unknown_deployment(store, deployment)
    if output == OutputFormat.json:
        console.print_json(record.outputs)
        return
    console.out.print(console.table(None, ["name", "value"], [[k, v] for k, v in (record.outputs or {}).items()]))
