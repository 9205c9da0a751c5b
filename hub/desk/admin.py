"""The desk's admin page (admin keys): the queue's backlog, blocked languages and the
command that unblocks them, installed models, agencies and their keys (create, revoke;
a new key is shown once, on the page that answers its creation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from hub.agencies import service as agencies
from hub.auth.service import Principal
from hub.deps import RuntimeDep
from hub.desk.deps import Caller, Poster
from hub.desk.sessions import DeskCaller
from hub.desk.templating import render
from hub.errors import HubError, InvalidRequest
from hub.jobs.coverage import SETUP_COMMAND, blocked_hint
from hub.jobs.status import blocked_pairs, queue_stats
from hub.runtime import HubRuntime
from translation.packages import installed_packages

router = APIRouter(prefix="/desk/admin", include_in_schema=False)


def _admin(caller: DeskCaller) -> Principal:
    caller.principal.require("admin")
    return caller.principal


def _context(runtime: HubRuntime, caller: DeskCaller) -> dict[str, Any]:
    with runtime.read() as session:
        listed = [(agency, agencies.list_keys(session, agency.code)) for agency in agencies.list_agencies(session)]
    return {
        "caller": caller,
        "queue": queue_stats(runtime),
        "blocked": blocked_pairs(runtime),
        "blocked_hint": blocked_hint(runtime.settings),
        "setup_command": SETUP_COMMAND,
        "models": installed_packages(runtime.settings.resolved_models_dir),
        "agencies": listed,
        "scopes": ("push", "pull", "edit", "admin"),
        "message": "",
        "created_key": None,
    }


def _page(request: Request, runtime: HubRuntime, caller: DeskCaller, status_code: int = 200, **extra: Any) -> Response:
    return render(request, "admin.html", {**_context(runtime, caller), **extra}, status_code=status_code)


@router.get("")
def admin_page(request: Request, runtime: RuntimeDep, caller: Caller) -> Response:
    _admin(caller)
    return _page(request, runtime, caller)


@router.post("/agencies")
def create_agency(
    request: Request,
    runtime: RuntimeDep,
    caller: Poster,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    partner: Annotated[bool, Form()] = False,
) -> Response:
    _admin(caller)
    try:
        if not name.strip():
            raise InvalidRequest("name: the agency needs a name")
        with runtime.write() as session:
            agencies.create_agency(
                session, code.strip(), name=name.strip(), country=country.strip() or None, is_partner=partner
            )
    except HubError as exc:
        return _page(request, runtime, caller, exc.status_code, message=f"Agency not created: {exc.detail}")
    return RedirectResponse("/desk/admin#agencies", status_code=303)


@router.post("/keys")
def create_key(
    request: Request,
    runtime: RuntimeDep,
    caller: Poster,
    agency: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    languages: Annotated[str, Form()] = "",
) -> Response:
    _admin(caller)
    try:
        if not scopes:
            raise InvalidRequest("scopes: choose at least one scope")
        with runtime.write() as session:
            created = agencies.create_key(session, agency, ",".join(scopes or ()), languages=languages.strip() or None)
    except HubError as exc:
        return _page(request, runtime, caller, exc.status_code, message=f"Key not created: {exc.detail}")
    return _page(request, runtime, caller, 201, created_key=created)


@router.post("/keys/{key_id}/revoke")
def revoke_key(runtime: RuntimeDep, caller: Poster, key_id: str) -> Response:
    _admin(caller)
    with runtime.write() as session:
        agencies.revoke_key(session, key_id)
    return RedirectResponse("/desk/admin#agencies", status_code=303)
