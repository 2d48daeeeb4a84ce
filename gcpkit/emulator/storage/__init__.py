"""Cloud Storage JSON API v1 (storage.googleapis.com), mounted at the root: buckets, bucket IAM,
objects (media, multipart and resumable uploads, downloads, generations, preconditions).
Importing the package registers the handlers; downloads and upload sessions are ordinary handlers
that answer raw bytes (core Media, see media.py)."""

from . import buckets, iam, listing, media, objects, uploads  # noqa: F401
