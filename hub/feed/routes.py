"""HTTP surface of the feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from hub.deps import PullCaller, RuntimeDep
from hub.feed import service
from hub.openapi import error_responses

router = APIRouter(prefix="/v1", tags=["feed"])


@router.get("/feed", summary="Cursor feed of one language", responses=error_responses(401, 403, 404, 422, 503))
def feed(
    runtime: RuntimeDep,
    caller: PullCaller,
    lang: Annotated[str, Query(description="language of the entries: az, tr, ru, uz, en…")],
    after: Annotated[str | None, Query(description="the `next` cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="entries per page")] = 100,
    agency: Annotated[str | None, Query(description="only this agency's stories")] = None,
    quality: Annotated[
        Literal["ok"] | None,
        Query(description="`ok`: leave out machine translations the quality checks flagged for review"),
    ] = None,
) -> dict[str, Any]:
    """Entries in commit order: pushes, translations, kills and withholds. Follow `next`
    to continue; an empty page returns the cursor you sent (or one past entries the
    `quality` filter left out), so poll again with it. Each entry's `quality` is `review`
    for a machine translation the automatic checks flagged, `ok` otherwise (originals,
    post-edits, translations that passed)."""
    return service.read_feed(runtime, caller, language=lang, after=after, limit=limit, agency=agency, quality=quality)
