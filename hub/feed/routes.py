"""HTTP surface of the feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from hub.deps import BearerToken, FeedReader, RuntimeDep, read_as_puller
from hub.feed import atom, service
from hub.openapi import error_responses

router = APIRouter(prefix="/v1", tags=["feed"])


class FeedEntryOut(BaseModel):
    storyId: str
    version: int
    language: str
    pubStatus: str = Field(description="usable, withheld or canceled")
    quality: str = Field(description="`review`: a machine translation the checks flagged; `ok` otherwise")
    item: dict[str, Any] = Field(description="the story in this language, ninjs 3.1")


class FeedPageOut(BaseModel):
    entries: list[FeedEntryOut]
    next: str = Field(description="pass it as `after` for the next page")


@router.get(
    "/feed",
    summary="Cursor feed of one language",
    response_class=Response,
    responses={
        200: {"model": FeedPageOut, "description": "a page of entries, in commit order"},
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def feed(
    request: Request,
    runtime: RuntimeDep,
    token: BearerToken,
    lang: Annotated[str, Query(description="language of the entries: az, tr, ru, uz, en…")],
    after: Annotated[str | None, Query(description="the `next` cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="entries per page")] = 100,
    agency: Annotated[str | None, Query(description="only this agency's stories")] = None,
    quality: Annotated[
        Literal["ok"] | None,
        Query(description="`ok`: leave out machine translations the quality checks flagged for review"),
    ] = None,
) -> Response:
    """Entries in commit order: pushes, translations, kills and withholds. Follow `next`
    to continue; an empty page returns the cursor you sent (or one past entries the
    `quality` filter left out), so poll again with it. Each entry's `quality` is `review`
    for a machine translation the automatic checks flagged, `ok` otherwise (originals,
    post-edits, translations that passed)."""
    # Bytes, not a model for FastAPI to encode: a page is spliced from JSON stored with
    # each document (hub/stories/served.py); walking a hundred documents value by value to
    # re-validate them cost more than the rest of the request together.
    page = await read_as_puller(
        request,
        runtime,
        token,
        lambda session, caller: service.feed_page_json(
            runtime, session, caller, language=lang, after=after, limit=limit, agency=agency, quality=quality
        ),
    )
    return Response(page, media_type="application/json")


@router.get(
    "/feed.atom",
    summary="Atom 1.0 feed of one language",
    response_class=Response,
    responses={
        200: {"content": {"application/atom+xml": {}}, "description": "an Atom 1.0 feed document"},
        304: {"description": "unchanged since the `ETag` sent in `If-None-Match`"},
        **error_responses(401, 403, 404, 422, 503),
    },
)
def feed_atom(
    request: Request,
    runtime: RuntimeDep,
    caller: FeedReader,
    lang: Annotated[str, Query(description="language of the entries: az, tr, ru, uz, en…")],
    agency: Annotated[str | None, Query(description="only this agency's stories")] = None,
    limit: Annotated[int, Query(ge=1, le=atom.MAX_ENTRIES, description="stories in the feed")] = 50,
) -> Response:
    """The latest stories in `lang` as Atom 1.0, newest first, for feed readers and CMSs
    that ingest Atom: one entry per story (its current state; the entry id is the story's
    stable uri, so a correction updates the item), title = headline, summary, sanitised
    HTML content, author = agency, `updated` = versionCreated, links to the story (JSON)
    and its media (enclosures), a category per subject and one saying whether the text is
    the original, a machine translation or an edited one. Killed and withheld stories
    stay as notices ("KILLED: …", no content). Authenticate with `Authorization: Bearer
    <key>` or HTTP Basic with the key as the password (any user name). Send the `ETag`
    back in `If-None-Match` to get 304 when nothing changed."""
    feed = atom.atom_feed(runtime, caller, language=lang, agency=agency, limit=limit)
    headers = {"ETag": feed.etag, "Cache-Control": "private, no-cache"}
    sent = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if feed.etag in sent:
        return Response(status_code=304, headers=headers)
    return Response(feed.body, media_type="application/atom+xml; charset=utf-8", headers=headers)
