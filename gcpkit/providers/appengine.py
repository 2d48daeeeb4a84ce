"""App Engine on the Admin API v1 (google-api-python-client): the application, and the deployed version of
one service.

The application (appengine.v1.application) is created once per project and can never be deleted or moved
to another region; it has no labels. gcpkit creates it when the project has none; when the project
already has one in the pattern's region, gcpkit deploys versions into it without claiming it; in another
region, it stops with a message saying which region to use. Either way `destroy deployment` leaves it
(App Engine offers no delete) and says so.

The version (appengine.v1.version) stands for "this source serves all of the service's traffic": its id is
derived from the source (see appengine_staging.version_id), so an unchanged source plans as no change and
a changed one as an update that deploys a new version, moves all traffic to it, then deletes this
deployment's older versions beyond keepVersions. Ownership of a version is proved by both its id
(`<deployment>-<12 hex>`) and the deployment's claim in its labelled staging bucket; nothing else is ever
deleted. App Engine refuses to delete a version that receives traffic and never deletes the default
service, so the version serving "default" outlives `destroy deployment`, with the application.
"""

from __future__ import annotations

import re
from typing import Any

from gcpkit.errors import BadInput, OperationFailed
from gcpkit.providers import appengine_staging as staging
from gcpkit.providers import appengine_yaml
from gcpkit.providers.base import Conflict, Ctx, Live, NotFound
from gcpkit.providers.google_api import ApiProvider, execute, poll

# App Engine locations (us-central and europe-west are us-central1 and europe-west1).
LOCATIONS = ("us-central", "us-east1", "us-east4", "us-west1", "us-west2", "us-west3", "us-west4",
             "northamerica-northeast1", "southamerica-east1", "europe-west", "europe-west2", "europe-west3",
             "europe-west6", "europe-central2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
             "asia-east1", "asia-east2", "asia-south1", "asia-southeast1", "asia-southeast2", "australia-southeast1")
SERVICE_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def wait_operation(ctx: Ctx, client: Any, op: dict, what: str) -> dict:
    """Poll apps.operations.get until done; an operation error becomes OperationFailed with its message."""
    app_id, op_id = op["name"].split("/")[1], op["name"].rsplit("/", 1)[1]  # apps/APP/operations/ID
    if not op.get("done"):
        op = poll(lambda: execute(client.apps().operations().get(appsId=app_id, operationsId=op_id)),
                  lambda o: bool(o.get("done")), deadline_s=ctx.deadline_s, what=what)
    error = op.get("error")
    if error:
        from gcpkit.execution.retry import operation_error_text

        raise OperationFailed(f"{what} failed: {operation_error_text(error)}")
    return op


class ApplicationProvider(ApiProvider):
    type_name = "appengine.v1.application"
    api = "appengine"
    schema = "Application"
    # Never claimed, never deleted: App Engine applications live as long as their project.
    external = True
    destroy_note = "kept: App Engine cannot delete an application"

    def check_properties(self, name: str, properties: dict) -> None:
        super().check_properties(name, properties)
        location = properties.get("locationId")
        if location not in LOCATIONS:
            raise BadInput(f"App Engine does not run in {location!r}", where=f"resource {name}",
                           hint=f"App Engine locations: {', '.join(LOCATIONS)} (us-central is us-central1, "
                                "europe-west is europe-west1)")

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        body = execute(self.client(ctx).apps().get(appsId=ctx.env["project"]))
        return Live(self_link=body.get("name", ""), body=body)

    def _same_region(self, ctx: Ctx, live: Live, properties: dict) -> Live:
        existing, wanted = live.body.get("locationId"), properties.get("locationId")
        if existing != wanted:
            raise OperationFailed(
                f"project {ctx.env['project']} already has an App Engine application, in {existing}, not {wanted}",
                hint="an application can never move: deploy to its region (--region, or --set region=...)")
        return live

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        try:  # one per project, maybe made before gcpkit: look first, so it is never "created" twice
            return self._same_region(ctx, self.read(ctx, name, properties), properties)
        except NotFound:
            pass
        client = self.client(ctx)
        try:
            op = execute(client.apps().create(body={"id": ctx.env["project"], "locationId": properties["locationId"]}))
        except Conflict:  # created meanwhile by someone else
            return self._same_region(ctx, self.read(ctx, name, properties), properties)
        wait_operation(ctx, client, op, f"creating the App Engine application of {ctx.env['project']}")
        return self.read_after_create(ctx, name, properties)

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        return None  # App Engine cannot delete an application; remains_after_destroy says so

    def remains_after_destroy(self, name: str, properties: dict, live: dict | None) -> str:
        location = (live or {}).get("locationId") or properties.get("locationId") or "its region"
        app = (live or {}).get("id") or "of this project"
        return (f"The App Engine application {app} ({location}) remains until the project is deleted: App Engine "
                "cannot delete an application, nor the version serving its default service.")


