"""sql.users.insert/get/list/update/delete, and the administrative user of a new instance.

Shapes follow gcp-golden/sql--sqluser.http.log (etag, host, iamStatus, instance, kind, name,
passwordPolicy, project; "type" only when not BUILT_IN). Passwords are write-only: the emulator keeps
no trace of them and no response carries one. A Cloud IAM service account user is named like GCP
names it: the account's email without ".gserviceaccount.com" ("app@proj.iam").
"""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

from . import operations as ops
from .common import USERS, already_exists, child_prefix, etag, invalid, not_found, strip_private
from .engines import engine, system_user

KIND = "sql#user"
SA_SUFFIX = ".gserviceaccount.com"
IAM_TYPES = ("CLOUD_IAM_USER", "CLOUD_IAM_SERVICE_ACCOUNT", "CLOUD_IAM_GROUP", "CLOUD_IAM_GROUP_USER",
             "CLOUD_IAM_GROUP_SERVICE_ACCOUNT", "CLOUD_IAM_WORKFORCE_IDENTITY")


def user_key(project: str, instance: str, name: str, host: str | None) -> str:
    return f"{child_prefix(project, instance)}{name}\t{host or ''}"


def _doc(project: str, instance: str, name: str, host: str | None, type_: str) -> dict:
    doc = {"kind": KIND, "name": name, "instance": instance, "project": project,
           "iamStatus": "ACTIVE" if type_ in IAM_TYPES else "IAM_STATUS_UNSPECIFIED",
           "passwordPolicy": {"status": {}}}
    if host is not None:
        doc["host"] = host
    if type_ != "BUILT_IN":  # the enum's first value: proto3 JSON leaves it out
        doc["type"] = type_
    return doc


def seed_users(ctx, project: str, instance: str, version: str) -> None:
    name, host = system_user(version)
    ctx.store.put(USERS, user_key(project, instance, name, host), _doc(project, instance, name, host, "BUILT_IN"))


def render(doc: dict) -> dict:
    out = strip_private(doc)
    out.pop("password", None)
    out["etag"] = etag(out)
    return out


def _host_for(version: str, host) -> str | None:
    """MySQL users have a host ("%" when none is given); other engines' users have none."""
    if engine(version) != "mysql":
        return None
    return host or "%"


def _find(ctx, project: str, instance: str, version: str, name: str | None, host: str | None) -> dict:
    if not name:
        raise invalid("Missing user name.")
    doc = ctx.store.get(USERS, user_key(project, instance, name, _host_for(version, host)))
    if doc is None:
        # The recordings delete a MySQL user by name with another host than it was created with and
        # succeed: a unique name is enough.
        same = [u for u in ctx.store.list(USERS, child_prefix(project, instance)) if u["name"] == name]
        if len(same) == 1:
            doc = same[0]
    if doc is None:
        raise not_found()
    return doc


def _check_new_user(body: dict, version: str) -> tuple[str, str]:
    name, type_ = body.get("name"), body.get("type") or "BUILT_IN"
    if not name or not isinstance(name, str):
        raise invalid("Missing user name.")
    if type_ in IAM_TYPES and body.get("password"):
        raise invalid(f"A password cannot be set for a user of type {type_}.")
    if type_ == "CLOUD_IAM_SERVICE_ACCOUNT":
        if name.endswith(SA_SUFFIX):
            raise invalid(f"The user name of a Cloud IAM service account is its email without "
                          f"\"{SA_SUFFIX}\": use {name[:-len(SA_SUFFIX)]} instead of {name}.")
        if "@" not in name or not name.endswith(".iam"):
            raise invalid(f"Invalid Cloud IAM service account user name ({name}): expected "
                          "NAME@PROJECT.iam (the service account email without the .gserviceaccount.com suffix).")
    elif type_ in ("CLOUD_IAM_USER", "CLOUD_IAM_GROUP") and "@" not in name:
        raise invalid(f"Invalid Cloud IAM user name ({name}): expected an email address.")
    elif type_ == "BUILT_IN":
        limit = 32 if engine(version) == "mysql" else 63
        if len(name) > limit:
            raise invalid(f"Invalid user name ({name}): at most {limit} characters.")
    return name, type_


@handler("sql.users.insert")
def insert(ctx, req):
    from .instances import load, require_running

    p = req.params
    project, instance = p["project"], p["instance"]
    body = req.body or {}
    with ctx.store.transaction():
        inst = load(ctx, project, instance)
        version = inst["databaseVersion"]
        name, type_ = _check_new_user(body, version)
        require_running(ctx, inst)
        host = _host_for(version, body.get("host"))
        key = user_key(project, instance, name, host)
        if ctx.store.get(USERS, key) is not None:
            raise already_exists(f"user {name}" + (f"@{host}" if host is not None else ""))
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "CREATE_USER", "users", "insert", error=error,
                       synchronous=True)
        if not error:
            ctx.store.put(USERS, key, _doc(project, instance, name, host, type_))
    return ops.render(ctx, op)


@handler("sql.users.get")
def get(ctx, req):
    from .instances import load

    p = req.params
    inst = load(ctx, p["project"], p["instance"])
    return render(_find(ctx, p["project"], p["instance"], inst["databaseVersion"], p.get("name"), p.get("host")))


@handler("sql.users.list")
def list_(ctx, req):
    from .instances import load

    p = req.params
    load(ctx, p["project"], p["instance"])
    docs = ctx.store.list(USERS, child_prefix(p["project"], p["instance"]))
    out: dict = {"kind": "sql#usersList"}
    if docs:
        out["items"] = [render(d) for d in docs]
    return out


@handler("sql.users.update")
def update(ctx, req):
    from .instances import load, require_running

    p = req.params
    project, instance = p["project"], p["instance"]
    body = req.body or {}
    with ctx.store.transaction():
        inst = load(ctx, project, instance)
        require_running(ctx, inst)
        doc = _find(ctx, project, instance, inst["databaseVersion"], p.get("name") or body.get("name"),
                    p.get("host") if p.get("host") is not None else body.get("host"))
        if doc.get("type") in IAM_TYPES and body.get("password"):
            raise invalid(f"A password cannot be set for a user of type {doc['type']}.")
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "UPDATE_USER", "users", "update", error=error,
                       synchronous=True)
        # Nothing visible changes: the password is write-only and the emulator does not keep it.
    return ops.render(ctx, op)


@handler("sql.users.delete")
def delete(ctx, req):
    from .instances import load, require_running

    p = req.params
    project, instance = p["project"], p["instance"]
    with ctx.store.transaction():
        inst = load(ctx, project, instance)
        require_running(ctx, inst)
        doc = _find(ctx, project, instance, inst["databaseVersion"], p.get("name"), p.get("host"))
        error = ops.injected_error(ctx, req)
        op = ops.start(ctx, project, instance, "DELETE_USER", "users", "delete", error=error,
                       synchronous=True)
        if not error:
            ctx.store.delete(USERS, user_key(project, instance, doc["name"], doc.get("host")))
    return ops.render(ctx, op)
