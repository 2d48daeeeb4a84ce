"""iam.projects.serviceAccounts.*: create, get, list, patch, update, delete, disable, enable.

Shapes follow gcp-golden/iam--iamserviceaccount.http.log: an account carries displayName (when
set), email, etag, name, oauth2ClientId, projectId and uniqueId (21 digits); patch answers with
the name and the fields of the update mask only; delete answers {}.
"""

from __future__ import annotations

import base64
import re

from gcpkit.emulator.core.registry import handler

from .common import (ACCOUNT_ETAG, ACCOUNT_IDS, ACCOUNTS, POLICIES, IamError, account_key, email_for,
                     find_account, invalid, render_account, require_active)

_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])$")
_MASK_FIELDS = {"display_name": "displayName", "displayName": "displayName", "description": "description"}


def _project(name: str) -> str:
    parts = name.split("/")
    if len(parts) != 2 or parts[0] != "projects" or not parts[1] or parts[1] == "-":
        raise invalid(f"Invalid project name {name}: expected projects/PROJECT_ID.")
    return parts[1]


def check_account_id(account_id) -> None:
    if not isinstance(account_id, str) or not account_id:
        raise invalid("Account ID is required.")
    if not (6 <= len(account_id) <= 30) or not _ACCOUNT_ID.match(account_id):
        raise invalid(f"Invalid account ID \"{account_id}\": it must be 6 to 30 characters of lowercase letters, "
                      "digits and hyphens, start with a letter and end with a letter or a digit "
                      "([a-z]([-a-z0-9]*[a-z0-9])).")


def _check_fields(sa: dict) -> None:
    if len(sa.get("displayName") or "") > 100:
        raise invalid("Display name must be at most 100 characters.")
    if len(sa.get("description") or "") > 256:
        raise invalid("Description must be at most 256 characters.")


@handler("iam.projects.serviceAccounts.create")
def create(ctx, req):
    project = _project(req.params["name"])
    require_active(ctx, project)
    body = req.body or {}
    account_id = body.get("accountId")
    check_account_id(account_id)
    sa = body.get("serviceAccount") or {}
    _check_fields(sa)
    email = email_for(account_id, project)
    with ctx.store.transaction():
        key = account_key(project, email)
        if ctx.store.get(ACCOUNTS, key) is not None:
            raise IamError(409, "alreadyExists", f"Service account {account_id} already exists within project "
                           f"projects/{project}.", "ALREADY_EXISTS")
        unique_id = f"1{ctx.store.next_id() % 10**20:020d}"
        doc = {"name": f"projects/{project}/serviceAccounts/{email}", "projectId": project,
               "uniqueId": unique_id, "email": email, "displayName": sa.get("displayName") or "",
               "description": sa.get("description") or "", "etag": ACCOUNT_ETAG, "oauth2ClientId": unique_id,
               "disabled": False}
        ctx.store.put(ACCOUNTS, key, doc)
        ctx.store.put(ACCOUNT_IDS, unique_id, {"key": key})
    return render_account(doc)


@handler("iam.projects.serviceAccounts.get")
def get(ctx, req):
    return render_account(find_account(ctx, req.params["name"])[1])


@handler("iam.projects.serviceAccounts.list")
def list_(ctx, req):
    project = _project(req.params["name"])
    require_active(ctx, project)
    accounts = ctx.store.list(ACCOUNTS, f"{project}/")
    size = req.params.get("pageSize") or 20
    if size < 0:
        raise invalid("Page size must not be negative.")
    size = min(size, 100)
    token = req.params.get("pageToken")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise invalid(f"Invalid page token {token}.") from None
        accounts = [a for a in accounts if a["email"] > after]
    out: dict = {}
    page = accounts[:size]
    if page:
        out["accounts"] = [render_account(a) for a in page]
    if len(accounts) > size:
        out["nextPageToken"] = base64.urlsafe_b64encode(page[-1]["email"].encode()).decode()
    return out


def _check_etag(doc: dict, etag) -> None:
    if etag and etag != doc["etag"]:
        raise IamError(409, "aborted", "There were concurrent changes to the service account. Please retry the "
                       "whole read-modify-write with exponential backoff.", "ABORTED")


@handler("iam.projects.serviceAccounts.patch")
def patch(ctx, req):
    body = req.body or {}
    sa = body.get("serviceAccount") or {}
    mask = [f.strip() for f in (body.get("updateMask") or "").split(",") if f.strip()]
    if not mask:
        raise invalid("Update mask is required: name the fields to update (display_name, description).")
    fields = []
    for f in mask:
        if f not in _MASK_FIELDS:
            raise invalid(f"Field {f} in the update mask cannot be updated (only display_name, description).")
        fields.append(_MASK_FIELDS[f])
    _check_fields(sa)
    with ctx.store.transaction():
        key, doc = find_account(ctx, req.params["name"])
        _check_etag(doc, sa.get("etag"))
        for field in fields:
            doc[field] = sa.get(field) or ""
        ctx.store.put(ACCOUNTS, key, doc)
    out = {"name": doc["name"]}
    out.update({f: doc[f] for f in fields if doc[f]})
    return out


@handler("iam.projects.serviceAccounts.update")
def update(ctx, req):
    body = req.body or {}
    _check_fields(body)
    with ctx.store.transaction():
        key, doc = find_account(ctx, req.params["name"])
        _check_etag(doc, body.get("etag"))
        doc["displayName"] = body.get("displayName") or ""
        doc["description"] = body.get("description") or ""
        ctx.store.put(ACCOUNTS, key, doc)
    return render_account(doc)


@handler("iam.projects.serviceAccounts.delete")
def delete(ctx, req):
    with ctx.store.transaction():
        key, doc = find_account(ctx, req.params["name"])
        ctx.store.delete(ACCOUNTS, key)
        ctx.store.delete(ACCOUNT_IDS, doc["uniqueId"])
        ctx.store.delete(POLICIES, doc["email"])
    return {}


def _set_disabled(ctx, req, disabled: bool) -> dict:
    with ctx.store.transaction():
        key, doc = find_account(ctx, req.params["name"])
        doc["disabled"] = disabled
        ctx.store.put(ACCOUNTS, key, doc)
    return {}


@handler("iam.projects.serviceAccounts.disable")
def disable(ctx, req):
    return _set_disabled(ctx, req, True)


@handler("iam.projects.serviceAccounts.enable")
def enable(ctx, req):
    return _set_disabled(ctx, req, False)
