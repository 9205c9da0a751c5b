"""The feed reader's state machine, shared by the sync and async feed iterators.

It decides which page to ask for next, drops the entries a checkpoint says were
already handled, and holds back the position after a delivered entry until the
caller asks for the following one (or calls ``ack()``) — only then is the entry
handled and the checkpoint moved past it. A process that dies while handling an
entry therefore gets that same entry first after a restart; one that dies after
asking for the next gets the next. Nothing is skipped, nothing is handled twice.

Resuming inside a page relies on what the hub's cursor guarantees: the entries after
a cursor are a fixed sequence that only grows at its end.
"""

from __future__ import annotations

from collections import deque

from . import _core
from ._exceptions import CheckpointError
from .checkpoint import CheckpointStore, FeedPosition
from .models import FeedEntry, FeedPage

MAX_PAGE_SIZE = 1000


class FeedState:
    def __init__(
        self,
        lang: str,
        *,
        agency: str | None,
        quality: str | None = None,
        page_size: int,
        after: str | None,
        checkpoint: CheckpointStore | None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self.lang = lang
        self.agency = agency
        self.quality = quality
        self.page_size = page_size
        self.checkpoint = checkpoint
        saved = checkpoint.load() if checkpoint is not None else None
        if saved is not None and (saved.lang, saved.agency, saved.quality) != (lang, agency, quality):
            raise CheckpointError(
                f"checkpoint is for feed lang={saved.lang!r} agency={saved.agency!r} quality={saved.quality!r}, "
                f"not lang={lang!r} agency={agency!r} quality={quality!r}"
            )
        # A saved position wins over ``after``: the checkpoint is where we really are.
        self.position = saved or FeedPosition(lang, agency, after=after, quality=quality)
        self._page_after = self.position.after
        self._skip = self.position.skip
        self._buffer: deque[tuple[FeedEntry, FeedPosition]] = deque()
        self._pending: FeedPosition | None = None
        self.idle = False  # the last page was empty: we are caught up with the hub

    def next_call(self) -> _core.Call[FeedPage]:
        return _core.feed_page(
            self.lang, after=self._page_after, limit=self.page_size, agency=self.agency, quality=self.quality
        )

    def accept(self, page: FeedPage) -> None:
        """Take in the page fetched with ``next_call()``."""
        entries = page.entries
        skip = self._skip
        if skip and not entries:
            raise CheckpointError(
                f"the checkpoint says {skip} entries after cursor {self._page_after!r} were handled, "
                "but the hub now has none there"
            )
        if skip > len(entries):
            # Pages are shorter than when the checkpoint was written: skip this whole page.
            self._page_after, self._skip = page.next, skip - len(entries)
            self.idle = False
            return
        if skip and self.position.last is not None and entries[skip - 1].key != self.position.last:
            raise CheckpointError(
                f"the checkpoint's last handled entry {self.position.last} is not where the hub has it "
                f"(found {entries[skip - 1].key}); refusing to guess"
            )
        for index in range(skip, len(entries)):
            entry = entries[index]
            if index == len(entries) - 1:
                after_this = FeedPosition(self.lang, self.agency, after=page.next, last=entry.key, quality=self.quality)
            else:
                after_this = FeedPosition(
                    self.lang,
                    self.agency,
                    after=self._page_after,
                    skip=index + 1,
                    last=entry.key,
                    quality=self.quality,
                )
            self._buffer.append((entry, after_this))
        # An empty page whose cursor moved passed over entries a filter left out: there
        # may be more to read, so only an empty page that stays put means caught up.
        self.idle = not entries and page.next == self._page_after
        self._page_after, self._skip = page.next, 0

    def take(self) -> FeedEntry | None:
        """The next entry to deliver, or None when a page must be fetched first."""
        if not self._buffer:
            return None
        entry, self._pending = self._buffer.popleft()
        return entry

    def acknowledge(self) -> FeedPosition | None:
        """Mark the delivered entry handled and save the position past it."""
        if self._pending is None:
            return None
        self.position, self._pending = self._pending, None
        if self.checkpoint is not None:
            self.checkpoint.save(self.position)
        return self.position
