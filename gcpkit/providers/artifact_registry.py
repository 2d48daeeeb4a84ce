"""Artifact Registry repositories (artifactregistry v1), e.g. a Docker repository for an app's images.

A repository lives at projects/P/locations/REGION/repositories/ID (properties.location); it carries
labels, so ownership works as everywhere else. Create and delete are long-running operations
(google.longrunning: done, error, response), polled to the resource's deadline.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers.base import Ctx, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute, poll

REPOSITORY_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
FORMATS = ("DOCKER", "MAVEN", "NPM", "PYTHON", "APT", "YUM", "GO", "GENERIC", "KFP")


def wait_operation(ctx: Ctx, client: Any, op: dict, what: str) -> dict:
    if not op.get("done"):
        ops = client.projects().locations().operations()
        op = poll(lambda: execute(ops.get(name=op["name"])), lambda o: bool(o.get("done")),
                  deadline_s=ctx.deadline_s, what=what)
    if op.get("error"):
        from gcpkit.execution.retry import operation_error_text

        raise OperationFailed(f"{what} failed: {operation_error_text(op['error'])}")
    return op


class RepositoryProvider(ApiProvider):
    type_name = "artifactregistry.v1.repository"
    api = "artifactregistry"
    schema = "Repository"
    has_labels = True
    extra_properties = frozenset({"location", "repositoryId"})

    @staticmethod
    def repository_id(name: str, properties: dict) -> str:
        return properties.get("repositoryId") or name

    def _parent(self, ctx: Ctx, properties: dict) -> str:
        return f"projects/{ctx.env['project']}/locations/{properties.get('location') or ctx.env['region']}"

    def _name(self, ctx: Ctx, name: str, properties: dict) -> str:
        return f"{self._parent(ctx, properties)}/repositories/{self.repository_id(name, properties)}"

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        repo = self.repository_id(name, properties)
        if not isinstance(repo, str) or not REPOSITORY_ID.match(repo):
            raise BadInput(f"invalid repository id {repo!r}: 1-63 lowercase letters, digits and hyphens, "
                           "starting with a letter", where=f"resource {name}")
        fmt = properties.get("format")
        if fmt not in FORMATS:
            raise BadInput(f"repository format {fmt!r} is not one of {', '.join(FORMATS)}", where=f"resource {name}")

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).projects().locations().repositories().get(
            name=self._name(ctx, name, properties)))
        return Live(self_link=body.get("name", ""), body=body)

    def _body(self, ctx: Ctx, properties: dict) -> dict:
        body = {k: copy.deepcopy(v) for k, v in properties.items() if k not in ("location", "repositoryId")}
        body["labels"] = {**(body.get("labels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        op = execute(client.projects().locations().repositories().create(
            parent=self._parent(ctx, properties), repositoryId=self.repository_id(name, properties),
            body=self._body(ctx, properties)))
        wait_operation(ctx, client, op, f"creating repository {self.repository_id(name, properties)}")
        return self.read_after_create(ctx, name, properties)

    def updatable(self, changed: list[str]) -> bool:
        return set(changed) <= {"description", "labels", "cleanupPolicies"}

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        fields = sorted(set(changed) | {"labels"})
        body = self._body(ctx, properties)
        updated = execute(self.client(ctx).projects().locations().repositories().patch(
            name=self._name(ctx, name, properties), updateMask=",".join(fields),
            body={f: body.get(f) for f in fields}))
        return Live(self_link=updated.get("name", ""), body=updated)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        try:
            op = execute(client.projects().locations().repositories().delete(name=self._name(ctx, name, properties)))
        except NotFound:
            return
        wait_operation(ctx, client, op, f"deleting repository {self.repository_id(name, properties)}")
