"""sql.databases.insert/get/list/patch/update/delete, and the system databases of a new instance.

Shapes follow gcp-golden/sql--sqldatabasebasic.http.log: a database carries charset, collation,
etag, instance, kind, name, project, selfLink; a missing one is a plain 404 "Not Found"; an update
changes the collation but keeps the charset the database was created with.
"""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from . import operations as ops
from .common import (DATABASES, INSTANCES, USERS, already_exists, child_prefix, etag, instance_key,
                     instance_link, invalid, not_found, strip_private)
from .engines import default_charset, default_collation, engine, system_databases

KIND = "sql#database"


def _key(project: str, instance: str, name: str) -> str:
    return f"{child_prefix(project, instance)}{name}"


def _link(project: str, instance: str, name: str) -> str:
    return f"{instance_link(project, instance)}/databases/{name}"


def _doc(project: str, instance: str, name: str, charset: str, collation: str) -> dict:
    return {"kind": KIND, "name": name, "instance": instance, "project": project, "charset": charset,
            "collation": collation, "selfLink": _link(project, instance, name)}


def seed_databases(ctx, project: str, instance: str, version: str) -> None:
    for name, charset, collation in system_databases(version):
        ctx.store.put(DATABASES, _key(project, instance, name), _doc(project, instance, name, charset, collation))


def purge_children(ctx, project: str, instance: str) -> None:
    """Forget the databases and users of a deleted instance whose name is being reused (its operations
    stay readable: a client may still hold their names)."""
    prefix = child_prefix(project, instance)
    for collection in (DATABASES, USERS):
        for key in _keys(ctx, collection, prefix):
            ctx.store.delete(collection, key)


def _keys(ctx, collection: str, prefix: str) -> list[str]:
    if collection == DATABASES:
        return [prefix + d["name"] for d in ctx.store.list(collection, prefix)]
    from .users import user_key

    return [user_key(u["project"], u["instance"], u["name"], u.get("host")) for u in ctx.store.list(collection, prefix)]


def render(doc: dict) -> dict:
    out = strip_private(doc)
    out["etag"] = etag(out)
    return out


def _instance(ctx, req) -> dict:
    from .instances import load

    return load(ctx, req.params["project"], req.params["instance"])


def _load(ctx, req) -> dict:
    p = req.params
    _instance(ctx, req)
    doc = ctx.store.get(DATABASES, _key(p["project"], p["instance"], p["database"]))
    if doc is None:
        raise not_found()
    return doc


def _check_name(name, kind: str) -> None:
    if not name or not isinstance(name, str):
        raise invalid("Missing database name.")
    limit = 64 if kind == "mysql" else 63
    if len(name) > limit or any(c in name for c in "/\\\"'`\x00"):
        raise invalid(f"Invalid database name ({name}).")


@handler("sql.databases.insert")
def insert(ctx, req):
    from .instances import require_running

    p = req.params
    project, instance = p["project"], p["instance"]
    body = req.body or {}
    name = body.get("name")
    with ctx.store.transaction():
        inst = _instance(ctx, req)
        version = inst["databaseVersion"]
        _check_name(name, engine(version))
        if body.get("instance") not in (None, instance):
            raise invalid(f"The database's instance ({body['instance']}) is not the instance of the request.")
        require_running(ctx, inst)
        key = _key(project, instance, name)
        if ctx.store.get(DATABASES, key) is not None:
            raise already_exists(f"database {name}")
        charset = body.get("charset") or default_charset(version)[0]
        collation = body.get("collation") or default_collation(version, charset)
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "CREATE_DATABASE", "databases", "insert",
                       target_link=_link(project, instance, name), error=error, synchronous=True)
        ops.claim(ctx, inst, op["_done"])
        ctx.store.put(INSTANCES, instance_key(project, instance), inst)
        if not error:
            ctx.store.put(DATABASES, key, _doc(project, instance, name, charset, collation))
    return ops.render(ctx, op)


@handler("sql.databases.get")
def get(ctx, req):
    return render(_load(ctx, req))


@handler("sql.databases.list")
def list_(ctx, req):
    p = req.params
    _instance(ctx, req)
    docs = ctx.store.list(DATABASES, child_prefix(p["project"], p["instance"]))
    out: dict = {"kind": "sql#databasesList"}
    if docs:
        out["items"] = [render(d) for d in docs]
    return out


def _modify(ctx, req, replace: bool):
    p = req.params
    project, instance, name = p["project"], p["instance"], p["database"]
    body = req.body or {}
    with ctx.store.transaction():
        inst = _instance(ctx, req)
        doc = _load(ctx, req)
        if body.get("name") not in (None, name):
            raise invalid(f"The database's name cannot be changed (from {name} to {body['name']}).")
        collation = body.get("collation")
        if replace and not collation:
            collation = default_collation(inst["databaseVersion"], doc["charset"])
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "UPDATE_DATABASE", "databases", "update" if replace else "patch",
                       target_link=_link(project, instance, name), error=error)
        ops.claim(ctx, inst, op["_done"])
        ctx.store.put(INSTANCES, instance_key(project, instance), inst)
        if not error and collation:
            doc["collation"] = collation  # the charset stays what it was created with (see the recording)
            ctx.store.put(DATABASES, _key(project, instance, name), doc)
    return ops.render(ctx, op)


@handler("sql.databases.patch")
def patch(ctx, req):
    return _modify(ctx, req, replace=False)


@handler("sql.databases.update")
def update(ctx, req):
    return _modify(ctx, req, replace=True)


@handler("sql.databases.delete")
def delete(ctx, req):
    p = req.params
    project, instance, name = p["project"], p["instance"], p["database"]
    with ctx.store.transaction():
        inst = _instance(ctx, req)
        _load(ctx, req)
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "DELETE_DATABASE", "databases", "delete",
                       target_link=_link(project, instance, name), error=error)
        ops.claim(ctx, inst, op["_done"])
        ctx.store.put(INSTANCES, instance_key(project, instance), inst)
        if not error:
            ctx.store.delete(DATABASES, _key(project, instance, name))
    return ops.render(ctx, op)
