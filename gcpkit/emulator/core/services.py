"""The APIs gcpkit emulates, where each is mounted on the single port, and what clients need to reach it.

Compute and Storage are mounted at the root: their discovery paths already start with
"/compute/v1/" and "/storage/v1/", and their clients take the bare base URL
(ClientOptions(api_endpoint=URL), STORAGE_EMULATOR_HOST=URL). The other APIs' paths
("v1/projects/...") would collide, so each gets its own prefix, and its endpoint is what
google-api-python-client's build(..., client_options={"api_endpoint": VALUE}) needs:
api_endpoint replaces rootUrl + servicePath together, so VALUE = base URL + prefix + servicePath.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from gcpkit.emulator.core import discovery
from gcpkit.emulator.core.registry import HANDLERS


@dataclass(frozen=True)
class Service:
    key: str  # "compute": the key in the endpoints map
    discovery_file: str  # "compute.v1.json"
    prefix: str  # URL prefix on the port: "" (root) or "/sqladmin"
    package: str  # the package whose import registers the handlers
    bare_endpoint: bool = False  # the client wants the base URL alone (compute, storage)

    @property
    def document(self) -> discovery.Document:
        return discovery.load(self.discovery_file)

    @property
    def api(self) -> str:
        """The discovery name, which prefixes method ids ("sqladmin" in "sqladmin.instances.insert")."""
        return self.discovery_file.split(".")[0]

    def mount(self) -> str:
        """Absolute path under which the method paths (relative to servicePath) live."""
        return f"{self.prefix}/{self.document.service_path}"

    def endpoint(self, base_url: str) -> str:
        base_url = base_url.rstrip("/")
        if self.bare_endpoint:
            return base_url
        return base_url + self.mount()


SERVICES: dict[str, Service] = {s.key: s for s in [
    Service("compute", "compute.v1.json", "", "gcpkit.emulator.compute", bare_endpoint=True),
    Service("storage", "storage.v1.json", "", "gcpkit.emulator.storage", bare_endpoint=True),
    Service("dns", "dns.v1.json", "/dns", "gcpkit.emulator.dns"),
    Service("sqladmin", "sqladmin.v1.json", "/sqladmin", "gcpkit.emulator.sqladmin"),
    Service("container", "container.v1.json", "/container", "gcpkit.emulator.container"),
    Service("appengine", "appengine.v1.json", "/appengine", "gcpkit.emulator.appengine"),
    Service("artifactregistry", "artifactregistry.v1.json", "/artifactregistry",
            "gcpkit.emulator.artifactregistry"),
    Service("cloudresourcemanager", "cloudresourcemanager.v3.json", "/cloudresourcemanager",
            "gcpkit.emulator.resourcemanager"),
    Service("firestore", "firestore.v1.json", "/firestore", "gcpkit.emulator.firestore"),
    Service("iam", "iam.v1.json", "/iam", "gcpkit.emulator.iam"),
    Service("secretmanager", "secretmanager.v1.json", "/secretmanager", "gcpkit.emulator.secretmanager"),
]}


def _import(package: str) -> bool:
    try:
        importlib.import_module(package)
    except ModuleNotFoundError as e:
        if e.name and package.startswith(e.name):  # the package itself is absent, not one of its imports
            return False
        raise
    return True


def available() -> list[Service]:
    """Services whose package imports and registers at least one handler for its API."""
    found = []
    for service in SERVICES.values():
        # Method ids come from the document: sqladmin's are "sql.*", not "sqladmin.*".
        if _import(service.package) and not HANDLERS.keys().isdisjoint(service.document.methods):
            found.append(service)
    return found


def endpoints(base_url: str) -> dict[str, str]:
    return {s.key: s.endpoint(base_url) for s in available()}
