"""Typed pydantic models for the hub's API and the subset of IPTC ninjs 3.1 it uses.

Attribute names are snake_case; the wire format is ninjs camelCase. Every model keeps
fields it does not know (``extra="allow"``) and writes them back unchanged, so a
story read from the feed and pushed elsewhere loses nothing, and a newer hub adding
fields does not break an older SDK.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    model_config = ConfigDict(extra="allow", alias_generator=to_camel, populate_by_name=True)

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: camelCase keys, unknown fields kept, fields never set (or None) left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)


# --- ninjs -------------------------------------------------------------------------


class Headline(Model):
    value: str
    role: str | None = None
    content_type: str | None = None


class Body(Model):
    value: str
    role: str | None = None
    content_type: str | None = None


class Subject(Model):
    name: str | None = None
    uri: str | None = None
    literal: str | None = None
    rel: str | None = None


class Rendition(Model):
    name: str
    href: str | None = None
    content_type: str | None = None
    size_in_bytes: int | None = None


class DigitalSourceType(Model):
    """How the content was made; machine translations say ``trainedAlgorithmicMedia``."""

    name: str | None = None
    uri: str | None = None
    literal: str | None = None


class InfoSource(Model):
    """A party behind the content: the originating agency, the translation engine
    (``role`` translator, ``literal`` naming the model packages and versions), or an
    agency that post-edited the translation (``role`` editor, ``literal`` its code)."""

    name: str | None = None
    role: str | None = None
    uri: str | None = None
    literal: str | None = None


class Association(Model):
    """A linked ninjs object: a media file, or another language version of the story."""

    name: str
    uri: str
    type: str | None = None
    rel: str | None = None
    version: str | None = None
    language: str | None = None
    renditions: list[Rendition] = Field(default_factory=list)


class Ninjs(Model):
    """A news item as IPTC ninjs 3.x; ``uri`` is the pushing agency's own guid on push."""

    uri: str
    language: str | None = None
    type: str | None = None
    version: str | None = None
    version_created: datetime | None = None
    first_created: datetime | None = None
    embargoed_until: datetime | None = None
    pub_status: str | None = None
    urgency: int | None = None
    headlines: list[Headline] = Field(default_factory=list)
    bodies: list[Body] = Field(default_factory=list)
    subjects: list[Subject] = Field(default_factory=list)
    by: str | None = None
    located: str | None = None
    ed_note: str | None = None
    digital_source_type: DigitalSourceType | None = None
    info_sources: list[InfoSource] = Field(default_factory=list)
    associations: list[Association] = Field(default_factory=list)

    @property
    def is_machine_translation(self) -> bool:
        uri = self.digital_source_type.uri if self.digital_source_type else None
        return bool(uri and uri.endswith("/trainedAlgorithmicMedia"))

    @property
    def is_post_edited(self) -> bool:
        """A translation a person post-edited (``humanEdits``); its ``info_sources`` name
        the editing agency (role ``editor``) next to the machine translator."""
        uri = self.digital_source_type.uri if self.digital_source_type else None
        return bool(uri and uri.endswith("/humanEdits"))

    @property
    def headline(self) -> str | None:
        """The main headline (role ``main``, else the first one)."""
        return _main(self.headlines)

    @property
    def body(self) -> str | None:
        """The main body's value, text or HTML as its ``content_type`` says."""
        return _main(self.bodies)


def _main(items: list[Headline] | list[Body]) -> str | None:
    for item in items:
        if item.role == "main":
            return item.value
    return items[0].value if items else None


# --- API responses -----------------------------------------------------------------


class PushWarning(Model):
    """Something the hub accepted but noticed. ``language_mismatch``: the declared language
    contradicts what the text was confidently identified as (the story is kept as declared)."""

    code: str
    message: str


class PushResult(Model):
    """What ``POST /v1/stories`` answered; ``created`` is False for an idempotent repeat.
    ``language_identified`` is True when no language was given and the hub identified it."""

    id: str
    version: int
    uri: str
    language: str
    status: str
    language_identified: bool = False
    warnings: list[PushWarning] = Field(default_factory=list)
    created: bool = Field(default=True, exclude=True)


class StatusChange(Model):
    """The result of a kill or withhold."""

    id: str
    version: int
    pub_status: str


class MediaObject(Model):
    """A stored media file; content-addressed by ``sha256``."""

    href: str
    sha256: str
    size: int
    content_type: str

    def as_association(self, name: str = "media", *, rel: str | None = None, **fields: Any) -> Association:
        """An association to put in a story's ``associations`` (ninjs 3.1 shape)."""
        kind = self.content_type.split("/", 1)[0]
        ninjs_type = {"image": "picture", "video": "video", "audio": "audio"}.get(kind, "component")
        rendition = Rendition(name="original", href=self.href, content_type=self.content_type, size_in_bytes=self.size)
        return Association(name=name, uri=self.href, type=ninjs_type, rel=rel, renditions=[rendition], **fields)


