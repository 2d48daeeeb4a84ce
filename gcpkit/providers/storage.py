"""Cloud Storage buckets on the storage v1 JSON API (google-api-python-client)."""

from __future__ import annotations

import copy
import re

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers.base import Ctx, InUse, Live, NotFound, ownership_labels
from gcpkit.providers.google_api import ApiProvider, execute

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")
STORAGE_CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE")


def bucket_name_problem(name: str) -> str | None:
    """Cloud Storage's naming rules (the ones that can be checked offline), or None."""
    if not isinstance(name, str) or not BUCKET_NAME.match(name):
        return ("must be 3-63 characters of lowercase letters, digits, '-', '_' and '.', "
                "starting and ending with a letter or digit")
    if name.startswith("goog") or "google" in name or "g00gle" in name:
        return "must not start with 'goog' or contain 'google'"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "must not look like an IP address"
    if ".." in name or ".-" in name or "-." in name:
        return "must not contain '..', '.-' or '-.'"
    return None


class BucketProvider(ApiProvider):
    type_name = "storage.v1.bucket"
    api = "storage"
    schema = "Bucket"
    has_labels = True

    @staticmethod
    def _name(name: str, properties: dict) -> str:
        return properties.get("name") or name

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        bucket = self._name(name, properties)
        problem = bucket_name_problem(bucket)
        if problem:
            raise BadInput(f"invalid bucket name {bucket!r}: {problem}", where=f"resource {name}")
        storage_class = properties.get("storageClass")
        if storage_class is not None and storage_class not in STORAGE_CLASSES:
            raise BadInput(f"unknown storage class {storage_class!r} (use one of {', '.join(STORAGE_CLASSES)})",
                           where=f"resource {name}")

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).buckets().get(bucket=self._name(name, properties)))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def _body(self, ctx: Ctx, name: str, properties: dict) -> dict:
        body = copy.deepcopy(properties)
        body["name"] = self._name(name, properties)
        body["labels"] = {**(body.get("labels") or {}), **ownership_labels(ctx.deployment)}
        return body

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        body = execute(self.client(ctx).buckets().insert(project=ctx.env["project"],
                                                         body=self._body(ctx, name, properties)))
        return Live(self_link=body.get("selfLink", ""), body=body)

    def updatable(self, changed: list[str]) -> bool:
        return "name" not in changed and "location" not in changed

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        body = self._body(ctx, name, properties)
        patch = {field: body.get(field) for field in [*changed, "labels"]}
        updated = execute(self.client(ctx).buckets().patch(bucket=body["name"], body=patch))
        return Live(self_link=updated.get("selfLink", ""), body=updated)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        try:
            execute(self.client(ctx).buckets().delete(bucket=self._name(name, properties)))
        except NotFound:
            return
        except (InUse, OperationFailed) as exc:
            if "not empty" in str(exc):
                raise OperationFailed(f"bucket {self._name(name, properties)!r} is not empty",
                                      hint="gcpkit never deletes objects it did not write; empty the bucket "
                                           "yourself, then run destroy again") from None
            raise
