"""Staging an App Engine version's source in the deployment's own Cloud Storage bucket.

The bucket is a storage.v1.bucket of the pattern, labelled for the deployment like everything else gcpkit
creates (not App Engine's staging.PROJECT.appspot.com, which App Engine owns and gcpkit could never
delete). In it:

- each source file is an object named by the SHA1 of its content, as `gcloud app deploy` stages them, so
  a file that did not change is never uploaded again, and the version's manifest gives that SHA1 for App
  Engine to check;
- each version gcpkit deploys has a claim, `gcpkit/versions/<version id>`: its manifest as JSON, with the
  deployment and the SHA1s it references in the object's metadata. Versions carry no labels; a claim in
  the deployment's labelled bucket is gcpkit's record that it created the version (written before the
  version is created, so an interrupted deploy is still claimed), and the one proof beside the version id
  that lets gcpkit delete it. One list call returns every claim with what it references.

Every object gcpkit writes here carries metadata gcpkit-deployment=<deployment>; only such objects are
ever deleted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from gcpkit.constants import LABEL_DEPLOYMENT
from gcpkit.providers.base import Ctx, NotFound
from gcpkit.providers.google_api import execute

CLAIMS = "gcpkit/versions/"
GCS_URL = "https://storage.googleapis.com"


def version_id(deployment: str, app_yaml: str, files: dict[str, str]) -> str:
    """`<deployment>-<12 hex>`: the SHA1 of the rendered app.yaml and every file (path and content), so the
    same source is the same version and any change is a new one."""
    digest = hashlib.sha1(json.dumps({"app.yaml": app_yaml, "files": files}, sort_keys=True).encode()).hexdigest()
    return f"{deployment}-{digest[:12]}"


def _client(ctx: Ctx) -> Any:
    return ctx.target.discovery("storage", "v1")


def _uploader(ctx: Ctx) -> Any:
    """A google-cloud-storage client for uploads: google-api-python-client keeps the https scheme of its
    upload URL whatever the endpoint, so it cannot upload to an http endpoint such as the emulator's."""
    from gcpkit.state.gcs import _client_factory

    return _client_factory(ctx.target)[0]()


def _upload(uploader: Any, bucket: str, name: str, data: bytes, content_type: str, metadata: dict,
            generation: int = 0) -> None:
    """Write the object only if its generation is still `generation` (0: only if absent)."""
    from google.api_core.exceptions import PreconditionFailed

    from gcpkit.execution.retry import call_with_retry

    blob = uploader.bucket(bucket).blob(name)
    blob.metadata = metadata
    try:
        call_with_retry(lambda: blob.upload_from_string(data, content_type=content_type,
                                                        if_generation_match=generation), deadline_s=300.0)
    except PreconditionFailed:
        pass  # a concurrent run or a retried call wrote it first, with the same content


def stage_files(ctx: Ctx, bucket: str, files: dict[str, str]) -> dict[str, dict]:
    """Upload the files the bucket does not hold yet; return Deployment.files for the version. An object
    whose MD5 is not its file's (changed behind gcpkit's back) is written again: App Engine would refuse it."""
    manifest: dict[str, dict] = {}
    client, uploader = _client(ctx), None
    for path, text in sorted(files.items()):
        data = text.encode()
        digest = hashlib.sha1(data).hexdigest()
        manifest[path] = {"sourceUrl": f"{GCS_URL}/{bucket}/{digest}", "sha1Sum": digest}
        generation = 0
        try:
            staged = execute(client.objects().get(bucket=bucket, object=digest))
            if staged.get("md5Hash") == base64.b64encode(hashlib.md5(data).digest()).decode():
                continue  # content-addressed and intact: unchanged files are never uploaded again
            generation = int(staged["generation"])
        except NotFound:
            pass
        uploader = uploader or _uploader(ctx)
        _upload(uploader, bucket, digest, data, "text/plain", {LABEL_DEPLOYMENT: ctx.deployment}, generation)
    return manifest


def claim(ctx: Ctx, bucket: str, version: str, manifest: dict[str, dict]) -> None:
    sha1s = sorted({info["sha1Sum"] for info in manifest.values()})
    _upload(_uploader(ctx), bucket, CLAIMS + version, json.dumps(manifest, sort_keys=True, indent=1).encode(),
            "application/json", {LABEL_DEPLOYMENT: ctx.deployment, "sha1s": ",".join(sha1s)})


def _objects(ctx: Ctx, bucket: str, prefix: str | None = None) -> list[dict]:
    client = _client(ctx)
    out: list[dict] = []
    token = None
    while True:
        kwargs = {"bucket": bucket, "pageToken": token}
        if prefix:
            kwargs["prefix"] = prefix
        page = execute(client.objects().list(**kwargs))
        out += page.get("items") or []
        token = page.get("nextPageToken")
        if not token:
            return out


def _ours(obj: dict, deployment: str) -> bool:
    return (obj.get("metadata") or {}).get(LABEL_DEPLOYMENT) == deployment


def claims(ctx: Ctx, bucket: str) -> dict[str, set[str]]:
    """version id -> the SHA1s its manifest references, for every version this deployment claimed.
    A bucket that is gone holds no claims."""
    try:
        listed = _objects(ctx, bucket, CLAIMS)
    except NotFound:
        return {}
    return {o["name"][len(CLAIMS):]: set(filter(None, (o.get("metadata") or {}).get("sha1s", "").split(",")))
            for o in listed if _ours(o, ctx.deployment)}


def _delete(ctx: Ctx, bucket: str, name: str) -> None:
    try:
        execute(_client(ctx).objects().delete(bucket=bucket, object=name))
    except NotFound:
        pass


def release(ctx: Ctx, bucket: str, versions: list[str]) -> None:
    """Drop the claims of deleted versions, then every staged file no remaining claim references."""
    for version in versions:
        _delete(ctx, bucket, CLAIMS + version)
    try:
        listed = _objects(ctx, bucket)
    except NotFound:
        return
    kept: set[str] = set()
    for obj in listed:
        if obj["name"].startswith(CLAIMS) and _ours(obj, ctx.deployment):
            kept |= set((obj.get("metadata") or {}).get("sha1s", "").split(","))
    for obj in listed:
        if not obj["name"].startswith(CLAIMS) and _ours(obj, ctx.deployment) and obj["name"] not in kept:
            _delete(ctx, bucket, obj["name"])
