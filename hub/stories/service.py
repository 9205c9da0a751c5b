"""Story rules: push (idempotent by guid + content), read, version history, kill and
withhold. Storage errors become hub errors here, at the service's edge."""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.errors import Conflict, Forbidden, NotFound, StorageUnavailable
from hub.feed import repository as feed_repo
from hub.media import repository as media_repo
from hub.media.references import referenced_media
from hub.models import LanguageVersion, Story, StoryVersion
from hub.runtime import HubRuntime
from hub.search import index as search_index
from hub.stories import repository as repo
from hub.stories.language import LanguageDecision, decide_language
from hub.stories.ninjs import build_original, content_hash, story_uri
from hub.stories.schemas import PubStatus, StoryCreate, StoryPushed, VersionList, VersionRead
from hub.stories.served import links_json, served_item
from storage import StorageError
from storage.layout import story_key

log = logging.getLogger(__name__)

PUSH_ATTEMPTS = 3


@dataclass(frozen=True)
class PushResult:
    story: StoryPushed
    created: bool


def push_story(runtime: HubRuntime, caller: Principal, story: StoryCreate, submitted: dict[str, Any]) -> PushResult:
    # The language models run here, before the transaction: a push holds no lock while they do.
    decision = decide_language(story, runtime.settings.target_languages)
    story = story.model_copy(update={"language": decision.language})
    digest = content_hash(submitted)
    # Two first pushes of one guid race on the unique (agency, guid) constraint; the
    # loser retries and then finds the winner's story, like any later push would.
    for attempt in range(PUSH_ATTEMPTS):
        try:
            result = _push_once(runtime, caller, story, decision, submitted, digest)
            if story.embargoedUntil is not None:
                runtime.embargo_recheck_at = None  # feed reads ask again (hub.feed.service.embargo_due)
            pushed = result.story.model_copy(
                update={"languageIdentified": decision.identified, "warnings": decision.warnings}
            )
            return PushResult(pushed, result.created)
        except IntegrityError:
            if attempt == PUSH_ATTEMPTS - 1:
                raise Conflict(f"story {story.uri!r} is being pushed concurrently; try again") from None
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _NewStory:
    """A first version prepared outside the transaction: its document is stored already."""

    story_id: str
    created: datetime
    document: dict[str, Any]
    key: str


def _push_once(
    runtime: HubRuntime,
    caller: Principal,
    story: StoryCreate,
    decision: LanguageDecision,
    submitted: dict[str, Any],
    digest: str,
) -> PushResult:
    language = decision.language
    prepared = None
    with runtime.read() as session:
        is_new = repo.story_by_guid(session, caller.agency_id, story.uri, for_update=False) is None
    if is_new:
        # A new story's object key holds a fresh id, so nothing else can write it: it is
        # built and stored before the transaction, which then holds the write lock (all of
        # the database's, on SQLite) only for the rows. Should the same guid be created
        # meanwhile, the push goes on as an update and this object is an orphan.
        story_id, created = uuid.uuid4().hex, runtime.clock()
        document = _original(story, submitted, caller, story_id, 1, created, created)
        key = story_key(caller.agency_code, story_id, 1, language)
        write_document(runtime, key, document)
        prepared = _NewStory(story_id, created, document, key)
    with runtime.write() as session:
        existing = repo.story_by_guid(session, caller.agency_id, story.uri)
        if existing is not None:
            current = repo.version_row(session, existing.id, existing.current_version)
            if current is not None and current.content_hash == digest:
                return PushResult(_pushed(existing, existing.current_version), created=False)
            if existing.pub_status == "canceled":
                raise Conflict(f"story {story.uri!r} was killed; push a new story with a new uri")
            row, version, now = existing, existing.current_version + 1, runtime.clock()
            document = _original(story, submitted, caller, row.id, version, now, row.first_created)
            key = story_key(caller.agency_code, row.id, version, language)
            # An update's object goes in before the rows that point at it, inside the
            # transaction that locks the story: concurrent pushes of one story write its
            # key in turn; if the store fails, nothing is committed; if the commit fails,
            # the object is an orphan that the next push of this version overwrites.
            write_document(runtime, key, document)
        else:
            assert prepared is not None  # a story is never deleted: absent before, absent now
            now, document, key = prepared.created, prepared.document, prepared.key
            row = Story(
                id=prepared.story_id,
                agency_id=caller.agency_id,
                guid=story.uri,
                source_lang=language,
                current_version=0,
                first_created=now,
            )
            session.add(row)
            session.flush()  # claims the (agency, guid) slot: a concurrent first push loses here
            version = 1
        row.current_version = version
        row.source_lang = language
        row.pub_status = "usable"
        row.updated_at = now
        if row.embargo_released_at is None and row.embargoed_until is not None and row.embargoed_until <= now:
            row.embargo_released_at = now  # this new version is announced to all below
        if story.embargoedUntil != row.embargoed_until:
            row.embargoed_until = story.embargoedUntil
            row.embargo_released_at = None if story.embargoedUntil and story.embargoedUntil > now else now
        session.add(
            StoryVersion(
                story_id=row.id,
                version=version,
                content_hash=digest,
                source_lang=language,
                version_created=now,
                embargoed_until=story.embargoedUntil,
                language_check=decision.check,
            )
        )
        session.add(
            LanguageVersion(
                story_id=row.id,
                version=version,
                language=language,
                is_original=True,
                object_key=key,
                document=document,
                created_at=now,
            )
        )
        session.flush()
        media_repo.record_references(session, row.id, version, referenced_media(document))
        search_index.index_new_version(session, row, version, language, document, now)
        for hook in runtime.on_version_created:
            hook(session, row, version, now)
        feed_repo.append_entries(session, row, version, [language], "usable", now=now)
        return PushResult(_pushed(row, version), created=True)


