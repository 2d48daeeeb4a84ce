"""From a pattern name and parameters to a validated config and graph (no API call), and from those
plus state and live reads to a Plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gcpkit.errors import BadInput, LockedError
from gcpkit.model import Config, Pattern
from gcpkit.planning.plan import (
    ADOPT,
    CREATE,
    DELETE,
    NOOP,
    REPLACE,
    UPDATE,
    Plan,
    Step,
    changed_fields,
)
from gcpkit.providers.base import Ctx, NotFound, is_ours

DEFAULT_REGION = "us-central1"


@dataclass
class Prepared:
    pattern: Pattern
    params: dict
    env: dict
    config: Config
    graph: dict[str, set[str]]


# A project ID (lowercase letters, digits, hyphens; legacy ones carry a domain: "example.com:proj"), or a
# project number. The 6-character minimum is left to the API: short IDs are common on emulators and in tests.
PROJECT_ID = re.compile(r"^(?:[a-z][-a-z0-9.]*[a-z0-9]:)?[a-z](?:[-a-z0-9]{0,28}[a-z0-9])?$|^[0-9]{1,20}$")


def make_env(project: str, deployment: str, region: str | None, zone: str | None) -> dict[str, str]:
    from gcpkit.planning.regions import check_region, check_zone, zones_of

    if not PROJECT_ID.match(project):
        raise BadInput(f"project {project!r} is not a project ID (lowercase letters, digits and hyphens, starting "
                       "with a letter, not ending with a hyphen)",
                       hint="pass the project's ID with --project (or GOOGLE_CLOUD_PROJECT), not its display name")
    if zone:
        check_zone(zone, "--zone")
        zone_region = zone.rsplit("-", 1)[0]
        if region and region != zone_region:
            raise BadInput(f"zone {zone} is not in region {region}", where="--zone")
        region = zone_region
    region = region or DEFAULT_REGION
    check_region(region, "--region")
    return {"project": project, "deployment": deployment, "region": region, "zone": zone or zones_of(region)[0]}


# Parameters that place a pattern's resources, and whether each names a zone (else a region, or for
# `location` either: a zonal or a regional GKE cluster).
LOCATION_PARAMS = {"zone": "zone", "source_zone": "zone", "region": "region", "location": "zone or region"}


def check_location_params(params: dict, region: str | None, zone: str | None) -> None:
    """A location parameter that contradicts --region or --zone given on the command line is bad input:
    one of the two would be ignored, and the resources would land where the user did not ask."""
    for key, kind in LOCATION_PARAMS.items():
        value = params.get(key)
        if not isinstance(value, str) or not value:
            continue
        is_zone = kind == "zone" or (kind != "region" and value[-2:-1] == "-" and value[-1].isalpha())
        value_region = value.rsplit("-", 1)[0] if is_zone else value
        if region and value_region != region:
            raise BadInput(f"{key}={value} is {'in region ' + value_region if is_zone else 'region ' + value}"
                           f", but --region is {region}", where=f"parameter {key}",
                           hint=f"drop --region, or set {key} in {region}")
        if zone and is_zone and value != zone:
            raise BadInput(f"{key}={value} contradicts --zone {zone}", where=f"parameter {key}",
                           hint=f"drop --zone, or set {key}={zone}")
        if zone and not is_zone and zone.rsplit("-", 1)[0] != value:
            raise BadInput(f"--zone {zone} is not in region {value} (parameter {key})", where="--zone",
                           hint=f"drop --zone, or pass a zone of {value}")


def check_deployment_name(name: str) -> None:
    import re

    from gcpkit.constants import NAME_PATTERN

    if len(name) > 40 or not re.match(NAME_PATTERN, name):
        raise BadInput(f"invalid deployment name {name!r}: use 1-40 lowercase letters, digits and hyphens, "
                       "starting with a letter", where="--deployment")


def prepare(pattern_ref: str, *, deployment: str | None, sets: list[str], values_file: str | None,
            project: str, region: str | None, zone: str | None, project_number: str | None = None) -> Prepared:
    from gcpkit.patterns.loader import find_pattern
    from gcpkit.patterns.render import render
    from gcpkit.patterns.schema import resolve_params
    from gcpkit.planning.graph import build_graph
    from gcpkit.planning.validate import validate
    from gcpkit.providers.registry import provider_for, type_names

    pattern = find_pattern(pattern_ref)
    deployment = deployment or pattern.name
    check_deployment_name(deployment)
    params = resolve_params(pattern, sets, values_file)
    env = make_env(project, deployment, region, zone)
    check_location_params(params, region, zone)
    if project_number:  # only Deployment Manager configs read it (env.project_number)
        env["project_number"] = project_number
    config = render(pattern, params, env)
    known = {t: None for t in type_names()}
    validate(config, known_types=known, fields_of=lambda t: provider_for(t).fields() if t in known else None)
    for spec in config.resources:
        provider_for(spec.type).check_properties(spec.name, spec.properties)
    return Prepared(pattern, params, env, config, build_graph(config))


#: From this many resources of one type on, a provider that can list them (read_many) is asked to.
LIST_FROM = 5


def _read_properties(prep: Prepared, recorded: dict[str, Any]) -> dict[str, dict]:
    """What to read each resource with: a recorded resource by the properties its last apply resolved
    (that is where it lives); an unrecorded one by its desired properties with refs resolved from the
    recorded resources' last known values; one whose refs cannot be resolved yet is not read at all
    (what it refers to does not exist yet, so neither can it)."""
    from gcpkit.planning.refs import resolve

    def lookup(name: str, path: str) -> Any:
        from gcpkit.planning.refs import get_path

        return get_path(recorded[name].live or {}, path)

    props: dict[str, dict] = {}
    for spec in prep.config.resources:
        record = recorded.get(spec.name)
        if record is not None and (record.properties or {}).get("resolved") is not None:
            props[spec.name] = record.properties["resolved"]
            continue
        try:
            props[spec.name] = resolve(spec.properties, lookup)
        except KeyError:
            continue
    return props


def _read_live(prep: Prepared, ctx: Ctx, names: list[str], parallelism: int,
               props: dict[str, dict]) -> dict[str, Any]:
    """name -> Live, or the exception its read raised. Many resources of one type are listed (one paged
    list per scope instead of a get each), the types' lists side by side; the rest are read one by one.
    Either way a plan of 1,000 live resources is bound by a few round trips, not by their number."""
    from concurrent.futures import ThreadPoolExecutor

    from gcpkit.providers.registry import provider_for

    by_type: dict[str, list[str]] = {}
    for name in names:
        by_type.setdefault(prep.config.get(name).type, []).append(name)
    lists = [(getattr(provider_for(t), "read_many", None), group) for t, group in by_type.items()]
    lists = [(read_many, group) for read_many, group in lists if read_many is not None and len(group) >= LIST_FROM]

    def listed(job: tuple) -> dict[str, Any]:
        read_many, group = job
        try:
            return read_many(ctx, [(n, props[n]) for n in group])
        except Exception:  # noqa: BLE001 - the one-by-one reads below give each resource its own answer
            return {}

    def read(name: str) -> Any:
        spec = prep.config.get(name)
        try:
            return provider_for(spec.type).read(ctx, name, props[name])
        except Exception as exc:  # noqa: BLE001 - handed back and raised in plan order by the caller
            return exc

    out: dict[str, Any] = {}
    workers = max(1, min(parallelism, max(len(names), 1)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gcpkit-plan") as pool:
        run = pool.map if parallelism > 1 else map
        for found in run(listed, lists):
            out.update(found)
        rest = [n for n in names if n not in out]
        out.update(zip(rest, run(read, rest)))
    return out


_PROJECT_IN_LINK = re.compile(r"/projects/([^/]+)/")


def _check_same_project(state: Any, deployment: str, project: str, records: Any) -> None:
    """A deployment lives in one project. Planning it in another would create it there afresh and
    write over the records of what exists in the first: gcpkit would lose track of it. Bad input, before
    any call. The project is the deployment's record's, else (a killed first run) its resources' links'."""
    record = state.get_deployment(deployment)
    where = getattr(record, "project", None) if record is not None else None
    if not where:
        where = next((m.group(1) for r in records if (m := _PROJECT_IN_LINK.search(r.self_link or ""))), None)
    if where and where != project:
        raise BadInput(f"deployment {deployment!r} lives in project {where!r}, not {project!r}", where="--project",
                       hint=f"pass --project {where}, or give the deployment in {project} another --deployment name")


def build_plan(prep: Prepared, state: Any, ctx: Ctx, *, read_all: bool, read_parallelism: int = 16) -> Plan:
    """Decide each resource's action. `read_all` reads even resources the state does not know
    (`gcpkit plan` does, for an exact picture; `up` relies on create answering 409 instead).
    Live reads run `read_parallelism` at a time."""
    from gcpkit.providers.registry import provider_for

    deployment = prep.env["deployment"]
    recorded = {r.name: r for r in state.resources(deployment)}
    _check_same_project(state, deployment, prep.env["project"], recorded.values())
    open_intents = state.pending_intents(deployment)  # oldest first
    pending = {i.resource: i for i in open_intents}  # the newest per resource
    # Every pending create of a resource: chained kills leave several, and the oldest may be the one whose
    # call made it (a later run's call, started after it was made, would not prove it ours).
    pending_creates: dict[str, list] = {}
    for i in open_intents:
        if i.action == "create":
            pending_creates.setdefault(i.resource, []).append(i)
    steps: dict[str, Step] = {}
    from graphlib import TopologicalSorter

    names = list(TopologicalSorter(prep.graph).static_order())
    props = _read_properties(prep, recorded)
    to_read = [n for n in names if (read_all or n in recorded or n in pending) and n in props]
    reads = _read_live(prep, ctx, to_read, read_parallelism, props)
    for name in names:
        spec = prep.config.get(name)
        step = Step(name, spec.type, CREATE, spec.properties, set(prep.graph[name]))
        record = recorded.get(name)
        intent = pending.get(name)
        if intent is not None and intent.action == "create":
            step.request_id = (intent.payload or {}).get("request_id")
        if name not in reads:
            steps[name] = step
            continue
        provider = provider_for(spec.type)
        try:
            live = reads[name]
            if isinstance(live, BaseException):
                raise live
            step.live = live
        except NotFound:
            step.note = "recorded but missing; will be recreated" if record else ""
            steps[name] = step
            continue
        owner = provider.owner(step.live)
        if record is None and getattr(provider, "external", False) and intent is None:
            steps[name] = step  # an action on something not ours (e.g. stop the source VM): always run it
            continue
        if record is None:
            made_by = getattr(provider, "made_by_intent", None)  # types without ownership marks (Firestore)
            if not is_ours(provider, step.live, deployment) and not (
                    made_by is not None and any(made_by(step.live, i.payload or {})
                                                for i in pending_creates.get(name, []))):
                raise LockedError(
                    f"{spec.type} {name!r} already exists and was not created by deployment {deployment!r}"
                    + (f" (it belongs to gcpkit deployment {owner!r})" if owner else ""),
                    hint="choose another --deployment name, or delete that resource yourself")
            step.action, step.note = ADOPT, "created by an interrupted run; will be recorded"
        else:
            before = (record.properties or {}).get("template", {})
            step.changed = changed_fields(spec.properties, before)
            if not step.changed:
                step.action = NOOP
            elif provider.updatable(step.changed):
                step.action = UPDATE
            else:
                step.action = REPLACE
        steps[name] = step
    deletes = {
        name: Step(name, r.type, DELETE, (r.properties or {}).get("template", {}),
                   set((r.properties or {}).get("depends_on", [])))
        for name, r in recorded.items() if name not in steps
    }
    return Plan(deployment, prep.pattern.name, prep.params, prep.env, steps, deletes, prep.config.outputs)
