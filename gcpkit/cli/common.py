"""Options every deploying command shares, and the guard that turns gcpkit's errors into one clear
line, a hint and the documented exit code."""

from __future__ import annotations

import contextlib
import functools
import traceback
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Callable, Optional

import typer
from typer.core import TyperGroup

from gcpkit import console
from gcpkit.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, GcpkitError


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


@contextlib.contextmanager
def _usage_error_as_one_line():
    try:
        yield
    except Exception as exc:  # click's UsageError, whether typer vendors click (0.2x) or depends on it
        # Usage errors (exit code 2: unknown option, bad choice, missing argument...) are bad input like
        # any other; the help a bare group prints (NoArgsIsHelpError) stays as it is.
        if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message") \
                or type(exc).__name__ == "NoArgsIsHelpError":
            raise
        message = exc.format_message().replace("Value error, ", "")  # typer 0.2x prefixes a bad choice with it
        ctx = getattr(exc, "ctx", None)
        console.error(message[:1].lower() + message[1:], f"see `{ctx.command_path} --help`" if ctx else None)
        raise typer.Exit(EXIT_BAD_INPUT) from None


class OneLineUsageErrors(TyperGroup):
    """The root command group: a flag click rejects is reported as one `error:` line, a hint and exit 2,
    as gcpkit reports all bad input, instead of click's usage text and boxed message."""

    def make_context(self, *args, **kwargs):
        with _usage_error_as_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):  # subcommands parse their flags in here
        with _usage_error_as_one_line():
            return super().invoke(ctx)


PricesOpt = Annotated[str | None, typer.Option("--prices", metavar="FILE", help="Prices to estimate the "
                                                 "monthly cost with, merged over gcpkit's table (default: "
                                                 "`prices:` in .gcpkit/config.yaml).")]
