"""Secret Manager v1 (secretmanager.googleapis.com), to be mounted under "/secretmanager": secrets,
versions (payloads returned only by versions.access) and secret IAM policies. Importing the
package registers the handlers."""

from . import policies, secrets, versions  # noqa: F401
