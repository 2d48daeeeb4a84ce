"""Two "external" types that act on a VM gcpkit does not own (e.g. one someone configured by hand):

- `gcpkit.v1.sourceInstance` (properties: instance, zone, stop, extraTags): create reads the VM and,
  when it is running and `stop` is true, stops it and waits (so a snapshot of its disk is consistent).
  Its live body is the VM's body, so refs such as `$(ref.X.disks[0].source)` or `$(ref.X.machineType)`
  work, plus convenience fields an instance template can take as they are:
  `machineTypeName` (e2-small), `bootDisk` (the boot disk's URL), `templateMetadata` ({items}),
  `templateServiceAccounts` ([{email, scopes}]), `templateTags` ({items}: the VM's tags + extraTags)
  and `templateNetworkInterfaces` (network, subnetwork, an ephemeral external IP if the VM has one).
- `gcpkit.v1.instanceStart` (properties: instance, zone): create starts the VM if it is stopped and waits.

Both are never checked for ownership, and their delete leaves the VM exactly as it is.
"""

from __future__ import annotations

import re
import time
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers import compute_ops
from gcpkit.providers.base import Ctx, Live, NotFound

_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_RUNNING = ("PROVISIONING", "STAGING", "RUNNING", "REPAIRING")
_STOPPED = ("TERMINATED", "STOPPED", "SUSPENDED")
CONVENIENCE_FIELDS = {"machineTypeName", "bootDisk", "templateMetadata", "templateServiceAccounts", "templateTags",
                      "templateNetworkInterfaces"}


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and "$(ref." in value


def _last(url: str) -> str:
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def _instance_fields() -> set[str]:
    from gcpkit.providers.compute import _discovery_schemas

    return set(_discovery_schemas()["Instance"]["properties"])


def _check(type_name: str, name: str, properties: dict, allowed: dict[str, type]) -> None:
    where = f"resource {name}"
    for key, value in properties.items():
        if key not in allowed:
            raise BadInput(f"{type_name} properties: unknown field {key!r}; allowed: {', '.join(allowed)}",
                           where=where)
        if _is_ref(value):
            continue
        if not isinstance(value, allowed[key]) or (allowed[key] is not bool and isinstance(value, bool)):
            raise BadInput(f"{type_name} properties: {key} must be a {allowed[key].__name__}", where=where)
    for key in ("instance", "zone"):
        if not properties.get(key):
            raise BadInput(f"{type_name} properties: {key} is required", where=where)
    for key in ("instance", "zone"):  # they identify the VM, also when reading it before refs are resolved
        if _is_ref(properties[key]):
            raise BadInput(f"{type_name} properties: {key} must be written out, not a reference", where=where)
    instance = properties["instance"]
    if not _NAME.match(instance):
        raise BadInput(f"{type_name} properties: instance {instance!r} is not a valid instance name", where=where)
    for tag in properties.get("extraTags") or []:
        if not isinstance(tag, str) or (not _is_ref(tag) and not _NAME.match(tag)):
            raise BadInput(f"{type_name} properties: extraTags: {tag!r} is not a valid network tag", where=where)


