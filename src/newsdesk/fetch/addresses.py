"""Which addresses a URL from a remote feed may point at: public ones only."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The host resolves to an address that remote URLs must not reach."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResolveFailed(Exception):
    """The host name did not resolve."""


def is_public(address: IPAddress) -> bool:
    """False for loopback, private, link-local (cloud metadata), multicast, reserved and the like."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_address(text: str, host: str | None = None) -> None:
    """Raise AddressRefused unless `text` is a public IP address."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError as exc:
        raise AddressRefused(f"refusing unreadable address {text!r}") from exc
    if not is_public(address):
        named = f" ({host})" if host and host != text else ""
        raise AddressRefused(f"refusing private address {address}{named}")


async def check_host(host: str, port: int) -> None:
    """Resolve `host` and raise AddressRefused if any of its addresses is not public."""
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        pass
    else:
        check_address(literal)
        return
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveFailed(host) from exc
    # Every address must pass: the connection may use any of them.
    for info in infos:
        check_address(str(info[4][0]), host)
