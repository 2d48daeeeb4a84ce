"""A resource gcpkit has just created may answer 404 for a while (eventual consistency). A second `up`
inside that window sees its recorded bucket missing and creates it again; the API answers 409, and the
409 proves the bucket exists: gcpkit waits for it to become readable and keeps it, instead of failing
on the 404 of its first read."""

from __future__ import annotations

from reliability_helpers import Lab, lab_target

CONFIG = """\
resources:
- name: ec-assets
  type: storage.v1.bucket
  properties:
    location: US-CENTRAL1
"""
HIDE_S = 3.0


def test_a_conflict_inside_the_consistency_window_is_ridden_out(tmp_path, monkeypatch):
    lab = Lab(tmp_path, monkeypatch)
    try:
        (tmp_path / "bucket.yaml").write_text(CONFIG)
        lab.set_faults({"rules": [{"http_method": "POST", "hide": HIDE_S}]})
        args = ["up", "bucket.yaml", "--deployment", "ec", "--emulator", "--project", "ec-proj", "--yes"]
        lab.invoke(args, expect=0)
        mark = lab.emu.mark()
        again = lab.invoke(args, expect=0)
        assert "recorded but missing; will be recreated" in again.output  # what the refresh saw
        calls = [(c["method"], c["path"], c["status"]) for c in lab.emu.since(mark)]
        assert calls[:3] == [("GET", "/storage/v1/b/ec-assets", 404), ("POST", "/storage/v1/b", 409),
                             ("GET", "/storage/v1/b/ec-assets", 404)]
        assert calls[-1] == ("GET", "/storage/v1/b/ec-assets", 200)
        assert lab.fault_sets[-1].hidden_served == len(calls) - 2  # every 404 was the window's
        buckets = lab_target(lab).discovery("storage", "v1").buckets().list(project="ec-proj").execute()["items"]
        assert [(b["name"], b["labels"]["gcpkit-deployment"]) for b in buckets] == [("ec-assets", "ec")]
    finally:
        lab.stop()
