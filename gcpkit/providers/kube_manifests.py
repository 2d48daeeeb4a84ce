"""Check a Kubernetes manifest before any call, against the official `kubernetes` client's models.

The client's models (pydantic, one per API schema: V1Deployment, V1Service, ...) know every field's
type, which fields are required and which do not exist; validating the manifest's dict with them finds a
missing container name, a port given as text or a misspelt `readinessProbe` with the exact path. A few
rules the API server adds on top (a Deployment's selector must match its pod labels, a LoadBalancer
needs ports, a RollingUpdate cannot have both maxSurge and maxUnavailable at 0) are checked here too.
"""

from __future__ import annotations

import re
from typing import Any

# (apiVersion, kind) -> the kubernetes client's model
MODELS = {
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "Service"): "V1Service",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class ManifestError(ValueError):
    """What is wrong, with the path of the field in the manifest."""


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_manifest(manifest: Any) -> Any:
    """The manifest as the client's model object; ManifestError naming the first problem and its path."""
    if not isinstance(manifest, dict):
        raise ManifestError(f"a manifest must be a mapping, got {type(manifest).__name__}")
    key = (manifest.get("apiVersion"), manifest.get("kind"))
    if key not in MODELS:
        known = ", ".join(f"{v} {k}" for v, k in MODELS)
        raise ManifestError(f"unsupported apiVersion/kind {key[0]!r}/{key[1]!r} (gcpkit applies: {known})")
    from kubernetes import client as k8s
    from pydantic import ValidationError

    model = getattr(k8s, MODELS[key])
    try:
        obj = model.model_validate(manifest)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"].lower()
        raise ManifestError(f"{key[1]} {_path(first['loc'])}: {message}") from None
    _check_rules(key[1], manifest)
    return obj


def _check_rules(kind: str, m: dict) -> None:
    meta = m.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise ManifestError(f"{kind} metadata.name: field required")
    rule = DNS_LABEL if kind in ("Namespace", "Service") else DNS_SUBDOMAIN
    if not rule.match(name):
        raise ManifestError(f"{kind} metadata.name: {name!r} is not a valid Kubernetes name "
                            "(lowercase letters, digits and '-')")
    if kind == "Deployment":
        _check_deployment(m.get("spec") or {})
    elif kind == "Service":
        spec = m.get("spec") or {}
        if spec.get("type") == "LoadBalancer" and not spec.get("ports"):
            raise ManifestError("Service spec.ports: a LoadBalancer Service needs at least one port")


def _check_deployment(spec: dict) -> None:
    selector = ((spec.get("selector") or {}).get("matchLabels")) or {}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector:
        raise ManifestError("Deployment spec.selector.matchLabels: field required")
    missing = {k: v for k, v in selector.items() if labels.get(k) != v}
    if missing:
        raise ManifestError(f"Deployment spec.template.metadata.labels: does not match spec.selector "
                            f"({', '.join(f'{k}={v}' for k, v in missing.items())} missing)")
    rolling = ((spec.get("strategy") or {}).get("rollingUpdate")) or {}
    if rolling and _is_zero(rolling.get("maxSurge", "25%")) and _is_zero(rolling.get("maxUnavailable", "25%")):
        raise ManifestError("Deployment spec.strategy.rollingUpdate: maxSurge and maxUnavailable cannot both be 0")
    containers = (((spec.get("template") or {}).get("spec")) or {}).get("containers") or []
    names = [c.get("name") for c in containers]
    if len(set(names)) != len(names):
        raise ManifestError("Deployment spec.template.spec.containers: container names must be unique")
    for i, container in enumerate(containers):
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        for what, request in (resources.get("requests") or {}).items():
            asked, limit = _quantity(request), _quantity(limits.get(what))
            if asked is not None and limit is not None and asked > limit:  # the API server's own rule
                raise ManifestError(f"Deployment spec.template.spec.containers[{i}].resources.requests.{what}: "
                                    f"{request} must be less than or equal to the {what} limit {limits[what]}")


def _is_zero(value: Any) -> bool:
    return value in (0, "0", "0%")


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_SCALE = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
          "Ti": 2**40}


def _quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('100m', '0.5', '128Mi') as a number; None when absent or not understood."""
    found = _QUANTITY.match(str(value)) if value is not None else None
    return float(found.group(1)) * _SCALE[found.group(2)] if found else None
