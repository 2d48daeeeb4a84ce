"""Cloud DNS: `dns.v1.managedZone` and `dns.v1.resourceRecordSet`, on google-api-python-client's dns v1
(calls, retries, error translation and adaptive polling from providers.google_api).

A managed zone's gcpkit name is its API name; it carries gcpkit's labels. A record set's gcpkit name is
logical (`web-dns-www`); its DNS name is `properties.name` ("www.example.com."), in the zone
`properties.managedZone`. Record sets have no labels: they belong to their zone (owned_by_parent).
managedZone, name and type identify a record set and are read before refs are resolved (plan,
status), so they must be written out; order a record set after its zone with metadata.dependsOn.
Record sets are created and changed with changes.create, then waited for until the change is "done".
"""

from __future__ import annotations

from typing import Any

from gcpkit.errors import BadInput
from gcpkit.providers.base import Ctx, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute, poll

ZONE_UPDATABLE = ("description", "labels")
ZONE_OUTPUT_ONLY = {"name", "id", "kind", "creationTime", "nameServers"}
RECORD_IDENTITY = ("managedZone", "name", "type")
RECORD_UPDATABLE = ("ttl", "rrdatas", "routingPolicy", "signatureRrdatas")


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and "$(ref." in value


def _bad(type_name: str, name: str, message: str) -> BadInput:
    return BadInput(f"{type_name} properties: {message}", where=f"resource {name}")


def _check_dns_name(type_name: str, name: str, field: str, value: Any) -> None:
    if _is_ref(value):
        return
    if not isinstance(value, str) or not value.endswith(".") or ".." in value or len(value) > 254:
        raise _bad(type_name, name, f"{field} must be an absolute DNS name ending with a dot, e.g. example.com., "
                                    f"got {value!r}")


class ManagedZoneProvider(ApiProvider):
    type_name = "dns.v1.managedZone"
    api = "dns"
    schema = "ManagedZone"
    has_labels = True

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        for key in properties:
            if key in ZONE_OUTPUT_ONLY:
                raise _bad(self.type_name, name, f"{key} is set by Cloud DNS (the zone's name is the resource's)")
        if "dnsName" not in properties:
            raise _bad(self.type_name, name, "dnsName is required")
        _check_dns_name(self.type_name, name, "dnsName", properties["dnsName"])

    def body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = dict(properties)
        body["name"] = name
        body.setdefault("description", f"gcpkit deployment {ctx.deployment}")
        body["labels"] = {**(body.get("labels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def _live(self, ctx: Ctx, body: dict) -> Live:
        return Live(self_link=f"projects/{ctx.env['project']}/managedZones/{body['name']}", body=body)

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        zones = self.client(ctx).managedZones()
        return self._live(ctx, execute(zones.get(project=ctx.env["project"], managedZone=name)))

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        zones = self.client(ctx).managedZones()
        body = self.body(ctx, name, properties)
        return self._live(ctx, execute(zones.create(project=ctx.env["project"], body=body)))

    def updatable(self, changed: list[str]) -> bool:
        return all(field in ZONE_UPDATABLE for field in changed)

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        zones = self.client(ctx).managedZones()
        body = self.body(ctx, name, properties)
        patch = {field: body.get(field) for field in ZONE_UPDATABLE}
        execute(zones.patch(project=ctx.env["project"], managedZone=name, body=patch))
        return self.read(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        """Refused (InUse) while the zone holds record sets other than its apex SOA and NS."""
        zones = self.client(ctx).managedZones()
        try:
            execute(zones.delete(project=ctx.env["project"], managedZone=name))
        except NotFound:
            return


class ResourceRecordSetProvider(ApiProvider):
    type_name = "dns.v1.resourceRecordSet"
    api = "dns"
    schema = "ResourceRecordSet"
    extra_properties = frozenset({"managedZone"})
    owned_by_parent = True

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        for field in RECORD_IDENTITY:
            if not properties.get(field):
                raise _bad(self.type_name, name, f"{field} is required")
            if _is_ref(properties[field]):
                raise _bad(self.type_name, name, f"{field} must be written out, not a reference (order the record "
                                                 "set after its zone with metadata.dependsOn)")
        _check_dns_name(self.type_name, name, "name", properties["name"])
        rrdatas = properties.get("rrdatas")
        if "routingPolicy" not in properties and not _is_ref(rrdatas) and (not isinstance(rrdatas, list)
                                                                            or not rrdatas):
            raise _bad(self.type_name, name, "rrdatas must be a non-empty list")
        ttl = properties.get("ttl")
        if ttl is not None and not _is_ref(ttl) and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
            raise _bad(self.type_name, name, f"ttl must be a number of seconds, got {ttl!r}")

    @staticmethod
    def record(properties: dict) -> dict:
        rr = {k: v for k, v in properties.items() if k != "managedZone" and v is not None}
        if isinstance(rr.get("rrdatas"), list):
            rr["rrdatas"] = [str(d) for d in rr["rrdatas"]]
        return rr

    @staticmethod
    def _zone(ctx: Ctx, properties: dict) -> dict:
        return {"project": ctx.env["project"], "managedZone": properties["managedZone"]}

    def _live(self, ctx: Ctx, properties: dict, body: dict) -> Live:
        return Live(self_link=(f"projects/{ctx.env['project']}/managedZones/{properties['managedZone']}/rrsets/"
                               f"{properties['name']}/{properties['type']}"), body=body)

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        rrsets = self.client(ctx).resourceRecordSets()
        body = execute(rrsets.get(**self._zone(ctx, properties), name=properties["name"], type=properties["type"]))
        return self._live(ctx, properties, body)

    def _change(self, ctx: Ctx, properties: dict, additions: list[dict], deletions: list[dict]) -> dict:
        """Apply a change and wait until it is done (adaptive polling of changes.get)."""
        changes = self.client(ctx).changes()
        zone = self._zone(ctx, properties)
        change = execute(changes.create(**zone, body={"kind": "dns#change", "additions": additions,
                                                      "deletions": deletions}))
        if change.get("status") == "done":
            return change
        return poll(lambda: execute(changes.get(**zone, changeId=change["id"])),
                    lambda c: c.get("status") == "done", deadline_s=ctx.deadline_s,
                    what=f"DNS change {change.get('id')} in zone {properties['managedZone']}", cap_s=2.0)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        change = self._change(ctx, properties, [self.record(properties)], [])
        return self._live(ctx, properties, (change.get("additions") or [self.record(properties)])[0])

    def updatable(self, changed: list[str]) -> bool:
        return all(field in RECORD_UPDATABLE for field in changed)

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        old = {k: v for k, v in live.body.items() if k != "kind"}
        change = self._change(ctx, properties, [self.record(properties)], [old])
        return self._live(ctx, properties, change["additions"][0])

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        rrsets = self.client(ctx).resourceRecordSets()
        try:
            execute(rrsets.delete(**self._zone(ctx, properties), name=properties["name"], type=properties["type"]))
        except NotFound:  # the record set, or its whole zone, is gone already
            return

    def owner(self, live: Live) -> str | None:
        return None  # no labels: a record set belongs to its zone (owned_by_parent)
