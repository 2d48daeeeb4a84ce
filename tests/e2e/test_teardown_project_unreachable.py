"""Issue 7, emulator: "Deleting a project makes all its resources unreachable through every emulated API".
The core answers 403 for a project in DELETE_REQUESTED before any handler of any API but Resource Manager
(which must stay reachable to undelete it)."""

from __future__ import annotations

import pytest

PROJECT = "td-gone-1"

def _client(emu, api: str, version: str):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build

    from gcpkit.emulator.core.services import endpoints

    endpoint = endpoints(emu.url)[api]
    if api == "storage":
        endpoint = endpoint.rstrip("/") + "/storage/v1/"
    if api == "compute":
        endpoint = endpoint.rstrip("/") + "/compute/v1/"
    return build(api, version, credentials=AnonymousCredentials(), static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": endpoint})


CALLS = {
    "compute": ("compute", "v1", lambda c: c.firewalls().list(project=PROJECT)),
    "dns": ("dns", "v1", lambda c: c.managedZones().list(project=PROJECT)),
    "sqladmin": ("sqladmin", "v1", lambda c: c.instances().list(project=PROJECT)),
    "storage": ("storage", "v1", lambda c: c.buckets().list(project=PROJECT)),
    "secretmanager": ("secretmanager", "v1", lambda c: c.projects().secrets().list(parent=f"projects/{PROJECT}")),
    "iam": ("iam", "v1", lambda c: c.projects().serviceAccounts().list(name=f"projects/{PROJECT}")),
}


@pytest.mark.parametrize("api", list(CALLS))
def test_deleted_project_is_unreachable(cli, api):
    from googleapiclient.errors import HttpError

    runner, emu = cli
    name, version, call = CALLS[api]
    client = _client(emu, name, version)
    call(client).execute()  # reachable while ACTIVE
    from gcpkit.cli.main import app

    deleted = runner.invoke(app, ["destroy", "project", PROJECT, "--emulator", "--yes", "--confirm", PROJECT])
    assert deleted.exit_code == 0, deleted.output
    with pytest.raises(HttpError) as info:
        call(client).execute()
    assert info.value.resp.status == 403
    restored = runner.invoke(app, ["undelete", "project", PROJECT, "--emulator"])
    assert restored.exit_code == 0, restored.output
    call(client).execute()  # reachable again
