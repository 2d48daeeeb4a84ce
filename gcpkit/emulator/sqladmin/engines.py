"""Per-engine facts: installed versions, upgrade targets, system databases and users, default
charsets, editions, and the database flags the emulator knows (sql.flags.list)."""

from __future__ import annotations

from gcpkit.emulator.core.registry import handler

# major version -> installed minor version (what databaseInstalledVersion reports)
INSTALLED = {
    "MYSQL_5_6": "MYSQL_5_6_51", "MYSQL_5_7": "MYSQL_5_7_44", "MYSQL_8_0": "MYSQL_8_0_41",
    "MYSQL_8_4": "MYSQL_8_4_4", "POSTGRES_9_6": "POSTGRES_9_6_24", "POSTGRES_10": "POSTGRES_10_23",
    "POSTGRES_11": "POSTGRES_11_22", "POSTGRES_12": "POSTGRES_12_22", "POSTGRES_13": "POSTGRES_13_20",
    "POSTGRES_14": "POSTGRES_14_17", "POSTGRES_15": "POSTGRES_15_12", "POSTGRES_16": "POSTGRES_16_8",
    "POSTGRES_17": "POSTGRES_17_4",
}
MAINTENANCE_RELEASE = "R20251004.01_07"

_UPGRADES = {
    "MYSQL_5_6": ["MYSQL_5_7"], "MYSQL_5_7": ["MYSQL_8_0"], "MYSQL_8_0": ["MYSQL_8_4"],
    "POSTGRES_12": ["POSTGRES_13", "POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17"],
    "POSTGRES_13": ["POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17"],
    "POSTGRES_14": ["POSTGRES_15", "POSTGRES_16", "POSTGRES_17"],
    "POSTGRES_15": ["POSTGRES_16", "POSTGRES_17"], "POSTGRES_16": ["POSTGRES_17"],
}


def engine(version: str) -> str:
    """"mysql", "postgres" or "sqlserver"."""
    if version.startswith("MYSQL"):
        return "mysql"
    if version.startswith("POSTGRES"):
        return "postgres"
    return "sqlserver"


def installed(version: str) -> str:
    return INSTALLED.get(version, version)


def display(version: str) -> str:
    name, *numbers = version.split("_")
    pretty = {"MYSQL": "MySQL", "POSTGRES": "PostgreSQL", "SQLSERVER": "SQL Server"}.get(name, name)
    return f"{pretty} {'.'.join(n for n in numbers if n.isdigit())}".strip()


def upgradable(version: str) -> list[dict]:
    out = []
    for target in _UPGRADES.get(version, []):
        out.append({"displayName": display(target), "majorVersion": target, "name": target})
        minor = INSTALLED.get(target)
        if minor:
            out.append({"displayName": display(minor), "majorVersion": target, "name": minor})
    return out


def default_edition(version: str) -> str:
    """New major versions default to Enterprise Plus (MySQL 8.4, PostgreSQL 16 and later)."""
    return "ENTERPRISE_PLUS" if version in ("MYSQL_8_4", "POSTGRES_16", "POSTGRES_17") else "ENTERPRISE"


def system_databases(version: str) -> list[tuple[str, str, str]]:
    """(name, charset, collation) of the databases a new instance has."""
    kind = engine(version)
    if kind == "mysql":
        charset, collation = default_charset(version)
        return [("information_schema", "utf8mb3", "utf8mb3_general_ci"), ("mysql", charset, collation),
                ("performance_schema", "utf8mb4", "utf8mb4_0900_ai_ci"), ("sys", charset, collation)]
    if kind == "postgres":
        return [("postgres", "UTF8", "en_US.UTF8")]
    return [("master", "", "SQL_Latin1_General_CP1_CI_AS"), ("model", "", "SQL_Latin1_General_CP1_CI_AS"),
            ("msdb", "", "SQL_Latin1_General_CP1_CI_AS"), ("tempdb", "", "SQL_Latin1_General_CP1_CI_AS")]


def system_user(version: str) -> tuple[str, str | None]:
    """(name, host) of the administrative user a new instance has (MySQL users have a host)."""
    kind = engine(version)
    if kind == "mysql":
        return "root", "%"
    return ("postgres", None) if kind == "postgres" else ("sqlserver", None)


def default_charset(version: str) -> tuple[str, str]:
    kind = engine(version)
    if kind == "mysql":
        return ("utf8mb4", "utf8mb4_0900_ai_ci") if version >= "MYSQL_8" else ("utf8", "utf8_general_ci")
    if kind == "postgres":
        return "UTF8", "en_US.UTF8"
    return "", "SQL_Latin1_General_CP1_CI_AS"


def default_collation(version: str, charset: str) -> str:
    cs, collation = default_charset(version)
    if charset == cs or engine(version) != "mysql":
        return collation
    return {"utf8": "utf8_general_ci", "utf8mb3": "utf8mb3_general_ci", "latin1": "latin1_swedish_ci",
            "ascii": "ascii_general_ci", "binary": "binary"}.get(charset, f"{charset}_general_ci"
                                                                  if charset != "utf8mb4" else "utf8mb4_0900_ai_ci")


