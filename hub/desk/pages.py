"""What the desk's story page shows, gathered from the services the API uses: the
original and each translation side by side, their status, the story's versions and a
diff between two of them, the glossary terms to mark, and what this caller may do."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from hub.auth.service import Principal
from hub.errors import Forbidden, HubError
from hub.glossary.service import list_terms
from hub.jobs.schemas import TranslationStatus
from hub.jobs.status import translation_status
from hub.runtime import HubRuntime
from hub.stories import edits
from hub.stories import service as stories
from hub.stories.incoming import state_of
from hub.stories.ninjs import TEXT_FIELDS
from hub.stories.schemas import VersionList

_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Column:
    lang: str
    is_original: bool
    document: dict[str, Any] | None  # None until the translation exists
    status: TranslationStatus | None
    state: str
    may_edit: bool
    terms: list[str] = field(default_factory=list)


@dataclass
class StoryPage:
    story_id: str
    agency_id: int
    version: int
    pub_status: str
    embargoed: bool
    columns: list[Column]
    versions: VersionList
    language_check: Any
    is_owner: bool


def story_page(runtime: HubRuntime, caller: Principal, story_id: str) -> StoryPage:
    with runtime.read() as session:
        story = stories.visible_story(session, caller, story_id, runtime)
    status = translation_status(runtime, caller, story_id)
    by_lang = {s.language: s for s in status.translations}
    terms = _terms_by_language(runtime, caller, story.agency_id)
    columns = []
    languages = [story.source_lang, *(lang for lang in runtime.settings.target_languages if lang != story.source_lang)]
    for lang in languages:
        is_original = lang == story.source_lang
        try:
            document: dict[str, Any] | None = stories.get_story(runtime, caller, story_id, lang)
        except HubError:  # NotFound: not translated (yet)
            document = None
        translation = by_lang.get(lang)
        columns.append(
            Column(
                lang=lang,
                is_original=is_original,
                document=document,
                status=translation,
                state="original" if is_original else state_of(translation) if translation else "",
                may_edit=not is_original and document is not None and _may_edit(caller, story, lang),
                terms=terms.get(lang, []),
            )
        )
    return StoryPage(
        story_id=story.id,
        agency_id=story.agency_id,
        version=story.current_version,
        pub_status=story.pub_status,
        embargoed=story.embargoed_until is not None and story.embargoed_until > runtime.clock(),
        columns=columns,
        versions=stories.list_versions(runtime, caller, story_id),
        language_check=status.languageCheck,
        is_owner=story.agency_id == caller.agency_id and not caller.is_partner and "push" in caller.scopes,
    )


def _may_edit(caller: Principal, story: Any, lang: str) -> bool:
    if story.pub_status == "canceled":
        return False
    try:
        edits.authorize(caller, story, lang)
    except Forbidden:
        return False
    return True


def _terms_by_language(runtime: HubRuntime, caller: Principal, agency_id: int) -> dict[str, list[str]]:
    """The forms of the hub-wide terms and the story's agency's, per language, that this
    caller may read (the glossary service's rule)."""
    found: dict[str, list[str]] = {}
    for term in list_terms(runtime, caller).terms:
        for lang, forms in term.forms.items():
            found.setdefault(lang.split("-")[0], []).extend([forms] if isinstance(forms, str) else forms)
    return found


def plain_text(document: dict[str, Any]) -> list[str]:
    """A document's text fields as lines, tags removed: what a diff compares."""
    lines: list[str] = []
    for name in TEXT_FIELDS:
        for item in document.get(name) or []:
            text = _TAGS.sub(" ", str(item.get("value") or ""))
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
    return lines


def version_diff(runtime: HubRuntime, caller: Principal, story_id: str, old: int, new: int) -> list[tuple[str, str]]:
    """``(kind, line)`` with kind ``" "``, ``"-"`` or ``"+"``: the original of ``old``
    against that of ``new``."""
    before = plain_text(stories.get_version(runtime, caller, story_id, old))
    after = plain_text(stories.get_version(runtime, caller, story_id, new))
    return [(line[0], line[2:]) for line in difflib.ndiff(before, after) if line[0] in " -+"]
