"""The glossary on the wire: a term is ``{"id", "agency", "forms", "createdAt"}``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from hub.config import SUPPORTED_LANGUAGES
from hub.glossary.forms import MAX_FORM_CHARS, MAX_FORMS_PER_LANGUAGE, Forms, FormsError, normalize_mapping

MAX_TERMS_PER_REQUEST = 1000

_LANGUAGES = ", ".join(SUPPORTED_LANGUAGES)


class TermCreate(BaseModel):
    forms: dict[str, str | list[str]] = Field(
        description=(
            f"the term's form(s) per language ({_LANGUAGES}; `uz-Latn`/`uz-Cyrl` fold into `uz`, Latin first): "
            f"a string or a list; the first form is the one translations use. Plain text, at most "
            f"{MAX_FORM_CHARS} characters and {MAX_FORMS_PER_LANGUAGE} forms per language"
        ),
        examples=[{"az": "İlham Əliyev", "tr": "İlham Aliyev", "uz": ["Ilhom Aliyev", "Илҳом Алиев"]}],
    )
    agency: str | None = Field(
        default=None,
        description="admin keys: the agency whose term this is (none: hub-wide); push keys: their own code or none",
    )

    @field_validator("forms", mode="after")
    @classmethod
    def _clean_forms(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        try:
            return dict(normalize_mapping(value))
        except FormsError as exc:
            raise ValueError(str(exc)) from None

    def cleaned_forms(self) -> Forms:
        return {language: list(forms) for language, forms in self.forms.items()}


TermList = Annotated[list[TermCreate], Field(min_length=1, max_length=MAX_TERMS_PER_REQUEST)]


class TermRead(BaseModel):
    id: int
    agency: str | None = Field(description="the owning agency's code; null for a hub-wide term")
    forms: dict[str, list[str]]
    createdAt: datetime


class GlossaryRead(BaseModel):
    terms: list[TermRead]


class DuplicateTerm(BaseModel):
    index: int = Field(description="position of the term in the request")
    id: int = Field(description="the stored term with the same owner and the same forms")


class GlossaryAdded(BaseModel):
    added: list[TermRead] = Field(description="the terms stored by this request")
    duplicates: list[DuplicateTerm] = Field(
        description="terms not stored because the same owner has a term with exactly these forms already"
    )
