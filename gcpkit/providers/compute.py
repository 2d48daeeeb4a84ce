"""One generic provider for every Compute Engine type in compute_kinds.KINDS."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from gcpkit.errors import BadInput
from gcpkit.providers import compute_ops
from gcpkit.providers.base import Ctx, Live, NotFound, description_marker, ownership_labels, owner_from, read_until_found
from gcpkit.providers.compute_kinds import ComputeKind

_SET_LABELS = {  # scope -> (request message, request field) of the generic setLabels verbs
    "zone": ("ZoneSetLabelsRequest", "zone_set_labels_request_resource"),
    "region": ("RegionSetLabelsRequest", "region_set_labels_request_resource"),
    "global": ("GlobalSetLabelsRequest", "global_set_labels_request_resource"),
}


@lru_cache(maxsize=1)
def _discovery_schemas() -> dict:
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("googleapiclient")
    doc = Path(spec.origin).parent / "discovery_cache" / "documents" / "compute.v1.json"
    return json.loads(doc.read_text())["schemas"]


class ComputeProvider:
    def __init__(self, kind: ComputeKind):
        self.kind = kind
        self.type_name = kind.type_name
        self.has_labels = kind.has_labels
        self.external = False
        self.owned_by_parent = False

    # --- validation, before any call -------------------------------------------------------------
    def fields(self) -> set[str]:
        return set(_discovery_schemas()[self.kind.message]["properties"])

    def check_properties(self, name: str, properties: dict) -> None:
        """Parse the body with the client library's own message type: unknown fields fail here."""
        from google.cloud import compute_v1

        body = {k: v for k, v in properties.items() if k not in ("zone", "region")}
        try:
            getattr(compute_v1, self.kind.message).from_json(json.dumps(_placeholder_refs(body)))
        except Exception as exc:  # noqa: BLE001 - protobuf's ParseError and friends; reported as bad input
            raise BadInput(f"{self.type_name} properties: {str(exc).splitlines()[0]}",
                           where=f"resource {name}") from None

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

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        client = self._client(ctx)
        scope = self._scope(ctx, properties)
        return _live(compute_ops.call(lambda: client.get(**scope, **{self.kind.name_field: name})))

    def read_many(self, ctx: Ctx, items: list[tuple[str, dict]]) -> dict[str, Live]:
        """Many resources of this kind at once: one paged list per scope instead of a get each (a plan
        of 1,000 live resources). Names the lists do not show are left out: the caller reads those one
        by one, so a list that lags behind a fresh create never makes a resource look missing."""
        client = self._client(ctx)
        wanted: dict[tuple, set[str]] = {}
        for name, properties in items:
            wanted.setdefault(tuple(sorted(self._scope(ctx, properties).items())), set()).add(name)
        found: dict[str, Live] = {}
        for scope, names in wanted.items():
            token = ""
            while True:
                request = {**dict(scope), "max_results": 500, "page_token": token}
                page = compute_ops.call(lambda: client.list(request=request))
                for msg in page.items:
                    if msg.name in names:
                        found[msg.name] = _live(msg)
                token = page.next_page_token
                if not token or len(found) == len(names):
                    break
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
            live = self.read(ctx, name, properties)
            self._run(ctx, scope, self._setter_call(client, scope, name, "labels", self.body(ctx, name, properties),
                                                    live.body))
        # Operations that GCP answers already DONE (url maps, proxies) may carry no targetLink.
        self_link = op.target_link or self.self_link(scope, name)
        body = {"name": name, "selfLink": self_link}
        if op.target_id:
            body["id"] = str(op.target_id)
        return Live(self_link=self_link, body=body)

    def self_link(self, scope: dict[str, str], name: str) -> str:
        where = {"zone": f"zones/{scope.get('zone')}", "region": f"regions/{scope.get('region')}"}.get(
            self.kind.scope, "global")
        return (f"https://www.googleapis.com/compute/v1/projects/{scope['project']}/{where}/"
                f"{self.kind.collection}/{name}")

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


def _live(msg: Any) -> Live:
    body = json.loads(type(msg).to_json(msg, use_integers_for_enums=False,
                                         always_print_fields_with_no_presence=False))
    return Live(self_link=body.get("selfLink", ""), body=body)


def _placeholder_refs(obj: Any) -> Any:
    """Refs are strings until apply; a ref standing for a number would fail a type check, so give
    numeric-looking fields no say here: only field names are checked."""
    if isinstance(obj, dict):
        return {k: _placeholder_refs(v) for k, v in obj.items()}
    if isinstance(obj, list):  # a ref in a list (healthChecks: [$(ref.hc.selfLink)]) is left out: no null items
        return [_placeholder_refs(v) for v in obj if not (isinstance(v, str) and v.startswith("$(ref."))]
    if isinstance(obj, str) and obj.startswith("$(ref."):
        return None
    return obj
