"""The last step of an expansion: references and dependencies in terms of gcpkit's resources.

- `$(ref.TEMPLATE_RESOURCE.OUTPUT[.path])` becomes the template's output value (which may itself
  refer to other resources or outputs; substituted until none is left);
- `$(ref.NAME.FIELD)` follows a resource renamed by `properties.name`;
- a property that is exactly `$(ref.NAME.name)` of a resource whose name gcpkit knows is written out
  with an explicit dependency: identity fields (a record set's managedZone, a database's instance)
  must be known before the resource exists, and the result is the same;
- dependsOn of a template resource means every resource it expanded to.
"""

from __future__ import annotations

from typing import Any

from gcpkit.dmconfig.types import named_by_resource
from gcpkit.planning.refs import REF, find_malformed_refs, get_path

MAX_PASSES = 20


def _known_name(base) -> str | None:
    """The API name of a resource, known before it exists (None when only the API knows it)."""
    if named_by_resource(base.type):
        return base.name
    if base.type == "storage.v1.bucket":
        given = base.properties.get("name", base.name)
        return given if isinstance(given, str) and "$(ref." not in given else None
    return None


class _Refs:
    def __init__(self, ex) -> None:
        self.ex = ex
        self.changed = False

    def one(self, name: str, fld: str, where: str) -> Any:
        ex = self.ex
        original = f"$(ref.{name}.{fld})"
        if name in ex.failed:
            return original  # its template did not expand: that problem is reported already
        if name in ex.outputs:
            out_name, _, rest = fld.partition(".")
            outputs = ex.outputs[name]
            if out_name not in outputs:
                ex.problems.add(where, f"{original}: template resource {name!r} has no output {out_name!r} "
                                       f"(its outputs: {', '.join(outputs) or 'none'})")
                return original
            self.changed = True
            value = outputs[out_name]
            if rest:
                try:
                    value = get_path(value, rest)
                except KeyError as e:
                    ex.problems.add(where, f"{original}: {e.args[0]}")
                    return original
            return value
        base = ex.bases.get(name)
        if base is None:
            ex.problems.add(where, f"{original} names no resource of this config")
            return original
        return f"$(ref.{base.name}.{fld})"

    def substitute(self, obj: Any, where: str) -> Any:
        if isinstance(obj, str):
            if "$(ref." not in obj:
                return obj
            for bad in find_malformed_refs(obj):
                self.ex.problems.add(where, f"malformed reference in {bad!r}; expected $(ref.NAME.FIELD)")
                return obj
            whole = REF.fullmatch(obj)
            if whole:
                return self.one(whole.group("name"), whole.group("field"), where)
            return REF.sub(lambda m: _text(self.one(m.group("name"), m.group("field"), where)), obj)
        if isinstance(obj, dict):
            return {k: self.substitute(v, where) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.substitute(v, where) for v in obj]
        return obj


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(refs: _Refs, value: Any, where: str) -> Any:
    """Substitute template outputs until none is left (a cycle of outputs is reported)."""
    for _ in range(MAX_PASSES):
        refs.changed = False
        value = refs.substitute(value, where)
        if not refs.changed:
            return value
    refs.ex.problems.add(where, "template outputs refer to each other in a cycle")
    return value


def _write_out_names(props: Any, names: dict[str, str], deps: set[str]) -> Any:
    """`$(ref.X.name)` -> X's known API name, remembering the dependency on X."""
    if isinstance(props, str):
        m = REF.fullmatch(props)
        if m and m.group("field") == "name" and m.group("name") in names:
            deps.add(m.group("name"))
            return names[m.group("name")]
        return props
    if isinstance(props, dict):
        return {k: _write_out_names(v, names, deps) for k, v in props.items()}
    if isinstance(props, list):
        return [_write_out_names(v, names, deps) for v in props]
    return props


def _depends(ex, base) -> list[str]:
    out: list[str] = []
    for dep in base.depends_on:
        if dep in ex.bases:
            targets = [dep]
        elif dep in ex.members:
            targets = ex.members[dep]
        else:
            continue  # unknown names are reported by finish(); failed templates already were
        out += [ex.bases[t].name for t in targets if ex.bases[t].name not in out]
    return out


def finish(ex, outputs: dict[str, Any], source: str) -> dict:
    refs = _Refs(ex)
    for where, dep in ex.depends:
        if dep not in ex.seen:
            ex.problems.add(where, f"metadata.dependsOn names no resource of this config: {dep!r}")
    by_real: dict[str, str] = {}
    for base in ex.bases.values():
        if base.name in by_real and by_real[base.name] != base.dm_name:
            ex.problems.add(base.where, f"its name {base.name!r} is also the name of {by_real[base.name]!r}")
        by_real[base.name] = base.dm_name
    known = {b.name: n for b in ex.bases.values() if (n := _known_name(b)) is not None}
    resources = []
    for base in ex.bases.values():
        props = _resolve(refs, base.properties, base.where)
        deps: set[str] = set()
        props = _write_out_names(props, known, deps)
        depends = _depends(ex, base) + sorted(deps - {base.name})
        item: dict[str, Any] = {"name": base.name, "type": base.type, "properties": props}
        if depends:
            item["metadata"] = {"dependsOn": list(dict.fromkeys(depends))}
        resources.append(item)
    doc_outputs = [{"name": k, "value": _resolve(refs, v, f"{source}: output {k!r}")} for k, v in outputs.items()]
    return {"resources": resources, "outputs": doc_outputs}
