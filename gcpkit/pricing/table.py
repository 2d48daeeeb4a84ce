"""The price table: gcpkit/data/prices.yaml, with a user's file (`--prices FILE`, or `prices: FILE` in
.gcpkit/config.yaml) merged over it.

A user file has the shipped file's keys, only those it changes. In the price maps (machine types, disk
types, tiers, storage classes, instance classes) it may add entries; anywhere else an unknown key is a
typo and refused, as is anything that is not a number >= 0 where a price belongs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gcpkit.errors import BadInput

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "prices.yaml"

# Maps keyed by a name Google defines (machine type, disk type, tier, class): a user file may add keys.
OPEN_MAPS = {"compute.machine_hourly", "compute.spot_hourly", "compute.disk_gb_month", "sql.tier_month",
             "sql.storage_gb_month", "storage.gb_month", "storage.multi_region_gb_month",
             "appengine.instance_hourly"}
TEXT_KEYS = {"date", "region", "currency", "gke.default_machine_type", "gke.default_disk_type",
             "appengine.default_instance_class"}


@dataclass(frozen=True)
class PriceTable:
    data: dict
    source: str  # "shipped", or the user file merged over it

    @property
    def date(self) -> str:
        return str(self.data["date"])

    @property
    def region(self) -> str:
        return str(self.data["region"])

    @property
    def currency(self) -> str:
        return str(self.data["currency"])

    @property
    def hours(self) -> float:
        return float(self.data["hours_per_month"])

    def get(self, dotted: str) -> Any:
        """A value by its dotted key ('compute.disk_gb_month'); KeyError names the key."""
        node: Any = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def label(self) -> str:
        """What every estimate is printed with: whose prices, where, when."""
        text = f"list prices of {self.region} on {self.date}, {self.currency}"
        return text if self.source == "shipped" else f"{text}, with {self.source}"


def _read_yaml(path: Path, where: str) -> Any:
    import yaml

    try:
        text = path.read_text()
    except FileNotFoundError:
        raise BadInput("no such price file", where=where) from None
    except OSError as exc:
        raise BadInput(f"cannot read the price file: {exc.strerror}", where=where) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark is not None else where
        raise BadInput(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", where=at) from None


def _is_price(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _merge(base: dict, user: dict, prefix: str, where: str) -> None:
    """Merge `user` into `base` in place, checking each key and value against the shipped shape."""
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if not isinstance(key, str):
            raise BadInput(f"{dotted!s}: keys are names, not {type(key).__name__}", where=where)
        known = base.get(key)
        if key not in base and prefix.rstrip(".") not in OPEN_MAPS:
            from gcpkit.patterns.schema import did_you_mean

            raise BadInput(f"unknown key {dotted!r}{did_you_mean(key, list(base))}", where=where,
                           hint="see gcpkit/data/prices.yaml for the keys a price file may set")
        if isinstance(known, dict):
            if not isinstance(value, dict):
                raise BadInput(f"{dotted}: expected a mapping, got {value!r}", where=where)
            _merge(known, value, f"{dotted}.", where)
        elif dotted in TEXT_KEYS:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool) or not str(value).strip():
                raise BadInput(f"{dotted}: expected text, got {value!r}", where=where)
            base[key] = str(value)
        elif key == "free_types" and not prefix:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise BadInput(f"{dotted}: expected a list of type names or globs, got {value!r}", where=where)
            base[key] = list(value)
        elif not _is_price(value):
            raise BadInput(f"{dotted}: expected a number >= 0, got {value!r}", where=where)
        else:
            base[key] = value


@lru_cache(maxsize=1)
def _shipped() -> dict:
    return _read_yaml(SHIPPED, str(SHIPPED))


def load_table(path: str | None = None) -> PriceTable:
    """The shipped table, with `path` (else `prices:` in .gcpkit/config.yaml, if set) merged over it.
    BadInput, naming the file and the key, for a file that is missing, malformed or mistyped."""
    from gcpkit.state.location import CONFIG_FILE, load_config

    where = "--prices"
    if not path:
        configured = load_config().get("prices")
        if configured is not None and (not isinstance(configured, str) or not configured.strip()):
            raise BadInput("`prices` must be the path of a price file", where=str(CONFIG_FILE))
        path, where = configured, f"{CONFIG_FILE}: prices"
    data = copy.deepcopy(_shipped())
    if not path:
        return PriceTable(data, "shipped")
    label = str(path) if where == "--prices" else f"{path} (`prices:` in {CONFIG_FILE})"
    user = _read_yaml(Path(path).expanduser(), label)
    if not isinstance(user, dict):
        raise BadInput("a price file is a mapping of the keys of gcpkit/data/prices.yaml", where=label)
    hours = user.get("hours_per_month", 1)
    if not (_is_price(hours) and hours > 0):
        raise BadInput(f"hours_per_month: expected a number > 0, got {hours!r}", where=label)
    _merge(data, user, "", label)
    return PriceTable(data, Path(path).name)


@lru_cache(maxsize=1)
def shipped_table() -> PriceTable:
    """The table gcpkit ships, for callers that take no user file (`gcpkit orphans`)."""
    return PriceTable(copy.deepcopy(_shipped()), "shipped")
