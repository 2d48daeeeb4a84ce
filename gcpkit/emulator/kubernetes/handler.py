"""HTTP in, (status, JSON body) out, for every path under /kubernetes/PROJECT/LOCATION/CLUSTER.

The emulator core (core/app.py) hands these requests over before its discovery-document routing: the
Kubernetes API has its own paths, errors (Status objects) and no Google discovery document.
"""

from __future__ import annotations

from urllib.parse import unquote

from gcpkit.emulator.core.errors import ApiError
from gcpkit.emulator.kubernetes import PREFIX, discovery
from gcpkit.emulator.kubernetes.crud import Verbs
from gcpkit.emulator.kubernetes.errors import KubeError, method_not_allowed, no_route
from gcpkit.emulator.kubernetes.objects import Cluster
from gcpkit.emulator.kubernetes.resources import BY_GROUP_VERSION, DEPLOYMENTS

SERVING = ("RUNNING", "RECONCILING")  # the control plane answers while node pools change


def handle(ctx, auth, environ: dict, http_method: str, path: str, query: list[tuple[str, str]], raw: bytes,
           seen: dict) -> tuple[int, dict]:
    seen["api"] = "kubernetes"
    try:
        project, location, name, rest = _split(path)
        if auth is not None:
            try:
                auth.authenticate(environ.get("HTTP_AUTHORIZATION"), "kubernetes.request")
            except ApiError:
                raise KubeError(401, "Unauthorized", "Unauthorized") from None
        now = ctx.clock.now()
        _check_cluster(ctx.store, project, location, name, now)
        cluster = Cluster(ctx.store, project, location, name, now)
        cluster.ensure_defaults()
        args = dict(query)  # the last value of each parameter wins, as in Go's url.Values.Get... close enough
        verbs = Verbs(ctx, cluster, args, raw, environ.get("CONTENT_TYPE", ""))
        return _dispatch(ctx, verbs, http_method, rest, seen, project, location, name, path)
    except KubeError as e:
        return e.code, e.to_body()


def _split(path: str) -> tuple[str, str, str, list[str]]:
    parts = path[len(PREFIX):].split("/")
    if len(parts) < 3 or not all(parts[:3]):
        raise KubeError(404, "NotFound", f"{path}: a Kubernetes API path is {PREFIX}PROJECT/LOCATION/CLUSTER/...", {})
    return parts[0], parts[1], parts[2], [unquote(p) for p in parts[3:] if p]


def _check_cluster(store, project: str, location: str, name: str, now: float) -> None:
    try:
        from gcpkit.emulator.container.lookup import cluster_state
    except ImportError:  # no GKE emulation in this build: every cluster is up
        return
    state = cluster_state(store, project, location, name, now)
    full = f"projects/{project}/locations/{location}/clusters/{name}"
    if state is None:
        raise KubeError(404, "NotFound", f'GKE cluster "{full}" not found: no Kubernetes API is served for it',
                        {"name": name, "group": "container.googleapis.com", "kind": "clusters"})
    if state not in SERVING:
        raise KubeError(503, "ServiceUnavailable", f'GKE cluster "{full}" is {state}: its Kubernetes API is not '
                        "serving (wait until the cluster is RUNNING)",
                        {"name": name, "group": "container.googleapis.com", "kind": "clusters"})


def _master_version(store, project: str, location: str, name: str) -> str | None:
    try:
        from gcpkit.emulator.container.common import CLUSTERS
    except ImportError:
        return None
    return (store.get(CLUSTERS, f"{project}/{location}/{name}") or {}).get("currentMasterVersion")


