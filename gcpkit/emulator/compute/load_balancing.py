"""Global HTTP load balancing: healthChecks, backendServices, urlMaps, targetHttpProxies,
globalForwardingRules."""

from __future__ import annotations

import ipaddress

from gcpkit.emulator.core.errors import invalid
from gcpkit.emulator.core.registry import handler

from . import crud
from .common import add_ref, rel_of, resolve
from .links import full, parse_ref, relative

HEALTH_CHECKS = crud.Spec("healthChecks", "compute#healthCheck", "global", "health_check", "healthCheck",
                          users=("backendServices", "instanceGroupManagers"))
BACKEND_SERVICES = crud.Spec("backendServices", "compute#backendService", "global", "backend_service",
                             "backendService", users=("urlMaps",), fingerprint=True)
# GCP answers url map and target proxy operations already DONE (see the recordings)
def _render_url_map(ctx, out, doc):
    out.pop("fingerprint", None)  # not in GCP's answers (recordings); an update still checks one when given
    return out


URL_MAPS = crud.Spec("urlMaps", "compute#urlMap", "global", "url_map", "urlMap",
                     users=("targetHttpProxies", "targetHttpsProxies"), fingerprint=True, immediate=True,
                     render=_render_url_map)
PROXIES = crud.Spec("targetHttpProxies", "compute#targetHttpProxy", "global", "target_http_proxy",
                    "targetHttpProxy", users=("forwardingRules",), immediate=True)
FORWARDING_RULES = crud.Spec("forwardingRules", "compute#forwardingRule", "global", "forwarding_rule",
                             "forwardingRule", fingerprint=True, labels=True)

_HC_TYPES = {"HTTP": ("httpHealthCheck", 80), "HTTPS": ("httpsHealthCheck", 443), "HTTP2": ("http2HealthCheck", 443),
             "TCP": ("tcpHealthCheck", 80), "SSL": ("sslHealthCheck", 443), "GRPC": ("grpcHealthCheck", None)}


# ---- health checks ---------------------------------------------------------------------------------

def _build_hc(ctx, doc, project, zone, region):
    t = doc.get("type")
    if t is None:
        t = next((k for k, (f, _) in _HC_TYPES.items() if f in doc), None)
        if t is None:
            raise invalid("Invalid value for field 'resource.type': ''. Health check type must be specified.")
        doc["type"] = t
    if t not in _HC_TYPES:
        raise invalid(f"Invalid value for field 'resource.type': '{t}'. Unknown health check type.")
    field, port = _HC_TYPES[t]
    sub = dict(doc.get(field) or {})
    if port is not None and "port" not in sub and sub.get("portSpecification") != "USE_SERVING_PORT":
        sub["port"] = port
    if t in ("HTTP", "HTTPS", "HTTP2"):
        sub.setdefault("requestPath", "/")
    if t != "GRPC":
        sub.setdefault("proxyHeader", "NONE")
    doc[field] = sub
    for k, v in (("checkIntervalSec", 5), ("timeoutSec", 5), ("healthyThreshold", 2), ("unhealthyThreshold", 2)):
        doc.setdefault(k, v)
    if doc["timeoutSec"] > doc["checkIntervalSec"]:
        raise invalid(f"Invalid value for field 'resource.timeoutSec': '{doc['timeoutSec']}'. "
                      f"TimeoutSec should be less than checkIntervalSec.")


crud.register("healthChecks", HEALTH_CHECKS, _build_hc)

# legacy HTTP health checks (still referenced by older backend services)
HTTP_HEALTH_CHECKS = crud.Spec("httpHealthChecks", "compute#httpHealthCheck", "global", "http_health_check",
                               "httpHealthCheck", users=("backendServices",))


def _build_http_hc(ctx, doc, project, zone, region):
    for k, v in (("port", 80), ("requestPath", "/"), ("checkIntervalSec", 5), ("timeoutSec", 5),
                 ("healthyThreshold", 2), ("unhealthyThreshold", 2)):
        doc.setdefault(k, v)


crud.register("httpHealthChecks", HTTP_HEALTH_CHECKS, _build_http_hc)

