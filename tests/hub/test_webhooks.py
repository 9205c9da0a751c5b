"""Signed webhooks end to end: the real delivery loop (in threads, as the worker runs it)
POSTs to a real receiver on loopback; every signature is verified with the
``standardwebhooks`` package; what arrives is compared with what ``GET /v1/feed``
shows the subscriber."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.delivery import repository as delivery_repo
from hub.delivery.loop import DeliveryWorker, run_delivery_threads
from hub.jobs.worker import TranslationWorker, build_engine
from hub.models import WebhookDelivery
from tests.fixtures.hub import HubHarness, make_settings, story
from tests.fixtures.webhooks import Delivery, Receiver, receiving, wait_for

FAST = {
    "embedded_worker": False,
    "webhook_allow_private": True,
    "webhook_max_backoff_seconds": 0.2,
    "webhook_timeout_seconds": 2.0,
    "worker_poll_seconds": 0.02,
}


@pytest.fixture
def hub(database_url: str, tmp_path: Path) -> Iterator[HubHarness]:
    with HubHarness.start(make_settings(tmp_path / "data", database_url, **FAST)) as harness:
        yield harness


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


@pytest.fixture
def deliveries(hub: HubHarness) -> Iterator[None]:
    """Two delivery loops, as a worker process runs them."""
    stop = threading.Event()
    threads = run_delivery_threads(hub.runtime, stop, count=2)
    yield
    stop.set()
    for thread in threads:
        thread.join(10)


def subscribe(hub: HubHarness, key: str, url: str, languages: list[str], **extra: Any) -> dict[str, Any]:
    response = hub.client.post(
        "/v1/subscriptions", json={"url": url, "languages": languages, **extra}, headers=hub.auth(key)
    )
    assert response.status_code == 201, response.text
    return response.json()


def feed(hub: HubHarness, key: str, language: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    after = None
    while True:
        page = hub.client.get(
            "/v1/feed", params={"lang": language, "limit": 1000, **({"after": after} if after else {})},
            headers=hub.auth(key),
        ).json()  # fmt: skip
        entries += page["entries"]
        if not page["entries"]:
            return entries
        after = page["next"]


def verified_in_order(deliveries: list[Delivery], secret: str) -> list[dict[str, Any]]:
    """Every delivery's signature checks; de-duplicated by webhook-id, the entries are in
    strictly increasing feed order."""
    for delivery in deliveries:
        delivery.verified(secret)
        assert delivery.headers["content-type"] == "application/json"
        assert delivery.headers["user-agent"].startswith("Ulak-Webhooks/")
    unique: dict[str, Delivery] = {}
    for delivery in deliveries:
        unique.setdefault(delivery.webhook_id, delivery)
    seqs = [d.seq for d in unique.values()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    return [d.verified(secret) for d in unique.values()]


def assert_matches_feed(received: list[dict[str, Any]], hub: HubHarness, key: str, languages: list[str]) -> None:
    """The received entries are the subscriber's feeds in those languages, merged: each
    language's entries exactly, in order, and nothing else."""
    assert {e["language"] for e in received} <= set(languages)
    for language in languages:
        assert [e for e in received if e["language"] == language] == feed(hub, key, language), language


