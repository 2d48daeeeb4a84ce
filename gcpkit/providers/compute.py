"""One generic provider for every Compute Engine type in compute_kinds.KINDS."""

from __future__ import annotations

import copy
import json
from typing import Any

from gcpkit.errors import BadInput
from gcpkit.providers import compute_ops, compute_schema
from gcpkit.providers.base import Ctx, Live, NotFound, description_marker, ownership_labels, owner_from, read_until_found
from gcpkit.providers.compute_kinds import ComputeKind

_SET_LABELS = {  # scope -> (request message, request field) of the generic setLabels verbs
    "zone": ("ZoneSetLabelsRequest", "zone_set_labels_request_resource"),
    "region": ("RegionSetLabelsRequest", "region_set_labels_request_resource"),
    "global": ("GlobalSetLabelsRequest", "global_set_labels_request_resource"),
}

_discovery_schemas = compute_schema.schemas  # the name source_instance.py reads Instance's fields by


class ComputeProvider:
    def __init__(self, kind: ComputeKind):
        self.kind = kind
        self.type_name = kind.type_name
        self.has_labels = kind.has_labels
        self.external = False
        self.owned_by_parent = False

    # --- validation, before any call -------------------------------------------------------------
    def fields(self) -> set[str]:
        return set(compute_schema.schemas()[self.kind.message]["properties"])

    def check_properties(self, name: str, properties: dict) -> None:
        """Check the body against Compute's discovery schema: unknown fields, types and enum values fail
        here, before any call (and without importing the client library: see compute_schema)."""
        body = {k: v for k, v in properties.items() if k not in ("zone", "region")}
        found = compute_schema.problem(self.kind.message, body)
        if found:
            raise BadInput(f"{self.type_name} properties: {found}", where=f"resource {name}")

    # --- calls -----------------------------------------------------------------------------------
    def _scope(self, ctx: Ctx, properties: dict) -> dict[str, str]:
        args = {"project": ctx.env["project"]}
        if self.kind.scope == "zone":
            args["zone"] = properties.get("zone") or ctx.env["zone"]
        elif self.kind.scope == "region":
            args["region"] = properties.get("region") or ctx.env["region"]
        return args

    def _client(self, ctx: Ctx) -> Any:
        return ctx.target.compute(self.kind.client)

    def _message(self, body: dict) -> Any:
        from google.cloud import compute_v1

        return getattr(compute_v1, self.kind.message).from_json(json.dumps(body))

    def body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = copy.deepcopy(properties)
        body.pop(self.kind.scope, None) if self.kind.scope != "global" else None
        body["name"] = name
        if self.kind.has_labels:
            body["labels"] = {**(body.get("labels") or {}), **ownership_labels(ctx.deployment)}
        else:
            marker = description_marker(ctx.deployment)
            body["description"] = f"{body['description']} {marker}" if body.get("description") else marker
        if self.kind.message == "InstanceTemplate":  # instances made from it carry the labels too
            inner = body.setdefault("properties", {})
            inner["labels"] = {**(inner.get("labels") or {}), **ownership_labels(ctx.deployment)}
        return body

    # Reads are JSON over the client library's endpoint and credentials (Target.compute_json): the dict
    # the providers compare is Compute's own answer, and a plan does not import the library at all.
    # Creates, updates and deletes go through the library.
    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        path = self._path(self._scope(ctx, properties), name)
        return _live(compute_ops.call(lambda: ctx.target.compute_json(path)))

    def read_many(self, ctx: Ctx, items: list[tuple[str, dict]]) -> dict[str, Live]:
        """Many resources of this kind at once: one paged list per scope instead of a get each (a plan
        of 1,000 live resources). Names the lists do not show are left out: the caller reads those one
        by one, so a list that lags behind a fresh create never makes a resource look missing."""
        wanted: dict[tuple, set[str]] = {}
        for name, properties in items:
            wanted.setdefault(tuple(sorted(self._scope(ctx, properties).items())), set()).add(name)
        found: dict[str, Live] = {}
        for scope, names in wanted.items():
            path = self._path(dict(scope))
            params: dict[str, Any] = {"maxResults": 500}
            while True:
                page = compute_ops.call(lambda path=path, params=params: ctx.target.compute_json(path, params))
                for item in page.get("items") or []:
                    if item.get("name") in names:
                        found[item["name"]] = _live(item)
                token = page.get("nextPageToken")
                if not token or len(found) == len(names):
                    break
                params = {**params, "pageToken": token}
        return found

    def read_after_create(self, ctx: Ctx, name: str, properties: dict, window_s: float = 10.0) -> Live:
        return read_until_found(lambda: self.read(ctx, name, properties), window_s)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self._client(ctx)
        scope = self._scope(ctx, properties)
        message = self._message(self.body(ctx, name, properties))
        op = compute_ops.call(lambda: client.insert_unary(
            request={**scope, self.kind.resource_field: message, "request_id": request_id}),
            governor=_governor(ctx))
        op = compute_ops.wait(ctx.target, scope["project"], op, ctx.deadline_s)
        if self.kind.labels_after_insert:  # GCP ignores labels in this insert: set them now
            live = self.read_after_create(ctx, name, properties)  # a new resource may answer 404 for a while
            self._run(ctx, scope, self._setter_call(client, scope, name, "labels", self.body(ctx, name, properties),
                                                    live.body))
        # Operations that GCP answers already DONE (url maps, proxies) may carry no targetLink.
        self_link = op.target_link or self.self_link(scope, name)
        body = {"name": name, "selfLink": self_link}
        if op.target_id:
            body["id"] = str(op.target_id)
        return Live(self_link=self_link, body=body)

    def self_link(self, scope: dict[str, str], name: str) -> str:
        return f"https://www.googleapis.com/compute/v1/{self._path(scope, name)}"

    def _path(self, scope: dict[str, str], name: str | None = None) -> str:
        """projects/P/{zones/Z | regions/R | global}/COLLECTION[/NAME]: a resource, or its list."""
        where = {"zone": f"zones/{scope.get('zone')}", "region": f"regions/{scope.get('region')}"}.get(
            self.kind.scope, "global")
        path = f"projects/{scope['project']}/{where}/{self.kind.collection}"
        return f"{path}/{name}" if name else path

    def updatable(self, changed: list[str]) -> bool:
        if any(field in ("zone", "region", "name") for field in changed):
            return False
        return bool(self.kind.full_update) or all(field in self.kind.setters for field in changed)

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        client = self._client(ctx)
        scope = self._scope(ctx, properties)
        body = self.body(ctx, name, properties)
        ident = {self.kind.name_field: name}
        if self.kind.full_update:
            if "fingerprint" in live.body:
                body["fingerprint"] = live.body["fingerprint"]
            request = {**scope, **ident, self.kind.resource_field: self._message(body)}
            method = getattr(client, f"{self.kind.full_update}_unary")
            self._run(ctx, scope, lambda: method(request=request))
            return live
        for field in changed:
            self._run(ctx, scope, self._setter_call(client, scope, name, field, body, live.body))
        return live

    def _setter_call(self, client: Any, scope: dict, name: str, field: str, body: dict, live: dict):
        from google.cloud import compute_v1

        setter = self.kind.setters[field]
        if self.kind.message == "Instance":
            ident = {**scope, "instance": name}
            if field == "labels":
                req = compute_v1.InstancesSetLabelsRequest(labels=body["labels"],
                                                           label_fingerprint=live.get("labelFingerprint"))
                return lambda: client.set_labels_unary(**ident, instances_set_labels_request_resource=req)
            if field == "metadata":
                meta = compute_v1.Metadata.from_json(json.dumps(
                    {**body.get("metadata", {}), "fingerprint": (live.get("metadata") or {}).get("fingerprint")}))
                return lambda: client.set_metadata_unary(**ident, metadata_resource=meta)
            tags = compute_v1.Tags.from_json(json.dumps(
                {**body.get("tags", {}), "fingerprint": (live.get("tags") or {}).get("fingerprint")}))
            return lambda: client.set_tags_unary(**ident, tags_resource=tags)
        if setter == "set_instance_template":
            req = compute_v1.RegionInstanceGroupManagersSetTemplateRequest(instance_template=body[field])
            return lambda: client.set_instance_template_unary(
                **scope, instance_group_manager=name, region_instance_group_managers_set_template_request_resource=req)
        if setter == "resize":
            return lambda: client.resize_unary(**scope, instance_group_manager=name, size=int(body[field]))
        message, req_field = _SET_LABELS[self.kind.scope]
        req = getattr(compute_v1, message)(labels=body["labels"], label_fingerprint=live.get("labelFingerprint"))
        return lambda: client.set_labels_unary(**scope, resource=name, **{req_field: req})

    def _run(self, ctx: Ctx, scope: dict, fn) -> None:
        op = compute_ops.call(fn, governor=_governor(ctx))
        compute_ops.wait(ctx.target, scope["project"], op, ctx.deadline_s)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self._client(ctx)
        scope = self._scope(ctx, properties)
        try:
            op = compute_ops.call(lambda: client.delete_unary(**scope, **{self.kind.name_field: name}),
                                  governor=_governor(ctx))
        except NotFound:
            return
        compute_ops.wait(ctx.target, scope["project"], op, ctx.deadline_s)

    def owner(self, live: Live) -> str | None:
        return owner_from(live.body)


def _governor(ctx: Ctx) -> Any:
    """The target's shared pacing of mutating calls (None for targets without one, e.g. test fakes)."""
    make = getattr(ctx.target, "governor", None)
    return make() if callable(make) else None


def _live(body: dict) -> Live:
    return Live(self_link=body.get("selfLink", ""), body=body)