# backend buckets (a Cloud Storage bucket behind a URL map)
BACKEND_BUCKETS = crud.Spec("backendBuckets", "compute#backendBucket", "global", "backend_bucket", "backendBucket",
                            users=("urlMaps",))


def _build_bucket(ctx, doc, project, zone, region):
    if not doc.get("bucketName"):
        raise invalid("Invalid value for field 'resource.bucketName': ''. Bucket name must be specified.")
    # enableCdn is shown only when the request set it (recordings)


crud.register("backendBuckets", BACKEND_BUCKETS, _build_bucket)


# ---- backend services ------------------------------------------------------------------------------

def _build_bs(ctx, doc, project, zone, region):
    doc["_refs"] = []
    backends = []
    for i, b in enumerate(doc.get("backends") or []):
        b = dict(b)
        g = b.get("group") or ""
        rel = parse_ref(g, project, "instanceGroups", field=f"resource.backends[{i}].group", scope="zone") \
            if "networkEndpointGroups" not in g else parse_ref(g, project, "networkEndpointGroups",
                                                               field=f"resource.backends[{i}].group", scope="zone")
        resolve(ctx, rel)
        add_ref(doc, rel)
        b["group"] = full(rel)
        if "networkEndpointGroups" not in g:
            b.setdefault("balancingMode", "UTILIZATION")
            if b["balancingMode"] == "UTILIZATION":
                b.setdefault("maxUtilization", 0.8)
        b.setdefault("capacityScaler", 1)
        backends.append(b)
    if backends:
        doc["backends"] = backends
    hcs = []
    for i, h in enumerate(doc.get("healthChecks") or []):
        kind = "httpHealthChecks" if "/httpHealthChecks/" in h else "healthChecks"
        rel = parse_ref(h, project, kind, field=f"resource.healthChecks[{i}]")
        resolve(ctx, rel)
        add_ref(doc, rel)
        hcs.append(full(rel))
    if hcs:
        doc["healthChecks"] = hcs
    scheme = doc.setdefault("loadBalancingScheme", "EXTERNAL")
    if scheme in ("EXTERNAL", "EXTERNAL_MANAGED") and backends and not hcs:
        raise invalid("Invalid value for field 'resource.healthChecks': ''. "
                      "A backend service with backends requires a health check.")
    # the defaults GCP shows in the recordings (no implicit protocol/port/portName/enableCDN)
    doc.setdefault("description", "")
    doc.setdefault("timeoutSec", 30)
    doc.setdefault("sessionAffinity", "NONE")
    doc.setdefault("affinityCookieTtlSec", 0)
    doc.setdefault("connectionDraining", {"drainingTimeoutSec": 300})
    for key in ("customRequestHeaders", "customResponseHeaders"):
        if doc.get(key) == []:
            del doc[key]  # GCP does not echo an empty list (recordings)


crud.register("backendServices", BACKEND_SERVICES, _build_bs)


# ---- url maps ---------------------------------------------------------------------------------------

def _service(ctx, doc, project, value, field) -> str:
    coll_name = "backendBuckets" if "/backendBuckets/" in value else "backendServices"
    rel = parse_ref(value, project, coll_name, field=field)
    resolve(ctx, rel)
    add_ref(doc, rel)
    return full(rel)


def _build_um(ctx, doc, project, zone, region):
    doc["_refs"] = []
    if doc.get("defaultService"):
        doc["defaultService"] = _service(ctx, doc, project, doc["defaultService"], "resource.defaultService")
    names = set()
    matchers = []
    for i, pm in enumerate(doc.get("pathMatchers") or []):
        pm = dict(pm)
        names.add(pm.get("name"))
        if pm.get("defaultService"):
            pm["defaultService"] = _service(ctx, doc, project, pm["defaultService"],
                                            f"resource.pathMatchers[{i}].defaultService")
        rules = []
        for j, r in enumerate(pm.get("pathRules") or []):
            r = dict(r)
            if r.get("service"):
                r["service"] = _service(ctx, doc, project, r["service"],
                                        f"resource.pathMatchers[{i}].pathRules[{j}].service")
            rules.append(r)
        if rules:
            pm["pathRules"] = rules
        matchers.append(pm)
    if matchers:
        doc["pathMatchers"] = matchers
    for i, hr in enumerate(doc.get("hostRules") or []):
        if hr.get("pathMatcher") not in names:
            raise invalid(f"Invalid value for field 'resource.hostRules[{i}].pathMatcher': "
                          f"'{hr.get('pathMatcher', '')}'. The path matcher is not found in the URL map.")


