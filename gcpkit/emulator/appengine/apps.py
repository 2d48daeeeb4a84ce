"""appengine.apps.create / get / patch.

An application is created once per project and can never be deleted or moved (only deleting the
project removes it): a second create answers 409 in App Engine's words. Its defaultHostname is
ID.REGION_ID.r.appspot.com, as for apps created since 2020; codeBucket and defaultBucket carry the
names App Engine gives them (the buckets themselves are not created in the storage emulator).
"""

from __future__ import annotations

import copy

from gcpkit.emulator.core.registry import handler

from . import operations
from .common import (
    APPS,
    LOCATIONS,
    GaeError,
    field_mask,
    invalid,
    load_app,
    strip_private,
)

_PATCHABLE = {"authDomain", "defaultCookieExpiration", "servingStatus", "featureSettings", "iap", "sslPolicy",
              "databaseType", "serviceAccount"}
_ECHOED = ("authDomain", "defaultCookieExpiration", "featureSettings", "iap", "sslPolicy", "databaseType",
           "serviceAccount")


@handler("appengine.apps.create")
def create(ctx, req):
    body = req.body or {}
    app_id = body.get("id")
    if not app_id:
        raise invalid("Application.id is required: the id of the project to create the application in.")
    location = body.get("locationId")
    if not location:
        raise invalid("Application.location_id is required.")
    if location not in LOCATIONS:
        raise invalid(f"Location '{location}' is not a valid App Engine location "
                      f"(valid: {', '.join(sorted(LOCATIONS))}).")
    with ctx.store.transaction():
        if ctx.store.get(APPS, app_id) is not None:
            raise GaeError(409, "ALREADY_EXISTS", "This application already exists and cannot be re-created.")
        app = {"name": f"apps/{app_id}", "id": app_id, "locationId": location, "authDomain": "gmail.com",
               "servingStatus": "SERVING", "defaultHostname": f"{app_id}.{LOCATIONS[location]}.r.appspot.com",
               "codeBucket": f"staging.{app_id}.appspot.com", "defaultBucket": f"{app_id}.appspot.com",
               "gcrDomain": "us.gcr.io", "databaseType": "CLOUD_DATASTORE_COMPATIBILITY",
               "serviceAccount": f"{app_id}@appspot.gserviceaccount.com",
               "featureSettings": {"splitHealthChecks": True, "useContainerOptimizedOs": True}}
        for field in _ECHOED:
            if body.get(field) not in (None, {}, ""):
                app[field] = copy.deepcopy(body[field])
        error = operations.injected_error(ctx, req)
        if error is None:
            ctx.store.put(APPS, app_id, app)
        return operations.start(ctx, app_id, "Applications.CreateApplication", f"apps/{app_id}", "apps", "create",
                                response=strip_private(app), response_type="Application", error=error)


@handler("appengine.apps.get")
def get(ctx, req):
    return strip_private(load_app(ctx, req.params["appsId"]))


@handler("appengine.apps.patch")
def patch(ctx, req):
    app_id = req.params["appsId"]
    mask = field_mask(req, _PATCHABLE)
    body = req.body or {}
    with ctx.store.transaction():
        app = load_app(ctx, app_id)
        for field in mask:
            value = body.get(field)
            if field == "servingStatus" and value not in ("SERVING", "USER_DISABLED"):
                raise invalid(f"Invalid serving status '{value}': set SERVING or USER_DISABLED.")
            if value in (None, {}, ""):
                app.pop(field, None)
            else:
                app[field] = copy.deepcopy(value)
        ctx.store.put(APPS, app_id, app)
    return operations.start(ctx, app_id, "Applications.UpdateApplication", f"apps/{app_id}", "apps", "patch",
                            response=strip_private(app), response_type="Application")
