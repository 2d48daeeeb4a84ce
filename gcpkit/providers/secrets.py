"""Secret Manager secrets holding passwords that gcpkit generates. The value goes from a random
generator to Secret Manager and from there to the API that needs it (e.g. a Cloud SQL user): it is
never printed, logged, put in metadata or kept in gcpkit's state."""

from __future__ import annotations

import base64
import secrets as random_source
import string

from gcpkit.providers.base import Ctx, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute

ALPHABET = string.ascii_letters + string.digits + "-_.~"


def generate_password(length: int = 32) -> str:
    return "".join(random_source.choice(ALPHABET) for _ in range(length))


def access_latest(ctx: Ctx, secret: str) -> str:
    """The latest version's payload of `secret` (projects/P/secrets/S), decoded."""
    client = ctx.target.discovery("secretmanager", "v1")
    version = execute(client.projects().secrets().versions().access(name=f"{secret}/versions/latest"))
    return base64.b64decode(version["payload"]["data"]).decode()


class SecretProvider(ApiProvider):
    type_name = "secretmanager.v1.secret"
    api = "secretmanager"
    schema = "Secret"
    has_labels = True
    extra_properties = frozenset({"generatePassword"})

    def _name(self, ctx: Ctx, name: str) -> str:
        return f"projects/{ctx.env['project']}/secrets/{name}"

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).projects().secrets().get(name=self._name(ctx, name)))
        return Live(self_link=body.get("name", ""), body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx).projects().secrets()
        body = {k: v for k, v in properties.items() if k != "generatePassword"}
        body.setdefault("replication", {"automatic": {}})
        body["labels"] = {**(body.get("labels") or {}), **ownership_labels(ctx.deployment)}
        created = execute(client.create(parent=f"projects/{ctx.env['project']}", secretId=name, body=body))
        if properties.get("generatePassword"):
            length = int(properties["generatePassword"]) if properties["generatePassword"] is not True else 32
            payload = base64.b64encode(generate_password(length).encode()).decode()
            execute(client.addVersion(parent=created["name"], body={"payload": {"data": payload}}))
        return Live(self_link=created["name"], body=created)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        try:
            execute(self.client(ctx).projects().secrets().delete(name=self._name(ctx, name)))
        except NotFound:
            return
