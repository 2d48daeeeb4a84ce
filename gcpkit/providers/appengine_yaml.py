"""app.yaml -> the App Engine Admin API's Version body, as `gcloud app deploy` translates it, for the keys a
standard-environment app uses. Anything else is refused before any call (BadInput), so a typo in app.yaml
cannot deploy a version that silently ignores it."""

from __future__ import annotations

from typing import Any

from gcpkit.errors import BadInput

_TOP = {"runtime", "env", "service", "instance_class", "entrypoint", "env_variables", "handlers",
        "automatic_scaling", "basic_scaling", "manual_scaling", "inbound_services", "app_engine_apis",
        "service_account", "runtime_config"}
# automatic_scaling keys: those at the top of AutomaticScaling, and those inside standardSchedulerSettings.
_AUTOMATIC = {"max_concurrent_requests": "maxConcurrentRequests", "min_idle_instances": "minIdleInstances",
              "max_idle_instances": "maxIdleInstances", "min_pending_latency": "minPendingLatency",
              "max_pending_latency": "maxPendingLatency"}
_SCHEDULER = {"min_instances": "minInstances", "max_instances": "maxInstances",
              "target_cpu_utilization": "targetCpuUtilization",
              "target_throughput_utilization": "targetThroughputUtilization"}
_BASIC = {"max_instances": "maxInstances", "idle_timeout": "idleTimeout"}
_SECURE = {"always": "SECURE_ALWAYS", "optional": "SECURE_OPTIONAL", "never": "SECURE_NEVER"}
_HANDLER = {"url", "script", "static_dir", "static_files", "upload", "secure", "expiration", "mime_type"}


def _mapping(value: Any, what: str, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"app.yaml: {what} must be a mapping", where=where)
    return value


def _keys(section: dict, allowed: set[str], what: str, where: str) -> None:
    from gcpkit.patterns.schema import did_you_mean

    for key in section:
        if key not in allowed:
            raise BadInput(f"app.yaml: unknown key {what}{key}{did_you_mean(str(key), allowed)}", where=where)


def _handler(entry: Any, where: str) -> dict:
    entry = _mapping(entry, "each handler", where)
    _keys(entry, _HANDLER, "handlers[].", where)
    if "url" not in entry:
        raise BadInput("app.yaml: every handler needs a url", where=where)
    out: dict[str, Any] = {"urlRegex": str(entry["url"])}
    if "script" in entry:
        out["script"] = {"scriptPath": str(entry["script"])}
    elif "static_dir" in entry or "static_files" in entry:
        static: dict[str, Any] = {}
        if "static_dir" in entry:
            out["urlRegex"] = str(entry["url"]).rstrip("/") + "/(.*)"
            static["path"] = str(entry["static_dir"]).rstrip("/") + "/\\1"
            static["uploadPathRegex"] = str(entry["static_dir"]).rstrip("/") + "/.*"
        else:
            static["path"] = str(entry["static_files"])
            static["uploadPathRegex"] = str(entry.get("upload") or entry["static_files"])
        if "expiration" in entry:
            static["expiration"] = str(entry["expiration"])
        if "mime_type" in entry:
            static["mimeType"] = str(entry["mime_type"])
        out["staticFiles"] = static
    else:
        raise BadInput(f"app.yaml: handler {entry['url']!r} needs script, static_dir or static_files", where=where)
    if "secure" in entry:
        if entry["secure"] not in _SECURE:
            raise BadInput(f"app.yaml: handler {entry['url']!r}: secure must be one of {', '.join(_SECURE)}",
                           where=where)
        out["securityLevel"] = _SECURE[entry["secure"]]
    return out


def version_body(app_yaml: dict, where: str) -> dict:
    """The Version fields an app.yaml sets (no id, no deployment: the caller adds those)."""
    _keys(app_yaml, _TOP, "", where)
    runtime = app_yaml.get("runtime")
    if not isinstance(runtime, str) or not runtime:
        raise BadInput("app.yaml: runtime is required (e.g. python312)", where=where)
    body: dict[str, Any] = {"runtime": runtime, "env": str(app_yaml.get("env") or "standard")}
    if app_yaml.get("instance_class"):
        body["instanceClass"] = str(app_yaml["instance_class"])
    if app_yaml.get("entrypoint"):
        body["entrypoint"] = {"shell": str(app_yaml["entrypoint"])}
    env_vars = _mapping(app_yaml.get("env_variables"), "env_variables", where)
    if env_vars:
        body["envVariables"] = {str(k): str(v) for k, v in env_vars.items()}
    if "automatic_scaling" in app_yaml:
        auto = _mapping(app_yaml["automatic_scaling"], "automatic_scaling", where)
        _keys(auto, set(_AUTOMATIC) | set(_SCHEDULER), "automatic_scaling.", where)
        scaling: dict[str, Any] = {_AUTOMATIC[k]: v for k, v in auto.items() if k in _AUTOMATIC}
        scheduler = {_SCHEDULER[k]: v for k, v in auto.items() if k in _SCHEDULER}
        if scheduler:
            scaling["standardSchedulerSettings"] = scheduler
        body["automaticScaling"] = scaling
    if "basic_scaling" in app_yaml:
        basic = _mapping(app_yaml["basic_scaling"], "basic_scaling", where)
        _keys(basic, set(_BASIC), "basic_scaling.", where)
        body["basicScaling"] = {_BASIC[k]: v for k, v in basic.items()}
    if "manual_scaling" in app_yaml:
        manual = _mapping(app_yaml["manual_scaling"], "manual_scaling", where)
        _keys(manual, {"instances"}, "manual_scaling.", where)
        body["manualScaling"] = {"instances": manual.get("instances", 1)}
    handlers = app_yaml.get("handlers") or []
    if not isinstance(handlers, list):
        raise BadInput("app.yaml: handlers must be a list", where=where)
    if handlers:
        body["handlers"] = [_handler(h, where) for h in handlers]
    if app_yaml.get("inbound_services"):
        body["inboundServices"] = [f"INBOUND_SERVICE_{str(s).upper()}" for s in app_yaml["inbound_services"]]
    if app_yaml.get("app_engine_apis"):
        body["appEngineApis"] = True
    if app_yaml.get("service_account"):
        body["serviceAccount"] = str(app_yaml["service_account"])
    return body


def parse(text: Any, where: str) -> dict:
    """The Version fields of an app.yaml given as text; BadInput naming `where` if it is not one."""
    import yaml

    if not isinstance(text, str) or not text.strip():
        raise BadInput("appYaml must be the text of an app.yaml", where=where)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"app.yaml is not valid YAML: {exc}".splitlines()[0], where=where) from None
    return version_body(_mapping(data, "app.yaml", where), where)
