"""Google Kubernetes Engine v1 (container.googleapis.com), mounted under "/container": clusters, node
pools and operations on the projects.locations surface. Importing the package registers the handlers.

lookup.py is what the Kubernetes API emulation reads: a cluster's status and its CA.
"""

from . import clusters, node_pools, operations, zonal  # noqa: F401
