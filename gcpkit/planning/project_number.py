"""Deployment Manager's env.project_number: the one template input only the API knows. A config is first
expanded with a placeholder, so that every check runs before any call; if a template read it, the
number is asked of Resource Manager once the command has its connection, and the config expanded again."""

from __future__ import annotations

from typing import Any


def needs_project_number(prep: Any) -> bool:
    return bool(getattr(prep.pattern, "uses_project_number", False)) and not prep.env.get("project_number")


def fetch_project_number(target: Any, project: str) -> str:
    """The project's number (Resource Manager v3 projects.get names it projects/NUMBER)."""
    from gcpkit.errors import OperationFailed
    from gcpkit.providers.base import NotFound
    from gcpkit.providers.google_api import execute

    try:
        body = execute(target.discovery("cloudresourcemanager", "v3").projects().get(name=f"projects/{project}"))
    except NotFound:
        raise OperationFailed(f"project {project} not found: a template reads env.project_number",
                              hint="check --project; you need resourcemanager.projects.get on it") from None
    number = str(body.get("name", "")).rsplit("/", 1)[-1]
    if not number.isdigit():
        raise OperationFailed(f"Resource Manager gave no number for project {project} (name {body.get('name')!r})")
    return number
