"""The Compute Engine service of the emulator. Importing this package registers its handlers.

Layout: links (references in every form GCP accepts -> "projects/p/.../name"), catalog + catalog_api
(regions, zones, machine/disk types, public images), common (ids, timestamps, fingerprints, names,
readiness and in-use checks), operations (zonal/regional/global LROs), listing (filter + pages),
crud (generic insert/get/list/delete/patch/setLabels driven by a Spec), then one module per family.

Stored documents are the API's own JSON plus hidden keys (stripped on output):
  _refs      relative paths this resource references (in-use checks scan them)
  _readyAt   when its create operation is DONE (referencing it earlier: 400 resourceNotReady)
  _timeline  [[epoch, status], ...]: status is computed on read (PROVISIONING -> STAGING -> RUNNING...)
Operations store _start/_end/_error and compute RUNNING/DONE on read, so several processes sharing one
store agree; nothing is cached in memory.
"""

from . import (  # noqa: F401  (imported for their @handler registrations)
    addresses, aggregated, catalog_api, disks, instances, load_balancing, networks, operations, snapshots_images,
    templates_and_groups,
)
