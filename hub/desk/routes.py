"""The desk's pages: sign-in, Incoming, a story (post-edit, kill, withhold). Thin: every
rule is the API's service's; these routes parse forms and render templates."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hub.deps import RuntimeDep
from hub.desk import pages
from hub.desk.deps import Caller, Poster, SignInNeeded, desk_caller, secure, set_session_cookie
from hub.desk.sessions import CSRF_FIELD, SESSION_COOKIE, SIGN_IN_COOKIE, check_csrf, new_sign_in_token, sign_in
from hub.desk.sessions import sign_out as end_session
from hub.desk.templating import render
from hub.errors import HubError, InvalidRequest
from hub.stories import edits
from hub.stories import service as stories
from hub.stories.incoming import STATES, STATUSES, IncomingFilters, incoming
from hub.stories.ninjs import TEXT_FIELDS
from hub.stories.schemas import EditedText, TranslationEditRequest

router = APIRouter(prefix="/desk", include_in_schema=False)
Action = Literal["kill", "withhold"]
ACTIONS: dict[str, tuple[str, str]] = {"kill": ("canceled", "Kill"), "withhold": ("withheld", "Withhold")}


def sign_in_page(request: Request, message: str = "", *, status_code: int = 200) -> Response:
    token = new_sign_in_token()
    response = render(request, "signin.html", {"message": message, "sign_in_token": token}, status_code=status_code)
    response.set_cookie(SIGN_IN_COOKIE, token, path="/desk", httponly=True, samesite="strict", secure=secure(request))
    return response


@router.get("")
def home(request: Request, runtime: RuntimeDep) -> Response:
    try:
        desk_caller(request, runtime)
    except SignInNeeded as exc:
        return sign_in_page(request, exc.message)
    return RedirectResponse("/desk/incoming", status_code=303)


@router.post("/sign-in")
def post_sign_in(
    request: Request,
    runtime: RuntimeDep,
    api_key: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    check_csrf(request.cookies.get(SIGN_IN_COOKIE), csrf_token)
    try:
        token = sign_in(runtime, api_key)
    except HubError as exc:
        return sign_in_page(request, f"Sign-in failed: {exc.detail}", status_code=401)
    response = RedirectResponse("/desk/incoming", status_code=303)
    set_session_cookie(response, request, token)
    response.delete_cookie(SIGN_IN_COOKIE, path="/desk")
    return response


@router.post("/sign-out")
def post_sign_out(runtime: RuntimeDep, caller: Poster) -> Response:
    end_session(runtime, caller)
    response = RedirectResponse("/desk", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/desk")
    return response


def _filters(language: str | None, agency: str | None, status: str | None, state: str | None) -> IncomingFilters:
    return IncomingFilters(language or None, agency or None, status or None, state or None)


FilterQuery = Annotated[str | None, Query()]


@router.get("/incoming")
def incoming_page(
    request: Request,
    runtime: RuntimeDep,
    caller: Caller,
    language: FilterQuery = None,
    agency: FilterQuery = None,
    status: FilterQuery = None,
    state: FilterQuery = None,
) -> Response:
    filters = _filters(language, agency, status, state)
    message, rows = "", []
    try:
        rows = incoming(runtime, caller.principal, filters)
    except HubError as exc:
        message = exc.detail
    context = {
        "caller": caller,
        "filters": filters,
        "rows": rows,
        "message": message,
        "statuses": STATUSES,
        "states": STATES,
        "languages": runtime.settings.target_languages,
    }
    if request.headers.get("HX-Request"):
        return render(request, "_rows.html", context)
    return render(request, "incoming.html", context, status_code=422 if message else 200)


@router.get("/stories/{story_id}")
def story_page(
    request: Request,
    runtime: RuntimeDep,
    caller: Caller,
    story_id: str,
    old: Annotated[int | None, Query(alias="from")] = None,
    new: Annotated[int | None, Query(alias="to")] = None,
) -> Response:
    page = pages.story_page(runtime, caller.principal, story_id)
    diff = None
    if old is not None and new is not None:
        diff = pages.version_diff(runtime, caller.principal, story_id, old, new)
    return render(
        request, "story.html", {"caller": caller, "page": page, "diff": diff, "diff_from": old, "diff_to": new}
    )


async def _edited_text(request: Request) -> tuple[int, dict[str, list[EditedText]]]:
    form = await request.form()
    try:
        version = int(str(form.get("version", "")))
    except ValueError:
        raise InvalidRequest("version: a whole number is needed") from None
    arrays: dict[str, list[EditedText]] = {}
    for name in TEXT_FIELDS:
        values = [str(v) for k, v in form.multi_items() if k == name]
        if values:
            if any(not v.strip() for v in values):
                raise InvalidRequest(f"{name}: every field needs some text; nothing was saved")
            arrays[name] = [EditedText(value=v.replace("\r\n", "\n")) for v in values]
    return version, arrays


@router.post("/stories/{story_id}/translations/{lang}")
async def post_edit(request: Request, runtime: RuntimeDep, caller: Poster, story_id: str, lang: str) -> Response:
    message, saved, status_code = "", False, 200
    try:
        version, arrays = await _edited_text(request)
        edit = TranslationEditRequest.model_validate({"version": version, **arrays})
        await run_in_threadpool(edits.edit_translation, runtime, caller.principal, story_id, lang, edit)
        saved = True
    except HubError as exc:
        message, status_code = exc.detail, exc.status_code
    if not request.headers.get("HX-Request") and saved:
        return RedirectResponse(f"/desk/stories/{story_id}#lang-{lang}", status_code=303)
    page = await run_in_threadpool(pages.story_page, runtime, caller.principal, story_id)
    column = next((c for c in page.columns if c.lang == lang), None)
    context: dict[str, Any] = {"caller": caller, "page": page, "column": column, "message": message, "saved": saved}
    if request.headers.get("HX-Request"):
        # htmx swaps 2xx answers only: an error is shown in place too, with 200.
        return render(request, "_column.html", context)
    return render(
        request, "story.html", {**context, "diff": None, "edit_error": (lang, message)}, status_code=status_code
    )


@router.get("/stories/{story_id}/confirm/{action}")
def confirm(request: Request, runtime: RuntimeDep, caller: Caller, story_id: str, action: Action) -> Response:
    page = pages.story_page(runtime, caller.principal, story_id)
    return render(
        request, "confirm.html", {"caller": caller, "page": page, "action": action, "label": ACTIONS[action][1]}
    )


@router.post("/stories/{story_id}/{action}")
def change_status(runtime: RuntimeDep, caller: Poster, story_id: str, action: Action) -> Response:
    caller.principal.require("push")  # what the API's kill and withhold routes require
    stories.change_status(runtime, caller.principal, story_id, ACTIONS[action][0])
    return RedirectResponse(f"/desk/stories/{story_id}", status_code=303)
