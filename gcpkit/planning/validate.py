"""Check a rendered Config before anything is called: names, types, reference fields, zones, regions."""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from gcpkit.constants import NAME_PATTERN
from gcpkit.errors import BadInput
from gcpkit.model import Config, ResourceSpec
from gcpkit.patterns.schema import did_you_mean
from gcpkit.planning import regions
from gcpkit.planning.refs import find_malformed_refs, find_refs, parse_path

NAME_RULES = ("names are RFC 1035: 1-63 characters of lowercase letters, digits and hyphens, "
              "starting with a lowercase letter and not ending with a hyphen")


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid GCP resource name, or None."""
    if re.match(NAME_PATTERN, name):
        return None
    if not name:
        return "empty"
    if len(name) > 63:
        return f"too long ({len(name)} > 63)"
    bad = sorted({c for c in name if not (c.islower() and c.isascii() or c.isdigit() or c == "-")})
    if bad:
        return "only lowercase letters, digits and hyphens are allowed, not " + ", ".join(repr(c) for c in bad)
    if not ("a" <= name[0] <= "z"):
        return "must start with a lowercase letter"
    return "must end with a lowercase letter or a digit"


def _where(source: str | None, r: ResourceSpec) -> str | None:
    if source is None:
        return None
    return f"{source} (rendered) line {r.line}" if r.line else f"{source} (rendered)"


def _check_refs(owner: str, obj: Any, config_types: dict[str, str],
                fields_of: Callable[[str], set[str] | None] | None, where: str | None) -> None:
    for s in find_malformed_refs(obj):
        raise BadInput(f"{owner}: malformed reference in {s!r}; expected $(ref.NAME.FIELD), "
                       f"e.g. $(ref.my-network.selfLink)", where=where)
    for ref_name, field in sorted(find_refs(obj)):
        rtype = config_types.get(ref_name)
        if rtype is None:
            continue  # an unknown resource: build_graph reports it
        try:
            top = parse_path(field)[0]
        except ValueError as e:
            raise BadInput(f"{owner}: $(ref.{ref_name}.{field}): {e}", where=where) from None
        fields = fields_of(rtype) if fields_of else None
        if fields is not None and top not in fields:
            raise BadInput(f"{owner}: $(ref.{ref_name}.{field}): {rtype} has no field {top!r}"
                           f"{did_you_mean(str(top), fields)}", where=where)


def _location(value: Any) -> Any:
    # Accept a bare name or a URL ending in it ('zones/us-central1-a'); leave references alone.
    if isinstance(value, str) and "$(ref." not in value:
        return value.rstrip("/").rsplit("/", 1)[-1]
    return None


def validate(config: Config, *, known_types: Mapping[str, Any],
             fields_of: Callable[[str], set[str] | None] | None = None, source: str | None = None) -> None:
    """BadInput (one line, naming the resource) for the first problem found; None when all is well.

    `known_types`: the supported resource types (type name -> anything, e.g. the provider registry).
    `fields_of(type)`: the top-level fields a live resource of that type has, or None to skip the check.
    `source`: the file name to mention with the resource's line (e.g. 'patterns/x/pattern.yaml').
    """
    config_types = {r.name: r.type for r in config.resources}
    for r in config.resources:
        where = _where(source, r)
        owner = f"resource {r.name!r}"
        why = name_problem(r.name)
        if why:
            raise BadInput(f"{owner}: invalid name: {why}", where=where, hint=NAME_RULES)
        if r.type not in known_types:
            raise BadInput(f"{owner}: unknown type {r.type!r}{did_you_mean(r.type, list(known_types))}; "
                           f"supported types: {', '.join(sorted(known_types))}", where=where)
        _check_refs(owner, r.properties, config_types, fields_of, where)
        if "zone" in r.properties:
            zone = _location(r.properties["zone"])
            if zone is not None:
                regions.check_zone(zone, where=f"{owner}: zone" if where is None else f"{where}: {owner}: zone")
            elif not isinstance(r.properties["zone"], str):
                raise BadInput(f"{owner}: zone must be a string such as us-central1-a", where=where)
        if "region" in r.properties:
            region = _location(r.properties["region"])
            if region is not None:
                regions.check_region(region,
                                     where=f"{owner}: region" if where is None else f"{where}: {owner}: region")
            elif not isinstance(r.properties["region"], str):
                raise BadInput(f"{owner}: region must be a string such as us-central1", where=where)
    for out in config.outputs:
        _check_refs(f"output {out.get('name')!r}", out.get("value"), config_types, fields_of, source)
