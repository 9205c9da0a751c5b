"""``AsyncUlakClient``: the asyncio twin of ``UlakClient`` (``_client.py``), line for line.

Only the I/O differs — ``await`` on httpx, ``asyncio.sleep`` — everything else is
the shared ``_core`` and feed state machine, so both clients behave identically.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _core
from ._client import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT
from ._core import EditedItems
from ._exceptions import TransportError
from ._feed import FeedState
from ._media import MediaInput, MediaSource
from ._story import MediaRef, SubjectRef, build_story
from .checkpoint import CheckpointStore, FeedPosition
from .models import (
    DeliveryLog,
    FeedEntry,
    FeedPage,
    GlossaryAdded,
    GlossaryTerm,
    MediaObject,
    Ninjs,
    PushResult,
    SearchPage,
    StatusChange,
    StoryTranslations,
    StoryVersions,
    Subscription,
    SubscriptionCreated,
)

T = TypeVar("T")
logger = logging.getLogger("ulak_client")


class AsyncUlakClient:
    """A client for one hub. Use it as ``async with``, or call ``aclose()``.

    ``http_client`` lets you bring your own ``httpx.AsyncClient`` (proxies, TLS, event hooks);
    it is then yours to close. ``transport`` plugs an httpx transport into the client
    this class creates (e.g. ``httpx.MockTransport`` in your tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: _core.RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if http_client is not None and transport is not None:
            raise TypeError("give either http_client or transport, not both")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = retry or _core.RetryPolicy()
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout, transport=transport)
        self._rng = random.Random()
        self._sleep = asyncio.sleep

    # --- lifecycle -----------------------------------------------------------------

    async def __aenter__(self) -> AsyncUlakClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # --- stories -------------------------------------------------------------------

    async def push_story(
        self,
        story: Ninjs | Mapping[str, Any] | None = None,
        *,
        guid: str | None = None,
        language: str | None = None,
        headline: str | None = None,
        body_html: str | None = None,
        body_text: str | None = None,
        embargoed_until: datetime | str | None = None,
        urgency: int | None = None,
        subjects: Iterable[SubjectRef] | None = None,
        by: str | None = None,
        located: str | None = None,
        media: Iterable[MediaRef] | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> PushResult:
        """Push a story: a ninjs dict or model, or keyword arguments (guid, language, headline, body…).

        Safe to repeat: the same guid with the same content returns the existing version
        (``result.created`` is False), which is why a push is retried after a failure.
        """
        payload = build_story(
            story, guid=guid, language=language, headline=headline, body_html=body_html, body_text=body_text,
            embargoed_until=embargoed_until, urgency=urgency, subjects=subjects, by=by, located=located,
            media=media, fields=fields,
        )  # fmt: skip
        return await self._send(_core.push_story(payload))

    async def get_story(self, story_id: str, lang: str | None = None) -> Ninjs:
        """The current version of a story in ``lang`` (default: its original language)."""
        return await self._send(_core.get_story(story_id, lang))

    async def versions(self, story_id: str) -> StoryVersions:
        return await self._send(_core.versions(story_id))

    async def translations(self, story_id: str) -> StoryTranslations:
        return await self._send(_core.translations(story_id))

    async def edit_translation(
        self,
        story_id: str,
        lang: str,
        *,
        version: int,
        headlines: EditedItems | None = None,
        descriptions: EditedItems | None = None,
        bodies: EditedItems | None = None,
    ) -> Ninjs:
        """Post-edit the ``lang`` translation of the story's current ``version``: one item
        (a string, or a dict with ``value``) per item of the machine translation, in its
        order; arrays left out are kept. Returns the edited translation. The story's owner
        (push key) or an edit key for ``lang`` may do it; a stale ``version`` raises
        ``Conflict``, a count that does not match raises ``ValidationError``."""
        call = _core.edit_translation(
            story_id, lang, version=version, headlines=headlines, descriptions=descriptions, bodies=bodies
        )
        return await self._send(call)

    async def kill(self, story_id: str) -> StatusChange:
        """Cancel a story in every language (owner or admin only)."""
        return await self._send(_core.change_status(story_id, "kill"))

    async def withhold(self, story_id: str) -> StatusChange:
        return await self._send(_core.change_status(story_id, "withhold"))

    # --- media ---------------------------------------------------------------------

    async def upload_media(self, source: MediaInput, *, content_type: str | None = None) -> MediaObject:
        """Stream a file (path, bytes, binary file or iterable of bytes) to the hub."""
        return await self._send(_core.upload_media(MediaSource(source, content_type=content_type)))

    async def download_media(self, href_or_sha256: str) -> bytes:
        """A media object's bytes, by sha256 or by the ``href`` the hub gave. The API key is
        sent only to the hub's own origin: an href on another host is fetched without it."""
        return await self._send(_core.download_media(href_or_sha256))

    # --- glossary ------------------------------------------------------------------

    async def glossary(self, *, agency: str | None = None) -> list[GlossaryTerm]:
        """The glossary terms this key sees: hub-wide and its agency's (an admin key: all).
        With ``agency``, only that agency's own terms."""
        return await self._send(_core.glossary(agency))

    async def add_glossary_terms(
        self, terms: Iterable[Mapping[str, str | Sequence[str]]], *, agency: str | None = None
    ) -> GlossaryAdded:
        """Add terms, each a mapping of language to form(s): ``{"az": "İlham Əliyev",
        "uz": ["Ilhom Aliyev", "Илҳом Алиев"]}``. Push keys add their agency's terms;
        admin keys hub-wide ones, or ``agency``'s. Terms already there are in ``duplicates``."""
        return await self._send(_core.add_glossary_terms(terms, agency=agency))

    async def delete_glossary_term(self, term_id: int) -> GlossaryTerm:
        """Delete a term (admin, or a push key of the owning agency); returns it."""
        return await self._send(_core.delete_glossary_term(term_id))

    # --- webhooks ------------------------------------------------------------------

    async def create_subscription(
        self,
        url: str,
        languages: Sequence[str],
        *,
        agencies: Sequence[str] | None = None,
        after: str | None = None,
    ) -> SubscriptionCreated:
        """Have the hub POST every feed entry in ``languages`` (of ``agencies``' stories, or
        every agency's) to ``url``, signed, in feed order; from entries committed now on, or
        after the feed cursor ``after``. Keep ``result.secret``: it is shown only now, and
        ``verify_webhook`` needs it."""
        return await self._send(_core.create_subscription(url, languages, agencies=agencies, after=after))

    async def subscriptions(self) -> list[Subscription]:
        """This key's agency's subscriptions (an admin key: every agency's)."""
        return await self._send(_core.subscriptions())

    async def subscription(self, subscription_id: str) -> Subscription:
        return await self._send(_core.subscription(subscription_id))

    async def delete_subscription(self, subscription_id: str) -> Subscription:
        """Stop deliveries and delete the subscription with its log; returns it."""
        return await self._send(_core.subscription(subscription_id, method="DELETE"))

    async def replay_subscription(self, subscription_id: str, after: str) -> Subscription:
        """Deliver again everything after the feed cursor ``after`` (same webhook ids as the
        first time), or skip ahead to it; reactivates a paused subscription."""
        return await self._send(_core.subscription(subscription_id, "replay", method="POST", json={"after": after}))

    async def resume_subscription(self, subscription_id: str) -> Subscription:
        """Reactivate a paused subscription where it stopped (``Conflict`` if it is not paused)."""
        return await self._send(_core.subscription(subscription_id, "resume", method="POST"))

    async def deliveries(self, subscription_id: str, *, limit: int = 100, before: int | None = None) -> DeliveryLog:
        """The delivery log, newest first; pass ``log.next`` as ``before`` for older attempts."""
        return await self._send(_core.deliveries(subscription_id, limit=limit, before=before))

    # --- search --------------------------------------------------------------------

    async def search(
        self,
        q: str,
        *,
        lang: str | None = None,
        agency: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        after: str | None = None,
    ) -> SearchPage:
        """Search the current versions of stories in every language (or ``lang``'s):
        words all match, ``"a phrase"``, ``prefix*``; Uzbek and Kazakh match across
        Cyrillic and Latin. Newest first; pass ``page.next`` as ``after`` for more.
        ``since``/``until`` must be timezone-aware (``since`` inclusive, ``until`` not)."""
        call = _core.search(q, lang=lang, agency=agency, since=since, until=until, limit=limit, after=after)
        return await self._send(call)

    # --- feed ----------------------------------------------------------------------

    async def feed_page(
        self,
        lang: str,
        *,
        after: str | None = None,
        limit: int = 100,
        agency: str | None = None,
        quality: str | None = None,
    ) -> FeedPage:
        """One page of the feed; follow ``page.next`` yourself, or use ``feed()``.
        ``quality="ok"`` leaves out machine translations flagged for review."""
        return await self._send(_core.feed_page(lang, after=after, limit=limit, agency=agency, quality=quality))

    def feed(
        self,
        lang: str,
        *,
        after: str | None = None,
        checkpoint: CheckpointStore | None = None,
        page_size: int = 100,
        follow: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        agency: str | None = None,
        quality: str | None = None,
    ) -> AsyncFeed:
        """Iterate over the feed in ``lang`` from ``after`` (or the checkpoint's position).

        With ``follow=True`` it never ends: once caught up it polls every ``poll_interval``
        seconds. With a checkpoint, an entry counts as handled when you ask for the next
        one (or call ``feed.ack()``), so a crash resumes exactly at the unhandled entry.
        ``quality="ok"`` leaves out machine translations the hub's checks flagged for review
        (a checkpoint remembers the filter and refuses another).
        """
        state = FeedState(lang, agency=agency, quality=quality, page_size=page_size, after=after, checkpoint=checkpoint)
        return AsyncFeed(self, state, follow=follow, poll_interval=poll_interval)

    # --- sending -------------------------------------------------------------------

    async def _send(self, call: _core.Call[T]) -> T:
        url = _core.resolve_url(self.base_url, call.path)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._http.request(
                    call.method,
                    url,
                    params=call.params or None,
                    json=call.json,
                    content=call.media.async_chunks() if call.media is not None else None,
                    headers=_core.request_headers(self.api_key, call, url=url, base_url=self.base_url),
                )
            except httpx.HTTPError as exc:
                delay = self.retry.delay_after_error(call, attempt, exc, self._rng)
                if delay is None:
                    raise TransportError(f"{call.method} {url}: {type(exc).__name__}: {exc}") from exc
                logger.info(
                    "%s %s failed (%s); retry %d in %.2fs", call.method, url, type(exc).__name__, attempt, delay
                )
                await self._sleep(delay)
                continue
            delay = self.retry.delay_after_status(call, attempt, response.status_code, response.headers, self._rng)
            if delay is not None:
                logger.info(
                    "%s %s answered %d; retry %d in %.2fs", call.method, url, response.status_code, attempt, delay
                )
                await self._sleep(delay)
                continue
            return _core.handle_response(call, response.status_code, response.headers, response.content)


class AsyncFeed(AsyncIterator[FeedEntry]):
    """An async iterator of feed entries that follows ``next`` across pages (see ``AsyncUlakClient.feed``)."""

    def __init__(self, client: AsyncUlakClient, state: FeedState, *, follow: bool, poll_interval: float) -> None:
        self._client = client
        self._state = state
        self._follow = follow
        self._poll_interval = poll_interval

    def __aiter__(self) -> AsyncFeed:
        return self

    async def __anext__(self) -> FeedEntry:
        self._state.acknowledge()
        while (entry := self._state.take()) is None:
            if self._state.idle:
                if not self._follow:
                    raise StopAsyncIteration
                await self._client._sleep(self._poll_interval)
            self._state.accept(await self._client._send(self._state.next_call()))
        return entry

    def ack(self) -> None:
        """Mark the entry just returned as handled now (e.g. before you ``break``)."""
        self._state.acknowledge()

    @property
    def position(self) -> FeedPosition:
        """The position after the last handled entry (what the checkpoint holds)."""
        return self._state.position
