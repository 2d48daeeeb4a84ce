"""Artifact Registry v1 (artifactregistry.googleapis.com), mounted under "/artifactregistry":
repositories and their long-running operations. Importing the package registers the handlers.
Artifacts themselves (images, packages) are not emulated."""

from . import operations, repositories  # noqa: F401
