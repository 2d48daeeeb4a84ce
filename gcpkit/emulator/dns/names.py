"""Validation of what Cloud DNS checks in names, labels, record types and record data."""

from __future__ import annotations

import ipaddress
import re

from .common import invalid_value

ZONE_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_LABEL_KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE_RE = re.compile(r"^[a-z0-9_-]{0,63}$")
_DNS_LABEL_RE = re.compile(r"^(\*|[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?)$")

RECORD_TYPES = frozenset({"A", "AAAA", "ALIAS", "CAA", "CNAME", "DNSKEY", "DS", "HTTPS", "IPSECKEY", "MX",
                          "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"})
MAX_TTL = 2**31 - 1


def is_dns_name(name) -> bool:
    """An absolute DNS name: labels of 1-63 characters, a trailing dot, 253 characters at most."""
    if not isinstance(name, str) or not name.endswith(".") or len(name) > 254:
        return False
    labels = name[:-1].split(".")
    if labels == [""]:
        return False
    return all(_DNS_LABEL_RE.match(label) for label in labels)


def within(name: str, zone_dns_name: str) -> bool:
    name, apex = name.lower(), zone_dns_name.lower()
    return name == apex or name.endswith("." + apex)


def check_zone_name(name, field: str = "entity.managedZone.name") -> None:
    if not isinstance(name, str) or not ZONE_NAME_RE.match(name):
        raise invalid_value(field, name)


def check_dns_name(name, field: str = "entity.managedZone.dnsName") -> None:
    if not is_dns_name(name):
        raise invalid_value(field, name)


def check_labels(labels, field: str = "entity.managedZone.labels") -> None:
    if labels is None:
        return
    if len(labels) > 64:
        raise invalid_value(field, f"{len(labels)} labels")
    for key, value in labels.items():
        if not _LABEL_KEY_RE.match(key):
            raise invalid_value(f"{field}[{key}]", key)
        if not isinstance(value, str) or not _LABEL_VALUE_RE.match(value):
            raise invalid_value(f"{field}[{key}]", value)


def check_rrdata(type_: str, data: str, field: str) -> None:
    """The record data checks that catch common mistakes (addresses, host names); others pass."""
    if not isinstance(data, str) or not data.strip():
        raise invalid_value(field, data)
    try:
        if type_ == "A":
            ipaddress.IPv4Address(data)
        elif type_ == "AAAA":
            ipaddress.IPv6Address(data)
    except ValueError:
        raise invalid_value(field, data) from None
    if type_ in ("CNAME", "NS", "PTR") and not is_dns_name(data):
        raise invalid_value(field, data)
    if type_ == "MX":
        parts = data.split()
        if len(parts) != 2 or not parts[0].isdigit() or not (parts[1] == "." or is_dns_name(parts[1])):
            raise invalid_value(field, data)
