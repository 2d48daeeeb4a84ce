"""What the API server rejects with 422 Invalid (missing or malformed fields, immutable fields changed),
in its wording, for the kinds served here. Type errors in the JSON are 400 BadRequest, as the server's
decoder answers them."""

from __future__ import annotations

import json
import re

from gcpkit.emulator.kubernetes import selectors
from gcpkit.emulator.kubernetes.errors import Invalid, bad_request
from gcpkit.emulator.kubernetes.resources import Resource

REQUIRED, INVALID, UNSUPPORTED, DUPLICATE, FORBIDDEN = ("FieldValueRequired", "FieldValueInvalid",
                                                        "FieldValueNotSupported", "FieldValueDuplicate",
                                                        "FieldValueForbidden")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_PERCENT = re.compile(r"^[0-9]+%$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_1123_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                   "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                   "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_LABEL_1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                   "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                   "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


def go_repr(value) -> str:
    """A value as Go's %#v-ish rendering in Kubernetes messages: strings quoted, the rest as JSON."""
    return json.dumps(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def int_or_percent(value, total: int, round_up: bool) -> int:
    """maxSurge / maxUnavailable against the replica count: ints as is, "25%" rounded like Kubernetes
    (surge up, unavailable down)."""
    if isinstance(value, int):
        return value
    pct = int(str(value)[:-1])
    scaled = pct * total
    return -(-scaled // 100) if round_up else scaled // 100


def type_check(res: Resource, obj) -> None:
    """The decoder's errors: a JSON value of the wrong type where Kubernetes has a typed field."""
    if not isinstance(obj, dict):
        raise bad_request(f"{res.kind} in version \"{res.version}\" cannot be handled as a {res.kind}: "
                          "json: cannot unmarshal into Go value of type struct")
    for path, want in (("metadata", dict), ("spec", dict), ("metadata.labels", dict), ("metadata.annotations", dict),
                       ("spec.replicas", int), ("spec.template", dict), ("spec.selector", dict),
                       ("spec.ports", list), ("data", dict)):
        value = _dig(obj, path)
        if value is not None and (not isinstance(value, want) or isinstance(value, bool)):
            go = {dict: "object", int: "int32", list: "array"}[want]
            raise bad_request(f"{res.kind} in version \"{res.version}\" cannot be handled as a {res.kind}: json: "
                              f"cannot unmarshal {type(value).__name__} into Go struct field {path} of type {go}")


def _dig(obj: dict, path: str):
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def validate(res: Resource, obj: dict, old: dict | None = None) -> None:
    """Raise Invalid with every field error of `obj` (and of its change from `old` on updates)."""
    errors: list[tuple[str, str, str]] = []
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    _check_name(res, name, errors)
    for field in ("labels", "annotations"):
        for key, value in (meta.get(field) or {}).items():
            if not isinstance(value, str):
                errors.append((f"metadata.{field}", INVALID, f"Invalid value: {go_repr(value)}: must be a string"))
            elif field == "labels" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                errors.append(("metadata.labels", INVALID, (f"Invalid value: {go_repr(value)}: a valid label must "
                               "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
                               "start and end with an alphanumeric character")))
            if field == "labels" and not _LABEL_NAME.match(key.rsplit("/", 1)[-1]):
                errors.append(("metadata.labels", INVALID, (f"Invalid value: {go_repr(key)}: name part must consist "
                               "of alphanumeric characters, '-', '_' or '.'")))
    check = _BY_KIND.get(res.kind)
    if check is not None:
        check(obj, old, errors)
    if errors:
        raise Invalid(res, name, errors)


def _check_name(res: Resource, name: str, errors: list) -> None:
    if not name:
        errors.append(("metadata.name", REQUIRED, "Required value: name or generateName is required"))
        return
    if res.kind == "Namespace":
        pattern, msg, limit = _LABEL_1123, _LABEL_1123_MSG, 63
    elif res.kind == "Service":
        pattern, msg, limit = _LABEL_1035, _LABEL_1035_MSG, 63
    else:
        pattern, msg, limit = _SUBDOMAIN, _SUBDOMAIN_MSG, 253
    if not pattern.match(name):
        errors.append(("metadata.name", INVALID, f"Invalid value: {go_repr(name)}: {msg}"))
    elif len(name) > limit:
        errors.append(("metadata.name", INVALID, (f"Invalid value: {go_repr(name)}: must be no more than {limit} "
                       "characters")))


# ---- Deployment ---------------------------------------------------------------------------------

def _deployment(obj: dict, old: dict | None, errors: list) -> None:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if spec.get("replicas", 1) < 0:
        errors.append(("spec.replicas", INVALID, (f"Invalid value: {spec['replicas']}: must be greater than or "
                       "equal to 0")))
    if not selector:
        errors.append(("spec.selector", REQUIRED, "Required value"))
    elif not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errors.append(("spec.selector", INVALID, (f"Invalid value: {go_repr(selector)}: empty selector is invalid "
                       "for deployment")))
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector and (selector.get("matchLabels") or selector.get("matchExpressions")) and \
            not selectors.matches(selectors.from_label_selector(selector), labels):
        errors.append(("spec.template.metadata.labels", INVALID, (f"Invalid value: {go_repr(labels)}: "
                       "`selector` does not match template `labels`")))
    if old is not None and selector != (old.get("spec") or {}).get("selector"):
        errors.append(("spec.selector", INVALID, f"Invalid value: {go_repr(selector)}: field is immutable"))
    _pod_spec(template.get("spec") or {}, "spec.template.spec", errors)
    _strategy(spec, errors)


def _pod_spec(spec: dict, where: str, errors: list) -> None:
    containers = spec.get("containers")
    if not containers:
        errors.append((f"{where}.containers", REQUIRED, "Required value"))
    seen = set()
    for n, container in enumerate(containers or []):
        at = f"{where}.containers[{n}]"
        if not isinstance(container, dict):
            errors.append((at, INVALID, f"Invalid value: {go_repr(container)}: must be an object"))
            continue
        cname = container.get("name")
        if not cname:
            errors.append((f"{at}.name", REQUIRED, "Required value"))
        elif not _LABEL_1123.match(cname):
            errors.append((f"{at}.name", INVALID, f"Invalid value: {go_repr(cname)}: {_LABEL_1123_MSG}"))
        elif cname in seen:
            errors.append((f"{at}.name", DUPLICATE, f"Duplicate value: {go_repr(cname)}"))
        seen.add(cname)
        if not container.get("image"):
            errors.append((f"{at}.image", REQUIRED, "Required value"))
        for p, port in enumerate(container.get("ports") or []):
            number = port.get("containerPort") if isinstance(port, dict) else None
            if not isinstance(number, int) or not 1 <= number <= 65535:
                errors.append((f"{at}.ports[{p}].containerPort", INVALID if number else REQUIRED,
                               f"Invalid value: {go_repr(number)}: must be between 1 and 65535, inclusive"
                               if number else "Required value"))
    policy = spec.get("restartPolicy", "Always")
    if policy != "Always":
        errors.append((f"{where}.restartPolicy", UNSUPPORTED, (f'Unsupported value: {go_repr(policy)}: supported '
                       'values: "Always"')))


def _strategy(spec: dict, errors: list) -> None:
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type", "RollingUpdate")
    if kind not in ("RollingUpdate", "Recreate"):
        errors.append(("spec.strategy.type", UNSUPPORTED, (f'Unsupported value: {go_repr(kind)}: supported values: '
                       '"Recreate", "RollingUpdate"')))
        return
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            errors.append(("spec.strategy.rollingUpdate", FORBIDDEN, ("Forbidden: may not be specified when "
                           "strategy `type` is 'Recreate'")))
        return
    rolling = rolling or {}
    bad = False
    for field in ("maxSurge", "maxUnavailable"):
        value = rolling.get(field)
        at = f"spec.strategy.rollingUpdate.{field}"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            errors.append((at, INVALID, (f"Invalid value: {go_repr(value)}: must be an integer or percentage "
                           "(e.g '5%')")))
            bad = True
        elif isinstance(value, str) and not _PERCENT.match(value):
            errors.append((at, INVALID, (f"Invalid value: {go_repr(value)}: a valid percent string must be a numeric "
                           "string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                           "'[0-9]+%')")))
            bad = True
        elif isinstance(value, int) and value < 0:
            errors.append((at, INVALID, f"Invalid value: {value}: must be greater than or equal to 0"))
            bad = True
    if bad:
        return
    surge, unavailable = rolling["maxSurge"], rolling["maxUnavailable"]
    if isinstance(unavailable, str) and int(unavailable[:-1]) > 100:
        errors.append(("spec.strategy.rollingUpdate.maxUnavailable", INVALID,
                       f"Invalid value: {go_repr(unavailable)}: must not be greater than 100%"))
    if _zero(surge) and _zero(unavailable):
        errors.append(("spec.strategy.rollingUpdate.maxUnavailable", INVALID,
                       f"Invalid value: {go_repr(unavailable)}: may not be 0 when `maxSurge` is 0"))


def _zero(value) -> bool:
    return value == 0 or value == "0%"


# ---- Service ------------------------------------------------------------------------------------

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def _service(obj: dict, old: dict | None, errors: list) -> None:
    spec = obj.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        errors.append(("spec.type", UNSUPPORTED, f"Unsupported value: {go_repr(kind)}: supported values: "
                       + ", ".join(f'"{t}"' for t in _SERVICE_TYPES)))
    ports = spec.get("ports") or []
    if kind != "ExternalName" and spec.get("clusterIP") != "None" and not ports:
        errors.append(("spec.ports", REQUIRED, "Required value"))
    if kind == "ExternalName" and not spec.get("externalName"):
        errors.append(("spec.externalName", REQUIRED, "Required value"))
    names = set()
    for n, port in enumerate(ports):
        at = f"spec.ports[{n}]"
        if not isinstance(port, dict):
            errors.append((at, INVALID, f"Invalid value: {go_repr(port)}: must be an object"))
            continue
        number = port.get("port")
        if number is None:
            errors.append((f"{at}.port", REQUIRED, "Required value"))
        elif not isinstance(number, int) or not 1 <= number <= 65535:
            errors.append((f"{at}.port", INVALID, (f"Invalid value: {go_repr(number)}: must be between 1 and 65535, "
                           "inclusive")))
        if len(ports) > 1 and not port.get("name"):
            errors.append((f"{at}.name", REQUIRED, "Required value"))
        elif port.get("name") in names:
            errors.append((f"{at}.name", DUPLICATE, f"Duplicate value: {go_repr(port['name'])}"))
        names.add(port.get("name"))
        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            errors.append((f"{at}.protocol", UNSUPPORTED, (f'Unsupported value: {go_repr(port["protocol"])}: '
                           'supported values: "SCTP", "TCP", "UDP"')))
    before = ((old or {}).get("spec") or {}).get("clusterIP")
    if before and spec.get("clusterIP") and spec["clusterIP"] != before and kind != "ExternalName":
        errors.append(("spec.clusterIPs[0]", INVALID, (f"Invalid value: {go_repr([spec['clusterIP']])}: may not "
                       "change once set")))


# ---- Ingress ------------------------------------------------------------------------------------

def _ingress(obj: dict, old: dict | None, errors: list) -> None:
    spec = obj.get("spec") or {}
    if not spec.get("defaultBackend") and not spec.get("rules"):
        errors.append(("spec", INVALID, (f"Invalid value: {go_repr(spec)}: either `defaultBackend` or `rules` must "
                       "be specified")))
    if spec.get("defaultBackend"):
        _backend(spec["defaultBackend"], "spec.defaultBackend", errors)
    for r, rule in enumerate(spec.get("rules") or []):
        for p, path in enumerate(((rule or {}).get("http") or {}).get("paths") or []):
            at = f"spec.rules[{r}].http.paths[{p}]"
            kind = path.get("pathType")
            if not kind:
                errors.append((f"{at}.pathType", REQUIRED, "Required value: pathType must be specified"))
            elif kind not in ("Exact", "Prefix", "ImplementationSpecific"):
                errors.append((f"{at}.pathType", UNSUPPORTED, (f'Unsupported value: {go_repr(kind)}: supported '
                               'values: "Exact", "ImplementationSpecific", "Prefix"')))
            _backend(path.get("backend") or {}, f"{at}.backend", errors)


def _backend(backend: dict, at: str, errors: list) -> None:
    service = backend.get("service")
    if not service and not backend.get("resource"):
        errors.append((at, INVALID, "Invalid value: \"\": one backend (`service` or `resource`) must be specified"))
        return
    if service:
        if not service.get("name"):
            errors.append((f"{at}.service.name", REQUIRED, "Required value"))
        port = service.get("port") or {}
        if not port.get("number") and not port.get("name"):
            errors.append((f"{at}.service.port", INVALID, "Invalid value: \"\": port name or number is required"))


# ---- ConfigMap ----------------------------------------------------------------------------------

def _config_map(obj: dict, old: dict | None, errors: list) -> None:
    for field in ("data", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            if not _CONFIG_KEY.match(key):
                errors.append((f"{field}[{key}]", INVALID, (f"Invalid value: {go_repr(key)}: a valid config key must "
                               "consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',"
                               "  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")))
            if not isinstance(value, str):
                errors.append((f"{field}[{key}]", INVALID, f"Invalid value: {go_repr(value)}: must be a string"))


_BY_KIND = {"Deployment": _deployment, "Service": _service, "Ingress": _ingress, "ConfigMap": _config_map}
