"""Options every deploying command shares, and the guard that turns gcpkit's errors into one clear
line, a hint and the documented exit code."""

from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Callable, Optional

import typer

from gcpkit import console
from gcpkit.errors import EXIT_FAILED, EXIT_INTERRUPTED, GcpkitError


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


ProjectOpt = Annotated[Optional[str], typer.Option("--project", help="Project ID (else GOOGLE_CLOUD_PROJECT, "
                                                   "else gcloud's configured project).")]
RegionOpt = Annotated[Optional[str], typer.Option("--region", help="Default region (us-central1).")]
ZoneOpt = Annotated[Optional[str], typer.Option("--zone", help="Default zone (first zone of the region).")]
EmulatorOpt = Annotated[bool, typer.Option("--emulator", help="Use the emulator at GCPKIT_EMULATOR_HOST, else "
                                           "start the embedded one (data in .gcpkit/emulator).")]
EndpointsOpt = Annotated[Optional[str], typer.Option("--endpoints", metavar="FILE", help="JSON map of API "
                                                     "endpoints (as `gcpkit emulator endpoints --json` prints).")]
ParallelismOpt = Annotated[int, typer.Option("--parallelism", min=1, max=200, help="Resources changed at once.")]
OutputOpt = Annotated[OutputFormat, typer.Option("--output", "-o", help="json: machine-readable result on stdout.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of unexpected errors.")]
StateOpt = Annotated[Optional[str], typer.Option("--state", metavar="PATH", help="State file, or "
                                                 "gs://BUCKET/PREFIX for team state in Cloud Storage "
                                                 "(default: `state:` in .gcpkit/config.yaml, else "
                                                 ".gcpkit/state.db).")]


@dataclass
class Common:
    project: str | None
    region: str | None
    zone: str | None
    emulator: bool
    endpoints: str | None
    parallelism: int
    output: OutputFormat
    verbose: bool
    state: str | None

    @property
    def json(self) -> bool:
        return self.output == OutputFormat.json

    def target_options(self):
        from gcpkit.session import TargetOptions

        return TargetOptions(project=self.project, emulator=self.emulator, endpoints_file=self.endpoints,
                             state_path=self.state)


# typer's own control flow (Exit and Abort are RuntimeErrors) must never be caught as a failure.
_PASS_THROUGH = (typer.Exit, typer.Abort) + ((typer.TyperException,) if hasattr(typer, "TyperException") else ())


def guarded(fn: Callable) -> Callable:
    """Run a command; gcpkit's errors become one line + hint + exit code, Ctrl-C becomes 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        verbose = bool(kwargs.get("verbose"))
        try:
            return fn(*args, **kwargs)
        except _PASS_THROUGH:
            raise
        except GcpkitError as exc:
            if verbose:
                console.err.print(traceback.format_exc())
            console.error(exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.error("interrupted", "state is saved; run the same command again to resume")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # noqa: BLE001 - the last resort: one line unless --verbose
            if verbose:
                console.err.print(traceback.format_exc())
            console.error(f"unexpected {type(exc).__name__}: {exc}",
                          None if verbose else "run again with --verbose for the traceback")
            raise typer.Exit(EXIT_FAILED) from None

    return wrapper
