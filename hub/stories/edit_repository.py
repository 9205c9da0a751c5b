"""Every query of the post-edit memory (``translation_edits``). Flushes, never commits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Agency, LanguageVersion, TranslationEdit
from translation.alignment import Unit


@dataclass(frozen=True)
class HumanUnit:
    """One remembered unit with the agency that made it, as a worker needs it."""

    source_text: str
    target_text: str
    agency_id: int
    agency_code: str
    agency_name: str
    created_at: datetime


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def save_units(
    session: Session,
    *,
    story_id: str,
    version: int,
    source_lang: str,
    target_lang: str,
    units: Iterable[Unit],
    agency_id: int,
    now: datetime,
) -> int:
    """Insert or replace (by story, target and source) each unit; the latest edit of a
    source wins. Runs under the story row lock, so two edits cannot race on a row."""
    by_source = {unit.source: unit for unit in units}  # a repeated source: its last edit
    if not by_source:
        return 0
    hashes = {source_hash(source): unit for source, unit in by_source.items()}
    existing = {
        row.source_hash: row
        for row in session.scalars(
            select(TranslationEdit).where(
                TranslationEdit.story_id == story_id,
                TranslationEdit.target_lang == target_lang,
                TranslationEdit.source_hash.in_(list(hashes)),
            )
        )
    }
    for digest, unit in hashes.items():
        row = existing.get(digest)
        if row is None:
            row = TranslationEdit(story_id=story_id, target_lang=target_lang, source_hash=digest)
            session.add(row)
        row.version, row.source_lang, row.unit = version, source_lang, unit.kind
        row.source_text, row.target_text = unit.source, unit.target
        row.agency_id, row.created_at = agency_id, now
    session.flush()
    return len(hashes)


def human_units(session: Session, story_id: str, target_lang: str) -> list[HumanUnit]:
    """The post-edit memory of one story in one language. Edits are scoped to their
    story: an editor fixes a sentence in the context of that story, and the same
    sentence elsewhere may need another translation."""
    rows = session.execute(
        select(TranslationEdit, Agency)
        .join(Agency, Agency.id == TranslationEdit.agency_id)
        .where(TranslationEdit.story_id == story_id, TranslationEdit.target_lang == target_lang)
        .order_by(TranslationEdit.id)
    )
    return [
        HumanUnit(edit.source_text, edit.target_text, agency.id, agency.code, agency.name, edit.created_at)
        for edit, agency in rows
    ]


def translations_of(session: Session, story_id: str, version: int) -> dict[str, tuple[LanguageVersion, str | None]]:
    """Language → (translation row, editing agency's code) for one story version."""
    rows = session.execute(
        select(LanguageVersion, Agency.code)
        .outerjoin(Agency, Agency.id == LanguageVersion.edited_by_agency_id)
        .where(
            LanguageVersion.story_id == story_id,
            LanguageVersion.version == version,
            LanguageVersion.is_original.is_(False),
        )
    )
    return {row.language: (row, code) for row, code in rows}


def translations_of_versions(
    session: Session, pairs: set[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, tuple[LanguageVersion, str | None]]]:
    """``translations_of`` for many (story, version) pairs in one query."""
    found: dict[tuple[str, int], dict[str, tuple[LanguageVersion, str | None]]] = {}
    if not pairs:
        return found
    rows = session.execute(
        select(LanguageVersion, Agency.code)
        .outerjoin(Agency, Agency.id == LanguageVersion.edited_by_agency_id)
        .where(
            LanguageVersion.story_id.in_({story_id for story_id, _ in pairs}),
            LanguageVersion.is_original.is_(False),
        )
    )
    for row, code in rows:
        if (row.story_id, row.version) in pairs:
            found.setdefault((row.story_id, row.version), {})[row.language] = (row, code)
    return found
