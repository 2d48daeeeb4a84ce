"""`gcpkit emulator start | endpoints | reset`: run and manage the bundled local emulator.

The emulator and werkzeug are imported inside the commands, so `gcpkit --help` stays cheap.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Optional

import typer

from gcpkit.constants import (
    DEFAULT_EMULATOR_HOST,
    DEFAULT_EMULATOR_PORT,
    EMULATOR_HOST_ENV,
)
from gcpkit.errors import EXIT_BAD_INPUT, EXIT_FAILED

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
    require_auth: bool = typer.Option(False, "--require-auth", help="Require OAuth access tokens (service-account "
                                      "keys from `gcpkit emulator mint-key`) and project IAM roles, like Google."),
    token_lifetime: float = typer.Option(3600.0, min=0.001, help="Seconds an access token from /token stays valid "
                                         "(with --require-auth)."),
) -> None:
    """Run the emulator in the foreground until Ctrl-C or SIGTERM."""
    if data is not None and in_memory:
        raise _fail("--data and --in-memory exclude each other: choose one")
    from gcpkit.emulator.core.errors import ConfigError
    from gcpkit.emulator.core.server import EmulatorServer

    data_dir = None if in_memory else (data or DEFAULT_DATA_DIR)
    try:
        server = EmulatorServer(host=host, port=port, data_dir=data_dir, in_memory=in_memory, time_scale=time_scale,
                                faults=faults, log_requests=log_requests, require_auth=require_auth,
                                token_lifetime=token_lifetime)
    except ConfigError as e:
        raise _fail(str(e)) from None

    def interrupt(signum, frame):  # SIGTERM stops like Ctrl-C: werkzeug's loop ends on KeyboardInterrupt
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    where = "in memory" if data_dir is None else f"state in {data_dir}"
    if require_auth:
        where += f", auth required: tokens at {server.url}/token live {token_lifetime:g}s"
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


@emulator_app.command("mint-key")
def mint_key(
    service_account: str = typer.Option(..., "--service-account", metavar="EMAIL",
                                        help="NAME@PROJECT.iam.gserviceaccount.com"),
    out: Path = typer.Option(..., "--out", metavar="FILE", help="Where to write the JSON key file (mode 0600)."),
    role: Optional[str] = typer.Option(None, "--role", help="Also grant this role on the project, e.g. roles/editor."),
    project: Optional[str] = typer.Option(None, "--project", help="Project of --role [default: the account's]."),
    emulator: str = typer.Option(f"http://{DEFAULT_EMULATOR_HOST}:{DEFAULT_EMULATOR_PORT}", "--emulator",
                                 envvar=EMULATOR_HOST_ENV, metavar="URL",
                                 help=f"The running emulator (started with --require-auth) [env: {EMULATOR_HOST_ENV}]."),
) -> None:
    """Create a service-account key file that a --require-auth emulator accepts (for tests and demos).

    Use it as Google's: GOOGLE_APPLICATION_CREDENTIALS=FILE. The emulator keeps only the public part."""
    from gcpkit.emulator.core.auth_keys import project_of_email, valid_role

    if project_of_email(service_account) is None:
        raise _fail(f"--service-account {service_account!r}: expected NAME@PROJECT.iam.gserviceaccount.com "
                    "(NAME and PROJECT 6-30 characters: lower-case letters, digits, hyphens)")
    if role is not None and not valid_role(role):
        raise _fail(f"--role {role!r}: expected roles/NAME (e.g. roles/editor)")
    if project is not None and role is None:
        raise _fail("--project needs --role: it names where the role is granted")
    if out.is_dir():
        raise _fail(f"--out {out}: is a directory")
    base = (emulator if emulator.startswith("http") else f"http://{emulator}").rstrip("/")
    request = {"serviceAccount": service_account, **({"role": role} if role else {}),
               **({"project": project} if project else {})}
    key = _post_json(f"{base}/_emulator/keys", request, base)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(key, f, indent=2)
        os.chmod(out, 0o600)  # an existing file keeps its mode through O_CREAT
    except OSError as e:
        raise _fail(f"--out {out}: cannot write it ({e.strerror or e})") from None
    granted = f"; {role} on project {project or project_of_email(service_account)}" if role else ""
    typer.echo(f"wrote a key for {service_account} to {out} (token endpoint {key['token_uri']}{granted})")


def _post_json(url: str, body: dict, base: str) -> dict:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as e:
        if e.code == 404:
            typer.echo(f"error: the emulator at {base} does not require authentication", err=True)
            typer.echo("hint: start it with `gcpkit emulator start --require-auth`", err=True)
        else:
            detail = json.loads(e.read() or b"{}").get("error", {}).get("message", e.reason)
            typer.echo(f"error: the emulator at {base} refused the key: {detail}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        typer.echo(f"error: cannot reach the emulator at {base} ({reason})", err=True)
        typer.echo(f"hint: start it with `gcpkit emulator start --require-auth`, or set {EMULATOR_HOST_ENV}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
