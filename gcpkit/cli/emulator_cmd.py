"""`gcpkit emulator start | endpoints | reset`: run and manage the bundled local emulator.

The emulator and werkzeug are imported inside the commands, so `gcpkit --help` stays cheap.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Optional

import typer

from gcpkit.constants import DEFAULT_EMULATOR_HOST, DEFAULT_EMULATOR_PORT
from gcpkit.errors import EXIT_BAD_INPUT

DEFAULT_DATA_DIR = Path(".gcpkit") / "emulator"

emulator_app = typer.Typer(no_args_is_help=True, add_completion=False)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_BAD_INPUT)


@emulator_app.command()
def start(
    host: str = typer.Option(DEFAULT_EMULATOR_HOST, help="Address to listen on (0.0.0.0 exposes it to the network)."),
    port: int = typer.Option(DEFAULT_EMULATOR_PORT, min=0, max=65535, help="Port; 0 picks a free one."),
    data: Optional[Path] = typer.Option(None, "--data", help=f"State directory [default: {DEFAULT_DATA_DIR}]."),
    in_memory: bool = typer.Option(False, "--in-memory", help="Keep state in memory only."),
    time_scale: float = typer.Option(0.01, min=0.0, help="Multiplier of realistic operation durations (1 = real time)."),
    faults: Optional[Path] = typer.Option(None, help="YAML/JSON file of fault injection rules."),
    log_requests: Optional[Path] = typer.Option(None, help="Append one JSON line per request to this file."),
) -> None:
    """Run the emulator in the foreground until Ctrl-C or SIGTERM."""
    if data is not None and in_memory:
        raise _fail("--data and --in-memory exclude each other: choose one")
    from gcpkit.emulator.core.errors import ConfigError
    from gcpkit.emulator.core.server import EmulatorServer

    data_dir = None if in_memory else (data or DEFAULT_DATA_DIR)
    try:
        server = EmulatorServer(host=host, port=port, data_dir=data_dir, in_memory=in_memory, time_scale=time_scale,
                                faults=faults, log_requests=log_requests)
    except ConfigError as e:
        raise _fail(str(e)) from None

    def interrupt(signum, frame):  # SIGTERM stops like Ctrl-C: werkzeug's loop ends on KeyboardInterrupt
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    where = "in memory" if data_dir is None else f"state in {data_dir}"
    typer.echo(f"gcpkit emulator listening on {server.url} ({where}, time scale {time_scale:g}, "
               f"APIs: {', '.join(server.endpoints()) or 'none'})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


@emulator_app.command()
def endpoints(
    host: str = typer.Option(DEFAULT_EMULATOR_HOST, help="Address the emulator listens on."),
    port: int = typer.Option(DEFAULT_EMULATOR_PORT, min=1, max=65535, help="Port the emulator listens on."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print the endpoint each client library needs for an emulator at HOST:PORT."""
    from gcpkit.emulator.core.services import endpoints as compute_endpoints

    shown_host = f"[{host}]" if ":" in host else host
    mapping = compute_endpoints(f"http://{shown_host}:{port}")
    if as_json:
        typer.echo(json.dumps(mapping, indent=2, sort_keys=True))
        return
    width = max([len("API")] + [len(k) for k in mapping])
    typer.echo(f"{'API':<{width}}  ENDPOINT")
    for key, value in sorted(mapping.items()):
        typer.echo(f"{key:<{width}}  {value}")


@emulator_app.command()
def reset(
    data: Path = typer.Option(DEFAULT_DATA_DIR, "--data", help="State directory of the emulator."),
) -> None:
    """Empty the emulator's saved state (a running emulator on the same directory sees it at once)."""
    from gcpkit.emulator.core.errors import ConfigError
    from gcpkit.emulator.core.server import DB_FILENAME, open_store

    if not (data / DB_FILENAME).exists():
        if data.exists() and not data.is_dir():
            raise _fail(f"data dir {data}: not a directory")
        typer.echo(f"no emulator state in {data}: nothing to reset")
        return
    try:
        store = open_store(data)
    except ConfigError as e:
        raise _fail(str(e)) from None
    try:
        store.reset()
    except Exception as e:  # sqlite3.Error: read-only or locked database
        raise _fail(f"data dir {data}: cannot empty {DB_FILENAME} ({e})") from None
    finally:
        store.close()
    typer.echo(f"emptied the emulator state in {data}")
