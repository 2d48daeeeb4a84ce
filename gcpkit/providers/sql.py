"""Cloud SQL for MySQL: instances, databases and users, on sqladmin v1 (google-api-python-client).

A database or user name need not be an RFC 1035 name (`message_db`): properties.name wins over the
resource's gcpkit name. Passwords never come from the pattern: a BUILT_IN user takes its password
from a Secret Manager secret (properties.passwordSecret) at create time, and nothing keeps it."""

from __future__ import annotations

import copy
from typing import Any

from gcpkit.errors import OperationFailed
from gcpkit.providers.base import Ctx, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute, poll


def wait_operation(ctx: Ctx, client: Any, op: dict) -> dict:
    project = ctx.env["project"]
    op = poll(lambda: execute(client.operations().get(project=project, operation=op["name"])),
              lambda o: o.get("status") == "DONE", deadline_s=ctx.deadline_s,
              what=f"Cloud SQL operation {op.get('operationType', '')} {op['name']}")
    errors = (op.get("error") or {}).get("errors") or []
    if errors:
        raise OperationFailed(f"{errors[0].get('code', 'UNKNOWN')}: {errors[0].get('message', '')}")
    return op


class SqlInstanceProvider(ApiProvider):
    type_name = "sqladmin.v1.instance"
    api = "sqladmin"
    schema = "DatabaseInstance"
    has_labels = True

    def owner(self, live: Live) -> str | None:
        from gcpkit.providers.base import owner_from

        return owner_from({"labels": (live.body.get("settings") or {}).get("userLabels") or {}})

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).instances().get(project=ctx.env["project"], instance=name))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def _body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = copy.deepcopy(properties)
        body["name"] = name
        body.setdefault("region", ctx.env["region"])
        settings = body.setdefault("settings", {})
        settings["userLabels"] = {**(settings.get("userLabels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        op = execute(client.instances().insert(project=ctx.env["project"], body=self._body(ctx, name, properties)))
        wait_operation(ctx, client, op)
        return self.read(ctx, name, properties)

    def updatable(self, changed: list[str]) -> bool:
        return all(field == "settings" for field in changed)

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        client = self.client(ctx)
        body = {"settings": self._body(ctx, name, properties)["settings"]}
        op = execute(client.instances().patch(project=ctx.env["project"], instance=name, body=body))
        wait_operation(ctx, client, op)
        return self.read(ctx, name, properties)

    def protected(self, properties: dict, live: dict | None) -> bool:
        settings = (live or {}).get("settings") or properties.get("settings") or {}
        return bool(settings.get("deletionProtectionEnabled"))

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        project = ctx.env["project"]
        try:
            current = execute(client.instances().get(project=project, instance=name))
        except NotFound:
            return
        if self.protected(properties, current):
            if not ctx.force_unprotect:
                raise OperationFailed(f"Cloud SQL instance {name!r} has deletion protection on",
                                      hint="pass --force-unprotect to turn it off and delete the instance "
                                           "(its data is lost)")
            op = execute(client.instances().patch(project=project, instance=name,
                                                  body={"settings": {"deletionProtectionEnabled": False}}))
            wait_operation(ctx, client, op)
        op = execute(client.instances().delete(project=project, instance=name))
        wait_operation(ctx, client, op)


class SqlDatabaseProvider(ApiProvider):
    type_name = "sqladmin.v1.database"
    api = "sqladmin"
    schema = "Database"
    owned_by_parent = True

    @staticmethod
    def _name(name: str, properties: dict) -> str:
        return properties.get("name") or name

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).databases().get(project=ctx.env["project"], instance=properties["instance"],
                                                         database=self._name(name, properties)))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        body = {**properties, "name": self._name(name, properties)}
        op = execute(client.databases().insert(project=ctx.env["project"], instance=properties["instance"], body=body))
        wait_operation(ctx, client, op)
        return self.read(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        try:
            op = execute(client.databases().delete(project=ctx.env["project"], instance=properties["instance"],
                                                   database=self._name(name, properties)))
        except NotFound:
            return
        wait_operation(ctx, client, op)


class SqlUserProvider(ApiProvider):
    type_name = "sqladmin.v1.user"
    api = "sqladmin"
    schema = "User"
    owned_by_parent = True
    extra_properties = frozenset({"passwordSecret"})

    @staticmethod
    def _name(name: str, properties: dict) -> str:
        return properties.get("name") or name

    def check_properties(self, name: str, properties: dict) -> None:
        from gcpkit.errors import BadInput

        super().check_properties(name, properties)
        if "password" in properties:
            raise BadInput("a password must not be written in a pattern; use passwordSecret (a Secret "
                           "Manager secret that gcpkit fills with a generated password)", where=f"resource {name}")

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).users().get(project=ctx.env["project"], instance=properties["instance"],
                                                     name=self._name(name, properties)))
        return Live(self_link="", body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        body = {k: v for k, v in properties.items() if k != "passwordSecret"}
        body["name"] = self._name(name, properties)
        if properties.get("passwordSecret"):
            from gcpkit.providers.secrets import access_latest

            body["password"] = access_latest(ctx, properties["passwordSecret"])
        op = execute(client.users().insert(project=ctx.env["project"], instance=properties["instance"], body=body))
        body.pop("password", None)
        wait_operation(ctx, client, op)
        return self.read(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        try:
            op = execute(client.users().delete(project=ctx.env["project"], instance=properties["instance"],
                                               name=self._name(name, properties)))
        except NotFound:
            return
        wait_operation(ctx, client, op)
