"""The SSRF guard (hub/delivery/targets.py) alone: which addresses and URLs it refuses,
and that a connection goes only to an address it checked, whatever DNS says later."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpcore
import pytest

from hub.delivery.sender import WebhookSender
from hub.delivery.targets import GuardedBackend, RefusedTarget, check_url, refusal, split_url
from tests.fixtures.webhooks import receiving

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "fd00::1": "private",
    "169.254.169.254": "link-local",  # the cloud metadata service
    "fe80::1": "link-local",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "100.64.0.1": "shared (CGNAT)",
    "240.0.0.1": "reserved",
    "192.0.2.1": "private",  # documentation range (TEST-NET-1)
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:169.254.169.254": "link-local",
    "2002:7f00:1::": "loopback",  # 6to4 wrapping 127.0.0.1
}
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_internal_addresses_are_refused_by_kind(address: str, kind: str) -> None:
    reason = refusal(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.org/hook", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https://user:pw@example.org/hook", "user name or password"),
        ("https://user@example.org/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://example.org/hook#frag", "fragment"),
        ("https://example.org:99999/", "not a valid URL"),
        ("https://[::1/", "not a valid URL"),
        ("https://example.org/a b", "whitespace"),
        ("https://example.org/" + "a" * 2000, "longer than 2000"),
    ],
)
def test_malformed_urls_are_refused(url: str, why: str) -> None:
    with pytest.raises(RefusedTarget, match=why.replace("(", r"\(")):
        split_url(url)


def test_literals_and_names_are_checked_unless_private_targets_are_allowed() -> None:
    with pytest.raises(RefusedTarget, match=re.escape("169.254.169.254 is a link-local address")):
        check_url("http://169.254.169.254/latest/meta-data/", allow_private=False)
    with pytest.raises(RefusedTarget, match="loopback"):
        check_url("http://[::ffff:127.0.0.1]:8080/", allow_private=False)
    with pytest.raises(RefusedTarget, match=re.escape("localhost: 127.0.0.1 is a loopback address")):
        check_url("http://localhost:8080/hook", allow_private=False)  # resolved from /etc/hosts
    # One private address among public ones refuses the name.
    mixed = {"mixed.test": ["93.184.216.34", "10.0.0.5"]}
    with pytest.raises(RefusedTarget, match=re.escape("10.0.0.5 is a private")):
        check_url("https://mixed.test/", allow_private=False, resolve=lambda host, port: mixed[host])
    check_url("https://public.test/", allow_private=False, resolve=lambda host, port: ["93.184.216.34"])
    check_url("http://127.0.0.1:8080/hook", allow_private=True)
    check_url("http://no-such-name.invalid/", allow_private=True)  # nothing resolved when allowed


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect_time() -> None:
    """DNS rebinding: the name resolved to a public address when the subscription was made
    and resolves to loopback when the worker connects. The connection is refused; the
    receiver on loopback never hears of it."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    with receiving() as receiver:
        url = f"http://rebind.test:{receiver.port}/hook"
        check_url(url, allow_private=False, resolve=rebinding)  # at creation: public, accepted
        sender = WebhookSender(timeout=2.0, allow_private=False, resolve=rebinding)
        try:
            outcome = sender.send(url, secret="whsec_" + "A" * 43, msg_id="msg_x_1", body="{}", now=datetime.now(UTC))
        finally:
            sender.close()
        assert not outcome.delivered and outcome.status_code is None
        assert outcome.error == (
            "refused target: rebind.test: 127.0.0.1 is a loopback address; "
            "private targets need ULAK_WEBHOOK_ALLOW_PRIVATE=true"
        )
        assert receiver.deliveries == []


def test_the_guarded_backend_connects_to_the_address_it_checked() -> None:
    """The socket goes to the address the guard resolved and checked, never to a name for
    anyone to resolve again: ``receiver.test`` exists only in this resolver, and the
    request reaches the loopback receiver through it (with a check that lets loopback in,
    as a stand-in for a public address this test cannot reach)."""
    checked: list[tuple[str, list[str]]] = []

    def check(host: str, addresses: Iterable[str]) -> list[Any]:
        checked.append((host, list(addresses)))
        return [ipaddress.ip_address(a) for a in checked[-1][1]]

    with receiving() as receiver:
        backend = GuardedBackend(lambda host, port: {"receiver.test": ["127.0.0.1"]}[host], check)
        with httpcore.ConnectionPool(network_backend=backend) as pool:
            response = pool.request("POST", f"http://receiver.test:{receiver.port}/hook", content=b"{}")
        assert response.status == 204
        assert checked == [("receiver.test", ["127.0.0.1"])]
        assert [d.headers["host"] for d in receiver.deliveries] == [f"receiver.test:{receiver.port}"]
        # The real check refuses it; a unix socket is refused outright.
        with pytest.raises(RefusedTarget, match="loopback"):
            GuardedBackend(lambda host, port: ["127.0.0.1"]).connect_tcp("receiver.test", receiver.port)
        with pytest.raises(RefusedTarget, match="TCP only"):
            backend.connect_unix_socket("/tmp/socket")
        assert len(receiver.deliveries) == 1
