"""The SSRF guard: webhook and push targets must be public hosts.

A target whose host is, or resolves to, a loopback, private, link-local, reserved, multicast or
unspecified address, or a cloud metadata service, is refused, unless the operator lists the host (or
the address) in the database setting ``motovault.notify_allowed_hosts`` (comma-separated, e.g.
``127.0.0.1``). The SQL side (app.notify_target_refused) refuses literal addresses and local names when
a subscription is created; this check runs again at every send, after DNS, and for every redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "instance-data"})
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})


class RefusedTarget(Exception):
    """The target may not be reached (the message says why)."""


def parse_allowed(setting: str | None) -> frozenset[str]:
    """motovault.notify_allowed_hosts as a set of lower-case hosts/addresses."""
    return frozenset(h.strip().lower() for h in (setting or "").split(",") if h.strip())


def address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10"))
    )


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedTarget(f"host {host} does not resolve: {exc.strerror}") from None
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str, port: int, allowed: Collection[str]) -> None:
    """Raises RefusedTarget unless host (and every address it resolves to) is public or allowed."""
    name = host.strip("[]").lower()
    if not name:
        raise RefusedTarget("the URL has no host")
    if name in allowed:
        return
    if name == "localhost" or name.endswith((".localhost", ".internal", ".local")) or name in METADATA_HOSTS:
        raise RefusedTarget(f"host {name} is local or a metadata service")
    for text in resolve(name, port):
        address = ipaddress.ip_address(text.split("%")[0])
        if text in allowed or str(address) in allowed:
            continue
        if address_refused(address):
            raise RefusedTarget(f"host {name} resolves to {address}: loopback, private, link-local or reserved")


def check_url(url: str, allowed: Collection[str]) -> None:
    """check_host for an http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget(f"scheme {parts.scheme or '(none)'} is not http or https")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedTarget("the URL has an invalid port") from None
    check_host(parts.hostname or "", port, allowed)
