"""Constants shared by gcpkit and its emulator (the emulator imports only this module)."""

LABEL_MANAGED_BY = "managed-by"
LABEL_MANAGED_BY_VALUE = "gcpkit"
LABEL_DEPLOYMENT = "gcpkit-deployment"

DEFAULT_EMULATOR_HOST = "127.0.0.1"
DEFAULT_EMULATOR_PORT = 8765
EMULATOR_HOST_ENV = "GCPKIT_EMULATOR_HOST"

# Resource names: RFC 1035 label, 1-63 characters.
NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