def test_fifty_stories_reach_a_receiver_that_was_down_once_each_in_feed_order(
    hub: HubHarness, receiver: Receiver, deliveries: None
) -> None:
    member = hub.agency("azertac")
    partner = hub.agency("cms", scopes="pull", partner=True)
    created = subscribe(hub, partner, f"{receiver.url}/hook", ["az", "tr"])
    languages = ["az", "tr", "ru"]  # ru is not subscribed: passed over

    ids: list[str] = []

    def push(n: int) -> None:
        body = story(f"s-{n}", language=languages[n % 3], body=f"Xəbər {n}. Mətn.")
        pushed = hub.client.post("/v1/stories", json=body, headers=hub.auth(member))
        assert pushed.status_code == 201
        ids.append(pushed.json()["id"])

    for n in range(20):
        push(n)
    # A kill (az) and a withhold (tr) are feed entries too.
    assert hub.client.post(f"/v1/stories/{ids[0]}/kill", headers=hub.auth(member)).status_code == 200
    assert hub.client.post(f"/v1/stories/{ids[1]}/withhold", headers=hub.auth(member)).status_code == 200
    wait_for(lambda: len(receiver.unique("/hook")) >= 5, what="the first deliveries")
    receiver.stop()
    for n in range(20, 40):
        push(n)
    log_url = f"/v1/subscriptions/{created['id']}/deliveries"
    wait_for(
        lambda: any(d["error"] == "connection failed: connection refused"
                    for d in hub.client.get(log_url, headers=hub.auth(partner)).json()["deliveries"]),
        what="a refused attempt",
    )  # fmt: skip
    time.sleep(0.3)  # a few more retries while it is down
    receiver.start()
    for n in range(40, 50):
        push(n)
    expected = len(feed(hub, partner, "az")) + len(feed(hub, partner, "tr"))
    assert expected == 36  # 34 originals (no models here), a kill and a withhold
    wait_for(lambda: len(receiver.unique("/hook")) == expected, what="every entry")
    received = verified_in_order(receiver.at("/hook"), created["secret"])
    assert_matches_feed(received, hub, partner, ["az", "tr"])
    assert sorted(e["pubStatus"] for e in received if e["storyId"] in ids[:2]) == [
        "canceled",
        "usable",
        "usable",
        "withheld",
    ]

    subscription = hub.client.get(f"/v1/subscriptions/{created['id']}", headers=hub.auth(partner)).json()
    assert subscription["status"] == "active" and subscription["failedAttempts"] == 0
    log = hub.client.get(log_url, params={"limit": 1000}, headers=hub.auth(partner)).json()["deliveries"]
    failed = [d for d in log if d["outcome"] == "failed"]
    assert failed and all(d["statusCode"] is None for d in failed)
    retried = {d["webhookId"] for d in failed}
    assert retried <= {d["webhookId"] for d in log if d["outcome"] == "delivered"}  # each delivered in the end
    assert len({d["webhookId"] for d in log if d["outcome"] == "delivered"}) == expected


