"""The gcpkit command line: thin commands that parse, call the engine, and render."""

from __future__ import annotations

import typer

from gcpkit import __version__
from gcpkit.cli.common import OneLineUsageErrors

app = typer.Typer(cls=OneLineUsageErrors, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Google Cloud architecture patterns from one command, and a clean teardown from another.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gcpkit {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    """Google Cloud architecture patterns from one command, and a clean teardown from another."""


def _register() -> None:
    from gcpkit.cli import deploy_cmds, info_cmds
    from gcpkit.cli.common import guarded
    from gcpkit.cli.emulator_cmd import emulator_app

    app.add_typer(info_cmds.patterns_app, name="patterns")
    app.command("render")(info_cmds.render)
    app.command("plan")(guarded(deploy_cmds.plan))
    app.command("up")(guarded(deploy_cmds.up))
    app.command("status")(info_cmds.status)
    app.command("outputs")(info_cmds.outputs)
    app.add_typer(deploy_cmds.destroy_app, name="destroy")
    app.add_typer(emulator_app, name="emulator", help="Run the bundled local emulator of the Google Cloud APIs.")
    from gcpkit.cli.snapshot_cmd import snapshot_to_mig
    app.command("snapshot-to-mig")(guarded(snapshot_to_mig))
    from gcpkit.cli import teardown_cmds
    deploy_cmds.destroy_app.command("project")(guarded(teardown_cmds.destroy_project))
    undelete_app = typer.Typer(no_args_is_help=True, help="Restore what gcpkit deleted (projects: for 30 days).")
    undelete_app.command("project")(guarded(teardown_cmds.undelete_project))
    app.add_typer(undelete_app, name="undelete")
    app.command("orphans")(guarded(teardown_cmds.orphans))
    from gcpkit.cli.graph_cmd import graph
    app.command("graph")(guarded(graph))


_register()


def run() -> None:
    app()
