"""Fault injection: errors, latency, eventual consistency and failed operations, repeatable by seed.

File format (YAML or JSON):

    seed: 42                        # optional; same seed + same request sequence = same faults
    rules:
      - method_id: compute.firewalls.insert   # match keys, all optional, all must hold:
        api: compute                          #   api key, HTTP method, method id,
        http_method: POST                     #   glob on the URL path (fnmatch: * also crosses "/")
        path: "/compute/v1/projects/*/global/firewalls"
        probability: 0.5            # fire on a share of matching calls, or
        nth: 3                      # start firing on the 3rd matching call
        times: 1                    # fire at most this often (default: 1 with nth, unlimited otherwise)
        error: 429                  # ONE action: error: 429|403|500|503 or {status, reason, message}
      - path: "/compute/v1/*"
        latency: 2.5                # seconds added before the handler runs
      - method_id: compute.networks.insert
        hide: 3.0                   # after the insert, GET <collection>/<body.name> is 404 for 3 s
      - method_id: compute.instances.insert
        operation_error: QUOTA_EXCEEDED   # or ZONE_RESOURCE_POOL_EXHAUSTED, or {code, message}
        quota: CPUS                 # for QUOTA_EXCEEDED: metric, limit and region of the message
        limit: 8
        region: us-central1
        needed: 2                   # what the request asks for, and what is in use (default: limit),
        used: 8                     #   in the APIs whose message gives them (container, appengine)
      - api: compute
        rate_limit: 20              # at most 20 mutating calls (POST/PUT/PATCH/DELETE, but not the
                                    # operations' wait) per second; beyond that, 429 rateLimitExceeded
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gcpkit.emulator.core.errors import ApiError, ConfigError

_ERRORS = {
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Internal error. Please try again or contact Google Support."),
    503: ("backendError", "The service is currently unavailable."),
}
_ACTIONS = ("error", "latency", "hide", "operation_error", "rate_limit")
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MATCH_KEYS = ("api", "http_method", "method_id", "path")
_KNOWN_KEYS = set(_ACTIONS) | set(_MATCH_KEYS) | {"probability", "nth", "times", "quota", "limit", "region",
                                                  "zone", "message", "name", "needed", "used"}


@dataclass
class Rule:
    index: int
    action: str
    value: Any
    spec: dict
    api: str | None = None
    http_method: str | None = None
    method_id: str | None = None
    path: str | None = None
    probability: float = 1.0
    nth: int | None = None
    times: int | None = None
    seen: int = 0
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random)
    window: deque = field(default_factory=deque)  # rate_limit: times of the calls let through (last 1 s)

    def over_rate(self, now: float) -> bool:
        """rate_limit: whether one more call now exceeds `value` per second; call under the Faults lock."""
        self.seen += 1
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.value:
            self.fired += 1
            return True
        self.window.append(now)
        return False

    def matches(self, api: str, http_method: str | None, method_id: str, path: str) -> bool:
        return ((self.api is None or self.api == api)
                and (self.http_method is None or http_method is None or self.http_method == http_method)
                and (self.method_id is None or self.method_id == method_id)
                and (self.path is None or fnmatch.fnmatchcase(path, self.path)))

    def fires(self) -> bool:
        """Count one matching call and decide; call under the Faults lock."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None and self.seen < self.nth:
            return False
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        self.fired += 1
        return True


