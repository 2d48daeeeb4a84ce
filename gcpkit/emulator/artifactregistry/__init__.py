"""Artifact Registry v1 (artifactregistry.googleapis.com), mounted under "/artifactregistry":
repositories, their long-running operations and the locations they may live in. Importing the
package registers the handlers. Artifacts themselves (images, packages) are not emulated."""

from . import locations, operations, repositories  # noqa: F401
