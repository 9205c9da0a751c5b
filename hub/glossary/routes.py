"""HTTP surface of the glossary: thin, all rules live in hub.glossary.service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.auth.service import Principal
from hub.deps import RuntimeDep, count_request, counted_as, get_principal
from hub.glossary import service
from hub.glossary.schemas import GlossaryAdded, GlossaryRead, TermList, TermRead
from hub.openapi import error_responses

router = APIRouter(prefix="/v1/glossary", tags=["glossary"])

# Reading the glossary counts as pulling; writing as pushing, or as admin for admin keys.
Caller = Annotated[Principal, Depends(counted_as("pull"))]
# Term ids are 64-bit row ids; anything outside is refused before it reaches the database.
TermId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the term's id")]


def _writer(request: Request, caller: Annotated[Principal, Depends(get_principal)]) -> Principal:
    # A dependency, so a key that may not write gets 403 before its body is looked at.
    service.require_writer(caller)
    count_request(request, caller, "admin" if caller.is_admin else "push")
    return caller


WriterCaller = Annotated[Principal, Depends(_writer)]


@router.get(
    "",
    response_model=GlossaryRead,
    summary="List glossary terms",
    responses=error_responses(401, 403, 404, 422, 503),
)
def list_glossary(
    runtime: RuntimeDep,
    caller: Caller,
    agency: Annotated[str | None, Query(description="only this agency's own terms (admins: any agency)")] = None,
) -> GlossaryRead:
    """Any key sees the hub-wide terms and its own agency's; an admin key sees every term.
    With `agency`, only that agency's own terms (another agency's: admin keys only)."""
    return service.list_terms(runtime, caller, agency)


@router.post(
    "",
    response_model=GlossaryAdded,
    status_code=201,
    summary="Add glossary terms",
    responses={
        200: {"description": "every term was a duplicate: nothing stored", "model": GlossaryAdded},
        **error_responses(401, 403, 408, 413, 422, 503),
    },
)
async def add_glossary_terms(
    runtime: RuntimeDep,
    caller: WriterCaller,
    terms: Annotated[TermList, Body(description="the terms to add, in one transaction")],
    response: Response,
) -> GlossaryAdded:
    """A list of terms, each `{"forms": {"az": "İlham Əliyev", "uz": ["Ilhom Aliyev", "Илҳом Алиев"]}}`.
    An admin key adds hub-wide terms, or an agency's with `"agency": CODE`; a push key adds
    its own agency's terms (an agency's terms win over hub-wide ones for its stories).
    A term its owner has already, with the same forms, is not stored again: it is listed
    in `duplicates` with the stored term's id (so a request can be retried safely).
    All or nothing: one invalid term refuses the whole request (422). Translation-memory
    entries of sentences holding an added term are forgotten by the workers."""
    added = await run_in_threadpool(service.add_terms, runtime, caller, terms)
    if not added.added:
        response.status_code = 200
    return added


@router.delete(
    "/{term_id}",
    response_model=TermRead,
    summary="Delete a glossary term",
    responses=error_responses(401, 403, 404, 422, 503),
)
def delete_glossary_term(runtime: RuntimeDep, caller: WriterCaller, term_id: TermId) -> TermRead:
    """Admin keys delete any term, push keys their own agency's; answers with the deleted term."""
    return service.delete_term(runtime, caller, term_id)
