"""Receiving the hub's webhooks: check a delivery's Standard Webhooks signature and read
its body as the feed entry it is.

    entry = verify_webhook(secret, request.headers, request.body)  # raises if not genuine

The signature is checked by the ``standardwebhooks`` package (HMAC-SHA256 over
``webhook-id.webhook-timestamp.body`` with the subscription's secret; a timestamp more
than five minutes off is refused, so a captured delivery cannot be replayed later).
Deliveries are at least once: de-duplicate on the ``webhook-id`` header, which is the
same on every retry and replay of one entry.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping

import pydantic
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from standardwebhooks.webhooks import WebhookVerificationError as _PackageVerificationError

from ._exceptions import WebhookVerificationError
from .models import FeedEntry

# One or more space-separated "v1,<base64>" (the spec's versioned signatures; "v1a" is
# its asymmetric kind). Checked here: standardwebhooks 1.3 stopped telling a header of
# another shape (mangled by a proxy, say) from a wrong signature.
_SIGNATURE = re.compile(r"v\d+[a-z]?,[A-Za-z0-9+/]+={0,2}")


def verify_webhook(secret: str, headers: Mapping[str, str], body: bytes | str) -> FeedEntry:
    """The feed entry a delivery carries, once its signature checks out with ``secret``
    (the ``whsec_…`` value the hub gave when the subscription was made). Raises
    ``WebhookVerificationError`` for a missing, malformed, wrong or stale signature, or a
    body that is not a feed entry; ``ValueError`` for a secret that is not ``whsec_…``."""
    try:
        webhook = Webhook(secret)
    except (EmptyWebhookSecretError, binascii.Error, ValueError) as exc:
        raise ValueError("secret: not a webhook signing secret (whsec_…)") from exc
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    lowered = {name.lower(): value for name, value in headers.items()}
    signatures = lowered.get("webhook-signature")
    if signatures and not any(_SIGNATURE.fullmatch(signature) for signature in signatures.split(" ")):
        raise WebhookVerificationError("Invalid signature header")
    try:
        parsed = webhook.verify(text, lowered)
    except _PackageVerificationError as exc:
        raise WebhookVerificationError(str(exc)) from exc
    except (ValueError, binascii.Error) as exc:  # a signature header that is not "v1,<base64>"
        raise WebhookVerificationError("Invalid signature header") from exc
    try:
        return FeedEntry.model_validate(parsed)
    except pydantic.ValidationError as exc:
        raise WebhookVerificationError(f"signed, but not a feed entry: {exc.error_count()} error(s)") from exc
