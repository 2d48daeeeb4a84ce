"""gcpkit snapshot-to-mig: scale out a hand-built VM in one command.

The command is the `snapshot-to-mig` pattern with friendlier flags: it checks them (bad input exits 2
before any call), maps them to the pattern's parameters and runs `up`'s code path, so `plan`, `status`
and `destroy deployment` work on the result like on any deployment. After the apply it lists the
group's instances (listManagedInstances) and, with --domain, the zone's name servers."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Optional

import typer

from gcpkit import console
from gcpkit.cli.common import (Common, EmulatorOpt, EndpointsOpt, OutputFormat, OutputOpt, ParallelismOpt,
                               ProjectOpt, StateOpt, VerboseOpt)
from gcpkit.cli.deploy_cmds import BreakLockOpt, YesOpt, report, run_up
from gcpkit.errors import BadInput, GcpkitError

PATTERN = "snapshot-to-mig"
BACKENDS = ("web",)  # the backend services the pattern creates; --host-rule names one of them
_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$|^\*$")
_DOMAIN = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$")
MAX_DEPLOYMENT = 40


def parse_host_rule(rule: str) -> tuple[str, str, str]:
    """'api.example.com=/v1:web' -> ('api.example.com', '/v1', 'web'); BadInput naming --host-rule."""
    where = f"--host-rule {rule}"
    host, eq, rest = rule.partition("=")
    path, colon, backend = rest.rpartition(":")
    if not eq or not colon or not host or not path or not backend:
        raise BadInput("expected HOST=PATH_PREFIX:BACKEND", where=where,
                       hint="for example: --host-rule api.example.com=/v1:web")
    if not _HOST.match(host.lower()) or len(host) > 253:
        raise BadInput(f"{host!r} is not a host name (e.g. api.example.com or *.example.com)", where=where)
    if not path.startswith("/") or any(ch.isspace() or ch in "*?#" for ch in path):
        raise BadInput(f"{path!r} is not a path prefix: start it with / and leave out *, ? and #", where=where)
    if backend not in BACKENDS:
        raise BadInput(f"unknown backend {backend!r}; for now the only backend is 'web' (the instance group)",
                       where=where)
    return host.lower(), path, backend


def check_flags(*, instance: str, deployment: str | None, size: int | None, min_: int, max_: int,
                target_cpu: float, cooldown: int, port: int, health_path: str, host_rules: list[str],
                domain: str | None) -> tuple[str, list[str]]:
    """The deployment name and the pattern's --set values; BadInput (exit 2) for the first bad flag."""
    if not _NAME.match(instance):
        raise BadInput(f"{instance!r} is not an instance name (lowercase letters, digits and hyphens, "
                       "starting with a letter)", where="--instance")
    if deployment is None:
        deployment = f"{instance}-mig"
        if len(deployment) > MAX_DEPLOYMENT:
            raise BadInput(f"the default deployment name {deployment!r} is longer than {MAX_DEPLOYMENT} "
                           "characters", where="--deployment", hint="pass a shorter --deployment NAME")
    if min_ < 1:
        raise BadInput(f"{min_} is below 1", where="--min")
    if max_ < min_:
        raise BadInput(f"--max {max_} is below --min {min_}", where="--max")
    if max_ > 1000:
        raise BadInput(f"{max_} is above 1000 (the limit of a regional group)", where="--max")
    if size is not None and not min_ <= size <= max_:
        raise BadInput(f"{size} is outside --min {min_} .. --max {max_}", where="--size")
    if not 0 < target_cpu <= 1:
        raise BadInput(f"{target_cpu:g} is not a share of CPU: give a number above 0 and at most 1 "
                       "(0.6 = 60 %)", where="--target-cpu")
    if not 0 <= cooldown <= 3600:
        raise BadInput(f"{cooldown} is not a number of seconds from 0 to 3600", where="--cooldown")
    if not 1 <= port <= 65535:
        raise BadInput(f"{port} is not a port number (1-65535)", where="--port")
    if not health_path.startswith("/") or any(ch.isspace() for ch in health_path):
        raise BadInput(f"{health_path!r} is not a URL path (e.g. /healthz)", where="--health-path")
    seen: set[tuple[str, str]] = set()
    for rule in host_rules:
        host, path, _ = parse_host_rule(rule)
        key = (host, path.rstrip("/"))
        if key in seen:
            raise BadInput(f"the path {path} is given twice for {host}", where=f"--host-rule {rule}")
        seen.add(key)
    if domain is not None:
        domain = domain.rstrip(".").lower()
        if not _DOMAIN.match(domain):
            raise BadInput(f"{domain!r} is not a domain name (e.g. example.com)", where="--domain")
    sets = [f"source_instance={instance}", f"min_replicas={min_}", f"max_replicas={max_}",
            f"target_cpu={target_cpu}", f"cooldown_sec={cooldown}", f"port={port}", f"health_path={health_path}",
            f"host_rules={json.dumps([r.strip() for r in host_rules])}"]
    if size is not None:
        sets.append(f"target_size={size}")
    if domain:
        sets.append(f"domain={domain}")
    return deployment, sets


