"""Where webhooks may go: the SSRF guard.

A subscriber names a URL and the hub's workers POST to it, from inside the hub's
network. Unless ``webhook_allow_private`` is set, a target is refused when any address
it resolves to is loopback, private (RFC 1918, ULA), link-local (169.254/16 with the
cloud metadata service, fe80::/10), unspecified, multicast, reserved, shared (CGNAT
100.64/10) or an IPv4-mapped/6to4/Teredo wrapping of one. It is checked twice: when the
subscription is made (for a precise 422) and on every connection, where the name is
resolved once, every address checked, and the socket opened to a checked address
(``GuardedBackend``), so a DNS answer that changes in between (rebinding) cannot slip
a private address through. Redirects are never followed by the sender.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

MAX_URL_LENGTH = 2000
SCHEMES = ("http", "https")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses a name resolves to; socket.getaddrinfo unless a test gives another.
Resolver = Callable[[str, int], list[str]]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # CGNAT: not "private" to Python, internal all the same


class RefusedTarget(Exception):
    """A webhook URL or address the hub will not send to; the message says why."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedTarget(f"{host} does not resolve ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: Address) -> str | None:
    """Why ``address`` is not a public unicast address, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in (address.ipv4_mapped, address.sixtofour, address.teredo and address.teredo[1]):
            if embedded:
                reason = refusal(embedded)
                return f"{reason} (wrapped in IPv6 {address})" if reason else None
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared (CGNAT)", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            article = "an" if name[0] in "aeiou" else "a"
            return f"{address} is {article} {name} address"
    return None


def check_addresses(host: str, addresses: Iterable[str]) -> list[Address]:
    """Every address parsed and checked; any refused one refuses the host (a name with one
    private address among public ones is not a public name)."""
    checked = []
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
        reason = refusal(address)
        if reason is not None:
            raise RefusedTarget(f"{host}: {reason}; private targets need ULAK_WEBHOOK_ALLOW_PRIVATE=true")
        checked.append(address)
    if not checked:
        raise RefusedTarget(f"{host} has no address")
    return checked


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL, or RefusedTarget saying what is wrong with it."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTarget(f"longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise RefusedTarget("contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"not a valid URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        raise RefusedTarget("must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise RefusedTarget("must not carry a user name or password")
    if not parts.hostname:
        raise RefusedTarget("has no host")
    if parts.fragment:
        raise RefusedTarget("must not have a #fragment")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """Refuse (RefusedTarget) a URL the hub may not send to. With ``allow_private`` only its
    shape is checked and nothing is resolved."""
    _, host, port = split_url(url)
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        check_addresses(host, resolve(host, port))
    else:
        check_addresses(host, [str(literal)])


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's default network backend, but a TCP connection is opened only to an
    address that passed ``check_addresses``: the name is resolved here, once, and the
    socket connects to what was checked (TLS still verifies the certificate against the
    name: httpcore passes the original host to ``start_tls``)."""

    def __init__(
        self,
        resolve: Resolver = system_resolver,
        check: Callable[[str, Iterable[str]], list[Address]] = check_addresses,
    ) -> None:
        self.resolve, self.check = resolve, check
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            literal = [str(ipaddress.ip_address(host))]
        except ValueError:
            literal = None
        addresses = self.check(host, literal or self.resolve(host, port))
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise RefusedTarget("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
