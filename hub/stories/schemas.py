"""Pydantic schemas of the stories API: what an agency pushes, what the hub answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.config import SUPPORTED_LANGUAGES
from translation import HTML_CONTENT_TYPES, is_html

TEXT_TYPES = ("text/plain", *HTML_CONTENT_TYPES)
# Set by the hub from its own clock and state: an agency's values are ignored.
HUB_OWNED_FIELDS = ("versionCreated", "firstCreated", "version", "pubStatus", "standard")


def primary_language(tag: str) -> str:
    """``az-Latn-AZ`` → ``az``: the hub routes on the primary subtag (BCP 47)."""
    code = tag.strip().split("-")[0].split("_")[0].lower()
    if code not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {tag!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    return code


PubStatus = Literal["usable", "withheld", "canceled"]


def text_content_type(value: str | None) -> str | None:
    """Text fields are plain text or HTML (which the hub sanitises): any other type — SVG,
    XML, JavaScript — would be handed to partners' renderers unsanitised."""
    if value is not None and not (is_html(value) or value.split(";", 1)[0].strip().lower() == "text/plain"):
        raise ValueError(f"unsupported contentType {value!r}; use one of {', '.join(TEXT_TYPES)}")
    return value


class Headline(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str | None = None
    contentType: str | None = None
    value: str = Field(min_length=1, max_length=2000)

    _text_only = field_validator("contentType")(text_content_type)


class Description(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str | None = None
    contentType: str | None = None
    value: str

    _text_only = field_validator("contentType")(text_content_type)


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str | None = None
    contentType: str = "text/plain"
    value: str = Field(min_length=1)

    _text_only = field_validator("contentType")(text_content_type)


class Association(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    uri: str
    rel: str | None = None
    type: str | None = None


class StoryCreate(BaseModel):
    """A ninjs 3.x story as an agency pushes it (camelCase). Further ninjs properties
    (slugline, descriptions, places, genres…) are kept as given and validated against
    the official ninjs 3.1 schema."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "uri": "urn:agency:azertac:2026:0001",
                    "language": "az",
                    "headlines": [{"role": "main", "value": "Bakıda beynəlxalq media forumu açılıb"}],
                    "bodies": [
                        {
                            "role": "main",
                            "contentType": "text/plain",
                            "value": "Forumda 40 ölkədən jurnalistlər iştirak edir.",
                        }
                    ],
                    "urgency": 3,
                }
            ]
        },
    )

    uri: str = Field(min_length=1, max_length=500, description="the agency's own guid for the story")
    language: str | None = Field(
        default=None,
        description=(
            "BCP 47; primary subtag one of "
            + ", ".join(SUPPORTED_LANGUAGES)
            + ". Optional: when missing, the hub identifies it from the text among its target "
            "languages plus kk and ky (the response says so), or answers 422 when it cannot."
        ),
    )
    headlines: list[Headline] = Field(min_length=1)
    bodies: list[Body] = Field(min_length=1)
    descriptions: list[Description] | None = None
    embargoedUntil: AwareDatetime | None = None
    urgency: int | None = Field(default=None, ge=1, le=9)
    by: str | None = None
    located: str | None = None
    subjects: list[dict[str, Any]] | None = None
    associations: list[Association] | None = None

    @field_validator("language")
    @classmethod
    def _supported_language(cls, value: str | None) -> str | None:
        return None if value is None else primary_language(value)

    @field_validator("uri")
    @classmethod
    def _storable_uri(cls, value: str) -> str:
        # The uri is a database key; PostgreSQL text cannot hold NUL.
        if "\x00" in value:
            raise ValueError("must not contain the NUL character")
        return value

    @field_validator("embargoedUntil")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        try:
            return value.astimezone(UTC) if value else None
        except OverflowError:  # 9999-12-31T23:59:59-14:00 is in year 10000 in UTC
            raise ValueError("outside the range of dates the hub can store (years 1-9999 in UTC)") from None

    @model_validator(mode="after")
    def _has_main_headline(self) -> StoryCreate:
        roles = [h.role for h in self.headlines]
        if "main" not in roles and any(r is not None for r in roles):
            raise ValueError("headlines: one headline must have role 'main'")
        return self

    @property
    def main_headline(self) -> Headline:
        return next((h for h in self.headlines if h.role == "main"), self.headlines[0])


class PushWarning(BaseModel):
    """Something the hub noticed but accepted. ``language_mismatch``: the declared language
    contradicts what the text was confidently identified as."""

    code: str
    message: str


class StoryPushed(BaseModel):
    id: str
    version: int
    uri: str
    language: str
    languageIdentified: bool = Field(
        default=False, description="true when no language was declared and the hub identified it from the text"
    )
    status: PubStatus
    warnings: list[PushWarning] = Field(default_factory=list)


class VersionRead(BaseModel):
    version: int
    versionCreated: datetime
    contentHash: str
    language: str
    pubStatus: str


class VersionList(BaseModel):
    storyId: str
    versions: list[VersionRead]


class StatusChanged(BaseModel):
    id: str
    version: int
    pubStatus: str


class EditedText(BaseModel):
    """One item of an edited array: its ``value`` replaces the translation's; the rest of
    the item (role, contentType…) is the machine translation's and stays as it is."""

    model_config = ConfigDict(extra="allow")
    value: str = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _storable(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain the NUL character")
        return value


class TranslationEditRequest(BaseModel):
    """A post-edit of the current version's translation: the arrays given replace the
    translation's, item for item (same count and order); arrays left out are kept."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "headlines": [{"value": "Bakü'de uluslararası medya forumu açıldı"}],
                    "bodies": [{"value": "Foruma 40 ülkeden gazeteciler katılıyor."}],
                }
            ]
        }
    )

    version: int = Field(ge=1, description="the story's current version; 409 if it is not")
    headlines: list[EditedText] | None = None
    descriptions: list[EditedText] | None = None
    bodies: list[EditedText] | None = None

    @model_validator(mode="after")
    def _edits_something(self) -> TranslationEditRequest:
        if self.headlines is None and self.descriptions is None and self.bodies is None:
            raise ValueError("give at least one of headlines, descriptions, bodies")
        return self
