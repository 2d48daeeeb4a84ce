"""Service accounts (iam v1) and single IAM role grants on a project, bucket or secret.

A grant is one (role, member) pair added to the resource's policy by read-modify-write with the
policy's etag, retried from a fresh read when another writer got there first (409 ABORTED /
412). A grant that already existed before gcpkit is recorded as such and left in place on delete:
gcpkit removes only what it added."""

from __future__ import annotations

import time
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers.base import Conflict, Ctx, Live, NotFound, description_marker
from gcpkit.providers.google_api import ApiProvider, execute


class ServiceAccountProvider(ApiProvider):
    type_name = "iam.v1.serviceAccount"
    api = "iam"
    schema = "ServiceAccount"
    extra_properties = frozenset({"accountId"})

    @staticmethod
    def account_id(name: str, properties: dict) -> str:
        return properties.get("accountId") or name

    def check_properties(self, name: str, properties: dict) -> None:
        import re

        super().check_properties(name, properties)
        account = self.account_id(name, properties)
        if not isinstance(account, str) or not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account):
            raise BadInput(f"service account id {account!r} must be 6-30 characters: lowercase letters, digits "
                           "and hyphens, starting with a letter", where=f"resource {name}")

    def _email(self, ctx: Ctx, name: str, properties: dict) -> str:
        return f"{self.account_id(name, properties)}@{ctx.env['project']}.iam.gserviceaccount.com"

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        resource = f"projects/{ctx.env['project']}/serviceAccounts/{self._email(ctx, name, properties)}"
        body = execute(self.client(ctx).projects().serviceAccounts().get(name=resource))
        return Live(self_link=body.get("name", resource), body=body)

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        account = {k: v for k, v in properties.items() if k != "accountId"}
        marker = description_marker(ctx.deployment)
        account["description"] = f"{account['description']} {marker}" if account.get("description") else marker
        body = {"accountId": self.account_id(name, properties), "serviceAccount": account}
        created = execute(self.client(ctx).projects().serviceAccounts().create(
            name=f"projects/{ctx.env['project']}", body=body))
        return Live(self_link=created.get("name", ""), body=created)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        resource = f"projects/{ctx.env['project']}/serviceAccounts/{self._email(ctx, name, properties)}"
        try:
            execute(self.client(ctx).projects().serviceAccounts().delete(name=resource))
        except NotFound:
            return


class _GrantProvider(ApiProvider):
    """One role for one member on a resource's IAM policy. Subclasses say whose policy."""

    owned_by_parent = True
    extra_properties = frozenset({"role", "member"})
    schema = "Policy"
    attempts = 10

    def fields(self) -> set[str]:
        return set(self.extra_properties)

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        for key in ("role", "member"):
            if not properties.get(key):
                raise BadInput(f"{self.type_name} needs {key!r}", where=f"resource {name}")

    # subclasses: the policy's get/set requests
    def get_policy(self, ctx: Ctx, properties: dict) -> Any: ...
    def set_policy(self, ctx: Ctx, properties: dict, policy: dict) -> Any: ...

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        policy = execute(self.get_policy(ctx, properties))
        if not _has(policy, properties["role"], properties["member"]):
            raise NotFound(f"{properties['member']} has no {properties['role']}")
        return Live(self_link="", body={"role": properties["role"], "member": properties["member"]})

    def _modify(self, ctx: Ctx, properties: dict, add: bool) -> bool:
        """Add or remove the grant; returns whether it was there before. Retries lost etag races, and waits
        for a new service account that IAM does not know yet."""
        role, member = properties["role"], properties["member"]
        started, races = time.monotonic(), 0
        while races < self.attempts:
            policy = execute(self.get_policy(ctx, properties))
            present = _has(policy, role, member)
            if present == add:
                return present
            bindings = [b for b in policy.get("bindings", []) if b.get("members")]
            if add:
                for binding in bindings:
                    if binding.get("role") == role and not binding.get("condition"):
                        binding["members"] = sorted(set(binding["members"]) | {member})
                        break
                else:
                    bindings.append({"role": role, "members": [member]})
            else:
                for binding in bindings:
                    if binding.get("role") == role:
                        binding["members"] = [m for m in binding["members"] if m != member]
                bindings = [b for b in bindings if b["members"]]
            policy["bindings"] = bindings
            try:
                execute(self.set_policy(ctx, properties, policy))
                return present
            except (Conflict, OperationFailed) as exc:
                if add and _is_new_account_not_visible(exc, member):
                    _wait_for_account(member, started)
                    continue
                if not _is_etag_race(exc):
                    raise
                time.sleep(min(0.05 * 2 ** races, 2.0))
                races += 1
        raise OperationFailed(f"could not update the IAM policy for {role} after {self.attempts} concurrent "
                              "changes", hint="run the command again")

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        existed = self._modify(ctx, properties, add=True)
        return Live(self_link="", body={"role": properties["role"], "member": properties["member"],
                                        "preexisting": existed})

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        if (live or {}).get("preexisting"):
            return  # granted before gcpkit came: not ours to take away
        try:
            self._modify(ctx, properties, add=False)
        except NotFound:
            return


