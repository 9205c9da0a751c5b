"""What /v1/search answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SearchResult(BaseModel):
    storyId: str = Field(description="the story; `GET /v1/stories/{storyId}?lang={language}` reads it")
    version: int = Field(description="the story's current version")
    language: str = Field(description="the language version that matched: the original or a translation")
    headline: str = Field(description="its headline, plain text")
    snippet: str = Field(description="plain text of the body around the first match; `…` marks a cut")
    versionCreated: datetime = Field(description="when this language version was made (the order of results)")


class SearchPage(BaseModel):
    results: list[SearchResult]
    next: str | None = Field(description="cursor for `after` to read the next page; null when there is no more")
