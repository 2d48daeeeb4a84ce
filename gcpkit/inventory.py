"""What exists in a project, read live: every resource of the kinds gcpkit knows, with the gcpkit deployment
that owns it (from its labels, or its description marker where the API has no labels).

Compute kinds come from compute_kinds.KINDS: zonal and regional collections through aggregatedList (one
call per collection for the whole project), global ones through list; labelled kinds are filtered on the
server by `labels.gcpkit-deployment` when one deployment is asked for, and every answer is checked again
here (owner_from), so a filter a backend ignores can never widen what is returned. Cloud SQL instances
(settings.userLabels), buckets, secrets and DNS managed zones (labels) and service accounts (description
marker) are listed through their APIs; GKE clusters (resourceLabels) for every location at once, Artifact
Registry repositories (labels) one location at a time: the API's locations.list, then one repositories.list
per location, a few in parallel. An API that cannot be listed (not enabled, not emulated, no permission) is
reported in `problems`, never silently taken as empty.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from gcpkit.constants import LABEL_DEPLOYMENT
from gcpkit.providers.base import owner_from

# Aggregated listing: kind's client -> (client with aggregated_list, scope prefix kept). The regional MIG and
# autoscaler kinds are listed through their zonal clients, whose aggregatedList holds both scopes.
_AGGREGATED = {
    "InstancesClient": ("InstancesClient", "zones/"),
    "DisksClient": ("DisksClient", "zones/"),
    "AddressesClient": ("AddressesClient", "regions/"),
    "SubnetworksClient": ("SubnetworksClient", "regions/"),
    "RegionInstanceGroupManagersClient": ("InstanceGroupManagersClient", "regions/"),
    "RegionAutoscalersClient": ("AutoscalersClient", "regions/"),
}

SHORT = {  # type name -> what people call it (tables)
    "sqladmin.v1.instance": "sql instance", "storage.v1.bucket": "bucket", "secretmanager.v1.secret": "secret",
    "iam.v1.serviceAccount": "service account", "dns.v1.managedZone": "dns zone",
    "container.v1.cluster": "gke cluster",
    "appengine.v1.application": "app engine app", "appengine.v1.version": "app engine version",
}


def short_kind(type_name: str) -> str:
    if type_name in SHORT:
        return SHORT[type_name]
    return type_name.rsplit(".", 1)[-1]


@dataclass
class Found:
    type: str  # gcpkit type name (compute.v1.instance, storage.v1.bucket, ...)
    name: str  # the name the type's provider takes
    scope: dict[str, str]  # {"zone": z} | {"region": r} | {"location": l} (LOCATION_SCOPED) | {}
    owner: str | None  # the gcpkit deployment named by its labels / description marker, else None
    created: str | None  # creation timestamp as the API gives it (RFC 3339)
    body: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.name)

    @property
    def where(self) -> str:
        """Its zone, region or location; "global" for the rest (execution/teardown.py's _where says the same
        of a recorded resource, so the two can be matched)."""
        return self.scope.get("zone") or self.scope.get("region") or self.scope.get("location") or "global"

    def properties(self) -> dict[str, Any]:
        """The properties the type's provider needs to read or delete it."""
        props: dict[str, Any] = dict(self.scope)
        if self.type == "iam.v1.serviceAccount":
            props["accountId"] = self.name
        elif self.type == "storage.v1.bucket":
            props["name"] = self.name
        elif self.type == "artifactregistry.v1.repository":
            props["repositoryId"] = self.name
        return props


@dataclass
class Inventory:
    project: str
    items: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "<api>: <why it could not be listed>"

    def owned_by(self, deployment: str) -> list[Found]:
        return [f for f in self.items if f.owner == deployment]

    def managed(self) -> list[Found]:
        return [f for f in self.items if f.owner is not None]


def label_filter(deployment: str) -> str:
    return f"labels.{LABEL_DEPLOYMENT} = {deployment}"


def _to_dict(message: Any) -> dict:
    return json.loads(type(message).to_json(message, use_integers_for_enums=False,
                                            always_print_fields_with_no_presence=False))


