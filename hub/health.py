"""Liveness, readiness, and the hub side of the local store's presigned URLs."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.deps import RuntimeDep
from hub.errors import Forbidden, NotFound, StorageUnavailable
from hub.streaming import stream_object
from storage import ObjectNotFound, StorageError

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


@router.get("/v1/objects/{key:path}", summary="Presigned download (local object store)", include_in_schema=False)
def presigned_object(
    runtime: RuntimeDep, key: str, expires: Annotated[int, Query()], signature: Annotated[str, Query()]
) -> StreamingResponse:
    verify = getattr(runtime.store, "verify_presigned", None)
    if verify is None:
        raise NotFound("this hub's object store serves presigned URLs itself")
    if not verify(key, expires, signature):
        raise Forbidden("the link is invalid or has expired")
    try:
        stream = runtime.store.get_object(key)
    except ObjectNotFound:
        raise NotFound(f"no object {key!r}") from None
    except StorageError as exc:
        log.warning("presigned download of %r failed: %s", key, exc)
        raise StorageUnavailable("object store unreachable; try again later") from exc
    return stream_object(stream, media_type=stream.info.content_type or "application/octet-stream")
