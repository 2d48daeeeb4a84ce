"""$(ref.NAME.FIELD): finding, field paths, and resolution (whole-string keeps the type)."""

from __future__ import annotations

import pytest

from gcpkit.planning.refs import REF, find_malformed_refs, find_refs, get_path, parse_path, resolve

LIVE = {
    "demo-net": {"selfLink": "https://x/global/networks/demo-net", "mtu": 1460, "autoCreateSubnetworks": False},
    "demo-vm": {
        "networkInterfaces": [{"networkIP": "10.10.0.2", "accessConfigs": [{"natIP": "34.1.2.3"}]}],
        "tags": {"items": ["a", "b"]},
    },
}


def lookup(name, field):
    return get_path(LIVE[name], field)


def test_find_refs_nested_and_embedded():
    obj = {
        "network": "$(ref.demo-net.selfLink)",
        "list": [{"deep": ["x", "$(ref.demo-vm.networkInterfaces[0].accessConfigs[0].natIP)"]}],
        "url": "http://$(ref.demo-vm.networkInterfaces[0].accessConfigs[0].natIP)/ and $(ref.other_1.id)",
        "n": 3, "b": True, "none": None,
    }
    assert find_refs(obj) == {
        ("demo-net", "selfLink"),
        ("demo-vm", "networkInterfaces[0].accessConfigs[0].natIP"),
        ("other_1", "id"),
    }


def test_find_refs_none_in_plain_data():
    assert find_refs({"a": ["$(notref.x.y)", "$ref.x.y", "(ref.x.y)"]}) == set()


@pytest.mark.parametrize("text", ["$(ref.x)", "$(ref.x.)", "$(ref.x.a b)", "$(ref.x.a[0)", "$(ref..a)",
                                  "ok $(ref.x.y) bad $(ref.z)"])
def test_malformed_refs_are_found(text):
    assert find_malformed_refs({"k": [text]}) == [text]


def test_wellformed_refs_are_not_malformed():
    assert find_malformed_refs(["$(ref.a.b)", "x $(ref.a.b[1].c) y", "plain"]) == []


def test_ref_regex_groups():
    m = REF.fullmatch("$(ref.demo-vm-1.networkInterfaces[0].accessConfigs[0].natIP)")
    assert m and m.group("name") == "demo-vm-1" and m.group("field") == "networkInterfaces[0].accessConfigs[0].natIP"


def test_parse_path():
    assert parse_path("a.b[0].c") == ["a", "b", 0, "c"]
    assert parse_path("m[1][2]") == ["m", 1, 2]
    with pytest.raises(ValueError):
        parse_path("a..b")
    with pytest.raises(ValueError):
        parse_path("[0]")


def test_get_path_values():
    assert get_path(LIVE["demo-vm"], "networkInterfaces[0].accessConfigs[0].natIP") == "34.1.2.3"
    assert get_path(LIVE["demo-vm"], "tags.items[1]") == "b"
    assert get_path(LIVE["demo-vm"], "tags") == {"items": ["a", "b"]}


@pytest.mark.parametrize("path, message", [
    ("nope", "nope: no such field"),
    ("networkInterfaces[1].networkIP", "networkInterfaces[1]: no such item (it has 1)"),
    ("networkInterfaces[0].accessConfigs[0].natIPP", "networkInterfaces[0].accessConfigs[0].natIPP: no such field"),
    ("tags[0]", "tags[0]: no such item (not a list)"),
    ("tags.items.x", "tags.items.x: no such field"),
])
def test_get_path_missing_raises_keyerror(path, message):
    with pytest.raises(KeyError) as info:
        get_path(LIVE["demo-vm"], path)
    assert info.value.args[0] == message


def test_resolve_whole_string_keeps_type():
    obj = {"mtu": "$(ref.demo-net.mtu)", "auto": "$(ref.demo-net.autoCreateSubnetworks)",
           "tags": "$(ref.demo-vm.tags.items)"}
    assert resolve(obj, lookup) == {"mtu": 1460, "auto": False, "tags": ["a", "b"]}


def test_resolve_embedded_is_text():
    obj = ["http://$(ref.demo-vm.networkInterfaces[0].accessConfigs[0].natIP)/",
           "mtu=$(ref.demo-net.mtu) auto=$(ref.demo-net.autoCreateSubnetworks)"]
    assert resolve(obj, lookup) == ["http://34.1.2.3/", "mtu=1460 auto=false"]


def test_resolve_does_not_modify_input_and_keeps_other_values():
    obj = {"a": ["$(ref.demo-net.selfLink)", 1, None, True], "b": {"c": "plain"}}
    before = repr(obj)
    out = resolve(obj, lookup)
    assert out == {"a": ["https://x/global/networks/demo-net", 1, None, True], "b": {"c": "plain"}}
    assert repr(obj) == before


def test_resolve_propagates_lookup_errors():
    with pytest.raises(KeyError):
        resolve("$(ref.demo-net.nothing)", lookup)
