"""Translation status and the queue on the wire: what ``/v1/stories/{id}/translations`` and
``/v1/admin/queue`` answer (and the desk shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class TranslationHop(BaseModel):
    """One package applied: ``from`` → ``to``. A pivot through English is two hops."""

    package: str
    version: str
    from_: str = Field(alias="from")
    to: str


class QualityReason(BaseModel):
    """Why the automatic checks flagged a translation for review."""

    code: str = Field(
        description="repetition | length_ratio | missing_numbers | missing_terms | wrong_language",
        examples=["missing_numbers"],
    )
    message: str = Field(examples=["numbers of the source missing in the output: 40, 2,5"])


class TranslationStatus(BaseModel):
    language: str
    status: str
    reason: str | None
    model: str | None
    route: list[TranslationHop] | None = Field(
        description="the packages a done translation went through, in order; null before it is done"
    )
    updatedAt: datetime | None
    origin: Literal["machine", "edited", "mixed"] | None = Field(
        default=None,
        description="machine output; edited (post-edited by a person, or made only of an earlier post-edit); "
        "mixed (an earlier post-edit kept where the original did not change, the rest machine output); "
        "null before the translation exists",
    )
    editedBy: str | None = Field(default=None, description="the agency whose post-edit is in it (its code)")
    editedAt: datetime | None = Field(default=None, description="when that post-edit was made")
    quality: Literal["ok", "review"] | None = Field(
        default=None,
        description="the automatic checks of a done translation: `review` when any failed (see "
        "`qualityReasons`), `ok` when all passed or a person post-edited it; null before it is done",
    )
    qualityReasons: list[QualityReason] | None = Field(
        default=None, description="why it is `review`; empty when `ok`; null before it is done"
    )


class LanguageCheck(BaseModel):
    """The agency declared one language; the text was confidently identified as another. The
    story is kept and translated as declared."""

    declared: str
    identified: str
    score: float = Field(description="the identification's confidence, 0-1 (a check is recorded from 0.8 on)")


class TranslationList(BaseModel):
    storyId: str
    version: int
    languageCheck: LanguageCheck | None = Field(
        default=None,
        description="set when the declared language of this version contradicts its text; null when they agree",
    )
    translations: list[TranslationStatus]


class MemoryStats(BaseModel):
    store: Literal["database", "file", "off"] = Field(
        description="`database`: the hub's PostgreSQL, shared by every worker; `file`: the embedded SQLite file"
    )
    entries: int | None = Field(description="sentences held")
    hits: int | None = Field(description="sentences served from the memory by all workers, since it was created")


class QueueStats(BaseModel):
    counts: dict[str, int]
    oldestPendingAt: datetime | None
    memory: MemoryStats
