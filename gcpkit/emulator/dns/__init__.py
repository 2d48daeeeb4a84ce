"""Cloud DNS v1 (dns.googleapis.com), mounted under "/dns": managed zones, changes, record sets and
managed zone operations. Importing the package registers the handlers."""

from . import changes, operations, projects, recordsets, zones  # noqa: F401