def _dispatch(ctx, verbs: Verbs, method: str, segs: list[str], seen: dict, project: str, location: str,
              name: str, path: str) -> tuple[int, dict]:
    if segs[:1] == ["version"] and len(segs) == 1:
        seen["method_id"] = "kubernetes.version"
        _only(method, "GET")
        return 200, discovery.version(_master_version(ctx.store, project, location, name))
    if segs[:1] == ["api"]:
        if len(segs) == 1:
            seen["method_id"] = "kubernetes.discovery"
            _only(method, "GET")
            return 200, discovery.api_versions(ctx.base_url.split("://", 1)[-1])
        group_version, rest = segs[1], segs[2:]
    elif segs[:1] == ["apis"]:
        seen["method_id"] = "kubernetes.discovery"
        if len(segs) == 1:
            _only(method, "GET")
            return 200, discovery.api_group_list()
        if len(segs) == 2:
            _only(method, "GET")
            if segs[1] not in discovery.groups():
                raise no_route()
            return 200, discovery.api_group(segs[1])
        group_version, rest = f"{segs[1]}/{segs[2]}", segs[3:]
    else:
        raise no_route()
    table = BY_GROUP_VERSION.get(group_version)
    if table is None:
        raise no_route()
    if not rest:
        seen["method_id"] = "kubernetes.discovery"
        _only(method, "GET")
        return 200, discovery.resource_list(group_version)
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] in table and table[rest[2]].namespaced:
        ns, res, tail = rest[1], table[rest[2]], rest[3:]
    else:
        res, ns, tail = table.get(rest[0]), None, rest[1:]
        if res is None or (res.namespaced and tail):
            raise no_route()
    if len(tail) > 2:
        raise no_route()
    obj_name, sub = (tail + [None, None])[:2]

    def verb(v: str) -> str:
        seen["method_id"] = f"kubernetes.{res.plural}.{v}"
        _inject_faults(ctx, method, seen["method_id"], path)  # before the verb acts: a fault changes nothing
        return v

    if obj_name is None:
        if method == "GET":
            verb("list")
            return 200, verbs.list(res, ns)
        if method == "POST" and (ns is not None or not res.namespaced):
            verb("create")
            return verbs.create(res, ns)
        raise method_not_allowed()
    key_ns = ns or ""
    if sub is None:
        if method == "GET":
            verb("get")
            return 200, verbs.get(res, key_ns, obj_name)
        if method == "PUT":
            verb("update")
            return 200, verbs.replace(res, key_ns, obj_name)
        if method == "PATCH":
            verb("patch")
            return 200, verbs.patch(res, key_ns, obj_name)
        if method == "DELETE":
            verb("delete")
            return 200, verbs.delete(res, key_ns, obj_name)
        raise method_not_allowed()
    if sub == "scale" and res is DEPLOYMENTS:
        if method == "GET":
            verb("getScale")
            return 200, verbs.get_scale(key_ns, obj_name)
        if method in ("PUT", "PATCH"):
            verb("updateScale" if method == "PUT" else "patchScale")
            return 200, verbs.set_scale(key_ns, obj_name, patching=method == "PATCH")
        raise method_not_allowed()
    if sub == "status" and method == "GET":
        verb("getStatus")
        return 200, verbs.get(res, key_ns, obj_name)
    raise no_route()


def _inject_faults(ctx, method: str, method_id: str, path: str) -> None:
    """The emulator's fault rules (api "kubernetes") as an API server shows them: a rate-limit fault is 429
    TooManyRequests (API Priority and Fairness; there is no 403 rateLimitExceeded), 500 InternalError, 503
    ServiceUnavailable (a control plane restarting during an upgrade or resize); latency is added."""
    error, delay, _ = ctx.faults.before("kubernetes", method, method_id, path)
    if delay:
        ctx.clock.sleep(delay)
    if error is None:
        return
    if error.code == 429 or (error.code == 403 and error.reason in ("rateLimitExceeded", "userRateLimitExceeded")):
        raise KubeError(429, "TooManyRequests", "Too many requests, please try again later.", {"retryAfterSeconds": 1})
    if error.code == 503:
        raise KubeError(503, "ServiceUnavailable", "the server is currently unable to handle the request", {})
    reason = _REASONS.get(error.code, "InternalError")
    raise KubeError(error.code, reason, error.message if reason != "InternalError" else
                    f"Internal error occurred: {error.message}", {})


_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
            410: "Expired", 422: "Invalid", 504: "Timeout"}


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise method_not_allowed()