def _compute_lister(target: Any, project: str, kind: Any, deployment: str | None) -> Callable[[], list[Found]]:
    from gcpkit.providers import compute_ops

    def run() -> list[Found]:
        request: dict[str, Any] = {"project": project}
        if deployment and kind.has_labels:
            request["filter"] = label_filter(deployment)
        found = []
        if kind.scope == "global":
            client = target.compute(kind.client)
            pager = compute_ops.call(lambda: client.list(request=request))
            for msg in pager:
                body = _to_dict(msg)
                found.append(_compute_found(kind, body, {}))
            return found
        client_name, prefix = _AGGREGATED[kind.client]
        client = target.compute(client_name)
        pager = compute_ops.call(lambda: client.aggregated_list(request=request))
        for scope_key, scoped in pager:
            if not scope_key.startswith(prefix):
                continue
            listed = _to_dict(scoped).get(kind.collection) or []
            scope = {kind.scope: scope_key.split("/", 1)[1]}
            found += [_compute_found(kind, body, scope) for body in listed]
        return found

    return run


def _compute_found(kind: Any, body: dict, scope: dict) -> Found:
    if kind.type_name == "compute.v1.globalAddress" or kind.scope == "global":
        scope = {}
    return Found(kind.type_name, body.get("name", ""), scope, owner_from(body), body.get("creationTimestamp"), body)


def all_pages(make: Callable[[str | None], Any], items_key: str) -> list[dict]:
    """Every item of a google-api-python-client list call (`make(token)` makes one page's request),
    each page through gcpkit's retries."""
    from gcpkit.providers.google_api import execute

    out: list[dict] = []
    token = None
    while True:
        page = execute(make(token))
        out += page.get(items_key) or []
        token = page.get("nextPageToken")
        if not token:
            return out


def _api_listers(target: Any, project: str) -> dict[str, Callable[[], list[Found]]]:
    from gcpkit.providers.google_api import execute

    def sql() -> list[Found]:
        client = target.discovery("sqladmin", "v1")
        rows = all_pages(lambda t: client.instances().list(project=project, pageToken=t), "items")
        return [Found("sqladmin.v1.instance", b["name"], {}, owner_from(
            {"labels": (b.get("settings") or {}).get("userLabels") or {}}), b.get("createTime"), b) for b in rows]

    def buckets() -> list[Found]:
        client = target.discovery("storage", "v1")
        rows = all_pages(lambda t: client.buckets().list(project=project, pageToken=t), "items")
        return [Found("storage.v1.bucket", b["name"], {}, owner_from(b), b.get("timeCreated"), b) for b in rows]

    def secrets() -> list[Found]:
        client = target.discovery("secretmanager", "v1")
        rows = all_pages(lambda t: client.projects().secrets().list(parent=f"projects/{project}", pageToken=t),
                      "secrets")
        return [Found("secretmanager.v1.secret", b["name"].rsplit("/", 1)[-1], {}, owner_from(b),
                      b.get("createTime"), b) for b in rows]

    def accounts() -> list[Found]:
        client = target.discovery("iam", "v1")
        rows = all_pages(lambda t: client.projects().serviceAccounts().list(name=f"projects/{project}", pageToken=t),
                      "accounts")
        return [Found("iam.v1.serviceAccount", b["email"].split("@", 1)[0], {}, owner_from(b), None, b)
                for b in rows]

    def zones() -> list[Found]:
        client = target.discovery("dns", "v1")
        rows = all_pages(lambda t: client.managedZones().list(project=project, pageToken=t), "managedZones")
        return [Found("dns.v1.managedZone", b["name"], {}, owner_from(b), b.get("creationTime"), b) for b in rows]

    def clusters() -> list[Found]:  # every location at once ("-"); labels are the cluster's resourceLabels
        client = target.discovery("container", "v1")
        rows = execute(client.projects().locations().clusters().list(
            parent=f"projects/{project}/locations/-")).get("clusters") or []
        return [Found("container.v1.cluster", b["name"], {"location": b["location"]},
                      owner_from({"labels": b.get("resourceLabels") or {}}), b.get("createTime"), b) for b in rows]

    def repositories() -> list[Found]:  # no "every location" form: one list per location the API names
        client = target.discovery("artifactregistry", "v1")
        locations = [loc["locationId"] for loc in all_pages(
            lambda t: client.projects().locations().list(name=f"projects/{project}", pageToken=t), "locations")]

        def in_location(location: str) -> list[Found]:
            registry = target.discovery("artifactregistry", "v1").projects().locations().repositories()  # per thread
            rows = all_pages(lambda t: registry.list(parent=f"projects/{project}/locations/{location}", pageToken=t),
                          "repositories")
            return [Found("artifactregistry.v1.repository", b["name"].rsplit("/", 1)[-1], {"location": location},
                          owner_from(b), b.get("createTime"), b) for b in rows]

        if not locations:
            return []
        with ThreadPoolExecutor(max_workers=min(REPOSITORY_WORKERS, len(locations)),
                                thread_name_prefix="gcpkit-inv-ar") as pool:
            return [f for found in pool.map(in_location, locations) for f in found]

    return {"sqladmin": sql, "storage": buckets, "secretmanager": secrets, "iam": accounts, "dns": zones,
            "container": clusters, "artifactregistry": repositories}