def _has(policy: dict, role: str, member: str) -> bool:
    return any(b.get("role") == role and member in (b.get("members") or []) and not b.get("condition")
               for b in policy.get("bindings", []))


# Google documents that a new service account may not be usable in a policy for up to a few minutes.
NEW_ACCOUNT_WINDOW_S = 180.0


def _is_new_account_not_visible(exc: Exception, member: str) -> bool:
    """400 "Service account X does not exist." for the member being added: IAM has not caught up with the
    account's creation yet (it is made earlier in the same run, or the run that made it was just killed)."""
    email = member.partition(":")[2]
    return bool(email) and f"Service account {email} does not exist" in str(exc)


def _wait_for_account(member: str, started: float) -> None:
    waited = time.monotonic() - started
    if waited > NEW_ACCOUNT_WINDOW_S:
        raise OperationFailed(f"IAM still says {member} does not exist after {waited:.0f}s",
                              hint="check that the service account exists; run the command again")
    time.sleep(min(0.2 + waited / 4, 10.0))


def _is_etag_race(exc: Exception) -> bool:
    text = str(exc)
    return isinstance(exc, Conflict) or "HTTP 412" in text or "HTTP 409" in text or "ABORTED" in text


class ProjectGrantProvider(_GrantProvider):
    type_name = "gcpkit.v1.projectIamMember"
    api = "cloudresourcemanager"
    version = "v3"

    def get_policy(self, ctx: Ctx, properties: dict) -> Any:
        return self.client(ctx).projects().getIamPolicy(resource=f"projects/{ctx.env['project']}", body={})

    def set_policy(self, ctx: Ctx, properties: dict, policy: dict) -> Any:
        return self.client(ctx).projects().setIamPolicy(resource=f"projects/{ctx.env['project']}",
                                                        body={"policy": policy})


class BucketGrantProvider(_GrantProvider):
    type_name = "gcpkit.v1.bucketIamMember"
    api = "storage"
    extra_properties = frozenset({"role", "member", "bucket"})

    def get_policy(self, ctx: Ctx, properties: dict) -> Any:
        return self.client(ctx).buckets().getIamPolicy(bucket=properties["bucket"])

    def set_policy(self, ctx: Ctx, properties: dict, policy: dict) -> Any:
        return self.client(ctx).buckets().setIamPolicy(bucket=properties["bucket"], body=policy)


class SecretGrantProvider(_GrantProvider):
    type_name = "gcpkit.v1.secretIamMember"
    api = "secretmanager"
    extra_properties = frozenset({"role", "member", "secret"})

    def get_policy(self, ctx: Ctx, properties: dict) -> Any:
        return self.client(ctx).projects().secrets().getIamPolicy(resource=properties["secret"])

    def set_policy(self, ctx: Ctx, properties: dict, policy: dict) -> Any:
        return self.client(ctx).projects().secrets().setIamPolicy(resource=properties["secret"],
                                                                  body={"policy": policy})