class VersionInfo(Model):
    version: int
    version_created: datetime
    content_hash: str
    language: str
    pub_status: str


class StoryVersions(Model):
    story_id: str
    versions: list[VersionInfo]


class TranslationHop(Model):
    """One package a translation went through, ``from_lang`` → ``to_lang`` (wire: from, to)."""

    package: str
    version: str
    from_lang: str = Field(alias="from")
    to_lang: str = Field(alias="to")


class QualityReason(Model):
    """Why the hub's automatic checks flagged a machine translation for review."""

    code: str  # repetition | length_ratio | missing_numbers | missing_terms | wrong_language
    message: str  # names what was found, e.g. the missing numbers


class TranslationStatus(Model):
    language: str
    status: str  # pending | done | failed | blocked | canceled
    reason: str | None = None
    model: str | None = None
    route: list[TranslationHop] | None = None  # one hop, or two through English; None until done
    updated_at: datetime | None = None
    # machine | edited (post-edited by a person) | mixed (an earlier post-edit kept where
    # the original did not change, the rest machine output); None until done.
    origin: str | None = None
    edited_by: str | None = None  # the code of the agency whose post-edit is in it
    edited_at: datetime | None = None
    quality: str | None = None  # ok | review once done (review: see quality_reasons); None before
    quality_reasons: list[QualityReason] | None = None  # empty when ok; None before it is done


class LanguageCheck(Model):
    """The declared language of a version and the one its text was identified as, which differ."""

    declared: str
    identified: str
    score: float


class StoryTranslations(Model):
    story_id: str
    version: int
    translations: list[TranslationStatus]
    language_check: LanguageCheck | None = None  # None when the declared language fits the text


class FeedEntry(Model):
    """One feed entry: a language version of a story at a version, with its ninjs item."""

    story_id: str
    version: int
    language: str
    pub_status: str
    item: Ninjs
    # "review": a machine translation the hub's checks flagged (left out by quality="ok");
    # "ok": an original, a post-edit or a translation that passed.
    quality: str = "ok"

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.story_id, self.version, self.language)


class FeedPage(Model):
    entries: list[FeedEntry]
    next: str


# --- search ------------------------------------------------------------------------


class SearchResult(Model):
    """A language version of a story that matched: read it whole with
    ``get_story(result.story_id, lang=result.language)``."""

    story_id: str
    version: int
    language: str
    headline: str
    snippet: str  # plain text around the first match; "…" marks a cut
    version_created: datetime


class SearchPage(Model):
    results: list[SearchResult]
    next: str | None = None  # pass as ``after`` for the next page; None on the last one


# --- glossary ----------------------------------------------------------------------


class GlossaryTerm(Model):
    """A term: its forms per language (the first is the one translations use). ``agency``
    is the owning agency's code, None for a hub-wide term."""

    id: int
    agency: str | None = None
    forms: dict[str, list[str]]
    created_at: datetime

    def form(self, lang: str) -> str | None:
        """The form translations into ``lang`` use, if the term has one."""
        forms = self.forms.get(lang)
        return forms[0] if forms else None


class GlossaryDuplicate(Model):
    """A term of the request not stored: its owner has one with the same forms (``id``)."""

    index: int
    id: int


class GlossaryAdded(Model):
    added: list[GlossaryTerm]
    duplicates: list[GlossaryDuplicate]


# --- webhooks ----------------------------------------------------------------------


class Subscription(Model):
    """A webhook subscription: feed entries in ``languages`` (of ``agencies``' stories, or
    every agency's) POSTed to ``url``, signed. ``position`` is the feed cursor of the last
    entry delivered; a ``paused`` one says why in ``paused_reason``."""

    id: str
    agency: str
    url: str
    languages: list[str]
    agencies: list[str] | None = None
    status: str
    position: str
    paused_reason: str | None = None
    paused_at: datetime | None = None
    failing_since: datetime | None = None
    failed_attempts: int = 0
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(Subscription):
    """A new subscription with its signing ``secret`` (``whsec_…``): the hub shows it only
    in this answer, so keep it; ``verify_webhook`` needs it."""

    secret: str


class Delivery(Model):
    """One attempt to deliver one entry: ``webhook_id`` is the same on every attempt."""

    id: int
    webhook_id: str
    cursor: str
    attempt: int
    outcome: str  # delivered | failed
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    created_at: datetime


class DeliveryLog(Model):
    deliveries: list[Delivery]  # newest first
    next: int | None = None  # ``before`` for the next (older) page
