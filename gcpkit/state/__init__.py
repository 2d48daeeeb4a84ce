"""gcpkit state: what was deployed, where, and who is changing it now."""

from gcpkit.state.local import (
    SCHEMA_VERSION,
    Deployment,
    Intent,
    LocalState,
    LockInfo,
    ResourceRecord,
)

__all__ = ["SCHEMA_VERSION", "Deployment", "Intent", "LocalState", "LockInfo", "ResourceRecord"]
