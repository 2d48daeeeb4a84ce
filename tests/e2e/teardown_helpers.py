"""Shared by the teardown tests: look-alike resources that teardown must never touch, and a census of what
carries a deployment's labels (or description marker), read with the official client."""

from __future__ import annotations

import json

from e2e_helpers import compute_client

ZONE = "us-central1-a"
REGION = "us-central1"


def _wait(emu, op) -> None:
    from google.cloud import compute_v1

    name = op.name
    if op.zone:
        client, scope = compute_client(emu, "ZoneOperationsClient"), {"zone": op.zone.rsplit("/", 1)[-1]}
    elif op.region:
        client, scope = compute_client(emu, "RegionOperationsClient"), {"region": op.region.rsplit("/", 1)[-1]}
    else:
        client, scope = compute_client(emu, "GlobalOperationsClient"), {}
    while op.status != compute_v1.Operation.Status.DONE:
        op = client.wait(project=op.self_link.split("/projects/")[1].split("/")[0], operation=name, **scope)
    assert not (op.error and op.error.errors), op.error


def make_instance(emu, project: str, name: str, labels: dict | None = None, subnetwork: str | None = None) -> None:
    from google.cloud import compute_v1

    nic = {"subnetwork": subnetwork} if subnetwork else {"network": "global/networks/default"}
    body = {"name": name, "machineType": f"zones/{ZONE}/machineTypes/e2-micro",
            "disks": [{"boot": True, "autoDelete": True,
                       "initializeParams": {"sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
            "networkInterfaces": [nic]}
    if labels:
        body["labels"] = labels
    op = compute_client(emu, "InstancesClient").insert_unary(
        project=project, zone=ZONE, instance_resource=compute_v1.Instance.from_json(json.dumps(body)))
    _wait(emu, op)


def make_firewall(emu, project: str, name: str, description: str = "") -> None:
    from google.cloud import compute_v1

    body = {"name": name, "network": "global/networks/default", "sourceRanges": ["10.0.0.0/8"],
            "allowed": [{"IPProtocol": "tcp", "ports": ["8080"]}], "description": description}
    op = compute_client(emu, "FirewallsClient").insert_unary(
        project=project, firewall_resource=compute_v1.Firewall.from_json(json.dumps(body)))
    _wait(emu, op)


def make_disk(emu, project: str, name: str, labels: dict | None = None) -> None:
    from google.cloud import compute_v1

    body = {"name": name, "sizeGb": "10", "type": f"zones/{ZONE}/diskTypes/pd-balanced", "labels": labels or {}}
    op = compute_client(emu, "DisksClient").insert_unary(
        project=project, zone=ZONE, disk_resource=compute_v1.Disk.from_json(json.dumps(body)))
    _wait(emu, op)


def lookalikes(emu, project: str, deployment: str) -> dict[str, str]:
    """Resources named like the deployment's but not its own: no labels, or another deployment's labels.
    Returns name -> kind; all must survive any teardown of `deployment`."""
    other = {"managed-by": "gcpkit", "gcpkit-deployment": f"{deployment}x"}
    make_instance(emu, project, f"{deployment}-vm-look", labels={"app": "message-board"})
    make_instance(emu, project, f"{deployment}-vm-other", labels=other)
    make_disk(emu, project, f"{deployment}-vm-1-data-look")
    make_disk(emu, project, f"{deployment}-disk-other", labels=other)
    make_firewall(emu, project, f"{deployment}-allow-look", "made by hand")
    make_firewall(emu, project, f"{deployment}-allow-other",
                  f"[managed-by=gcpkit gcpkit-deployment={deployment}x]")
    return {f"{deployment}-vm-look": "instance", f"{deployment}-vm-other": "instance",
            f"{deployment}-vm-1-data-look": "disk", f"{deployment}-disk-other": "disk",
            f"{deployment}-allow-look": "firewall", f"{deployment}-allow-other": "firewall"}


def census(emu, project: str, deployment: str) -> list[str]:
    """Every resource of the project whose labels or description marker name `deployment`."""
    from gcpkit.clients import Target
    from gcpkit.emulator.core.services import endpoints
    from gcpkit.inventory import inventory

    inv = inventory(Target(project=project, endpoints=endpoints(emu.url)), project)
    assert not inv.problems, inv.problems
    return sorted(f"{f.type}:{f.name}" for f in inv.items if f.owner == deployment)


def names(emu, project: str) -> set[str]:
    from gcpkit.clients import Target
    from gcpkit.emulator.core.services import endpoints
    from gcpkit.inventory import inventory

    return {f.name for f in inventory(Target(project=project, endpoints=endpoints(emu.url)), project).items}
