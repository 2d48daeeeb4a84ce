"""A resource gcpkit has just created may answer 404 for a while (eventual consistency). A second `up`
inside that window sees its recorded bucket missing and creates it again; the API answers 409, and the
409 proves the bucket exists: gcpkit waits for it to become readable and keeps it, instead of failing
on the 404 of its first read. A 409 with nothing readable behind it (a name Cloud SQL keeps for a week
after a delete) is told as what it is."""

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


SQL = """\
resources:
- name: ec-db
  type: sqladmin.v1beta4.instance
  properties:
    region: us-central1
    databaseVersion: MYSQL_8_0
    settings:
      tier: db-f1-micro
"""


def test_a_conflict_with_nothing_behind_it_names_the_409(tmp_path, monkeypatch):
    lab = Lab(tmp_path, monkeypatch)
    try:
        (tmp_path / "sql.yaml").write_text(SQL)
        args = ["up", "sql.yaml", "--deployment", "ec", "--emulator", "--project", "ec-proj", "--yes"]
        lab.invoke(args, expect=0)
        lab.invoke(["destroy", "deployment", "ec", "--emulator", "--project", "ec-proj", "--yes"], expect=0)
        mark = lab.emu.mark()
        again = lab.invoke(args, expect=1)  # Cloud SQL keeps a deleted instance's name for a week
        errors = [line for line in again.output.splitlines() if line.startswith("error: ec-db:")]
        assert errors == ["error: ec-db: sqladmin.v1.instance 'ec-db' cannot be created: 409 The Cloud SQL instance "
                          "already exists. When you delete an instance, you can't reuse the name of the deleted "
                          "instance until one week from the deletion date. Yet nothing of that name can be read."]
        assert "hint: the name may be held by a resource being deleted, or reserved after a delete" in again.output
        inserts = [c for c in lab.emu.since(mark) if c["method_id"] == "sql.instances.insert"]
        assert [c["status"] for c in inserts] == [409]  # refused once, never retried
    finally:
        lab.stop()
