"""Firestore databases (firestore v1 Admin API), e.g. the project's `(default)` database in Datastore mode.

Ownership without labels: a Firestore database carries neither labels nor a description, and the
(default) database may predate gcpkit (App Engine and Datastore users have had one for years). So:
- create never adopts: a database that already exists (409) is reported as not gcpkit's (owner() is
  None), and `up` stops there instead of taking it over; except the one a killed run of this deployment
  created: its journal says when its create call started, and a database created after that instant
  (createTime) did not predate it (made_by_intent). A clock ahead of Google's errs on the safe side
  (refused); one behind by s seconds could take a database made by someone else in the s seconds
  before the call, whose create would then have failed;
- what gcpkit created is known from its state alone, and delete checks that the live database is still
  that one (same `uid` as recorded at creation): a database deleted and re-created by someone else since
  is left alone;
- the inventory (orphans, label discovery) never lists databases: nothing there could prove ownership.

Delete protection (deleteProtectionState) is turned off only for a database gcpkit created and only
with --force-unprotect, as for Cloud SQL.
"""

from __future__ import annotations

import copy
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers.base import Ctx, Live, NotFound
from gcpkit.providers.google_api import ApiProvider, execute, poll

PROTECTED = "DELETE_PROTECTION_ENABLED"
MULTI_REGIONS = ("nam5", "nam7", "eur3")  # Firestore's multi-region locations


def wait_operation(ctx: Ctx, client: Any, op: dict, what: str) -> dict:
    """A google.longrunning operation: poll until done, raise its error."""
    if not op.get("done"):
        ops = client.projects().databases().operations()
        op = poll(lambda: execute(ops.get(name=op["name"])), lambda o: bool(o.get("done")),
                  deadline_s=ctx.deadline_s, what=what)
    error = op.get("error")
    if error:
        from gcpkit.execution.retry import operation_error_text

        raise OperationFailed(f"{what} failed: {operation_error_text(error)}")
    return op


class DatabaseProvider(ApiProvider):
    type_name = "firestore.v1.database"
    api = "firestore"
    schema = "GoogleFirestoreAdminV1Database"
    extra_properties = frozenset({"databaseId"})

    @staticmethod
    def database_id(name: str, properties: dict) -> str:
        return properties.get("databaseId") or name

    def _name(self, ctx: Ctx, name: str, properties: dict) -> str:
        return f"projects/{ctx.env['project']}/databases/{self.database_id(name, properties)}"

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        if properties.get("type") not in ("DATASTORE_MODE", "FIRESTORE_NATIVE"):
            raise BadInput("firestore.v1.database needs type DATASTORE_MODE or FIRESTORE_NATIVE",
                           where=f"resource {name}")
        if not properties.get("locationId"):
            raise BadInput("firestore.v1.database needs locationId (a region such as us-central1, or a "
                           "multi-region: nam5, eur3)", where=f"resource {name}")
        location = properties["locationId"]
        if isinstance(location, str) and location not in MULTI_REGIONS and "$(ref." not in location:
            from gcpkit.planning.regions import check_region

            check_region(location, where=f"resource {name}: locationId")  # a known region, before any call

    def owner(self, live: Live) -> str | None:
        return None  # no labels, no description: see the module doc

    def made_by_intent(self, live: Live, payload: dict) -> bool:
        """Whether the live database was created by the create call of a journal intent (its payload): it
        was created after the call started. See the module doc."""
        from datetime import datetime

        started, created = payload.get("started"), live.body.get("createTime")
        if not isinstance(started, (int, float)) or not isinstance(created, str):
            return False
        try:
            when = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return False
        return when >= started

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).projects().databases().get(name=self._name(ctx, name, properties)))
        return Live(self_link=body.get("name", ""), body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        client = self.client(ctx)
        body = {k: copy.deepcopy(v) for k, v in properties.items() if k != "databaseId"}
        op = execute(client.projects().databases().create(
            parent=f"projects/{ctx.env['project']}", databaseId=self.database_id(name, properties), body=body))
        wait_operation(ctx, client, op, f"creating Firestore database {self.database_id(name, properties)}")
        return self.read_after_create(ctx, name, properties)

    def updatable(self, changed: list[str]) -> bool:
        return set(changed) <= {"deleteProtectionState", "pointInTimeRecoveryEnablement"}

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        client = self.client(ctx)
        op = execute(client.projects().databases().patch(
            name=self._name(ctx, name, properties), updateMask=",".join(changed),
            body={k: properties.get(k) for k in changed}))
        wait_operation(ctx, client, op, f"updating Firestore database {self.database_id(name, properties)}")
        return self.read(ctx, name, properties)

    def protected(self, properties: dict, live: dict | None) -> bool:
        state = (live or {}).get("deleteProtectionState") or properties.get("deleteProtectionState")
        return state == PROTECTED

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        client = self.client(ctx)
        databases = client.projects().databases()
        resource = self._name(ctx, name, properties)
        try:
            current = execute(databases.get(name=resource))
        except NotFound:
            return
        recorded_uid = (live or {}).get("uid")
        if not recorded_uid or current.get("uid") != recorded_uid:
            raise OperationFailed(f"Firestore database {resource} is not the one gcpkit created "
                                  f"({'no uid recorded' if not recorded_uid else 'its uid changed'}): left alone",
                                  hint="delete it yourself if it should go")
        if self.protected(properties, current):
            if not ctx.force_unprotect:
                raise OperationFailed(f"Firestore database {resource} has delete protection on",
                                      hint="pass --force-unprotect to turn it off and delete the database "
                                           "(its data is lost)")
            op = execute(databases.patch(name=resource, updateMask="deleteProtectionState",
                                         body={"deleteProtectionState": "DELETE_PROTECTION_DISABLED"}))
            wait_operation(ctx, client, op, f"turning off delete protection of {resource}")
            current = execute(databases.get(name=resource))
        try:
            op = execute(databases.delete(name=resource, etag=current.get("etag")))
        except NotFound:
            return
        wait_operation(ctx, client, op, f"deleting Firestore database {resource}")
