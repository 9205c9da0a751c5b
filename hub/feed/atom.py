"""``GET /v1/feed.atom``: the feed of one language as Atom 1.0, for newsroom CMSs and
feed readers, generated with feedgen.

One ``<entry>`` per story — its newest entry in the feed — keyed by the story's stable
per-language uri, so a reader updates an item in place when a correction comes instead
of listing it twice. The entries a key sees are the feed's (embargo, agency filter);
only the order differs: newest first, as Atom readers expect.

A killed or withheld story stays in the feed as a notice (title prefixed, no content):
an Atom reader cannot delete what it already has, so it must be told not to use it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from sqlalchemy import select

from hub import __version__
from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import InvalidRequest, NotFound
from hub.feed import repository as repo
from hub.feed.service import release_due_embargoes
from hub.models import Agency
from hub.runtime import HubRuntime
from hub.stories.labels import origin_of
from translation import is_html, sanitize_html

MAX_ENTRIES = 200
SUMMARY_CHARS = 300
NOTICES = {
    "canceled": ("KILLED", "withdrawn by {agency}: do not use"),
    "withheld": ("WITHHELD", "withheld by {agency}: do not use until further notice"),
}
ORIGIN_SCHEME = "urn:ulak:origin"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class AtomFeed:
    body: bytes
    etag: str


def atom_feed(runtime: HubRuntime, caller: Principal, *, language: str, agency: str | None, limit: int) -> AtomFeed:
    if language not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise InvalidRequest(f"lang: unsupported language {language!r}; supported: {supported}")
    if not 1 <= limit <= MAX_ENTRIES:
        raise InvalidRequest(f"limit: must be between 1 and {MAX_ENTRIES}")
    release_due_embargoes(runtime)
    with runtime.read() as session:
        agency_row = None
        if agency is not None:
            agency_row = session.scalar(select(Agency).where(Agency.code == agency.lower()))
            if agency_row is None:
                raise NotFound(f"no agency {agency!r}")
        rows = repo.latest_per_story(
            session,
            reader_agency_id=caller.agency_id,
            language=language,
            limit=limit,
            agency_id=agency_row.id if agency_row else None,
        )
        agency_ids = {row.agency_id for row in rows}
        names = {i: n for i, n in session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(agency_ids)))}
    base = runtime.settings.public_url.rstrip("/")
    query = {"lang": language, **({"agency": agency_row.code} if agency_row else {})}
    feed = FeedGenerator()
    feed.register_extension("ulak", _FeedExtension, _EntryLinks, atom=True, rss=False)
    feed.id(f"{base}/v1/feed.atom?{urlencode(query)}")
    scope = f" from {agency_row.name}" if agency_row else ""
    feed.title(f"Ulak: stories in {language}{scope}")
    feed.language(language)
    feed.link(href=f"{base}/v1/feed.atom?{urlencode(query)}", rel="self", type="application/atom+xml")
    feed.link(href=f"{base}/v1/feed?{urlencode(query)}", rel="alternate", type="application/json")
    feed.generator("Ulak", version=__version__)
    feed.author({"name": "Ulak"})
    feed.updated(max((_updated(r.document) for r in rows), default=runtime.clock()))
    for row in rows:
        _add_entry(feed, row, names.get(row.agency_id, ""), base)
    body = feed.atom_str(pretty=False)
    return AtomFeed(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _add_entry(feed: FeedGenerator, row: repo.LatestRow, agency_name: str, base: str) -> None:
    document = row.document
    entry = feed.add_entry(order="append")
    entry.id(document["uri"])
    headline = _plain(_first_value(document.get("headlines")) or "(no headline)")
    notice = NOTICES.get(row.pub_status)
    entry.title(f"{notice[0]}: {headline}" if notice else headline)
    entry.updated(_updated(document))
    if document.get("firstCreated"):
        entry.published(datetime.fromisoformat(document["firstCreated"]))
    entry.author({"name": agency_name or "Ulak"})
    links = entry.ulak.links
    links.append(
        {"href": f"{base}/v1/stories/{row.story_id}?{urlencode({'lang': row.language})}", "rel": "alternate"}
        | {"type": "application/json"}
    )
    if notice:
        text = f"{headline}: {notice[1].format(agency=agency_name)}"
        entry.summary(text)
        entry.content(f"<p>{html.escape(text)}</p>", type="html")
    else:
        summary, content = _texts(document)
        if summary:
            entry.summary(summary)
        entry.content(content or f"<p>{html.escape(summary or headline)}</p>", type="html")
        links.extend(
            {"href": href, "rel": "enclosure", "type": media_type, "title": title}
            for href, media_type, title in _media(document, base)
        )
    for subject in document.get("subjects") or []:
        term = subject.get("uri") or subject.get("name")
        if isinstance(term, str) and term:
            entry.category(term=term, label=subject.get("name") if isinstance(subject.get("name"), str) else None)
    origin = _origin(row)
    entry.category(term=origin, scheme=ORIGIN_SCHEME, label=origin.replace("-", " "))
    if isinstance(document.get("copyrightNotice"), str):
        entry.rights(document["copyrightNotice"])


class _FeedExtension(BaseExtension):
    """Nothing at feed level; feedgen registers extensions in pairs."""


class _EntryLinks(BaseEntryExtension):
    """An entry's links, written through feedgen's extension hook: feedgen 1.0.0's own
    ``FeedEntry.link`` loses ``rel``, ``type`` and ``title`` when it writes Atom (its
    writer rebinds the link dict to the new element), and an enclosure without them is
    just another link to a reader."""

    def __init__(self) -> None:
        self.links: list[dict[str, str | None]] = []

    def extend_atom(self, entry: Any) -> Any:
        for link in self.links:
            xml_elem("link", entry, **{name: value for name, value in link.items() if value})
        return entry


def _updated(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(document["versionCreated"])


def _first_value(items: Any) -> str | None:
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("value"), str) and item["value"].strip():
            return str(item["value"])
    return None


def _plain(text: str) -> str:
    """Text of HTML (or of plain text): tags dropped, entities decoded, spaces joined."""
    return html.unescape(_SPACE.sub(" ", _TAG.sub(" ", text)).strip())


def _texts(document: dict[str, Any]) -> tuple[str | None, str | None]:
    """(summary, HTML content): the first description (else the body's opening) and the
    main body, HTML through the hub's one sanitiser, plain text escaped into paragraphs."""
    body = next((b for b in document.get("bodies") or [] if isinstance(b, dict) and b.get("value")), None)
    content = None
    if body is not None:
        value = str(body["value"])
        if is_html(body.get("contentType")):
            content = sanitize_html(value)
        else:
            paragraphs = (p.strip() for p in value.split("\n\n") if p.strip())
            content = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    description = _first_value(document.get("descriptions"))
    summary = _plain(description) if description else None
    if summary is None and content:
        summary = _plain(content)
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return summary or None, content


def _media(document: dict[str, Any], base: str) -> list[tuple[str, str, str | None]]:
    """Every rendition of the story's media (not the links between language versions)."""
    found = []
    for association in document.get("associations") or []:
        if not isinstance(association, dict) or association.get("rel") in ("translation", "translatedFrom"):
            continue
        title = association.get("name") if isinstance(association.get("name"), str) else None
        for rendition in association.get("renditions") or []:
            href = rendition.get("href") if isinstance(rendition, dict) else None
            if not isinstance(href, str):
                continue
            if href.startswith("/"):
                href = base + href
            if href.startswith(("https://", "http://")):
                media_type = rendition.get("contentType") or rendition.get("mimetype") or "application/octet-stream"
                found.append((href, str(media_type), title))
    return found


ORIGIN_TERMS = {"machine": "machine-translation", "edited": "edited-translation", "mixed": "mixed-translation"}


def _origin(row: repo.LatestRow) -> str:
    """Who wrote this text: the agency (the original), a machine, an editor, or both —
    the label partners get in ninjs (hub.stories.labels), as a category term."""
    if row.language == row.source_lang:
        return "original"
    return ORIGIN_TERMS[origin_of(row.document)]
