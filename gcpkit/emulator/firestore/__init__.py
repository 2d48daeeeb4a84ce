"""Firestore Admin v1 (firestore.googleapis.com), mounted under "/firestore": databases and their
long-running operations. Importing the package registers the handlers. Documents are not emulated."""

from . import databases, operations  # noqa: F401