def test_translations_and_an_embargo_reach_each_subscriber_as_its_feed_shows_them(
    database_url: str, tmp_path: Path, installed_models_dir: Path, receiver: Receiver
) -> None:
    settings = make_settings(tmp_path / "data", database_url, models_dir=installed_models_dir, **FAST)
    with HubHarness.start(settings) as hub:
        owner = hub.agency("azertac")
        partner = hub.agency("cms", scopes="pull", partner=True)
        languages = ["az", "en", "tr"]
        own = subscribe(hub, owner, f"{receiver.url}/owner", languages)
        other = subscribe(hub, partner, f"{receiver.url}/partner", languages)
        until = datetime.now(UTC) + timedelta(seconds=3)
        for guid, extra in (("open", {}), ("embargoed", {"embargoedUntil": until.isoformat()})):
            pushed = hub.client.post("/v1/stories", json=story(guid, **extra), headers=hub.auth(owner))
            assert pushed.status_code == 201
        embargoed_id = pushed.json()["id"]
        engine = build_engine(settings)
        try:
            TranslationWorker(hub.runtime, engine).run_until_idle()
        finally:
            engine.close()
        stop = threading.Event()
        threads = run_delivery_threads(hub.runtime, stop, count=1)
        try:
            # Before the embargo passes: the owner has all six entries, the partner three.
            wait_for(lambda: len(receiver.unique("/owner")) == 6, what="the owner's entries")
            wait_for(lambda: len(receiver.unique("/partner")) == 3, what="the partner's entries")
            assert datetime.now(UTC) < until, "too slow: the embargo passed before the check"
            partner_got = verified_in_order(receiver.at("/partner"), other["secret"])
            assert embargoed_id not in {e["storyId"] for e in partner_got}
            assert {e["language"] for e in partner_got} == set(languages)
            assert any(e["item"].get("digitalSourceType") for e in partner_got)  # translations, not only originals
            # Once it passes, the release reaches the partner; the owner gets nothing twice.
            wait_for(lambda: len(receiver.unique("/partner")) == 6, timeout=15, what="the embargo's release")
            time.sleep(0.2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        owner_got = verified_in_order(receiver.at("/owner"), own["secret"])
        partner_got = verified_in_order(receiver.at("/partner"), other["secret"])
        assert len(owner_got) == 6
        assert_matches_feed(owner_got, hub, owner, languages)
        assert_matches_feed(partner_got, hub, partner, languages)
        assert [e["storyId"] for e in partner_got].count(embargoed_id) == 3


def test_a_failing_receiver_pauses_the_subscription_and_resume_and_replay_resend(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        **(FAST | {"webhook_give_up_seconds": 0.5, "webhook_max_backoff_seconds": 0.05}),
    )
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        start = feed(hub, key, "az")
        assert start == []
        created = subscribe(hub, key, f"{receiver.url}/hook", ["az"])
        first_position = created["position"]
        for n in range(3):
            hub.client.post("/v1/stories", json=story(f"s-{n}"), headers=hub.auth(key))
        receiver.status = 500
        url = f"/v1/subscriptions/{created['id']}"
        stop = threading.Event()
        threads = run_delivery_threads(hub.runtime, stop, count=1)
        try:
            wait_for(lambda: hub.client.get(url, headers=hub.auth(key)).json()["status"] == "paused", what="pause")
            paused = hub.client.get(url, headers=hub.auth(key)).json()
            assert paused["pausedReason"].startswith("HTTP 500 for ") and "attempts" in paused["pausedReason"]
            assert paused["pausedAt"] is not None and paused["position"] == first_position
            log = hub.client.get(f"{url}/deliveries", headers=hub.auth(key)).json()["deliveries"]
            assert len(log) >= 2 and {d["statusCode"] for d in log} == {500}
            assert len({d["webhookId"] for d in log}) == 1  # the same first entry, retried
            assert [d["attempt"] for d in log] == list(range(len(log), 0, -1))  # newest first
            attempts_while_paused = len(receiver.at("/hook"))
            time.sleep(0.2)
            assert len(receiver.at("/hook")) == attempts_while_paused  # paused: nothing sent

            receiver.status = 204
            resumed = hub.client.post(f"{url}/resume", headers=hub.auth(key))
            assert resumed.status_code == 200 and resumed.json()["status"] == "active"
            assert resumed.json()["pausedReason"] is None
            assert hub.client.post(f"{url}/resume", headers=hub.auth(key)).status_code == 409
            wait_for(lambda: len(receiver.unique("/hook")) == 3, what="delivery after resume")
            first_ids = [d.webhook_id for d in receiver.unique("/hook")]
            wait_for(
                lambda: hub.client.get(url, headers=hub.auth(key)).json()["position"] != first_position,
                what="position to move",
            )

            delivered_before = len(receiver.at("/hook"))
            replayed = hub.client.post(f"{url}/replay", json={"after": first_position}, headers=hub.auth(key))
            assert replayed.status_code == 200 and replayed.json()["position"] == first_position
            wait_for(lambda: len(receiver.at("/hook")) == delivered_before + 3, what="the replay")
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        again = receiver.at("/hook")[delivered_before:]
        assert [d.webhook_id for d in again] == first_ids  # same ids, so receivers de-duplicate
        verified_in_order(receiver.at("/hook"), created["secret"])


def test_deleting_a_subscription_stops_its_deliveries(hub: HubHarness, receiver: Receiver, deliveries: None) -> None:
    key = hub.agency("azertac")
    created = subscribe(hub, key, f"{receiver.url}/hook", ["az"])
    hub.client.post("/v1/stories", json=story("before"), headers=hub.auth(key))
    wait_for(lambda: len(receiver.at("/hook")) == 1, what="the first delivery")
    deleted = hub.client.delete(f"/v1/subscriptions/{created['id']}", headers=hub.auth(key))
    assert deleted.status_code == 200 and deleted.json()["id"] == created["id"]
    for n in range(3):
        hub.client.post("/v1/stories", json=story(f"after-{n}"), headers=hub.auth(key))
    time.sleep(0.5)
    assert len(receiver.at("/hook")) == 1
    assert hub.client.get(f"/v1/subscriptions/{created['id']}", headers=hub.auth(key)).status_code == 404
    assert hub.client.get(f"/v1/subscriptions/{created['id']}/deliveries", headers=hub.auth(key)).status_code == 404


def test_agencies_filter_and_start_cursor(hub: HubHarness, receiver: Receiver, deliveries: None) -> None:
    """``agencies`` keeps only those agencies' stories; ``after`` starts from a feed cursor,
    so entries committed before the subscription are delivered too."""
    first, second = hub.agency("azertac"), hub.agency("apa")
    hub.client.post("/v1/stories", json=story("old"), headers=hub.auth(first))
    start = hub.client.get("/v1/feed", params={"lang": "az"}, headers=hub.auth(first)).json()["next"]
    hub.client.post("/v1/stories", json=story("older-but-after-cursor"), headers=hub.auth(first))
    created = subscribe(hub, second, f"{receiver.url}/hook", ["az"], agencies=["AZERTAC"], after=start)
    assert created["agencies"] == ["azertac"]
    hub.client.post("/v1/stories", json=story("other"), headers=hub.auth(second))
    hub.client.post("/v1/stories", json=story("new"), headers=hub.auth(first))
    wait_for(lambda: len(receiver.at("/hook")) == 2, what="two entries")
    time.sleep(0.2)
    got = verified_in_order(receiver.at("/hook"), created["secret"])
    expected = hub.client.get(
        "/v1/feed", params={"lang": "az", "agency": "azertac", "after": start}, headers=hub.auth(second)
    ).json()["entries"]
    assert len(expected) == 2 and got == expected


def test_a_ulak_worker_process_delivers_webhooks(database_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """The delivery loop runs in a real `ulak worker` process (no embedded worker here)."""
    settings = make_settings(tmp_path / "data", database_url, **FAST)
    env = {
        "ULAK_DATA_DIR": str(settings.data_dir),
        "ULAK_DATABASE_URL": database_url,
        "ULAK_WEBHOOK_ALLOW_PRIVATE": "true",
        "ULAK_WEBHOOK_MAX_BACKOFF_SECONDS": "0.2",
        "ULAK_WORKER_POLL_SECONDS": "0.05",
    }
    with HubHarness.start(settings) as hub:
        key = hub.agency("azertac")
        created = subscribe(hub, key, f"{receiver.url}/hook", ["az"])
        for n in range(3):
            hub.client.post("/v1/stories", json=story(f"s-{n}"), headers=hub.auth(key))
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "worker", "--webhook-loops", "1"], env=os.environ | env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            wait_for(lambda: len(receiver.unique("/hook")) == 3 or process.poll() is not None, what="deliveries")
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
            stderr = process.stderr.read().decode() if process.stderr else ""
            if process.stderr:
                process.stderr.close()
        received = verified_in_order(receiver.at("/hook"), created["secret"])
        assert_matches_feed(received, hub, key, ["az"])
        assert "webhook delivery" in stderr and created["secret"] not in stderr


def test_delivery_checks_the_target_again_when_it_connects(hub: HubHarness, receiver: Receiver) -> None:
    """A subscription to loopback made while private targets were allowed is not sent once
    they are not: the check runs on every connection, not only at creation."""
    key = hub.agency("azertac")
    created = subscribe(hub, key, f"{receiver.url}/hook", ["az"])
    hub.client.post("/v1/stories", json=story("one"), headers=hub.auth(key))
    strict = dataclasses.replace(
        hub.runtime, settings=hub.runtime.settings.model_copy(update={"webhook_allow_private": False})
    )
    worker = DeliveryWorker(strict)
    try:
        assert worker.run_once()
    finally:
        worker.sender.close()
    log = hub.client.get(f"/v1/subscriptions/{created['id']}/deliveries", headers=hub.auth(key)).json()
    [attempt] = log["deliveries"]
    assert attempt["outcome"] == "failed" and attempt["statusCode"] is None
    assert attempt["error"].startswith("refused target: 127.0.0.1: 127.0.0.1 is a loopback address")
    assert receiver.deliveries == []


def test_the_delivery_log_keeps_the_newest_attempts(hub: HubHarness) -> None:
    key = hub.agency("azertac")
    created = subscribe(hub, key, "http://127.0.0.1:9/hook", ["az"])
    with hub.runtime.write() as session:
        for n in range(1, 8):
            delivery_repo.log_attempt(
                session,
                WebhookDelivery(
                    subscription_id=created["id"], seq=1, message_id="msg", attempt=n, outcome="failed",
                    duration_ms=1, created_at=datetime.now(UTC),
                ),
            )  # fmt: skip
        assert delivery_repo.prune_log(session, created["id"], keep=3) == 4
    url = f"/v1/subscriptions/{created['id']}/deliveries"
    first = hub.client.get(url, params={"limit": 2}, headers=hub.auth(key)).json()
    assert [d["attempt"] for d in first["deliveries"]] == [7, 6]
    rest = hub.client.get(url, params={"limit": 2, "before": first["next"]}, headers=hub.auth(key)).json()
    assert [d["attempt"] for d in rest["deliveries"]] == [5] and rest["next"] is None


def test_several_loops_share_subscriptions_but_never_one_subscription(hub: HubHarness, receiver: Receiver) -> None:
    """Three delivery loops, five subscriptions: each subscription is sent by one loop at a
    time (its lease), so with a receiver that never fails each gets every entry exactly
    once, in feed order, without any de-duplication."""
    key = hub.agency("azertac")
    created = [subscribe(hub, key, f"{receiver.url}/hook-{n}", ["az"]) for n in range(5)]
    stop = threading.Event()
    threads = run_delivery_threads(hub.runtime, stop, count=3)
    try:
        for n in range(20):
            hub.client.post("/v1/stories", json=story(f"s-{n}", body=f"Xəbər {n}."), headers=hub.auth(key))
        wait_for(lambda: all(len(receiver.at(f"/hook-{n}")) >= 20 for n in range(5)), what="every subscription")
        time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    expected = feed(hub, key, "az")
    for n, subscription in enumerate(created):
        got = receiver.at(f"/hook-{n}")
        assert [d.verified(subscription["secret"]) for d in got] == expected
        assert len({d.webhook_id for d in got}) == 20