class Faults:
    def __init__(self, config: dict | None = None):
        config = config or {}
        if not isinstance(config, dict):
            raise ConfigError("faults: the top level must be a mapping with 'rules' (and optionally 'seed')")
        unknown = set(config) - {"seed", "rules"}
        if unknown:
            raise ConfigError(f"faults: unknown top-level key(s): {', '.join(sorted(unknown))}")
        self.seed = config.get("seed")
        rules = config.get("rules") or []
        if not isinstance(rules, list):
            raise ConfigError("faults: 'rules' must be a list")
        self.rules = [_parse_rule(i, spec, self.seed) for i, spec in enumerate(rules)]
        self._lock = threading.Lock()
        self._hidden: dict[str, float] = {}  # URL path -> hidden until (epoch seconds)
        self.hidden_served = 0  # GETs answered 404 because of a hide window (the fault suites report it)

    @classmethod
    def load(cls, source: str | Path | dict | None) -> "Faults":
        if source is None or isinstance(source, dict):
            return cls(source)
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"faults file {path}: cannot read it ({e.strerror or e})") from None
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as e:  # yaml/json parse errors: one line naming the file
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ConfigError(f"faults file {path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                              f"{first}") from None
        try:
            return cls(data)
        except ConfigError as e:
            raise ConfigError(f"faults file {path}: {str(e).removeprefix('faults: ')}") from None

    def reset(self) -> None:
        with self._lock:
            for rule in self.rules:
                rule.seen = rule.fired = 0
                rule.window.clear()
                rule.rng = _rng(self.seed, rule.index)
            self._hidden.clear()

    # ---- used by the core, per request ----------------------------------------------------------

    def before(self, api: str, http_method: str, method_id: str, path: str) -> tuple[ApiError | None, float, float]:
        """(error to return instead of calling the handler, latency to add, hide window) for one request."""
        error, delay, hide = None, 0.0, 0.0
        with self._lock:
            for rule in self.rules:
                if rule.action == "operation_error" or not rule.matches(api, http_method, method_id, path):
                    continue
                if rule.action == "rate_limit":
                    if (http_method in _MUTATING and not method_id.endswith(".wait")
                            and rule.over_rate(time.monotonic()) and error is None):
                        error = _error(429)
                    continue
                if not rule.fires():
                    continue
                if rule.action == "error" and error is None:
                    error = _error(rule.value)
                elif rule.action == "latency":
                    delay += rule.value
                elif rule.action == "hide":
                    hide = max(hide, rule.value)
        return error, delay, hide

    def hide(self, path: str, until: float) -> None:
        with self._lock:
            self._hidden[path] = until

    def hidden(self, path: str, now: float) -> bool:
        if not self._hidden:
            return False
        with self._lock:
            until = self._hidden.get(path)
            if until is None:
                return False
            if now >= until:
                del self._hidden[path]
                return False
            self.hidden_served += 1
            return True

    def hidden_tail(self, tail: str, now: float) -> bool:
        """Whether a resource whose URL path ends with `tail` is in a hide window (a service checking a
        reference to it, e.g. a new service account named in an IAM policy)."""
        if not self._hidden:
            return False
        with self._lock:
            if any(path.endswith(tail) and now < until for path, until in self._hidden.items()):
                self.hidden_served += 1
                return True
        return False

    # ---- used by the services -------------------------------------------------------------------

    def operation_error(self, api: str, method_id: str, path: str) -> dict | None:
        """{"code", "message"} for the operation the service is starting, or None. On non-None the
        service must fail its operation with this error and not create the resource."""
        with self._lock:
            for rule in self.rules:
                if rule.action == "operation_error" and rule.matches(api, None, method_id, path) and rule.fires():
                    return _operation_error(rule, api, path)
        return None


def _rng(seed: Any, index: int) -> random.Random:
    return random.Random(f"{seed}:{index}") if seed is not None else random.Random()


def _parse_rule(index: int, spec: Any, seed: Any) -> Rule:
    where = f"faults: rule {index + 1}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping")
    unknown = set(spec) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    actions = [a for a in _ACTIONS if a in spec]
    if len(actions) != 1:
        raise ConfigError(f"{where}: needs exactly one action of {', '.join(_ACTIONS)} (found {len(actions)})")
    action = actions[0]
    value = spec[action]
    if action == "error":
        status = value.get("status") if isinstance(value, dict) else value
        if status not in _ERRORS:
            raise ConfigError(f"{where}: error status must be one of 429, 403, 500, 503 (got {status!r})")
    elif action == "rate_limit":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{where}: rate_limit must be a number of calls per second > 0 (got {value!r})")
    elif action in ("latency", "hide"):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: {action} must be a number of seconds >= 0 (got {value!r})")
        value = float(value)
    else:
        code = value.get("code") if isinstance(value, dict) else value
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", code):
            raise ConfigError(f"{where}: operation_error must be a GCP error code like QUOTA_EXCEEDED (got {code!r})")
    for key in _MATCH_KEYS:
        if key in spec and not isinstance(spec[key], str):
            raise ConfigError(f"{where}: {key} must be a string")
    probability = spec.get("probability", 1.0)
    if not isinstance(probability, (int, float)) or isinstance(probability, bool) or not 0 <= probability <= 1:
        raise ConfigError(f"{where}: probability must be between 0 and 1 (got {probability!r})")
    for key in ("limit", "needed", "used"):
        if key in spec and (not isinstance(spec[key], (int, float)) or isinstance(spec[key], bool) or spec[key] < 0):
            raise ConfigError(f"{where}: {key} must be a number >= 0 (got {spec[key]!r})")
    for key in ("nth", "times"):
        if key in spec and (not isinstance(spec[key], int) or isinstance(spec[key], bool) or spec[key] < 1):
            raise ConfigError(f"{where}: {key} must be an integer >= 1 (got {spec[key]!r})")
    nth = spec.get("nth")
    return Rule(index=index, action=action, value=value, spec=spec, api=spec.get("api"),
                http_method=spec["http_method"].upper() if "http_method" in spec else None,
                method_id=spec.get("method_id"), path=spec.get("path"), probability=float(probability),
                nth=nth, times=spec.get("times", 1 if nth is not None else None), rng=_rng(seed, index))


