"""Checks of project ids, display names, parents and labels, with the API's wording."""

from __future__ import annotations

import re

from .common import invalid

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_PARENT = re.compile(r"^(organizations|folders)/[0-9]+$")
_DISPLAY_NAME = re.compile(r"^[A-Za-z0-9'\"! -]{4,30}$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def check_project_id(project_id) -> None:
    if not isinstance(project_id, str) or not project_id:
        raise invalid("field [project_id] has issue [project_id is required]")
    if not _PROJECT_ID.match(project_id):
        raise invalid(f"field [project_id] has issue [project_id contains invalid characters or has an invalid "
                      f"length: '{project_id}' must be 6 to 30 lowercase letters, digits or hyphens, start with a "
                      "letter and not end with a hyphen]")


def check_display_name(name) -> None:
    if name and not _DISPLAY_NAME.match(name):
        raise invalid(f"field [display_name] has issue [display name '{name}' must be 4 to 30 letters, digits, "
                      "quotes, hyphens, spaces or exclamation points]")


def check_parent(parent) -> None:
    if parent and not _PARENT.match(parent):
        raise invalid(f"field [parent] has issue [invalid parent '{parent}': expected organizations/ID or "
                      "folders/ID]")


def check_labels(labels) -> None:
    if not labels:
        return
    if len(labels) > 64:
        raise invalid("field [labels] has issue [no more than 64 labels]")
    for key, value in labels.items():
        if not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value or ""):
            raise invalid(f"field [labels] has issue [invalid label '{key}': '{value}']")
