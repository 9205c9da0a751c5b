"""The SDK's webhook side against the real hub (uvicorn on a loopback port, its embedded
worker delivering, as `ulak serve` runs it): subscription calls, sync and async, and
``verify_webhook`` on what a real receiver got."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from hub.agencies import service as agencies
from tests.fixtures.hub import served_hub
from tests.fixtures.webhooks import Delivery, Receiver, receiving, wait_for
from ulak_client import (
    AsyncUlakClient,
    Conflict,
    DeliveryLog,
    FeedEntry,
    NotFound,
    PermissionDenied,
    Subscription,
    SubscriptionCreated,
    UlakClient,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    """(url, member key, partner key, admin key) of a served hub whose embedded worker delivers."""
    settings = {"webhook_allow_private": True, "webhook_max_backoff_seconds": 0.2, "worker_poll_seconds": 0.02}
    with served_hub(tmp_path / "data", database_url, **settings) as (url, runtime):
        with runtime.write() as session:
            agencies.create_agency(session, "azertac", name="AZERTAC")
            agencies.create_agency(session, "cms", name="CMS", is_partner=True)
            member = agencies.create_key(session, "azertac", "push,pull").plaintext
            partner = agencies.create_key(session, "cms", "pull").plaintext
            admin = agencies.create_key(session, "azertac", "admin").plaintext
        yield url, member, partner, admin


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def test_subscribe_receive_verify_replay_delete(hub: tuple[str, str, str, str], receiver: Receiver) -> None:
    url, member_key, partner_key, admin_key = hub
    with UlakClient(url, member_key) as member, UlakClient(url, partner_key) as partner:
        created = partner.create_subscription(f"{receiver.url}/hook", ["az", "tr"], agencies=["azertac"])
        assert isinstance(created, SubscriptionCreated) and created.secret.startswith("whsec_")
        assert created.languages == ["az", "tr"] and created.agencies == ["azertac"] and created.status == "active"
        for n, language in enumerate(["az", "tr", "az"]):
            member.push_story(guid=f"s-{n}", language=language, headline=f"Başlıq {n}", body_text="Mətn. Cümlə.")
        wait_for(lambda: len(receiver.unique("/hook")) == 3, what="three deliveries")

        entries = [verify_webhook(created.secret, d.headers, d.body) for d in receiver.unique("/hook")]
        assert all(isinstance(e, FeedEntry) for e in entries)
        feed = {lang: partner.feed_page(lang).entries for lang in ("az", "tr")}
        assert [e for e in entries if e.language == "az"] == feed["az"]
        assert [e for e in entries if e.language == "tr"] == feed["tr"]
        assert [e.item.headline for e in entries] == ["Başlıq 0", "Başlıq 1", "Başlıq 2"]

        [listed] = partner.subscriptions()
        assert isinstance(listed, Subscription) and not isinstance(listed, SubscriptionCreated)
        assert listed.id == created.id and "secret" not in (listed.model_extra or {})
        assert partner.subscription(created.id).position != created.position
        log = partner.deliveries(created.id, limit=2)
        assert isinstance(log, DeliveryLog) and len(log.deliveries) == 2 and log.next is not None
        older = partner.deliveries(created.id, before=log.next)
        assert [d.outcome for d in log.deliveries + older.deliveries] == ["delivered"] * 3
        assert {d.webhook_id for d in log.deliveries + older.deliveries} == {d.webhook_id for d in receiver.at("/hook")}

        with pytest.raises(Conflict):
            partner.create_subscription(f"{receiver.url}/hook", ["az"])
        with pytest.raises(Conflict):
            partner.resume_subscription(created.id)
        with pytest.raises(ValidationError) as refused:
            partner.create_subscription("ftp://example.org/", ["az"])
        assert refused.value.fields == [{"field": "url", "message": "must be an http:// or https:// URL"}]
        with pytest.raises(PermissionDenied):
            member.subscription(created.id)

        before = len(receiver.at("/hook"))
        replayed = partner.replay_subscription(created.id, created.position)
        assert replayed.position == created.position
        wait_for(lambda: len(receiver.at("/hook")) == before + 3, what="the replay")
        assert [d.webhook_id for d in receiver.at("/hook")[before:]] == [d.webhook_id for d in receiver.unique("/hook")]

        gone = partner.delete_subscription(created.id)
        assert gone.id == created.id
        with pytest.raises(NotFound):
            partner.subscription(created.id)
        member.push_story(guid="after-delete", language="az", headline="Sonra", body_text="Mətn.")
        time.sleep(0.3)
        assert len(receiver.at("/hook")) == before + 3
    metrics = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {admin_key}"}).text
    assert 'ulak_webhook_attempts_total{outcome="delivered"} 6.0' in metrics  # 3, and 3 replayed


def test_async_twin(hub: tuple[str, str, str, str], receiver: Receiver) -> None:
    url, _, partner_key, _ = hub

    async def run() -> None:
        async with AsyncUlakClient(url, partner_key) as partner:
            created = await partner.create_subscription(f"{receiver.url}/async", ["en"])
            assert [s.id for s in await partner.subscriptions()] == [created.id]
            assert (await partner.subscription(created.id)).status == "active"
            assert (await partner.deliveries(created.id)).deliveries == []
            assert (await partner.replay_subscription(created.id, created.position)).position == created.position
            with pytest.raises(Conflict):
                await partner.resume_subscription(created.id)
            assert (await partner.delete_subscription(created.id)).id == created.id

    asyncio.run(run())


def genuine(secret: str, body: str, *, at: datetime | None = None) -> dict[str, str]:
    timestamp = at or datetime.now(UTC)
    return {
        "Webhook-Id": "msg_sub_1_1",
        "Webhook-Timestamp": str(int(timestamp.timestamp())),
        "Webhook-Signature": Webhook(secret).sign("msg_sub_1_1", timestamp, body),
    }


def test_verify_webhook_refuses_what_is_not_genuine(hub: tuple[str, str, str, str], receiver: Receiver) -> None:
    url, member_key, partner_key, _ = hub
    with UlakClient(url, member_key) as member, UlakClient(url, partner_key) as partner:
        created = partner.create_subscription(f"{receiver.url}/hook", ["az"])
        member.push_story(guid="one", language="az", headline="Başlıq", body_text="Mətn.")
        wait_for(lambda: len(receiver.at("/hook")) == 1, what="a delivery")
    [delivery] = receiver.at("/hook")
    secret = created.secret
    assert verify_webhook(secret, delivery.headers, delivery.body.decode()).item.headline == "Başlıq"

    other_secret = "whsec_" + "QUJD" * 8
    tampered = Delivery(delivery.path, delivery.headers, delivery.body.replace("Başlıq".encode(), b"Fake"))
    missing = {k: v for k, v in delivery.headers.items() if k != "webhook-signature"}
    malformed = delivery.headers | {"webhook-signature": "not-a-signature"}
    body = delivery.body.decode()
    stale = genuine(secret, body, at=datetime.now(UTC) - timedelta(minutes=10))
    for secret_used, headers, payload, why in [
        (other_secret, delivery.headers, delivery.body, "No matching signature"),
        (secret, tampered.headers, tampered.body, "No matching signature"),
        (secret, missing, delivery.body, "Missing required headers"),
        (secret, malformed, delivery.body, "Invalid signature header"),
        (secret, stale, body, "too old"),
        (secret, genuine(secret, '{"not": "an entry"}'), '{"not": "an entry"}', "not a feed entry"),
    ]:
        with pytest.raises(WebhookVerificationError, match=why):
            verify_webhook(secret_used, headers, payload)
    assert verify_webhook(secret, genuine(secret, body), body).story_id == delivery.verified(secret)["storyId"]
    with pytest.raises(ValueError, match="whsec_"):
        verify_webhook("whsec_", delivery.headers, delivery.body)
