"""The three patch formats of PATCH requests: strategic merge (the `kubernetes` client's default for
objects), JSON merge (RFC 7386) and JSON patch (RFC 6902, the client's choice for a list body).

Strategic merge here is a recursive merge where null deletes a key, lists of known kinds merge by their
key field (containers by name, ports by containerPort/port, env by name...) and `$patch: replace` /
`$patch: delete` directives are honoured; other lists are replaced, as Kubernetes does for atomic lists.
"""

from __future__ import annotations

import copy

from gcpkit.emulator.kubernetes.errors import KubeError, bad_request

# list field name -> the key its items merge on (Kubernetes' patchMergeKey for the fields gcpkit uses)
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "imagePullSecrets": "name", "conditions": "type",
    "ownerReferences": "uid", "hostAliases": "ip", "volumeDevices": "devicePath", "envFrom": None,
}
_PORT_KEYS = ("containerPort", "port")  # container ports merge on containerPort, service ports on port

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


def apply_patch(content_type: str, target: dict, patch) -> dict:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == STRATEGIC:
        _require_object(patch)
        return strategic_merge(target, patch)
    if kind == MERGE:
        _require_object(patch)
        return merge_patch(target, patch)
    if kind == JSON_PATCH:
        if not isinstance(patch, list):
            raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        return json_patch(target, patch)
    if kind == APPLY:
        raise KubeError(415, "UnsupportedMediaType", "the gcpkit emulator does not implement server-side apply "
                        f"({APPLY}); use a strategic merge or JSON merge patch", {})
    raise KubeError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted "
                    f"media types include: {JSON_PATCH}, {MERGE}, {STRATEGIC}, {APPLY}", {})


def _require_object(patch) -> None:
    if not isinstance(patch, dict):
        raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strategic_merge(target, patch, field: str = ""):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):  # $retainKeys, $setElementOrder/...: ordering hints, nothing to merge
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_list(key, out[key], value)
        elif isinstance(value, dict):
            out[key] = strategic_merge(out.get(key), value, key)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_key(field: str, items: list) -> str | None:
    if field in MERGE_KEYS:
        return MERGE_KEYS[field]
    if field == "ports":
        for candidate in _PORT_KEYS:
            if any(isinstance(i, dict) and candidate in i for i in items):
                return candidate
    return None


def _merge_list(field: str, current: list, patch: list) -> list:
    key = _merge_key(field, current + patch)
    if key is None or not all(isinstance(i, dict) for i in current + patch):
        return [i for i in copy.deepcopy(patch) if not (isinstance(i, dict) and i.get("$patch"))]
    out = copy.deepcopy(current)
    index = {item.get(key): n for n, item in enumerate(out)}
    for item in patch:
        if item.get("$patch") == "replace":
            return [i for i in copy.deepcopy(patch) if not i.get("$patch")]
        name = item.get(key)
        if item.get("$patch") == "delete":
            out = [i for i in out if i.get(key) != name]
            index = {i.get(key): n for n, i in enumerate(out)}
        elif name in index:
            out[index[name]] = strategic_merge(out[index[name]], item, field)
        else:
            index[name] = len(out)
            out.append(copy.deepcopy(item))
    return out


# ---- RFC 6902 ---------------------------------------------------------------------------------------

def json_patch(target: dict, ops: list) -> dict:
    doc = copy.deepcopy(target)
    for n, op in enumerate(ops):
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"the JSON patch operation {n} needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"the JSON patch operation {n} ({kind} {path}) needs a 'value'")
        if kind == "add":
            doc = _put(doc, path, copy.deepcopy(op["value"]), insert=True)
        elif kind == "replace":
            _get(doc, path)
            doc = _put(doc, path, copy.deepcopy(op["value"]), insert=False)
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise KubeError(422, "Invalid", f"the JSON patch test at {path} failed: the value differs", {})
        elif kind in ("move", "copy"):
            value = _get(doc, op.get("from", ""))
            if kind == "move":
                doc = _remove(doc, op["from"])
            doc = _put(doc, path, copy.deepcopy(value), insert=True)
        else:
            raise bad_request(f"unexpected JSON patch operation {kind!r}")
    return doc


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"JSON pointer {path!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _missing(path: str) -> KubeError:
    return KubeError(422, "Invalid", f"the JSON patch path {path} does not exist in the object", {})


def _parent(doc, path: str):
    tokens = _tokens(path)
    if not tokens:
        raise bad_request("a JSON patch cannot replace the whole object")
    node = doc
    for t in tokens[:-1]:
        try:
            node = node[int(t)] if isinstance(node, list) else node[t]
        except (KeyError, IndexError, ValueError, TypeError):
            raise _missing(path) from None
    return node, tokens[-1]


def _get(doc, path: str):
    node = doc
    for t in _tokens(path):
        try:
            node = node[int(t)] if isinstance(node, list) else node[t]
        except (KeyError, IndexError, ValueError, TypeError):
            raise _missing(path) from None
    return node


def _put(doc, path: str, value, insert: bool):
    node, last = _parent(doc, path)
    if isinstance(node, list):
        if last == "-":
            node.append(value)
            return doc
        try:
            i = int(last)
        except ValueError:
            raise _missing(path) from None
        if not 0 <= i <= len(node) - (0 if insert else 1):
            raise _missing(path)
        if insert:
            node.insert(i, value)
        else:
            node[i] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise _missing(path)
    return doc


def _remove(doc, path: str):
    node, last = _parent(doc, path)
    try:
        if isinstance(node, list):
            del node[int(last)]
        else:
            del node[last]
    except (KeyError, IndexError, ValueError, TypeError):
        raise _missing(path) from None
    return doc
