"""Reading the recorded GCP traffic in ../shared/gcp-golden (never copied into the repo) and
normalising exchanges so the emulator's answers can be compared by shape, not by value."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

GOLDEN_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "gcp-golden"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z]+(?:#\d+)?)\}")  # "${diskID}"; "${diskID#1}": a second disk (see names())

# Parity lines collected during the run, printed by tests/conftest.py's terminal summary.
REPORT: list[str] = []


@dataclass
class Exchange:
    method: str
    url: str  # with placeholders
    body: str  # request body text, "" if none
    status: int
    response: object  # parsed JSON body, or None
    response_text: str = ""  # the body as recorded, placeholders and all

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query


def log_files(api: str) -> list[Path]:
    return sorted(GOLDEN_DIR.glob(f"{api}--*.http.log")) if GOLDEN_DIR.is_dir() else []


def parse(path: Path) -> list[Exchange]:
    out = []
    for chunk in re.split(r"\n---\n", path.read_text(encoding="utf-8")):
        lines = chunk.strip("\n").split("\n")
        if not lines or " " not in lines[0]:
            continue
        method, url = lines[0].split(" ", 1)
        i = 1
        while i < len(lines) and lines[i].strip():  # request headers
            i += 1
        rest = lines[i + 1:]
        # the response starts at the first status line ("200 OK", "404 Not Found")
        j = next(k for k, line in enumerate(rest) if re.match(r"^\d{3} ", line))
        body = "\n".join(rest[:j]).strip()
        status = int(rest[j].split(" ", 1)[0])
        k = j + 1
        while k < len(rest) and rest[k].strip():  # response headers
            k += 1
        text = "\n".join(rest[k + 1:]).strip()
        try:
            response = json.loads(text) if text else None
        except ValueError:
            response = text
        out.append(Exchange(method, url, body, status, response, text))
    return out


@dataclass
class Substitution:
    """Concrete values for a log's placeholders; ${operationID} follows the emulator's answers."""

    unique: str
    project: str
    log_text: str = ""  # the whole recording: some names are recoverable from it (see value())
    operation: str = "operation-unknown"
    values: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        if "#" in name:  # the n-th resource behind one placeholder (see names()): "disk-u1234" -> "disk-2-u1234"
            base, n = name.split("#")
            first = self.value(base)
            head, _, tail = first.rpartition("-")
            return f"{head}-{int(n) + 1}-{tail}" if head else f"{first}-{int(n) + 1}"
        if name == "operationID":
            return self.operation
        if name == "projectId":
            return self.project
        if name == "projectNumber":
            return "123456789012"
        if name == "kccVersion":
            return "0.0.0"
        if name == "uniqueId":
            return self.unique
        if name == "networkID" and re.search(r"\$\{networkID\}[A-Za-z]", self.log_text):
            # the recordings' normaliser replaced the network name "default" everywhere, even inside
            # words: "${networkID}Service" was "defaultService"
            return "default"
        if name not in self.values:
            self.values[name] = self._name_for(re.sub(r"ID$", "", name).lower())
        return self.values[name]

    def _name_for(self, kind: str) -> str:
        """${urlMapID} -> "computeurlmap-<unique>" when the recording also spells that name out as
        "computeurlmap-${uniqueId}" (two placeholders for one value); else "urlmap-<unique>"."""
        for prefix in sorted(set(re.findall(r"([a-z][a-z0-9-]*?)-\$\{uniqueId\}", self.log_text))):
            if prefix.replace("-", "").endswith(kind):
                return f"{prefix}-{self.unique}"
        return f"{kind}-{self.unique}"

    def apply(self, text: str) -> str:
        return PLACEHOLDER.sub(lambda m: self.value(m.group(1)), text)


def _name_slots(path: str) -> list[tuple[int, str]]:
    """(segment index, collection) of every path segment that is a placeholder standing for a resource
    name: "/zones/z/disks/${diskID}/setLabels" -> [(index of "${diskID}", "disks")]."""
    parts = path.split("/")
    return [(i, parts[i - 1]) for i in range(1, len(parts)) if PLACEHOLDER.fullmatch(parts[i])]


def names(exchanges: list[Exchange]) -> list[tuple[str, str]]:
    """Each exchange's (path, request body) with ambiguous name placeholders made concrete.

    The recordings' normaliser used one placeholder for every resource of a kind: two disks are both
    ${diskID}; two URL maps are both ${urlMapID} in URLs while their bodies spell out
    "computeurlmap-${uniqueId}" and "computeurlmap-2-${uniqueId}". Which one a URL means follows from the
    order of events: the most recent resource of that collection still alive, except a 404 just before a
    create, which asks about the one being created. Several mentions in one body (an instance's two
    disks) take the live ones in creation order. The n-th resource created as "${diskID}" becomes
    "${diskID#n}" (n >= 1; see Substitution.value)."""
    creations: dict[str, list[tuple[int, str]]] = {}  # collection -> [(exchange index, name as created)]
    bodies = [ex.body for ex in exchanges]
    for i, ex in enumerate(exchanges):
        if ex.method != "POST" or not 200 <= ex.status < 300 or not ex.body:
            continue
        try:
            name = json.loads(ex.body).get("name")
        except (ValueError, AttributeError):
            continue
        if not isinstance(name, str):
            continue
        made = creations.setdefault(ex.path.rstrip("/").rsplit("/", 1)[-1], [])
        if PLACEHOLDER.fullmatch(name):
            same = sum(1 for _, n in made if _base(n) == name)
            if same:
                bodies[i] = ex.body.replace(f'"name": "{name}"', f'"name": "{name[:-1]}#{same}}}"', 1)
                name = f"{name[:-1]}#{same}}}"
        made.append((i, name))
    ambiguous = {c for c, made in creations.items() if len({n for _, n in made}) > 1}
    alive: dict[str, list[str]] = {c: [] for c in ambiguous}
    out = []
    for i, ex in enumerate(exchanges):
        parts, body = ex.path.split("/"), bodies[i]
        for idx, c in _name_slots(ex.path):
            if c not in ambiguous:
                continue
            upcoming = next((n for j, n in creations[c] if j > i), None)
            if ex.status == 404 and upcoming is not None and _next_touch_creates(exchanges, i, c, creations[c]):
                parts[idx] = upcoming
            elif alive[c]:
                parts[idx] = alive[c][-1]
        path = "/".join(parts)
        if ex.method != "POST" or not any(j == i for c in ambiguous for j, _ in creations[c]):
            for c in ambiguous:  # an instance's two disks: the live ones in creation order
                for ph in {_base(n) for n in alive[c] if PLACEHOLDER.fullmatch(_base(n))}:
                    mine = [n for n in alive[c] if _base(n) == ph]
                    if len(mine) > 1 and body.count(ph) == len(mine):
                        for n in mine:
                            body = body.replace(ph, "\0" + n[2:], 1)
                        body = body.replace("\0", "${")
        out.append((path, body))
        for c in ambiguous:  # the state after this exchange
            alive[c] += [n for j, n in creations[c] if j == i]
            if ex.method == "DELETE" and 200 <= ex.status < 300 and parts[-2] == c and parts[-1] in alive[c]:
                alive[c].remove(parts[-1])
    return out


def _base(name: str) -> str:
    """"${diskID#1}" -> "${diskID}"; other names unchanged."""
    return re.sub(r"#\d+\}$", "}", name)


def _next_touch_creates(exchanges: list[Exchange], i: int, collection: str, made: list[tuple[int, str]]) -> bool:
    """Whether the next exchange on `collection` after i (operation polls aside) creates a resource."""
    for k in range(i + 1, len(exchanges)):
        e = exchanges[k]
        if any(j == k for j, _ in made):
            return True
        if "/operations/" not in e.path and (any(c == collection for _, c in _name_slots(e.path))
                                             or e.path.rstrip("/").endswith("/" + collection)):
            return False
    return False


def is_operation(body: object) -> bool:
    return isinstance(body, dict) and str(body.get("kind", "")).endswith("#operation")


def error_reasons(body: object) -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return []
    return [e.get("reason", "") for e in body["error"].get("errors", [])]


# Keys whose presence follows timing rather than shape (an operation polled a moment later is DONE).
TIMING_KEYS = {"endTime"}


def shape_differences(recorded: object, got: object) -> list[str]:
    """Differences of normalised shape: top-level key sets, error reasons, and value types of shared keys."""
    if recorded is None or got is None:
        return [] if (recorded is None) == (got is None) or got == {} else ["body presence"]
    if isinstance(recorded, dict) and "error" in recorded:
        want, have = error_reasons(recorded), error_reasons(got)
        return [] if want == have else [f"error reasons {want} != {have}"]
    if not isinstance(recorded, dict) or not isinstance(got, dict):
        return [] if type(recorded) is type(got) else ["body type"]
    diffs = []
    missing = sorted(set(recorded) - set(got) - TIMING_KEYS)
    extra = sorted(set(got) - set(recorded) - TIMING_KEYS)
    if missing:
        diffs.append(f"missing keys {missing}")
    if extra:
        diffs.append(f"extra keys {extra}")
    for key in sorted(set(recorded) & set(got)):
        if type(recorded[key]) is not type(got[key]) and not (
                isinstance(recorded[key], (int, float)) and isinstance(got[key], (int, float))):
            diffs.append(f"type of '{key}' {type(recorded[key]).__name__} != {type(got[key]).__name__}")
    return diffs


def deep_shape_diff(want, got, path: str = "") -> list[str]:
    """Readable differences between two json_shape()s, down to nested keys (lists: their first items)."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key in sorted(set(want) | set(got)):
            where = f"{path}.{key}" if path else key
            if key not in got:
                out.append(f"missing {where}")
            elif key not in want:
                out.append(f"extra {where}")
            else:
                out += deep_shape_diff(want[key], got[key], where)
        return out
    if isinstance(want, list) and isinstance(got, list) and want and got and isinstance(want[0], dict) \
            and isinstance(got[0], dict):
        return deep_shape_diff(want[0], got[0], path + "[]")
    return [] if want == got else [f"{path or 'body'}: {json.dumps(got)} != {json.dumps(want)}"]


