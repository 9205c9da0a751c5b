"""HTTP surface of search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from hub.deps import PullCaller, RuntimeDep
from hub.openapi import error_responses
from hub.search import service
from hub.search.query import MAX_QUERY_CHARS
from hub.search.schemas import SearchPage

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchPage,
    summary="Search stories across languages and scripts",
    responses=error_responses(401, 403, 404, 422, 503),
)
def search(
    runtime: RuntimeDep,
    caller: PullCaller,
    q: Annotated[
        str,
        Query(
            description=(
                'words (all must match), `"a phrase"`, `prefix*`; case, diacritics and apostrophes are '
                f"ignored; at most {MAX_QUERY_CHARS} characters"
            )
        ),
    ],
    lang: Annotated[str | None, Query(description="only this language's versions (az, tr, ru, uz, en, kk, ky)")] = None,
    agency: Annotated[str | None, Query(description="only this agency's stories (its code)")] = None,
    since: Annotated[
        datetime | None, Query(description="versionCreated at or after this moment (ISO 8601 with a timezone)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="versionCreated before this moment (ISO 8601 with a timezone)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="results per page")] = 20,
    after: Annotated[str | None, Query(description="the `next` cursor of the previous page")] = None,
) -> SearchPage:
    """Current versions of the stories this key may read, in every language the hub has
    them in (originals and translations), newest `versionCreated` first. Killed and
    withheld stories are never returned; an embargoed story only to its own agency until
    the embargo passes. Uzbek and Kazakh match across scripts: `Тошкент` finds `Toshkent`
    and the other way round. Follow `next` for more; it is null on the last page."""
    return service.search(
        runtime, caller, q=q, language=lang, agency=agency, since=since, until=until, limit=limit, after=after
    )
