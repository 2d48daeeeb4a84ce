"""Fixtures for driving the whole CLI against an emulator, as a user would."""

from __future__ import annotations

import pytest
from e2e_helpers import start_emulator
from typer.testing import CliRunner

from gcpkit.constants import EMULATOR_HOST_ENV


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """A CliRunner in a fresh working directory, pointed at a fresh emulator via GCPKIT_EMULATOR_HOST."""
    handle = start_emulator(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(EMULATOR_HOST_ENV, handle.url)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    yield CliRunner(), handle
    handle.server.stop()
