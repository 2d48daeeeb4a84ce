"""One role for one member on a Google service account's own IAM policy (iam v1), e.g. Workload Identity:
roles/iam.workloadIdentityUser for serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA] lets that Kubernetes
service account act as the Google one, with no key file anywhere.

The same etag-checked read-modify-write as the other grants (iam._GrantProvider): lost races are retried
from a fresh read, and a binding that was there before gcpkit is left in place on delete. A service
account already deleted takes its policy with it, so a 404 on delete means done.
"""

from __future__ import annotations

import re
from typing import Any

from gcpkit.errors import BadInput
from gcpkit.providers.base import Ctx
from gcpkit.providers.iam import _GrantProvider

WORKLOAD_MEMBER = re.compile(r"^serviceAccount:[a-z0-9.:-]+\.svc\.id\.goog\[[a-z0-9-]+/[a-z0-9.-]+\]$")


def workload_member(project: str, namespace: str, ksa: str) -> str:
    return f"serviceAccount:{project}.svc.id.goog[{namespace}/{ksa}]"


class ServiceAccountGrantProvider(_GrantProvider):
    type_name = "gcpkit.v1.serviceAccountIamMember"
    api = "iam"
    extra_properties = frozenset({"role", "member", "serviceAccount"})

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        email = properties.get("serviceAccount")
        if not isinstance(email, str) or "@" not in email:
            raise BadInput(f"{self.type_name} needs 'serviceAccount' (the Google service account's email)",
                           where=f"resource {name}")
        if properties["role"] == "roles/iam.workloadIdentityUser" and not WORKLOAD_MEMBER.match(properties["member"]):
            raise BadInput(f"Workload Identity member {properties['member']!r} must look like "
                           "serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA]", where=f"resource {name}")

    @staticmethod
    def _resource(ctx: Ctx, properties: dict) -> str:
        return f"projects/{ctx.env['project']}/serviceAccounts/{properties['serviceAccount']}"

    def get_policy(self, ctx: Ctx, properties: dict) -> Any:
        return self.client(ctx).projects().serviceAccounts().getIamPolicy(resource=self._resource(ctx, properties))

    def set_policy(self, ctx: Ctx, properties: dict, policy: dict) -> Any:
        return self.client(ctx).projects().serviceAccounts().setIamPolicy(resource=self._resource(ctx, properties),
                                                                          body={"policy": policy})
