"""The discovery documents clients read first: /version, /api, /apis, /apis/GROUP and each group
version's resource list. Minimal: only what this emulation serves."""

from __future__ import annotations

from gcpkit.emulator.kubernetes.resources import BY_GROUP_VERSION, READ_VERBS, VERBS

DEFAULT_VERSION = "1.30.5-gke.1014001"  # a GKE version of the REGULAR channel


def version(master_version: str | None) -> dict:
    full = master_version or DEFAULT_VERSION
    major, minor = full.split(".")[:2]
    return {"major": major, "minor": minor, "gitVersion": f"v{full}", "gitCommit": "0" * 40,
            "gitTreeState": "clean", "buildDate": "2024-09-25T09:18:04Z", "goVersion": "go1.22.6 X:boringcrypto",
            "compiler": "gc", "platform": "linux/amd64"}


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(name: str) -> dict:
    versions = [{"groupVersion": gv, "version": gv.split("/")[1]} for gv in BY_GROUP_VERSION
                if gv.split("/")[0] == name and "/" in gv]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]}


def groups() -> list[str]:
    return sorted({gv.split("/")[0] for gv in BY_GROUP_VERSION if "/" in gv})


def api_group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in groups()]}


def api_group(name: str) -> dict:
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def resource_list(group_version: str) -> dict:
    resources = []
    for res in BY_GROUP_VERSION[group_version].values():
        entry = {"name": res.plural, "singularName": res.singular, "namespaced": res.namespaced, "kind": res.kind,
                 "verbs": READ_VERBS if res.generated else VERBS}
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        resources.append(entry)
        if res.kind == "Deployment":
            resources.append({"name": "deployments/scale", "singularName": "", "namespaced": True,
                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}
