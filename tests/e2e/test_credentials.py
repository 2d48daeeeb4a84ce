"""Without --emulator gcpkit uses Application Default Credentials; none found is one clear line naming
both ways forward, exit code 2, before any API call."""

from __future__ import annotations

import os
import subprocess
import sys


def test_missing_credentials_names_both_ways_forward(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOOGLE_APPLICATION_CREDENTIALS", "GCPKIT_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")}
    env.update(HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gcloud"))
    result = subprocess.run([sys.executable, "-m", "gcpkit", "plan", "gce-custom", "--project", "real-project"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "error: no Google Cloud credentials found (DefaultCredentialsError)",
        "hint: run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS), "
        "or add --emulator to use the bundled local emulator",
    ]