REPOSITORY_WORKERS = 6  # Artifact Registry locations listed at once (dozens on Google Cloud, 18 emulated)
# Location-scoped types (scope {"location": l}) -> the env key their provider falls back on when the properties
# name no location (providers/gke.py, providers/artifact_registry.py).
LOCATION_SCOPED = {"container.v1.cluster": "zone", "artifactregistry.v1.repository": "region"}

# Not listed: Firestore databases (no labels: their owner is proven by gcpkit's state, see
# providers/firestore.py), Kubernetes objects (deleted with their cluster), node pools (no labels: deleted
# with their cluster), App Engine versions (no labels).
TYPES_BY_API = {"container": "container.v1.cluster", "sqladmin": "sqladmin.v1.instance", "storage": "storage.v1.bucket",
                "secretmanager": "secretmanager.v1.secret", "iam": "iam.v1.serviceAccount", "dns": "dns.v1.managedZone",
                "artifactregistry": "artifactregistry.v1.repository"}


def known_types() -> set[str]:
    from gcpkit.providers.compute_kinds import KINDS

    return set(KINDS) | set(TYPES_BY_API.values())


def inventory(target: Any, project: str, *, deployment: str | None = None, types: set[str] | None = None,
              parallelism: int = 16) -> Inventory:
    """Every resource gcpkit knows how to list in `project`; with `deployment`, only those whose labels or
    description marker name it (the rest are never returned); with `types`, only those types."""
    from gcpkit.errors import GcpkitError
    from gcpkit.providers.base import NotFound
    from gcpkit.providers.compute_kinds import KINDS

    jobs: dict[str, Callable[[], list[Found]]] = {
        f"compute {k.collection} ({k.scope})": _compute_lister(target, project, k, deployment) for k in KINDS.values()
        if types is None or k.type_name in types}
    jobs.update({api: fn for api, fn in _api_listers(target, project).items()
                 if types is None or TYPES_BY_API[api] in types})
    result = Inventory(project)

    def guarded(name: str) -> tuple[str, list[Found], str | None]:
        try:
            return name, jobs[name](), None
        except (GcpkitError, NotFound) as exc:
            return name, [], getattr(exc, "message", None) or str(exc)

    if not jobs:
        return result
    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(jobs))), thread_name_prefix="gcpkit-inv") as pool:
        for name, found, problem in pool.map(guarded, list(jobs)):
            if problem:
                result.problems.append(f"{name}: {problem}")
            result.items += found
    if deployment is not None:
        result.items = [f for f in result.items if f.owner == deployment]
    result.items.sort(key=lambda f: (f.type, f.where, f.name))
    return result