crud.register("urlMaps", URL_MAPS, _build_um)


# ---- target HTTP proxies ---------------------------------------------------------------------------------

def _build_proxy(ctx, doc, project, zone, region):
    if not doc.get("urlMap"):
        raise invalid("Invalid value for field 'resource.urlMap': ''. URL map must be specified.")
    rel = parse_ref(doc["urlMap"], project, "urlMaps", field="resource.urlMap")
    resolve(ctx, rel)
    doc["_refs"] = [rel]
    doc["urlMap"] = full(rel)


crud.register("targetHttpProxies", PROXIES, _build_proxy, with_update=False)


@handler("compute.targetHttpProxies.setUrlMap")
def proxies_set_url_map(ctx, req):
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        doc["urlMap"] = body.get("urlMap") or ""
        _build_proxy(ctx, doc, project, zone, region)

    return crud.mutate(ctx, req, PROXIES, "setUrlMap", change)


# ---- global forwarding rules -------------------------------------------------------------------------------

def _build_fr(ctx, doc, project, zone, region):
    from .addresses import allocate_external_ip, find_by_ip

    doc["_refs"] = []
    target = doc.get("target")
    if not target:
        raise invalid("Invalid value for field 'resource.target': ''. Target must be specified.")
    coll_name = relative(target).split("/")[-2] if "/" in target else "targetHttpProxies"
    if coll_name not in ("targetHttpProxies", "targetHttpsProxies", "targetTcpProxies", "targetSslProxies"):
        raise invalid(f"Invalid value for field 'resource.target': '{target}'. The URL is malformed.")
    t_rel = parse_ref(target, project, coll_name, field="resource.target")
    resolve(ctx, t_rel)
    add_ref(doc, t_rel)
    doc["target"] = full(t_rel)
    ip = doc.get("IPAddress")
    if ip:
        try:
            ipaddress.ip_address(ip)
            a = find_by_ip(ctx, project, ip, None)
            if a is not None:
                add_ref(doc, rel_of(a))
        except ValueError:
            a_rel = parse_ref(ip, project, "addresses", field="resource.IPAddress")
            a = resolve(ctx, a_rel)
            add_ref(doc, a_rel)
            doc["IPAddress"] = a["address"]
    else:
        doc["IPAddress"] = allocate_external_ip(ctx)
    if doc.get("network"):
        net_rel = parse_ref(doc["network"], project, "networks", field="resource.network")
        resolve(ctx, net_rel)
        add_ref(doc, net_rel)
        doc["network"] = full(net_rel)
    doc.setdefault("IPProtocol", "TCP")
    pr = doc.get("portRange") or "80"
    if "-" not in str(pr):
        pr = f"{pr}-{pr}"
    doc["portRange"] = pr
    doc.setdefault("loadBalancingScheme", "EXTERNAL")
    doc.setdefault("networkTier", "PREMIUM")


def _build_fr_insert(ctx, doc, project, zone, region):
    doc.pop("labels", None)  # GCP ignores labels in this insert (recording): only setLabels sets them
    _build_fr(ctx, doc, project, zone, region)


crud.register("globalForwardingRules", FORWARDING_RULES, _build_fr_insert, with_update=False, with_patch=False)


@handler("compute.globalForwardingRules.patch")
def fr_patch(ctx, req):
    return crud.patch(ctx, req, FORWARDING_RULES, _build_fr)


@handler("compute.globalForwardingRules.setLabels")
def fr_set_labels(ctx, req):
    return crud.set_labels(ctx, req, FORWARDING_RULES)


@handler("compute.globalForwardingRules.setTarget")
def fr_set_target(ctx, req):
    body = dict(req.body or {})

    def change(doc, project, zone, region):
        doc["target"] = body.get("target") or ""
        doc["IPAddress"] = doc.get("IPAddress")
        _build_fr(ctx, doc, project, zone, region)

    return crud.mutate(ctx, req, FORWARDING_RULES, "SetTarget", change)

