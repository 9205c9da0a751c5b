"""Mounting the desk on the hub's app: its pages, its static files, and HTML (not the
API's JSON) for errors on its pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from hub.desk import admin, routes
from hub.desk.deps import SignInNeeded
from hub.desk.templating import STATIC_DIR, render
from hub.errors import HubError


def install_desk(app: FastAPI) -> None:
    """Call after ``install_error_handlers``: desk pages answer errors as pages, every
    other path keeps the API's JSON handlers."""
    hub_error_json = app.exception_handlers[HubError]
    validation_error_json = app.exception_handlers[RequestValidationError]

    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/desk"})
        return routes.sign_in_page(request, exc.message, status_code=401 if exc.message else 200)

    async def error_page(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/desk"):
            json_handler = validation_error_json if isinstance(exc, RequestValidationError) else hub_error_json
            response = json_handler(request, exc)
            return response if isinstance(response, Response) else await response
        if isinstance(exc, HubError):
            status_code, detail = exc.status_code, exc.detail
        else:
            assert isinstance(exc, RequestValidationError)
            first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
            status_code, detail = 422, f"{'.'.join(str(p) for p in first['loc'][1:])}: {first['msg']}"
        return render(request, "error.html", {"status_code": status_code, "detail": detail}, status_code=status_code)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(HubError, error_page)
    app.add_exception_handler(RequestValidationError, error_page)
    app.mount("/desk/static", StaticFiles(directory=STATIC_DIR), name="desk-static")
    app.include_router(routes.router)
    app.include_router(admin.router)