def _managed_instances(ctx: Any, plan: Any, outcome: Any) -> list[dict]:
    """The group's instances as listManagedInstances reports them (they may still be CREATING)."""
    from gcpkit.providers import compute_ops
    from gcpkit.providers.base import NotFound

    client = ctx.target.compute("RegionInstanceGroupManagersClient")
    request = {"project": ctx.env["project"], "region": outcome.outputs["instance-group-region"],
               "instance_group_manager": outcome.outputs["instance-group"]}
    try:
        pages = compute_ops.call(lambda: list(client.list_managed_instances(request=request)))
    except (GcpkitError, NotFound) as exc:  # the deployment is done; only this listing failed
        console.err.print(f"[yellow]warning:[/] could not list the group's instances: {exc}")
        return []
    rows = []
    for m in pages:
        link = m.instance or ""
        rows.append({"name": link.rsplit("/", 1)[-1], "zone": link.split("/zones/")[-1].split("/")[0]
                     if "/zones/" in link else "", "status": m.instance_status or "",
                     "action": m.current_action or ""})
    return rows


def snapshot_to_mig(
    instance: Annotated[str, typer.Option("--instance", help="The VM to scale out (it is stopped for the "
                                          "snapshot, then started again).", show_default=False)],
    zone: Annotated[str, typer.Option("--zone", help="Zone of the VM.", show_default=False)],
    deployment: Annotated[Optional[str], typer.Option("--deployment", "-d", help="Deployment name "
                                                      "(default: INSTANCE-mig).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Region of the group (default and only "
                                                  "choice: the VM's region).")] = None,
    size: Annotated[Optional[int], typer.Option("--size", help="Initial group size (default: --min).")] = None,
    min_: Annotated[int, typer.Option("--min", help="Autoscaler minimum.")] = 2,
    max_: Annotated[int, typer.Option("--max", help="Autoscaler maximum.")] = 5,
    target_cpu: Annotated[float, typer.Option("--target-cpu", help="Autoscaler CPU target (0-1].")] = 0.6,
    cooldown: Annotated[int, typer.Option("--cooldown", help="Autoscaler initialization period, seconds.")] = 60,
    port: Annotated[int, typer.Option("--port", help="Port the VMs serve HTTP on.")] = 80,
    health_path: Annotated[str, typer.Option("--health-path", help="Health check request path.")] = "/",
    host_rule: Annotated[Optional[list[str]], typer.Option("--host-rule", metavar="HOST=PATH_PREFIX:BACKEND",
                                                           help="A URL map rule (BACKEND: web); repeat for "
                                                           "more.")] = None,
    domain: Annotated[Optional[str], typer.Option("--domain", help="Create a Cloud DNS zone for this domain "
                                                  "with A records (apex, www) for the load balancer.")] = None,
    no_restart: Annotated[bool, typer.Option("--no-restart", help="Leave the VM stopped after the "
                                             "snapshot.")] = False,
    yes: YesOpt = False, break_lock: BreakLockOpt = False, project: ProjectOpt = None,
    emulator: EmulatorOpt = False, endpoints: EndpointsOpt = None, parallelism: ParallelismOpt = 10,
    output: OutputOpt = OutputFormat.text, verbose: VerboseOpt = False, state: StateOpt = None,
) -> None:
    """Snapshot a VM and serve copies of it: image, template, autoscaled regional group, HTTP load
    balancer, optional Cloud DNS. `gcpkit destroy deployment NAME` removes it all; the VM stays."""
    from gcpkit.cli.progress import plan_rows

    rules = list(host_rule or [])
    name, sets = check_flags(instance=instance, deployment=deployment, size=size, min_=min_, max_=max_,
                             target_cpu=target_cpu, cooldown=cooldown, port=port, health_path=health_path,
                             host_rules=rules, domain=domain)
    if no_restart:
        sets.append("restart=false")
    c = Common(project, region, zone, emulator, endpoints, parallelism, output, verbose, state)
    the_plan, outcome, instances = run_up(PATTERN, deployment=name, sets=sets, values=None, yes=yes,
                                          break_lock=break_lock, c=c, command="gcpkit snapshot-to-mig",
                                          after_apply=_managed_instances)
    resume = " ".join(["gcpkit snapshot-to-mig --instance", instance, "--zone", zone, "--deployment", name,
                       "(with the same options)"])
    report(outcome, resume, name, c)
    instances = instances or []
    servers = outcome.outputs.get("name-servers") or []
    if c.json:
        console.print_json({"deployment": name, "pattern": the_plan.pattern, "plan": plan_rows(the_plan),
                            "result": "ok", "outputs": outcome.outputs, "instances": instances})
        return
    console.err.print(console.table(f"Instances of {outcome.outputs.get('instance-group')}",
                                    ["instance", "zone", "status", "action"],
                                    [[i["name"], i["zone"], i["status"], i["action"]] for i in instances]))
    if servers:
        console.err.print("Name servers of the zone: " + ", ".join(servers))
        console.err.print(f"Register these name servers for {domain.rstrip('.').lower()} at your domain "
                          "registrar (replacing its current ones) so the internet resolves the domain to the "
                          "load balancer.")
    console.err.print(f"Tear it all down (the source VM stays): gcpkit destroy deployment {name}")
