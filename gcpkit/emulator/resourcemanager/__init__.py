"""Cloud Resource Manager v3 (cloudresourcemanager.googleapis.com), mounted under
"/cloudresourcemanager": projects (lifecycle, IAM policy), liens and operations. Importing the
package registers the handlers; lifecycle.py is the pure helper other services call."""

from . import liens, operations, policies, projects  # noqa: F401
