"""validate(): RFC 1035 names, known types, reference fields, zones and regions; and regions.py."""

from __future__ import annotations

import pytest

from gcpkit.errors import BadInput
from gcpkit.model import Config, ResourceSpec
from gcpkit.planning import regions
from gcpkit.planning.regions import check_region, check_zone, region_of, zones_of
from gcpkit.planning.validate import name_problem, validate

TYPES = {"compute.v1.network": None, "compute.v1.instance": None, "compute.v1.subnetwork": None}
FIELDS = {
    "compute.v1.network": {"name", "selfLink", "id", "autoCreateSubnetworks"},
    "compute.v1.instance": {"name", "selfLink", "networkInterfaces", "zone"},
}


def fields_of(t):
    return FIELDS.get(t)


def res(name, type_="compute.v1.network", props=None, line=None):
    return ResourceSpec(name=name, type=type_, properties=props or {}, line=line)


def check(*resources, outputs=None, **kwargs):
    validate(Config(list(resources), outputs or []), known_types=TYPES, fields_of=fields_of, **kwargs)


def bad(*resources, **kwargs) -> BadInput:
    with pytest.raises(BadInput) as info:
        check(*resources, **kwargs)
    assert info.value.exit_code == 2 and "\n" not in info.value.message
    return info.value


def test_valid_config_passes():
    check(res("demo-net"),
          res("demo-vm", "compute.v1.instance", {"zone": "us-central1-a",
                                                 "nics": [{"network": "$(ref.demo-net.selfLink)"}]}),
          res("demo-subnet", "compute.v1.subnetwork", {"region": "europe-west1", "network": "$(ref.demo-net.id)"}),
          outputs=[{"name": "ip", "value": "$(ref.demo-vm.networkInterfaces[0].networkIP)"}])


@pytest.mark.parametrize("name, why", [
    ("a" * 70, "too long (70 > 63)"),
    ("1abc", "must start with a lowercase letter"),
    ("-abc", "must start with a lowercase letter"),
    ("abc-", "must end with a lowercase letter or a digit"),
    ("Demo-net", "only lowercase letters, digits and hyphens are allowed, not 'D'"),
    ("demo_net.x", "only lowercase letters, digits and hyphens are allowed, not '.', '_'"),
    ("", "empty"),
])
def test_name_problems(name, why):
    assert name_problem(name) == why


@pytest.mark.parametrize("name", ["a", "a1", "demo-vm-1", "a" * 63])
def test_good_names(name):
    assert name_problem(name) is None


def test_invalid_name_error_names_resource():
    e = bad(res("demo-" + "x" * 60))
    assert e.message == f"resource 'demo-{'x' * 60}': invalid name: too long (65 > 63)"
    assert e.hint.startswith("names are RFC 1035")


def test_source_and_line_in_where():
    e = bad(res("Net", line=12), source="p/pattern.yaml")
    assert e.message == ("p/pattern.yaml (rendered) line 12: resource 'Net': invalid name: only lowercase letters, "
                         "digits and hyphens are allowed, not 'N'")


def test_unknown_type_lists_supported():
    e = bad(res("a", "compute.v1.instanc"))
    assert e.message == ("resource 'a': unknown type 'compute.v1.instanc' (did you mean 'compute.v1.instance'?); "
                         "supported types: compute.v1.instance, compute.v1.network, compute.v1.subnetwork")


def test_ref_to_unknown_field_suggests_close_ones():
    e = bad(res("net"), res("vm", "compute.v1.instance", {"network": "$(ref.net.selfLnk)"}))
    assert e.message == "resource 'vm': $(ref.net.selfLnk): compute.v1.network has no field 'selfLnk' (did you mean 'selfLink'?)"


def test_ref_field_checked_on_first_segment_only():
    check(res("vm", "compute.v1.instance"), res("n", props={"x": "$(ref.vm.networkInterfaces[3].anything.deep)"}))


