"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.deps import RuntimeDep
from storage import StorageError

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database and the object store are reachable")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with runtime.read() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database check failed: %s", exc)
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        runtime.store.ping()
        checks["storage"] = "ok"
    except StorageError as exc:
        # Unauthenticated: S3 errors name the endpoint and access key, local ones a path.
        log.warning("readiness: object store check failed: %s", exc)
        checks["storage"] = "down: object store unreachable"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
