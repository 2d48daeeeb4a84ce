"""The verbs on one cluster's objects: create, get, list, replace, patch, delete, and a Deployment's scale.

Every write runs in one store transaction (several emulator processes may share the store). The API
server's rules kept here: resourceVersion bumps on every change and a stale one is a 409 Conflict;
generation bumps when a spec changes; updates that change nothing change nothing (same resourceVersion);
status is never written by clients; objects go into existing, non-terminating namespaces only.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets

from gcpkit.emulator.kubernetes import defaults, rollout, selectors, validation
from gcpkit.emulator.kubernetes.errors import (
    KubeError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    method_not_allowed,
    not_found,
)
from gcpkit.emulator.kubernetes.objects import DEFAULT_NAMESPACES, Cluster, rfc3339
from gcpkit.emulator.kubernetes.patch import apply_patch
from gcpkit.emulator.kubernetes.render import (
    REVISION,
    Timing,
    pods,
    render,
    replica_sets,
)
from gcpkit.emulator.kubernetes.resources import (
    DEPLOYMENTS,
    INGRESSES,
    NAMESPACES,
    PODS,
    RESOURCES,
    SERVICES,
    Resource,
)

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
INGRESS_FINALIZER = "networking.gke.io/ingress-finalizer-V2"
_SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp",
               "deletionGracePeriodSeconds", "managedFields", "selfLink")
_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


def parse_json(raw: bytes, res: Resource | None = None):
    try:
        return json.loads(raw or b"null")
    except ValueError as e:
        what = f"{res.kind} in version \"{res.version}\" cannot be handled as a {res.kind}: " if res else ""
        raise bad_request(f"{what}invalid JSON: {e}") from None


class Verbs:
    def __init__(self, ctx, cluster: Cluster, query: dict[str, str], raw: bytes, content_type: str):
        self.ctx, self.cluster = ctx, cluster
        self.now = cluster.now
        self.timing = Timing(ctx.latency)
        self.query, self.raw, self.content_type = query, raw, content_type
        self.dry_run = bool(query.get("dryRun"))

    # ---- reads ----------------------------------------------------------------------------------

    def get(self, res: Resource, ns: str, name: str) -> dict:
        if res.generated:
            for obj in self._generated(res, ns):
                if obj["metadata"]["name"] == name:
                    return {"apiVersion": res.api_version, "kind": res.kind, **obj}
            raise not_found(res, name)
        return render(res, self._load(res, ns, name), self.now, self.timing)

    def list(self, res: Resource, ns: str | None) -> dict:
        if self.query.get("watch") in ("true", "1"):
            raise method_not_allowed("watch is not supported by the gcpkit emulator: poll with list calls")
        if res.generated:
            items = self._generated(res, ns)
        else:
            items = [render(res, d, self.now, self.timing) for d in self.cluster.items(res, ns)]
            for item in items:
                item.pop("apiVersion", None)  # items of a typed list carry no apiVersion/kind on the wire
                item.pop("kind", None)
        wanted = selectors.parse(self.query.get("labelSelector", ""))
        fields = self._field_selector()
        items = [i for i in items if selectors.matches(wanted, i["metadata"].get("labels"))
                 and all(i["metadata"].get(k) == v for k, v in fields)]
        meta = {"resourceVersion": self.cluster.resource_version()}
        items, meta = self._page(items, meta)
        return {"kind": f"{res.kind}List", "apiVersion": res.api_version, "metadata": meta, "items": items}

    def _field_selector(self) -> list[tuple[str, str]]:
        out = []
        for part in filter(None, self.query.get("fieldSelector", "").split(",")):
            key, sep, value = part.partition("==") if "==" in part else part.partition("=")
            if not sep or key.strip() not in ("metadata.name", "metadata.namespace"):
                raise bad_request(f'"{key.strip()}" is not a known field selector: only "metadata.name", '
                                  '"metadata.namespace" (the gcpkit emulator)')
            out.append((key.strip().split(".")[1], value.strip()))
        return out

    def _page(self, items: list, meta: dict) -> tuple[list, dict]:
        try:
            limit = int(self.query.get("limit") or 0)
            start = int(base64.urlsafe_b64decode(self.query["continue"]).decode()) if self.query.get("continue") else 0
        except ValueError:
            raise bad_request("invalid limit or continue token") from None
        if limit > 0 and start + limit < len(items):
            meta["continue"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
            return items[start:start + limit], meta
        return items[start:], meta

    def _generated(self, res: Resource, ns: str | None) -> list[dict]:
        out = []
        for doc in self.cluster.items(DEPLOYMENTS, ns):
            if res is PODS:
                out += pods(doc, self.now, self.timing, self.cluster.name)
            else:
                out += replica_sets(doc, self.now, self.timing)
        return sorted(out, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))

    def _load(self, res: Resource, ns: str, name: str) -> dict:
        doc = self.cluster.load(res, ns, name)
        if doc is None:
            raise not_found(res, name)
        return doc

    # ---- writes ---------------------------------------------------------------------------------

    def create(self, res: Resource, ns: str | None) -> tuple[int, dict]:
        self._writable(res, "create")
        body = parse_json(self.raw, res)
        validation.type_check(res, body)
        self._check_kind(res, body)
        meta = body.setdefault("metadata", {})
        if res.namespaced:
            if meta.get("namespace") not in (None, "", ns):
                raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(secrets.choice(_SUFFIX) for _ in range(5))
        if meta.get("resourceVersion"):
            raise bad_request("resourceVersion should not be set on objects to be created")
        for key in _SERVER_SET:
            meta.pop(key, None)
        body.pop("status", None)
        defaults.apply_defaults(res.kind, body)
        validation.validate(res, body)
        name = meta["name"]
        with self.cluster.store.transaction():
            if res.namespaced:
                self._namespace_open(res, ns, name)
            if self.cluster.load(res, ns or "", name) is not None:
                raise already_exists(res, name)
            body.pop("apiVersion", None)
            body.pop("kind", None)
            doc = {"obj": self.cluster.new_object(res, body)}
            self._on_change(res, doc, None)
            if not self.dry_run:
                self.cluster.save(res, doc)
                if res is NAMESPACES:
                    self.cluster.add_default_service_account(name)
        return 201, render(res, doc, self.now, self.timing)

    def replace(self, res: Resource, ns: str, name: str) -> dict:
        self._writable(res, "update")
        body = parse_json(self.raw, res)
        validation.type_check(res, body)
        self._check_kind(res, body)
        with self.cluster.store.transaction():
            doc = self._load(res, ns, name)
            return self._update(res, doc, body)

    def patch(self, res: Resource, ns: str, name: str) -> dict:
        self._writable(res, "patch")
        patch = parse_json(self.raw)
        with self.cluster.store.transaction():
            doc = self._load(res, ns, name)
            patched = apply_patch(self.content_type, doc["obj"], patch)
            validation.type_check(res, patched)
            self._check_kind(res, patched)
            return self._update(res, doc, patched)

    def delete(self, res: Resource, ns: str, name: str) -> dict:
        self._writable(res, "delete")
        options = parse_json(self.raw) or {}
        policy = self.query.get("propagationPolicy") or (options.get("propagationPolicy") if isinstance(options, dict)
                                                           else None)
        if policy not in (None, "Orphan", "Background", "Foreground"):
            raise bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: "Background", '
                              '"Foreground", "Orphan"')
        if res is NAMESPACES and name in DEFAULT_NAMESPACES:
            raise forbidden(res, name, "this namespace may not be deleted")
        with self.cluster.store.transaction():
            doc = self._load(res, ns, name)
            obj = doc["obj"]
            pre = (options.get("preconditions") or {}) if isinstance(options, dict) else {}
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise conflict(res, name, f"Precondition failed: UID in precondition: {pre['uid']}, UID in object "
                               f"meta: {obj['metadata']['uid']}")
            if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
                raise conflict(res, name, f"Precondition failed: ResourceVersion in precondition: "
                               f"{pre['resourceVersion']}, ResourceVersion in object meta: "
                               f"{obj['metadata']['resourceVersion']}")
            if "goneAt" in doc:  # already being deleted: the object as it is
                return render(res, doc, self.now, self.timing)
            delay = self._deletion_delay(res, obj)
            if delay is None:
                if not self.dry_run:
                    self.cluster.remove(res, ns, name)
                if res.returns_deleted:
                    return render(res, doc, self.now, self.timing)
                details = {"name": name, "kind": res.plural, "uid": obj["metadata"]["uid"]}
                if res.group:
                    details["group"] = res.group
                return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
            # finalizers to run (a load balancer to release, a namespace to empty): the object stays a while
            if self.dry_run:
                return render(res, doc, self.now, self.timing)
            doc["goneAt"] = self.now + delay
            obj["metadata"]["deletionTimestamp"] = rfc3339(self.now)
            obj["metadata"]["deletionGracePeriodSeconds"] = 0
            obj["metadata"]["resourceVersion"] = self.cluster.next_resource_version()
            if res is NAMESPACES:
                self._empty_namespace(name)
            self.cluster.save(res, doc)
            return render(res, doc, self.now, self.timing)

    def _deletion_delay(self, res: Resource, obj: dict) -> float | None:
        finalizers = obj["metadata"].get("finalizers") or []
        if res is NAMESPACES:
            return self.timing.deletion(self.ctx.latency, "namespaces")
        if res is SERVICES and LB_FINALIZER in finalizers:
            return self.timing.deletion(self.ctx.latency, "services")
        if res is INGRESSES and INGRESS_FINALIZER in finalizers:
            return self.timing.deletion(self.ctx.latency, "ingresses")
        return None

    def _empty_namespace(self, ns: str) -> None:
        for res in RESOURCES:
            if res.namespaced and not res.generated:
                for doc in self.cluster.items(res, ns):
                    self.cluster.remove(res, ns, doc["obj"]["metadata"]["name"])

    # ---- scale subresource ----------------------------------------------------------------------

    def get_scale(self, ns: str, name: str) -> dict:
        return self._scale(render(DEPLOYMENTS, self._load(DEPLOYMENTS, ns, name), self.now, self.timing))

    def set_scale(self, ns: str, name: str, patching: bool) -> dict:
        body = parse_json(self.raw)
        with self.cluster.store.transaction():
            doc = self._load(DEPLOYMENTS, ns, name)
            current = self._scale(render(DEPLOYMENTS, doc, self.now, self.timing))
            scale = apply_patch(self.content_type, current, body) if patching else body
            replicas = ((scale or {}).get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise validation.Invalid(DEPLOYMENTS, name, [("spec.replicas", validation.INVALID,
                                                              (f"Invalid value: {json.dumps(replicas)}: must be "
                                                              "greater than or equal to 0"))])
            obj = copy.deepcopy(doc["obj"])
            obj["spec"]["replicas"] = replicas
            rv = (scale.get("metadata") or {}).get("resourceVersion")
            if rv:
                obj["metadata"]["resourceVersion"] = rv
            self._update(DEPLOYMENTS, doc, obj)
            return self._scale(render(DEPLOYMENTS, doc, self.now, self.timing))

    @staticmethod
    def _scale(dep: dict) -> dict:
        meta = dep["metadata"]
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
                "spec": {"replicas": dep["spec"]["replicas"]},
                "status": {"replicas": dep["status"].get("replicas", 0),
                           "selector": selectors.to_string(dep["spec"]["selector"])}}

    # ---- shared ---------------------------------------------------------------------------------

    def _update(self, res: Resource, doc: dict, new: dict) -> dict:
        old = doc["obj"]
        meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
        name = old_meta["name"]
        if meta.get("name", name) != name:
            raise bad_request(f"the name of the object ({meta.get('name')}) does not match the name on the URL "
                              f"({name})")
        if res.namespaced and meta.get("namespace", old_meta["namespace"]) != old_meta["namespace"]:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(res, name)
        for key in _SERVER_SET + ("name", "namespace"):
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        new.pop("status", None)
        if res is DEPLOYMENTS and REVISION in (meta.get("annotations") or {}):  # the controller's, not stored
            meta["annotations"] = {k: v for k, v in meta["annotations"].items() if k != REVISION}
            if not meta["annotations"] and "annotations" not in old_meta:
                del meta["annotations"]
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        defaults.apply_defaults(res.kind, new)
        validation.validate(res, new, old)
        self._preserve_allocated(res, new, old)
        if new == old:  # nothing changed: no new resourceVersion (the API server skips the write)
            return render(res, doc, self.now, self.timing)
        if res.has_generation and new.get("spec") != old.get("spec"):
            meta["generation"] = old_meta.get("generation", 1) + 1
        meta["resourceVersion"] = self.cluster.next_resource_version()
        self._on_change(res, doc, new)
        if not self.dry_run:
            self.cluster.save(res, doc)
        return render(res, doc, self.now, self.timing)

    def _on_change(self, res: Resource, doc: dict, new: dict | None) -> None:
        """What controllers do when an object is created (new None) or changes: a Deployment's timeline,
        a Service's addresses, a load balancer's start."""
        old = doc["obj"] if new is not None else None
        obj = new if new is not None else doc["obj"]
        if res is DEPLOYMENTS:
            rollout.record(doc.setdefault("sim", {}), obj["spec"], self.now)
        elif res is SERVICES:
            self._service_addresses(doc, obj, old)
        elif res is INGRESSES and old is None:
            doc["lbSince"] = self.now
            obj["metadata"]["finalizers"] = [*obj["metadata"].get("finalizers", []), INGRESS_FINALIZER]
        doc["obj"] = obj

    def _service_addresses(self, doc: dict, obj: dict, old: dict | None) -> None:
        spec = obj["spec"]
        kind = spec.get("type", "ClusterIP")
        if kind == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        elif not spec.get("clusterIP"):
            spec["clusterIP"] = self.cluster.next_cluster_ip()
        if spec.get("clusterIP"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        for port in spec.get("ports") or []:
            if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                port["nodePort"] = self.cluster.next_node_port()
            elif kind not in ("NodePort", "LoadBalancer"):
                port.pop("nodePort", None)
        finalizers = [f for f in obj["metadata"].get("finalizers", []) if f != LB_FINALIZER]
        was_lb = old is not None and old["spec"].get("type") == "LoadBalancer"
        if kind == "LoadBalancer":
            finalizers.append(LB_FINALIZER)
            if not was_lb:
                doc["lbSince"] = self.now
        else:
            doc.pop("lbSince", None)
        if finalizers:
            obj["metadata"]["finalizers"] = finalizers
        else:
            obj["metadata"].pop("finalizers", None)

    @staticmethod
    def _preserve_allocated(res: Resource, new: dict, old: dict) -> None:
        """An update that leaves out a Service's allocated clusterIP or nodePorts keeps them (as the API
        server does), and the finalizers controllers added stay."""
        if res is SERVICES:
            spec, before = new.get("spec") or {}, old.get("spec") or {}
            if spec.get("type") != "ExternalName" and before.get("clusterIP") and not spec.get("clusterIP"):
                spec["clusterIP"], spec["clusterIPs"] = before["clusterIP"], [before["clusterIP"]]
            ports = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in before.get("ports") or []}
            for port in spec.get("ports") or []:
                if not port.get("nodePort") and ports.get((port.get("port"), port.get("protocol"))) and \
                        spec.get("type") in ("NodePort", "LoadBalancer"):
                    port["nodePort"] = ports[(port.get("port"), port.get("protocol"))]
        ours = {LB_FINALIZER, INGRESS_FINALIZER}
        kept = [f for f in old["metadata"].get("finalizers", []) if f in ours]
        if kept:
            given = new["metadata"].get("finalizers") or []
            new["metadata"]["finalizers"] = given + [f for f in kept if f not in given]

    def _check_kind(self, res: Resource, body: dict) -> None:
        if body.get("apiVersion") not in (None, res.api_version):
            raise bad_request(f"the API version in the data ({body['apiVersion']}) does not match the expected API "
                              f"version ({res.api_version})")
        if body.get("kind") not in (None, res.kind):
            raise bad_request(f"the kind in the data ({body['kind']}) does not match the expected kind ({res.kind})")

    def _namespace_open(self, res: Resource, ns: str, name: str) -> None:
        doc = self.cluster.load(NAMESPACES, "", ns)
        if doc is None:
            raise not_found(NAMESPACES, ns)
        if "goneAt" in doc:
            raise forbidden(res, name, f"unable to create new content in namespace {ns} because it is being "
                            "terminated")

    @staticmethod
    def _writable(res: Resource, verb: str) -> None:
        if res.generated:
            raise KubeError(405, "MethodNotAllowed", f'the gcpkit emulator generates {res.plural} from Deployments: '
                            f'"{verb}" is not supported on {res.qualified}', {})