def json_shape(value: object, skip: Callable[[dict, str], bool] | None = None) -> object:
    """Keys and JSON types, recursively; a list is the union of its items' shapes. `skip(doc, key)`
    leaves out keys whose presence is volatile (e.g. an operation's timing)."""
    if isinstance(value, dict):
        return {k: json_shape(v, skip) for k, v in sorted(value.items()) if not (skip and skip(value, k))}
    if isinstance(value, list):
        merged: dict = {}
        kinds = set()
        for item in value:
            s = json_shape(item, skip)
            if isinstance(s, dict):
                merged.update(s)
            else:
                kinds.add(s if isinstance(s, str) else json.dumps(s))
        return [merged] if merged else sorted(kinds)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null"


def error_view(body: object) -> dict:
    """The parts of a Google error body that parity compares."""
    err = body.get("error", {}) if isinstance(body, dict) else {}
    return {"code": err.get("code"), "status": err.get("status"), "message": err.get("message"),
            "reasons": [e.get("reason") for e in err.get("errors", [])]}


def call(method: str, url: str, body: dict | str | bytes | None = None) -> tuple[int, object]:
    """One replayed request over real HTTP: (status, parsed JSON body or {})."""
    if body is None or isinstance(body, bytes):
        data = body
    else:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
    request = urllib.request.Request(url, data=data or None, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, (json.loads(raw) if raw.strip() else {})
