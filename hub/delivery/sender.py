"""Sending one signed webhook: Standard Webhooks headers, the guarded connection, a
bounded read of the answer, and an outcome to log. Nothing here touches the database.

Signing is the ``standardwebhooks`` package's: ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the subscription's secret.
``webhook-id`` is derived from the subscription and the entry's feed seq, so it is the
same on every retry and every replay and receivers can de-duplicate on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpcore
from standardwebhooks.webhooks import Webhook

from hub import __version__
from hub.delivery.targets import GuardedBackend, RefusedTarget, Resolver, split_url, system_resolver

USER_AGENT = f"Ulak-Webhooks/{__version__} (+https://standardwebhooks.com)"
# A receiver's answer matters only by its status; read this much of it at most.
MAX_ANSWER_BYTES = 4096


def message_id(subscription_id: str, seq: int) -> str:
    return f"msg_{subscription_id}_{seq}"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None
    error: str | None  # why it failed, for the log and the pause reason
    duration_ms: int

    @property
    def summary(self) -> str:
        return self.error or f"HTTP {self.status_code}"


class WebhookSender:
    """One connection pool per delivery thread. Redirects are never followed (httpcore
    does not); with ``allow_private`` off, connections go through ``GuardedBackend``."""

    def __init__(self, *, timeout: float, allow_private: bool, resolve: Resolver = system_resolver) -> None:
        self.timeout = timeout
        backend = None if allow_private else GuardedBackend(resolve)
        self.pool = httpcore.ConnectionPool(max_connections=8, keepalive_expiry=30.0, network_backend=backend)

    def close(self) -> None:
        self.pool.close()

    def send(self, url: str, *, secret: str, msg_id: str, body: str, now: datetime) -> Outcome:
        started = time.monotonic()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body),
        }
        timeouts = {"connect": self.timeout, "read": self.timeout, "write": self.timeout, "pool": self.timeout}
        try:
            split_url(url)  # stored URLs were checked at creation; this keeps the sender honest alone
            with self.pool.stream(
                "POST", url, headers=list(headers.items()), content=body.encode(), extensions={"timeout": timeouts}
            ) as response:
                status = response.status
                self._read_some(response, deadline=started + self.timeout)
        except RefusedTarget as exc:
            return Outcome(False, None, f"refused target: {exc}", _ms(started))
        except httpcore.TimeoutException:
            return Outcome(False, None, f"timed out after {self.timeout:g} s", _ms(started))
        except httpcore.ConnectError as exc:
            return Outcome(False, None, f"connection failed: {_reason(exc)}", _ms(started))
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {_reason(exc)}", _ms(started))
        return Outcome(200 <= status < 300, status, None, _ms(started))

    @staticmethod
    def _read_some(response: httpcore.Response, *, deadline: float) -> None:
        """Read at most MAX_ANSWER_BYTES (a well-behaved answer is read whole, so its
        connection can be reused); a longer or slower one is cut off by closing it."""
        received = 0
        for chunk in response.iter_stream():
            received += len(chunk)
            if received > MAX_ANSWER_BYTES or time.monotonic() > deadline:
                break


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    # httpcore wraps the socket's OSError (its first argument): name the OS's reason.
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__cause__
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(exc).strip()[:200] or type(exc).__name__
