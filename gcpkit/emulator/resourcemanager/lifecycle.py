"""Project lifecycle as every emulated API may ask about it: pure functions of the store.

The other emulated APIs never create projects, so a project id nobody created is treated as an
existing ACTIVE project; only an explicit projects.delete (Resource Manager) moves it to
DELETE_REQUESTED, and undelete moves it back. Project numbers are a stable function of the id
(the same formula dns.projects.get uses), so every API agrees on them.
"""

from __future__ import annotations

import zlib

PROJECTS = "resourcemanager/projects"  # key: project id

ACTIVE = "ACTIVE"
DELETE_REQUESTED = "DELETE_REQUESTED"


def project_number(project_id: str) -> str:
    """The emulated project number of a project id (12 digits, stable across processes)."""
    return str(100000000000 + zlib.crc32(project_id.encode()) % 900000000000)


def find_project(store, project: str) -> dict | None:
    """The stored project document for a project id or number, or None (never touched)."""
    if project.isdigit():  # ids start with a letter, so this is a number
        return next((p for p in store.list(PROJECTS) if p.get("_number") == project), None)
    return store.get(PROJECTS, project)


def project_state(store, project: str) -> str:
    """"ACTIVE" or "DELETE_REQUESTED" for a project id or number; a project never touched is ACTIVE."""
    doc = find_project(store, project)
    return doc["state"] if doc else ACTIVE


def is_active(store, project: str) -> bool:
    return project_state(store, project) == ACTIVE