def test_ref_field_unchecked_when_fields_unknown():
    check(res("s", "compute.v1.subnetwork"), res("n", props={"x": "$(ref.s.whatever)"}))


def test_ref_to_unknown_resource_is_left_to_the_graph():
    check(res("n", props={"x": "$(ref.nothing.selfLink)"}))


def test_malformed_ref():
    e = bad(res("n", props={"x": "$(ref.net)"}))
    assert e.message == ("resource 'n': malformed reference in '$(ref.net)'; expected $(ref.NAME.FIELD), "
                         "e.g. $(ref.my-network.selfLink)")


def test_output_ref_field_checked():
    with pytest.raises(BadInput) as info:
        check(res("vm", "compute.v1.instance"), outputs=[{"name": "ip", "value": "$(ref.vm.networkInterface[0].x)"}])
    assert info.value.message == ("output 'ip': $(ref.vm.networkInterface[0].x): compute.v1.instance has no field "
                                  "'networkInterface' (did you mean 'networkInterfaces'?)")


@pytest.mark.parametrize("props, message", [
    ({"zone": "us-central1-z"}, "resource 'vm': zone: unknown zone 'us-central1-z'; the zones of us-central1 are "
                                "us-central1-a, us-central1-b, us-central1-c, us-central1-f"),
    ({"zone": "us-centrall1-a"}, "resource 'vm': zone: unknown zone 'us-centrall1-a': unknown region "
                                 "'us-centrall1'; did you mean us-central1?"),
    ({"zone": "uscentral1a"}, "resource 'vm': zone: 'uscentral1a' is not a zone name (e.g. us-central1-a, "
                              "europe-west1-b)"),
    ({"zone": 5}, "resource 'vm': zone must be a string such as us-central1-a"),
    ({"region": "us-centrl1"}, "resource 'vm': region: unknown region 'us-centrl1'; did you mean us-central1?"),
    ({"region": "us-central1-a"}, "resource 'vm': region: 'us-central1-a' is not a region name (e.g. us-central1, "
                                  "europe-west1)"),
])
def test_zone_and_region_errors(props, message):
    assert bad(res("vm", "compute.v1.instance", props)).message == message


def test_zone_as_url_and_ref_are_accepted():
    check(res("vm", "compute.v1.instance", {"zone": "projects/p/zones/europe-west1-b"}),
          res("x", "compute.v1.instance", {"zone": "$(ref.vm.zone)"}))


# ------------------------------------------------------------------ regions.py


def test_region_list_is_real_and_complete_enough():
    assert len(regions.REGIONS) >= 40
    for r in ("us-central1", "us-east1", "us-west1", "europe-west1", "europe-west4", "asia-northeast1",
              "asia-southeast1", "australia-southeast1", "southamerica-east1", "me-west1", "africa-south1"):
        assert r in regions.REGIONS
    assert zones_of("us-central1") == ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]
    assert zones_of("europe-west1") == ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
    assert zones_of("us-east1") == ["us-east1-b", "us-east1-c", "us-east1-d"]
    assert all(regions.REGION_RE.match(r) for r in regions.REGIONS)
    assert all(regions.ZONE_RE.match(z) for z in regions.all_zones())


def test_check_region_and_zone_return_value_and_name_where():
    assert check_region("asia-northeast1", "--region") == "asia-northeast1"
    assert check_zone("europe-west1-d", "--zone") == "europe-west1-d"
    assert region_of("europe-west1-d") == "europe-west1"
    with pytest.raises(BadInput) as info:
        check_zone("europe-west1-a", "--zone")
    assert info.value.message == ("--zone: unknown zone 'europe-west1-a'; the zones of europe-west1 are "
                                  "europe-west1-b, europe-west1-c, europe-west1-d")
    with pytest.raises(BadInput) as info:
        check_region("mars-north1", "--region")
    assert info.value.message == "--region: unknown region 'mars-north1'"
    assert "us-central1" in info.value.hint
