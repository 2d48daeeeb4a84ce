"""The benchmark's critical-path model of GKE and App Engine: every wait a resource's create or delete
involves in the emulator's latency profile, and nothing for what the emulator answers at once."""

from __future__ import annotations

import pytest

from bench.durations import durations
from gcpkit.emulator.core.latency import Latency
from gcpkit.planning.build import prepare


def _prepared(pattern: str, *sets: str):
    return prepare(pattern, deployment="bench", sets=list(sets), values_file=None, project="bench", region=None,
                   zone=None)


@pytest.fixture(scope="module")
def latency() -> Latency:
    return Latency(1.0)


def test_gke_cluster_create_includes_removing_the_default_pool(latency):
    up = durations(_prepared("gke-datastore"), latency, "insert")
    d = latency.duration
    assert up["bench-gke"] == d("container", "clusters", "create") + d("container", "nodePools", "delete")
    assert up["bench-nodes"] == d("container", "nodePools", "create")
    assert up["bench-deployment"] == d("kubernetes", "pods", "ready")
    assert up["bench-service"] == d("kubernetes", "services", "loadBalancer")
    assert up["bench-namespace"] == up["bench-ksa"] == up["bench-app-sa"] == 0.0


def test_gke_delete_waits_for_load_balancer_release_and_unprotecting_the_database(latency):
    down = durations(_prepared("gke-datastore"), latency, "delete")
    d = latency.duration
    assert down["bench-service"] == d("kubernetes", "services", "delete")
    assert down["bench-datastore"] == d("firestore", "databases", "patch") + d("firestore", "databases", "delete")
    unprotected = durations(_prepared("gke-datastore", "database_delete_protection=false"), latency, "delete")
    assert unprotected["bench-datastore"] == d("firestore", "databases", "delete")


def test_gke_ingress_exposure_waits_for_the_ingress(latency):
    up = durations(_prepared("gke-datastore", "exposure=ingress"), latency, "insert")
    assert up["bench-ingress"] == latency.duration("kubernetes", "ingresses", "loadBalancer")


def test_appengine_default_service_keeps_its_serving_version(latency):
    prep = _prepared("appengine")
    up, down = durations(prep, latency, "insert"), durations(prep, latency, "delete")
    assert up["bench-app"] == latency.duration("appengine", "apps", "create")
    assert up["bench-version"] == latency.duration("appengine", "versions", "create")
    assert down == {name: 0.0 for name in down}
    other = durations(_prepared("appengine", "service=api"), latency, "delete")
    assert other["bench-version"] == latency.duration("appengine", "services", "delete")


def test_cloud_sql_delete_turns_deletion_protection_off_first(latency):
    down = durations(_prepared("gce-sql"), latency, "delete")
    instance = next(s for s in _prepared("gce-sql").config.resources if s.type == "sqladmin.v1.instance")
    assert (instance.properties.get("settings") or {}).get("deletionProtectionEnabled")
    assert down[instance.name] == (latency.duration("sqladmin", "instances", "patch")
                                   + latency.duration("sqladmin", "instances", "delete"))
