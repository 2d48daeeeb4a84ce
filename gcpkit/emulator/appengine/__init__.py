"""App Engine Admin v1 (appengine.googleapis.com), mounted under "/appengine": applications, services
(traffic splits), versions deployed from files staged in the emulated Cloud Storage, and google.longrunning
operations. Importing the package registers the handlers."""

from . import apps, operations, services, versions  # noqa: F401
