"""Cloud SQL Admin v1 (sqladmin.googleapis.com), mounted under "/sqladmin": instances, databases,
users, operations and flags. Importing the package registers the handlers.

The discovery document names its methods "sql.*" (sql.instances.insert): handlers and fault rules
use those ids.
"""

from . import databases, engines, instances, operations, users  # noqa: F401