def _error(value: Any) -> ApiError:
    spec = value if isinstance(value, dict) else {"status": value}
    status = spec["status"]
    reason, message = _ERRORS[status]
    reason = spec.get("reason", reason)
    # Google files rate limits under the usageLimits domain (errors[].domain), everything else under global.
    domain = "usageLimits" if reason in ("rateLimitExceeded", "userRateLimitExceeded") else "global"
    return ApiError(status, reason, spec.get("message", message), domain=domain)


def _operation_error(rule: Rule, api: str, path: str) -> dict:
    value, spec = rule.value, rule.spec
    if isinstance(value, dict) and "message" in value:
        return {"code": value["code"], "message": value["message"]}
    code = value["code"] if isinstance(value, dict) else value
    if "message" in spec:
        return {"code": code, "message": spec["message"]}
    project = _segment_after(path, "projects") or _segment_after(path, "apps") or "project"
    if code == "QUOTA_EXCEEDED" or (code == "RESOURCE_EXHAUSTED" and "quota" in spec):
        return _quota_error(api, code, spec, project, spec.get("region") or _region(path))
    if code == "ZONE_RESOURCE_POOL_EXHAUSTED":
        zone = spec.get("zone") or _segment_after(path, "zones") or "us-central1-a"
        return {"code": code, "message": f"The zone 'projects/{project}/zones/{zone}' does not have enough "
                                         "resources available to fulfill the request.  Try a different zone, "
                                         "or try again later."}
    return {"code": code, "message": f"Operation failed with {code} (injected fault)."}


def _quota_error(api: str, code: str, spec: dict, project: str, region: str | None) -> dict:
    """An exhausted quota in the words of the API that reports it. Compute Engine: operation error
    QUOTA_EXCEEDED "Quota 'CPUS' exceeded.  Limit: 8.0 in region R."; GKE and App Engine: google.rpc
    RESOURCE_EXHAUSTED with their own sentences (GKE's names what the request needs and lacks)."""
    quota, limit = spec.get("quota", "CPUS"), float(spec.get("limit", 8))
    needed, used = float(spec.get("needed", 1)), float(spec.get("used", limit))
    if api == "container":
        available = max(0.0, limit - used)
        scope = "regional" if region else "project"
        return {"code": "RESOURCE_EXHAUSTED", "message": (
            f'Insufficient {scope} quota to satisfy request: resource "{quota}": request requires '
            f"'{needed}' and is short '{max(0.0, needed - available)}'. project has a quota of '{limit}' with "
            f"'{available}' available. View and manage quotas at "
            f"https://console.cloud.google.com/iam-admin/quotas?usage=USED&project={project}.")}
    if api == "appengine":
        return {"code": "RESOURCE_EXHAUSTED", "message": f"The following quotas were exceeded: {quota} (quota: "
                                                         f"{limit:g}, used: {used:g} + needed: {needed:g})."}
    where = f"in region {region}" if region else "globally"
    return {"code": code, "message": f"Quota '{quota}' exceeded.  Limit: {limit} {where}."}


def _segment_after(path: str, name: str) -> str | None:
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == name:
            return parts[i + 1]
    return None


def _region(path: str) -> str | None:
    region = _segment_after(path, "regions")
    if region:
        return region
    zone = _segment_after(path, "zones")
    if zone:
        return zone.rsplit("-", 1)[0]
    location = _segment_after(path, "locations")  # GKE, Artifact Registry: a zone or a region
    if location and location != "-":
        return location.rsplit("-", 1)[0] if len(location.rsplit("-", 1)[-1]) == 1 else location
    return None
