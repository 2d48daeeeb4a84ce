"""Dependency graph: edges from refs and dependsOn, cycles named, unknown names, order, critical path."""

from __future__ import annotations

import pytest

from gcpkit.errors import BadInput
from gcpkit.model import Config, ResourceSpec
from gcpkit.planning.graph import build_graph, critical_path, levels, order, reversed_graph


def res(name, props=None, depends_on=None):
    return ResourceSpec(name=name, type="compute.v1.x", properties=props or {}, depends_on=depends_on or [])


def bad(config) -> BadInput:
    with pytest.raises(BadInput) as info:
        build_graph(config)
    assert info.value.exit_code == 2
    return info.value


def test_edges_from_refs_and_depends_on():
    config = Config([
        res("net"),
        res("subnet", {"network": "$(ref.net.selfLink)"}),
        res("fw", {"network": "$(ref.net.selfLink)"}),
        res("vm", {"nics": [{"subnetwork": "$(ref.subnet.selfLink)"}], "d": "x $(ref.net.id) y"}, ["fw"]),
    ])
    assert build_graph(config) == {"net": set(), "subnet": {"net"}, "fw": {"net"}, "vm": {"subnet", "net", "fw"}}


def test_order_and_levels_are_deterministic_in_file_order():
    g = {"vm": {"subnet"}, "fw": {"net"}, "subnet": {"net"}, "net": set(), "disk": set()}
    assert levels(g) == [["net", "disk"], ["fw", "subnet"], ["vm"]]
    assert order(g) == ["net", "disk", "fw", "subnet", "vm"]


def test_reversed_graph():
    g = {"net": set(), "subnet": {"net"}, "vm": {"subnet", "net"}}
    assert reversed_graph(g) == {"net": {"subnet", "vm"}, "subnet": {"vm"}, "vm": set()}
    assert order(reversed_graph(g)) == ["vm", "subnet", "net"]


def test_cycle_of_two_is_named():
    config = Config([res("a", {"x": "$(ref.b.selfLink)"}), res("b", {"x": "$(ref.a.selfLink)"})])
    e = bad(config)
    assert e.message == "dependency cycle: a -> b -> a"


def test_cycle_of_three_through_depends_on_is_named_in_dependency_direction():
    config = Config([res("ok"), res("a", {"x": "$(ref.b.id)"}), res("b", depends_on=["c"]),
                     res("c", {"y": ["$(ref.a.id)"]})])
    assert bad(config).message == "dependency cycle: a -> b -> c -> a"


def test_self_reference_is_a_cycle():
    assert bad(Config([res("a", {"me": "$(ref.a.selfLink)"})])).message == "dependency cycle: a -> a"


def test_unknown_ref_names_resource_and_missing_name():
    config = Config([res("demo-net"), res("demo-vm", {"network": "$(ref.demo-nett.selfLink)"})])
    e = bad(config)
    assert e.message == ("resource 'demo-vm': $(ref.demo-nett.selfLink) names an unknown resource 'demo-nett' "
                         "(did you mean 'demo-net'?)")
    assert e.hint == "resources of this pattern: demo-net, demo-vm"


def test_unknown_depends_on():
    e = bad(Config([res("a", depends_on=["zzz"])]))
    assert e.message == "resource 'a': metadata.dependsOn names an unknown resource 'zzz'"


def test_unknown_ref_in_outputs():
    config = Config([res("web-vm")], outputs=[{"name": "ip", "value": "http://$(ref.web-vn.networkInterfaces[0].x)/"}])
    assert bad(config).message == ("output 'ip': $(ref.web-vn.networkInterfaces[0].x) names an unknown resource "
                                   "'web-vn' (did you mean 'web-vm'?)")


def test_critical_path():
    g = {"net": set(), "subnet": {"net"}, "fw": {"net"}, "disk": set(), "vm": {"subnet", "disk"}}
    d = {"net": 10, "subnet": 5, "fw": 30, "disk": 2, "vm": 20}
    total, path = critical_path(g, d)
    assert (total, path) == (40.0, ["net", "fw"])
    d["vm"] = 26  # now net -> subnet -> vm (41) is longer than net -> fw (40)
    assert critical_path(g, d) == (41.0, ["net", "subnet", "vm"])


def test_critical_path_through_longest_chain_and_missing_durations():
    g = {"a": set(), "b": {"a"}, "c": {"b"}, "d": set()}
    assert critical_path(g, {"a": 1, "b": 2, "c": 3, "d": 5}) == (6.0, ["a", "b", "c"])
    assert critical_path(g, {"d": 1}) == (1.0, ["d"])
    assert critical_path({}, {}) == (0.0, [])
