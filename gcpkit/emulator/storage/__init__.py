"""Cloud Storage JSON API v1 (storage.googleapis.com), mounted at the root: buckets, bucket IAM,
objects (media, multipart and resumable uploads, downloads, generations, preconditions).
Importing the package registers the handlers and installs the media shim (see media.py)."""

from . import buckets, iam, listing, media, objects, uploads  # noqa: F401

media.install()
