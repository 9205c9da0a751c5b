"""The translation side: jobs, glossary terms and their history, post-edits, the shared
translation memory, packages kept in the object store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, BigIntId, utcnow


class TranslationJob(Base):
    """One target language of one story version, to be translated by a worker.

    Written in the push transaction. A worker holds a job through a lease
    (``lease_owner`` until ``lease_expires_at``); an expired lease is reclaimed by
    any worker, so a killed worker loses nothing.
    """

    __tablename__ = "translation_jobs"
    __table_args__ = (
        UniqueConstraint("story_id", "version", "target_lang", name="uq_translation_jobs_story_version_target"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    # pending | running | done | failed | blocked | canceled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(400), default=None)
    # The hops a done translation took: [{"package", "version", "from", "to"}, …].
    route: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_translation_jobs_status_available", TranslationJob.status, TranslationJob.available_at)


class GlossaryTerm(Base):
    """One term: its forms per language ({"az": ["İlham Əliyev"], "uz": ["Ilhom Aliyev",
    "Илҳом Алиев"], …}; the first form of a language is the one translations use).
    ``agency_id`` None is a hub-wide term; an agency's own terms win for its stories."""

    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), default=None)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_glossary_terms_agency_id", GlossaryTerm.agency_id)


class GlossaryChange(Base):
    """A glossary change, as every worker must hear of it: the forms of the terms added or
    removed, so each worker drops its memory entries of sentences containing them."""

    __tablename__ = "glossary_changes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TranslationEdit(Base):
    """Human post-edit memory of one story: a source unit (field, paragraph or sentence)
    and the text an editor gave it. A later version's translation reuses every unit whose
    source did not change, before any machine output."""

    __tablename__ = "translation_edits"
    __table_args__ = (
        UniqueConstraint("story_id", "target_lang", "source_hash", name="uq_translation_edits_story_target_source"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    story_id: Mapped[str] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # the story version the edit was made on
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))  # field | paragraph | sentence
    source_hash: Mapped[str] = mapped_column(String(64))  # sha256 of source_text
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemoryEntry(Base):
    """The translation memory shared by every worker when the hub runs on PostgreSQL
    (hub/jobs/memory.py): one model output per source sentence and scope. ``key`` is the
    engine's key (sha256 of scope and sentence, as in the embedded file); ``digest`` the
    package content it came from; ``folded`` the source as glossary terms are matched
    (``translation.glossary.fold``), so a term's entries are found with an index-free
    LIKE before the exact whole-word test."""

    __tablename__ = "translation_memory"

    key: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemoryCounter(Base):
    """Counters of the shared memory, by name: ``hits`` (sentences served, by all workers)
    and ``glossary_position`` (the newest glossary change whose terms were forgotten)."""

    __tablename__ = "translation_memory_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class StoredPackage(Base):
    """A translation package kept in the object store, so any worker can install it
    (hub/packages): its archive under ``object_key`` (content-addressed by the archive's
    sha256), the package's own digest (what the engine and ``infoSources`` know it by)
    and its metadata, to plan which packages a blocked pair needs before fetching any."""

    __tablename__ = "model_packages"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(100))
    package_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON)
    object_key: Mapped[str] = mapped_column(String(400))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the archive's bytes
    stored_by: Mapped[str] = mapped_column(String(200))  # the host that stored it
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
