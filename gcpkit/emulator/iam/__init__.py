"""IAM v1 (iam.googleapis.com), mounted under "/iam": service accounts and their IAM policies.
Importing the package registers the handlers; policy.py is the IAM policy logic Resource Manager
and Secret Manager share."""

from . import policies, service_accounts  # noqa: F401
