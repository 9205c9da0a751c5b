"""Post-editing a translation: who may, what must match, and what an edit changes.

An edit replaces the current version's translation in one language with a person's text.
It is made on the version the editor read (409 if the story moved on), item for item
over the machine translation's arrays (422 if a count differs). In one transaction,
under the story row lock (taken first, as the worker and kill do): the new document goes
to the object store under a key of its own, then the translation row points at it, the
edit is cut into units for the post-edit memory, and the language gets a feed entry. A
later version's translation reuses every unit whose original did not change.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.config import SUPPORTED_LANGUAGES
from hub.errors import Conflict, Forbidden, InvalidRequest, NotFound
from hub.feed import repository as feed_repo
from hub.jobs import repository as jobs_repo
from hub.models import LanguageVersion, Story
from hub.runtime import HubRuntime
from hub.search import index as search_index
from hub.stories import edit_repository as edits_repo
from hub.stories import repository as repo
from hub.stories.labels import Editor, post_edited
from hub.stories.ninjs import TEXT_FIELDS, iso, present, sanitize_text_fields, schema_errors
from hub.stories.schemas import EditedText, TranslationEditRequest
from hub.stories.service import visible_story, write_document
from storage.layout import story_key
from translation import is_html
from translation.alignment import Unit, align_field


def edit_translation(
    runtime: HubRuntime, caller: Principal, story_id: str, lang: str, edit: TranslationEditRequest
) -> dict[str, Any]:
    """Replace the ``lang`` translation of the current version with ``edit``; returns the
    edited translation as GET serves it."""
    if lang not in SUPPORTED_LANGUAGES:
        raise InvalidRequest(f"lang: unsupported language {lang!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    with runtime.write() as session:
        story = visible_story(session, caller, story_id, runtime, for_update=True)
        authorize(caller, story, lang)
        translation, original = _current(session, story, lang, edit.version)
        now = runtime.clock()
        editor = Editor(caller.agency_id, caller.agency_code, caller.agency_name)
        edited = _apply(translation.document, edit)
        document = post_edited(edited, editor, source_lang=story.source_lang, edited_at=iso(now))
        problems = schema_errors(document)
        if problems:
            first = problems[0]
            raise InvalidRequest(f"not valid ninjs 3.1: {first['field']}: {first['message']}", fields=problems[:20])
        owner = repo.agency(session, story.agency_id).code
        # A key of its own: the object the row serves now is never overwritten, so a
        # reader of the old row, or a rollback below, still finds what it points at.
        key = story_key(owner, story.id, story.current_version, lang, revision=f"edit-{uuid.uuid4().hex[:12]}")
        write_document(runtime, key, document)
        translation.document, translation.object_key = document, key
        translation.edited_by_agency_id, translation.edited_at = caller.agency_id, now
        translation.quality, translation.quality_reasons = "ok", None
        search_index.index_language_version(
            session, story, story.current_version, lang, document, translation.created_at
        )
        edits_repo.save_units(
            session,
            story_id=story.id,
            version=story.current_version,
            source_lang=story.source_lang,
            target_lang=lang,
            units=_units(original.document, document, edit, story.source_lang, lang),
            agency_id=caller.agency_id,
            now=now,
        )
        feed_repo.append_entries(session, story, story.current_version, [lang], story.pub_status, now=now)
        return present(
            document,
            pub_status=story.pub_status,
            languages=repo.languages(session, story.id, story.current_version),
            original_language=story.source_lang,
        )


def authorize(caller: Principal, story: Story, lang: str) -> None:
    """The owner agency with a push key, or an ``edit`` key that names ``lang``."""
    owner = story.agency_id == caller.agency_id
    if owner and not caller.is_partner and ("push" in caller.scopes or caller.is_admin):
        return
    if "edit" in caller.scopes:
        if lang in caller.languages:
            return
        raise Forbidden(
            f"this key may post-edit {', '.join(sorted(caller.languages))} only, not {lang!r}; "
            f"create a key with --scopes edit --languages {lang}"
        )
    if owner:
        raise Forbidden("post-editing your own story needs a key with the push scope, or an edit key for " + repr(lang))
    raise Forbidden(
        f"story {story.id!r} belongs to another agency: only its owner (push scope) or an edit key "
        f"for {lang!r} may post-edit its translations; this key has scope(s) {', '.join(sorted(caller.scopes))}"
    )


def _current(session: Session, story: Story, lang: str, version: int) -> tuple[LanguageVersion, LanguageVersion]:
    """The translation to edit and its original, or the error that says why there is none."""
    if story.pub_status == "canceled":
        raise Conflict(f"story {story.id!r} was killed; its translations cannot be edited")
    if version != story.current_version:
        raise Conflict(
            f"version {version} is not the current version of story {story.id!r} ({story.current_version}): "
            f"fetch the current translation and edit that"
        )
    if lang == story.source_lang:
        raise Conflict(f"{lang!r} is the language of the original; push a new version to change it")
    translation = repo.language_version(session, story.id, version, lang)
    original = repo.language_version(session, story.id, version, story.source_lang)
    if translation is None or original is None:
        job = next((j for j in jobs_repo.jobs_of(session, story.id, version) if j.target_lang == lang), None)
        if job is None:
            raise NotFound(f"story {story.id!r} is not translated into {lang!r}")
        reason = f" ({job.reason})" if job.reason else ""
        raise Conflict(f"not translated yet: the {lang!r} translation of version {version} is {job.status}{reason}")
    return translation, original


def _apply(document: dict[str, Any], edit: TranslationEditRequest) -> dict[str, Any]:
    """``document`` with the edited values in place, sanitised; 422 if an array's count is off."""
    doc = copy.deepcopy(document)
    wrong = []
    for name, items in _given(edit):
        have = len(doc.get(name) or [])
        if len(items) != have:
            wrong.append({"field": name, "message": f"{len(items)} item(s) given; the translation has {have}"})
            continue
        for target, item in zip(doc.get(name) or [], items, strict=True):
            target["value"] = item.value  # role, contentType… stay the machine item's
    if wrong:
        raise InvalidRequest(
            f"{', '.join(w['field'] for w in wrong)}: give one item per item of the translation, in its order",
            fields=wrong,
        )
    # The one sanitiser (translation.markup.sanitize_html, through ninjs) for every HTML item.
    doc = sanitize_text_fields(doc)
    empty = [
        {"field": f"{name}.{index}.value", "message": "no text left after sanitising the HTML"}
        for name, _ in _given(edit)
        for index, item in enumerate(doc.get(name) or [])
        if not item["value"].strip()
    ]
    if empty:
        raise InvalidRequest(f"{empty[0]['field']}: {empty[0]['message']}", fields=empty)
    return doc


def _given(edit: TranslationEditRequest) -> list[tuple[str, list[EditedText]]]:
    return [(name, items) for name in TEXT_FIELDS if (items := getattr(edit, name)) is not None]


def _units(
    original: dict[str, Any], edited: dict[str, Any], edit: TranslationEditRequest, source_lang: str, lang: str
) -> list[Unit]:
    """The post-edit memory of the arrays the editor sent (those left out were not edited)."""
    units: list[Unit] = []
    for name, _ in _given(edit):
        for source, target in zip(original.get(name) or [], edited.get(name) or [], strict=True):
            units.extend(
                align_field(
                    source["value"],
                    target["value"],
                    source_lang=source_lang,
                    target_lang=lang,
                    html=is_html(source.get("contentType")),
                )
            )
    return units
