"""gcpkit graph: the architecture as a picture, of a pattern (its design) or of a deployment (from its
state, coloured by status).

Which one a NAME means: a pattern when it names one (a built-in pattern or a pattern folder), since a
design is what a name means in docs and CI and it needs no state; else the deployment of that name in
the state. `--deployment NAME` always means the deployment (and the default deployment of a pattern
has the pattern's name, so after `gcpkit up gce-custom`, `gcpkit graph --deployment gce-custom` draws
what was built)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from gcpkit import console
from gcpkit.cli.common import (
    EmulatorOpt,
    EndpointsOpt,
    ProjectOpt,
    RegionOpt,
    StateOpt,
    VerboseOpt,
    ZoneOpt,
)
from gcpkit.cli.deploy_cmds import SetOpt, ValuesOpt
from gcpkit.errors import BadInput


class GraphFormat(str, Enum):
    svg = "svg"
    png = "png"
    dot = "dot"
    mermaid = "mermaid"


def graph(target: Annotated[str | None, typer.Argument(metavar="PATTERN|DEPLOYMENT", help=(
              "A pattern (built-in name or folder), else a deployment in the state. A name that is both "
              "means the pattern; use --deployment for the deployment."))] = None,
          deployment: Annotated[str | None, typer.Option("--deployment", "-d", help=(
              "Draw this deployment from the state, coloured by status (with PATTERN: the deployment "
              "name the pattern is drawn with, if the state has no such deployment)."))] = None,
          fmt: Annotated[GraphFormat | None, typer.Option("--format", "-f", help=(
              "mermaid or dot (text), svg or png (need Graphviz). Default: from -o's suffix, else "
              "mermaid."))] = None,
          out: Annotated[str | None, typer.Option("--out", "-o", metavar="FILE", help=(
              "Write to FILE instead of stdout."))] = None,
          set_: SetOpt = None, values: ValuesOpt = None, project: ProjectOpt = None, region: RegionOpt = None,
          zone: ZoneOpt = None, state: StateOpt = None, emulator: EmulatorOpt = False,
          endpoints: EndpointsOpt = None, verbose: VerboseOpt = False) -> None:
    """Draw PATTERN or DEPLOYMENT: resources by tier, region and zone, with arrows to what each depends on."""
    from gcpkit.graphing.render import SUFFIXES, graphviz, render

    chosen = fmt.value if fmt else SUFFIXES.get(Path(out).suffix.lower(), "mermaid") if out else "mermaid"
    if chosen in ("svg", "png"):
        graphviz()  # not installed: say so before anything else
    if chosen == "png" and out is None and sys.stdout.isatty():
        raise BadInput("PNG is binary and stdout is a terminal", where="--format", hint="write it with -o FILE.png")
    if target is None and deployment is None:
        raise BadInput("nothing to draw", hint="give a PATTERN (see `gcpkit patterns`) or --deployment NAME")
    with ExitStack() as stack:
        d = _diagram(target, deployment, set_, values, project, region, zone,
                     lambda: _state(state, emulator, endpoints, project, stack))
    data = render(d, chosen)
    if out is None:
        typer.echo(data if chosen == "png" else data.decode(), nl=False)
        return
    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        raise BadInput(f"cannot write the diagram: {exc.strerror}", where=out) from None
    console.err.print(f"Wrote {out} ({chosen}, {len(d.nodes)} resource(s)).")


def _state(state, emulator, endpoints, project, stack):
    from gcpkit.cli.info_cmds import _open_state

    return _open_state(state, emulator=emulator, endpoints=endpoints, project=project, stack=stack)


def _diagram(target, deployment, sets, values, project, region, zone, open_state):
    from gcpkit.cli.info_cmds import unknown_deployment
    from gcpkit.graphing.sources import deployment_diagram, pattern_diagram
    from gcpkit.patterns.loader import find_pattern

    def design(ref: str, name: str | None):
        return pattern_diagram(ref, deployment=name, sets=sets or [], values=values, project=project,
                               region=region, zone=zone)

    if deployment is not None:
        store = open_state()
        record = store.get_deployment(deployment)
        if record is None:
            if target is not None:
                return design(target, deployment)
            raise unknown_deployment(store, deployment)
        if sets or values:
            raise BadInput("--set and --values change a pattern's design; a deployment is drawn as last applied",
                           where="--set" if sets else "--values")
        if target is not None and find_pattern(target).name != record.pattern:
            raise BadInput(f"deployment {deployment!r} is of pattern {record.pattern!r}, not {target!r}",
                           where="--deployment")
        return deployment_diagram(store, record)
    try:
        find_pattern(target)
    except BadInput as not_a_pattern:
        import re

        from gcpkit.constants import NAME_PATTERN

        if not re.match(NAME_PATTERN, target):
            raise  # a path, which no deployment name can be
        store = open_state()
        record = store.get_deployment(target)
        if record is None:
            known = ", ".join(d.name for d in store.list_deployments()) or "none"
            raise BadInput(f"{not_a_pattern.message}; and no deployment named {target!r} in the state "
                           f"(known: {known})", hint=not_a_pattern.hint) from None
        if sets or values:
            raise BadInput("--set and --values change a pattern's design; a deployment is drawn as last applied",
                           where="--set" if sets else "--values") from None
        return deployment_diagram(store, record)
    return design(target, None)
