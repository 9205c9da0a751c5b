"""What came in: the stories a caller may read, newest first, each with the state of every
target language at a glance. The desk's Incoming page; visibility is ``visible_story``'s
rule (own stories, and others once no embargo holds them), in its SQL form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.agencies import service as agencies
from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import InvalidRequest
from hub.jobs.schemas import TranslationStatus
from hub.jobs.status import current_statuses
from hub.runtime import HubRuntime
from hub.stories import repository as repo

STATUSES = ("usable", "withheld", "canceled", "embargoed")
# A language's state at a glance: the original, or its translation's state.
STATES = ("pending", "blocked", "review", "ok", "failed", "canceled")
PAGE = 50


@dataclass(frozen=True)
class IncomingFilters:
    language: str | None = None  # the original's language
    agency: str | None = None
    status: str | None = None  # one of STATUSES
    state: str | None = None  # one of STATES: some translation of the story is in it

    def check(self) -> None:
        if self.language is not None and self.language not in SUPPORTED_LANGUAGES:
            raise InvalidRequest(f"language: {self.language!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
        if self.status is not None and self.status not in STATUSES:
            raise InvalidRequest(f"status: {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.state is not None and self.state not in STATES:
            raise InvalidRequest(f"translation state: {self.state!r} is not one of {', '.join(STATES)}")


@dataclass(frozen=True)
class IncomingStory:
    id: str
    agency: str
    source_lang: str
    version: int
    pub_status: str
    embargoed_until: datetime | None
    updated_at: datetime
    headline: str
    states: dict[str, str]  # language → "original" or a STATES value ("" when not queued)


def state_of(status: TranslationStatus) -> str:
    if status.status == "done":
        return "review" if status.quality == "review" else "ok"
    return "pending" if status.status == "running" else status.status


def incoming(runtime: HubRuntime, caller: Principal, filters: IncomingFilters) -> list[IncomingStory]:
    """One read, a handful of queries whatever the page's length: the desk polls this."""
    filters.check()
    now = runtime.clock()
    with runtime.read() as session:
        agency_id = agencies.get_agency(session, filters.agency).id if filters.agency else None
        rows = repo.recent_stories(
            session,
            reader_agency_id=None if caller.is_admin else caller.agency_id,
            now=now,
            limit=PAGE,
            agency_id=agency_id,
            source_lang=filters.language,
            pub_status=filters.status if filters.status != "embargoed" else None,
            embargoed=filters.status == "embargoed",
        )
        statuses = current_statuses(session, [story for story, _ in rows])
        originals = repo.originals_of(session, [story for story, _ in rows])
    found = []
    for story, code in rows:
        states = {lang: "" for lang in runtime.settings.target_languages}
        states.update({s.language: state_of(s) for s in statuses[story.id]})
        states[story.source_lang] = "original"
        if filters.state is not None and filters.state not in states.values():
            continue
        original = originals.get(story.id)
        headlines = (original.document.get("headlines") or []) if original is not None else []
        found.append(
            IncomingStory(
                story.id,
                code,
                story.source_lang,
                story.current_version,
                story.pub_status,
                story.embargoed_until if story.embargoed_until and story.embargoed_until > now else None,
                story.updated_at,
                next((str(h.get("value") or "") for h in headlines), ""),
                states,
            )
        )
    return found
