"""Static catalog: regions, zones, machine types, disk types, public images and families."""

from __future__ import annotations

import pytest
from google.api_core import exceptions

API = "https://www.googleapis.com/compute/v1/"


def test_zones_and_regions(gce):
    p = gce.project
    zone = gce.zones.get(project=p, zone="asia-northeast1-b")
    assert zone.name == "asia-northeast1-b"
    assert zone.status == "UP"
    assert zone.region == f"{API}projects/{p}/regions/asia-northeast1"
    assert zone.self_link == f"{API}projects/{p}/zones/asia-northeast1-b"
    names = {z.name for z in gce.zones.list(project=p)}
    assert {"asia-northeast1-a", "asia-northeast1-c", "us-central1-f", "europe-west1-d"} <= names
    region = gce.regions.get(project=p, region="europe-west1")
    assert [z.rsplit("/", 1)[1] for z in region.zones] == ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
    assert "us-central1" in {r.name for r in gce.regions.list(project=p)}


def test_unknown_zone_and_region(gce):
    with pytest.raises(exceptions.NotFound) as e:
        gce.zones.get(project=gce.project, zone="mars-east1-a")
    assert gce.error(e) == (404, "notFound", f"The resource 'projects/{gce.project}/zones/mars-east1-a' was not found")
    with pytest.raises(exceptions.BadRequest) as e:
        list(gce.instances.list(project=gce.project, zone="mars-east1-a"))
    assert gce.error(e) == (400, "invalid", "Invalid value for field 'zone': 'mars-east1-a'. Unknown zone.")
    with pytest.raises(exceptions.BadRequest) as e:
        list(gce.addresses.list(project=gce.project, region="mars-east1"))
    assert gce.error(e) == (400, "invalid", "Invalid value for field 'region': 'mars-east1'. Unknown region.")


def test_machine_and_disk_types(gce):
    p = gce.project
    mt = gce.machine_types.get(project=p, zone="us-central1-a", machine_type="e2-standard-4")
    assert (mt.guest_cpus, mt.memory_mb) == (4, 16384)
    assert mt.self_link == f"{API}projects/{p}/zones/us-central1-a/machineTypes/e2-standard-4"
    names = {m.name for m in gce.machine_types.list(project=p, zone="us-central1-a")}
    assert {"e2-micro", "e2-small", "e2-medium", "e2-standard-2", "n2-standard-2", "n2-standard-4",
            "n1-standard-1"} <= names
    with pytest.raises(exceptions.NotFound) as e:
        gce.machine_types.get(project=p, zone="us-central1-a", machine_type="e9-huge")
    assert gce.error(e)[2] == f"The resource 'projects/{p}/zones/us-central1-a/machineTypes/e9-huge' was not found"
    assert {d.name for d in gce.disk_types.list(project=p, zone="us-central1-a")} == {
        "pd-standard", "pd-balanced", "pd-ssd"}
    assert gce.disk_types.get(project=p, zone="us-central1-a", disk_type="pd-ssd").default_disk_size_gb == 100


@pytest.mark.parametrize("project,family", [("debian-cloud", "debian-12"), ("ubuntu-os-cloud", "ubuntu-2204-lts"),
                                            ("cos-cloud", "cos-stable")])
def test_public_image_families(gce, project, family):
    img = gce.images.get_from_family(project=project, family=family)
    assert img.family == family
    assert img.status == "READY"
    assert img.self_link == f"{API}projects/{project}/global/images/{img.name}"
    # GCP answers a public family with kind, name, family, selfLink and status only (recordings)
    assert gce.images.get(project=project, image=img.name).family == family and not img.id
    assert img.name in {i.name for i in gce.images.list(project=project)}


def test_unknown_public_image_is_404(gce):
    with pytest.raises(exceptions.NotFound) as e:
        gce.images.get(project="debian-cloud", image="debian-11")
    assert gce.error(e) == (404, "notFound", "The resource 'projects/debian-cloud/global/images/debian-11' was not found")
    with pytest.raises(exceptions.NotFound):
        gce.images.get_from_family(project="debian-cloud", family="debian-99")


def test_project_view(gce):
    proj = gce.projects.get(project=gce.project)
    assert proj.name == gce.project and proj.kind == "compute#project"
    assert proj.self_link == f"{API}projects/{gce.project}"
    assert proj.default_service_account.endswith("-compute@developer.gserviceaccount.com")