class _VmActions:
    """Reading, stopping and starting one VM by name (not by the gcpkit resource name)."""

    type_name = ""
    has_labels = False
    external = True
    owned_by_parent = False

    def fields(self) -> set[str]:
        return _instance_fields() | CONVENIENCE_FIELDS

    def _get(self, ctx: Ctx, properties: dict) -> dict:
        from gcpkit.providers.compute import ComputeProvider
        from gcpkit.providers.compute_kinds import KINDS

        live = ComputeProvider(KINDS["compute.v1.instance"]).read(ctx, properties["instance"],
                                                                 {"zone": properties["zone"]})
        return live.body

    def _get_or_fail(self, ctx: Ctx, properties: dict) -> dict:
        try:
            return self._get(ctx, properties)
        except NotFound:
            raise OperationFailed(f"source instance {properties['instance']!r} not found in zone "
                                  f"{properties['zone']} of project {ctx.env['project']}",
                                  hint="check --instance, --zone and --project") from None

    def _verb(self, ctx: Ctx, properties: dict, verb: str, request_id: str) -> None:
        client = ctx.target.compute("InstancesClient")
        args = {"project": ctx.env["project"], "zone": properties["zone"], "instance": properties["instance"],
                "request_id": request_id}
        make = getattr(ctx.target, "governor", None)  # the target's pacing of mutating calls, when it has one
        op = compute_ops.call(lambda: getattr(client, f"{verb}_unary")(request=args),
                              governor=make() if callable(make) else None)
        compute_ops.wait(ctx.target, ctx.env["project"], op, ctx.deadline_s)

    def _wait_status(self, ctx: Ctx, properties: dict, wanted: tuple[str, ...], deadline_s: float) -> dict:
        """Poll (with growing delays) until the VM's status is one of `wanted`; return its body."""
        deadline = time.monotonic() + deadline_s
        delay = 0.05
        while True:
            body = self._get_or_fail(ctx, properties)
            if body.get("status") in wanted:
                return body
            if time.monotonic() + delay > deadline:
                raise OperationFailed(f"instance {properties['instance']!r} is still {body.get('status')} "
                                      f"after {deadline_s:.0f}s (waiting for {' or '.join(wanted)})",
                                      hint="run the command again once it has settled")
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        return self._live(self._get(ctx, properties), properties)

    def read_after_create(self, ctx: Ctx, name: str, properties: dict, window_s: float = 10.0) -> Live:
        return self.read(ctx, name, properties)

    def _live(self, body: dict, properties: dict) -> Live:
        return Live(self_link=body.get("selfLink", ""), body=body)

    def updatable(self, changed: list[str]) -> bool:
        return not any(field in ("instance", "zone") for field in changed)

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        return self.read(ctx, name, properties)  # nothing to change on the VM itself

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        """The VM is not ours: leave it exactly as it is."""

    def owner(self, live: Live) -> str | None:
        return None


class SourceInstanceProvider(_VmActions):
    type_name = "gcpkit.v1.sourceInstance"

    def check_properties(self, name: str, properties: dict) -> None:
        _check(self.type_name, name, properties, {"instance": str, "zone": str, "stop": bool, "extraTags": list})

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        body = self._get_or_fail(ctx, properties)
        status = body.get("status")
        if properties.get("stop", True):
            if status in _RUNNING:
                self._verb(ctx, properties, "stop", request_id)
            if status not in _STOPPED:
                body = self._wait_status(ctx, properties, _STOPPED, ctx.deadline_s)
        return self._live(body, properties)

    def _live(self, body: dict, properties: dict) -> Live:
        return Live(self_link=body.get("selfLink", ""), body={**body, **conveniences(body, properties)})


class InstanceStartProvider(_VmActions):
    type_name = "gcpkit.v1.instanceStart"

    def check_properties(self, name: str, properties: dict) -> None:
        _check(self.type_name, name, properties, {"instance": str, "zone": str})

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        body = self._get_or_fail(ctx, properties)
        if body.get("status") == "STOPPING":
            body = self._wait_status(ctx, properties, _STOPPED, ctx.deadline_s)
        if body.get("status") == "TERMINATED":
            self._verb(ctx, properties, "start", request_id)
            body = self._get_or_fail(ctx, properties)
        return self._live(body, properties)


def conveniences(vm: dict, properties: dict) -> dict:
    """The VM's settings in the shape an instance template's `properties` takes them."""
    disks = vm.get("disks") or []
    boot = next((d for d in disks if d.get("boot")), disks[0] if disks else {})
    metadata = {"items": [{"key": i["key"], "value": i.get("value", "")}
                          for i in (vm.get("metadata") or {}).get("items") or []]}
    tags: list[str] = []
    for tag in [*((vm.get("tags") or {}).get("items") or []), *(properties.get("extraTags") or [])]:
        if tag not in tags:
            tags.append(tag)
    nics = []
    for nic in vm.get("networkInterfaces") or []:
        out = {k: nic[k] for k in ("network", "subnetwork") if nic.get(k)}
        if nic.get("accessConfigs"):
            out["accessConfigs"] = [{"name": "External NAT", "type": "ONE_TO_ONE_NAT",
                                     "networkTier": nic["accessConfigs"][0].get("networkTier", "PREMIUM")}]
        nics.append(out)
    return {
        "machineTypeName": _last(vm.get("machineType", "")),
        "bootDisk": boot.get("source", ""),
        "templateMetadata": metadata,
        "templateServiceAccounts": [{"email": sa.get("email", ""), "scopes": list(sa.get("scopes") or [])}
                                    for sa in vm.get("serviceAccounts") or []],
        "templateTags": {"items": tags},
        "templateNetworkInterfaces": nics,
    }