def _original(
    story: StoryCreate,
    submitted: dict[str, Any],
    caller: Principal,
    story_id: str,
    version: int,
    now: datetime,
    first_created: datetime,
) -> dict[str, Any]:
    return build_original(
        story,
        submitted,
        story_id=story_id,
        version=version,
        version_created=now,
        first_created=first_created,
        agency_code=caller.agency_code,
        agency_name=caller.agency_name,
    )


def write_document(runtime: HubRuntime, key: str, document: dict[str, Any]) -> None:
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        runtime.store.put_object(key, io.BytesIO(data), len(data), content_type="application/json")
    except StorageError as exc:
        log.warning("storing %s failed: %s", key, exc)
        raise StorageUnavailable("object store unreachable: the story was not saved; try again later") from exc


def _pushed(story: Story, version: int) -> StoryPushed:
    return StoryPushed(
        id=story.id,
        version=version,
        uri=story_uri(story.id, story.source_lang),
        language=story.source_lang,
        status=cast(PubStatus, story.pub_status),  # the column holds only these three
    )


def visible_story(
    session: Any, caller: Principal, story_id: str, runtime: HubRuntime, *, for_update: bool = False
) -> Story:
    story = repo.story_by_id(session, story_id, for_update=for_update)
    hidden = (
        story is not None
        and story.agency_id != caller.agency_id
        and not caller.is_admin
        and story.embargoed_until is not None
        and story.embargoed_until > runtime.clock()
    )
    if story is None or hidden:
        raise NotFound(f"no story {story_id!r}")
    return story


def get_story(runtime: HubRuntime, caller: Principal, story_id: str, language: str | None) -> dict[str, Any]:
    """A story in one language as a dict, in a session of its own (for callers in the hub's process)."""
    with runtime.read() as session:
        return cast(dict[str, Any], orjson.loads(story_json(runtime, session, caller, story_id, language)))


def story_json(runtime: HubRuntime, session: Session, caller: Principal, story_id: str, language: str | None) -> bytes:
    """A story in one language (default: the original's) as JSON bytes, spliced from the
    stored texts of its current version (hub/stories/served.py), read in ``session``."""
    story = visible_story(session, caller, story_id, runtime)
    lang = language or story.source_lang
    found = repo.served_texts(session, story.id, story.current_version, lang)
    if found is None:
        raise NotFound(
            f"story {story_id!r} has no {lang!r} version for its current version {story.current_version} (yet)"
        )
    served, own, translated = found
    linked = links_json(
        story.id, story.current_version, lang, original_language=story.source_lang, languages=translated
    )
    return served_item(served, own, pub_status=story.pub_status, linked=linked)


def get_version(runtime: HubRuntime, caller: Principal, story_id: str, version: int) -> dict[str, Any]:
    """The original of one version of a story (the desk's diff between versions)."""
    with runtime.read() as session:
        story = visible_story(session, caller, story_id, runtime)
        row = repo.version_row(session, story.id, version)
        found = repo.language_version(session, story.id, version, row.source_lang) if row is not None else None
        if found is None:
            raise NotFound(f"story {story_id!r} has no version {version}")
        return found.document


def list_versions(runtime: HubRuntime, caller: Principal, story_id: str) -> VersionList:
    with runtime.read() as session:
        story = visible_story(session, caller, story_id, runtime)
        rows = repo.versions(session, story.id)
        return VersionList(
            storyId=story.id,
            versions=[
                VersionRead(
                    version=v.version,
                    versionCreated=v.version_created,
                    contentHash=v.content_hash,
                    language=v.source_lang,
                    pubStatus=story.pub_status if v.version == story.current_version else "usable",
                )
                for v in rows
            ],
        )


def change_status(runtime: HubRuntime, caller: Principal, story_id: str, pub_status: str) -> Story:
    """Kill (canceled) or withhold a story: owner or admin only; every language version
    of the current version gets a feed entry saying so. Idempotent: asking for the
    status the story has already changes nothing and announces nothing (a retried kill
    must not put a second kill in every partner's feed); a killed story cannot be
    withheld (Conflict)."""
    with runtime.write() as session:
        story = visible_story(session, caller, story_id, runtime, for_update=True)
        if story.agency_id != caller.agency_id and not caller.is_admin:
            raise Forbidden(f"story {story_id!r} belongs to another agency; only its owner or an admin may change it")
        if story.pub_status == pub_status:
            return story
        if story.pub_status == "canceled":
            raise Conflict(f"story {story_id!r} was killed already")
        now = runtime.clock()
        story.pub_status = pub_status
        story.updated_at = now
        for hook in runtime.on_status_changed:
            hook(session, story, now)
        search_index.remove_story(session, story.id)
        languages = repo.languages(session, story.id, story.current_version)
        feed_repo.append_entries(session, story, story.current_version, languages, pub_status, now=now)
        return story