class VersionProvider(ApiProvider):
    type_name = "appengine.v1.version"
    api = "appengine"
    schema = "Version"
    PROPERTIES = ("service", "appYaml", "files", "stagingBucket", "keepVersions")
    # What read() adds to the Version it returns (for $(ref...) in outputs): see read().
    READ_FIELDS = frozenset({"service", "stagingBucket", "serviceUrl", "claimedBy"})

    def fields(self) -> set[str]:
        """Fields a $(ref...) may name: the live Version's and READ_FIELDS (properties are checked apart)."""
        return super().fields() | self.READ_FIELDS

    def check_properties(self, name: str, properties: dict) -> None:
        from gcpkit.patterns.schema import did_you_mean
        from gcpkit.providers.storage import bucket_name_problem

        where = f"resource {name}"
        for key in properties:
            if key not in self.PROPERTIES:
                raise BadInput(f"{self.type_name} has no property {key!r}{did_you_mean(key, self.PROPERTIES)}",
                               where=where)
        for key in self.PROPERTIES:
            if key not in properties:
                raise BadInput(f"{self.type_name} needs property {key!r}", where=where)
        service = properties["service"]
        if not isinstance(service, str) or not SERVICE_ID.match(service):
            raise BadInput(f"invalid App Engine service {service!r}: 1-63 lowercase letters, digits and hyphens",
                           where=where)
        keep = properties["keepVersions"]
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
            raise BadInput(f"keepVersions must be an integer >= 1, got {keep!r}", where=where)
        files = properties["files"]
        if not isinstance(files, dict) or not files or not all(isinstance(v, str) for v in files.values()):
            raise BadInput("files must map each source path to its text", where=where)
        problem = bucket_name_problem(properties["stagingBucket"])
        if problem:
            raise BadInput(f"invalid staging bucket name {properties['stagingBucket']!r}: {problem}", where=where)
        appengine_yaml.parse(properties["appYaml"], where)

    # ---- reading -----------------------------------------------------------------------------------

    @staticmethod
    def _where(properties: dict, live: dict | None = None) -> tuple[str, str]:
        """(service, staging bucket): as last deployed when known (a replace moves them), else as desired."""
        live = live or {}
        return live.get("service") or properties["service"], live.get("stagingBucket") or properties["stagingBucket"]

    def _ours(self, ctx: Ctx, version: str, claimed: dict) -> bool:
        return bool(re.fullmatch(re.escape(ctx.deployment) + r"-[0-9a-f]{12}", version)) and version in claimed

    def read(self, ctx: Ctx, name: str, properties: dict) -> Live:
        """The version this source deploys to, if it exists and serves all of its service's traffic (else
        NotFound: `up` then finishes the deploy); `claimedBy` names the deployment whose claim proves it."""
        if not all(k in properties for k in ("service", "appYaml", "files", "stagingBucket")):
            raise NotFound("not enough known to find the version")  # only a journal entry, nothing recorded
        client = self.client(ctx)
        app_id, (service, bucket) = ctx.env["project"], self._where(properties)
        version_id = staging.version_id(ctx.deployment, properties["appYaml"], properties["files"])
        split = execute(client.apps().services().get(appsId=app_id, servicesId=service)).get("split") or {}
        if (split.get("allocations") or {}).get(version_id) != 1:
            raise NotFound(f"version {version_id} does not serve all traffic of service {service}")
        version = execute(client.apps().services().versions().get(appsId=app_id, servicesId=service,
                                                                  versionsId=version_id))
        app = execute(client.apps().get(appsId=app_id))
        host = app["defaultHostname"]
        body = {**version, "service": service, "stagingBucket": bucket,
                "serviceUrl": f"https://{host}" if service == "default" else f"https://{service}-dot-{host}"}
        if version_id in staging.claims(ctx, bucket):
            body["claimedBy"] = ctx.deployment
        return Live(self_link=version.get("name", ""), body=body)

    def owner(self, live: Live) -> str | None:
        return live.body.get("claimedBy")

    # ---- deploying ---------------------------------------------------------------------------------

    def create(self, ctx: Ctx, name: str, properties: dict, request_id: str) -> Live:
        self._deploy(ctx, properties)
        return self.read_after_create(ctx, name, properties)  # a new version may answer 404 for a while

    def updatable(self, changed: list[str]) -> bool:
        return not {"service", "stagingBucket"} & set(changed)  # those replace: the old service is cleaned up

    def update(self, ctx: Ctx, name: str, properties: dict, live: Live, changed: list[str]) -> Live:
        return self.create(ctx, name, properties, "")

    def _deploy(self, ctx: Ctx, properties: dict) -> None:
        client = self.client(ctx)
        app_id, service, bucket = ctx.env["project"], properties["service"], properties["stagingBucket"]
        version_id = staging.version_id(ctx.deployment, properties["appYaml"], properties["files"])
        versions = client.apps().services().versions()
        manifest = staging.stage_files(ctx, bucket, properties["files"])
        staging.claim(ctx, bucket, version_id, manifest)
        try:
            execute(versions.get(appsId=app_id, servicesId=service, versionsId=version_id))
        except NotFound:
            body = {**appengine_yaml.parse(properties["appYaml"], "appYaml"), "id": version_id,
                    "deployment": {"files": manifest}}
            op = execute(versions.create(appsId=app_id, servicesId=service, body=body))
            wait_operation(ctx, client, op, f"deploying version {version_id} of service {service}")
        self._migrate(ctx, client, service, version_id)
        self._prune(ctx, client, service, bucket, version_id, int(properties["keepVersions"]))

    def _migrate(self, ctx: Ctx, client: Any, service: str, version_id: str) -> None:
        app_id = ctx.env["project"]
        current = execute(client.apps().services().get(appsId=app_id, servicesId=service))
        if ((current.get("split") or {}).get("allocations") or {}) == {version_id: 1}:
            return  # the first version of a service already has it all
        op = execute(client.apps().services().patch(
            appsId=app_id, servicesId=service, updateMask="split",
            body={"split": {"allocations": {version_id: 1}, "shardBy": "IP"}}))
        wait_operation(ctx, client, op, f"moving the traffic of service {service} to version {version_id}")

    def _list_versions(self, ctx: Ctx, client: Any, service: str) -> list[dict]:
        out, token = [], None
        while True:
            page = execute(client.apps().services().versions().list(appsId=ctx.env["project"], servicesId=service,
                                                                    pageToken=token))
            out += page.get("versions") or []
            token = page.get("nextPageToken")
            if not token:
                return out

    def _delete_version(self, ctx: Ctx, client: Any, service: str, version_id: str) -> None:
        try:
            op = execute(client.apps().services().versions().delete(appsId=ctx.env["project"], servicesId=service,
                                                                    versionsId=version_id))
        except NotFound:
            return
        wait_operation(ctx, client, op, f"deleting version {version_id} of service {service}")

    def _prune(self, ctx: Ctx, client: Any, service: str, bucket: str, serving: str, keep: int) -> None:
        """Delete this deployment's versions of `service` beyond the `keep` newest (the serving one always
        kept), then the staged files only they used. Versions it cannot prove are its own stay."""
        claimed = staging.claims(ctx, bucket)
        ours = [v for v in self._list_versions(ctx, client, service) if self._ours(ctx, v["id"], claimed)]
        ours.sort(key=lambda v: (v["id"] != serving, _desc(v.get("createTime", ""))))
        doomed = [v["id"] for v in ours[keep:]]
        for version_id in doomed:
            self._delete_version(ctx, client, service, version_id)
        if doomed:
            staging.release(ctx, bucket, doomed)

    # ---- destroying --------------------------------------------------------------------------------

    def delete(self, ctx: Ctx, name: str, properties: dict, live: dict | None = None) -> None:
        """Every version of the service this deployment claims, except one that still receives traffic
        (App Engine refuses); a service other than default whose versions are all ours goes as a whole.
        All of the deployment's claims and staged files go, so its bucket can be deleted after."""
        if not properties and not live:
            return
        client = self.client(ctx)
        app_id, (service, bucket) = ctx.env["project"], self._where(properties, live)
        claimed = staging.claims(ctx, bucket)
        try:
            split = execute(client.apps().services().get(appsId=app_id, servicesId=service)).get("split") or {}
            listed = self._list_versions(ctx, client, service)
        except NotFound:  # no application or no such service: no version left to delete
            listed, split = [], {}
        ours = [v["id"] for v in listed if self._ours(ctx, v["id"], claimed)]
        if ours and service != "default" and len(ours) == len(listed):
            op = execute(client.apps().services().delete(appsId=app_id, servicesId=service))
            wait_operation(ctx, client, op, f"deleting service {service}")
        else:
            traffic = split.get("allocations") or {}
            for version_id in ours:
                if not traffic.get(version_id):
                    self._delete_version(ctx, client, service, version_id)
        staging.release(ctx, bucket, sorted(claimed))


def _desc(text: str) -> str:
    """A sort key that orders RFC 3339 timestamps newest first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)