# ---- database flags ----------------------------------------------------------------------------
# name -> (type, applies to engines, allowed string values or (min, max) for integers, requires restart)
_ON_OFF = ["on", "off"]
FLAGS: dict[str, tuple[str, tuple[str, ...], object, bool]] = {
    "cloudsql_iam_authentication": ("BOOLEAN", ("mysql",), _ON_OFF, False),
    "cloudsql.iam_authentication": ("BOOLEAN", ("postgres",), _ON_OFF, False),
    "cloudsql.enable_pgaudit": ("BOOLEAN", ("postgres",), _ON_OFF, True),
    "cloudsql.logical_decoding": ("BOOLEAN", ("postgres",), _ON_OFF, True),
    "log_min_duration_statement": ("INTEGER", ("postgres",), (-1, 2147483647), False),
    "log_connections": ("BOOLEAN", ("postgres",), _ON_OFF, False),
    "log_disconnections": ("BOOLEAN", ("postgres",), _ON_OFF, False),
    "max_connections": ("INTEGER", ("mysql", "postgres"), (14, 262143), True),
    "slow_query_log": ("BOOLEAN", ("mysql",), _ON_OFF, False),
    "long_query_time": ("FLOAT", ("mysql",), (0, 30000000), False),
    "general_log": ("BOOLEAN", ("mysql",), _ON_OFF, False),
    "log_output": ("STRING", ("mysql",), ["FILE", "TABLE", "NONE"], False),
    "character_set_server": ("STRING", ("mysql",), ["utf8", "utf8mb3", "utf8mb4", "latin1"], True),
    "default_time_zone": ("STRING", ("mysql",), None, True),
    "sql_mode": ("STRING", ("mysql",), None, False),
    "innodb_buffer_pool_size": ("INTEGER", ("mysql",), (5242880, 10**15), False),
    "local_infile": ("BOOLEAN", ("mysql",), _ON_OFF, False),
    "skip_show_database": ("BOOLEAN", ("mysql",), _ON_OFF, True),
    "contained database authentication": ("BOOLEAN", ("sqlserver",), _ON_OFF, False),
    "user connections": ("INTEGER", ("sqlserver",), (0, 32767), False),
}
_SCOPE = {"mysql": "MYSQL", "postgres": "POSTGRES", "sqlserver": "SQLSERVER"}


def check_flags(version: str, flags) -> None:
    """Refuse a known flag on the wrong engine or with a value it cannot take; unknown names pass
    (the emulator's catalogue is a subset of Cloud SQL's)."""
    from .common import invalid

    kind = engine(version)
    seen = set()
    for flag in flags or []:
        name, value = flag.get("name"), flag.get("value")
        if not name:
            raise invalid("Flag name is required.")
        if name in seen:
            raise invalid(f"Duplicate flag: {name}.")
        seen.add(name)
        spec = FLAGS.get(name)
        if spec is None:
            continue
        type_, engines, allowed, _ = spec
        if kind not in engines:
            raise invalid(f"Invalid flag for instance {version}: {name}.")
        if type_ == "BOOLEAN" and (value or "").lower() not in allowed:
            raise invalid(f"Invalid flag value for {name}: {value!r} (expected on or off).")
        if type_ == "STRING" and isinstance(allowed, list) and value not in allowed:
            raise invalid(f"Invalid flag value for {name}: {value!r}.")
        if type_ in ("INTEGER", "FLOAT"):
            try:
                number = float(value) if type_ == "FLOAT" else int(value)
            except (TypeError, ValueError):
                raise invalid(f"Invalid flag value for {name}: {value!r}.") from None
            low, high = allowed
            if not low <= number <= high:
                raise invalid(f"Invalid flag value for {name}: {value!r} (allowed {low}..{high}).")


def flag_resource(name: str) -> tuple[dict, tuple[str, ...]]:
    type_, engines, allowed, restart = FLAGS[name]
    out = {"kind": "sql#flag", "name": name, "type": type_, "flagScope": "SQL_FLAG_SCOPE_DATABASE",
           "appliesTo": [], "requiresRestart": restart}
    if type_ in ("INTEGER", "FLOAT"):
        out["minValue"], out["maxValue"] = str(int(allowed[0])), str(int(allowed[1]))
    elif isinstance(allowed, list) and type_ == "STRING":
        out["allowedStringValues"] = list(allowed)
    return out, engines


@handler("sql.flags.list")
def list_flags(ctx, req):
    version = req.params.get("databaseVersion")
    scope = req.params.get("flagScope")
    items = []
    for name in sorted(FLAGS):
        flag, engines = flag_resource(name)
        versions = [v for v in INSTALLED if engine(v) in engines]
        if "sqlserver" in engines:
            versions.append("SQLSERVER_2019_STANDARD")
        if version and engine(version) not in engines:
            continue
        if scope and scope != flag["flagScope"]:
            continue
        flag["appliesTo"] = versions
        items.append(flag)
    return {"kind": "sql#flagsList", "items": items}
