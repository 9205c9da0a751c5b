"""The hub side of the local object store's presigned URLs: ``GET /v1/objects/<key>``.

The link carries its own authorisation (an HMAC the store checks), so no API key is
needed. Signed ``response-*`` overrides (S3's names) become the response's headers,
which is how an active media type is sent as an attachment (a link without one gets
the media rule of hub/media/types.py all the same); nosniff is always sent.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from hub.deps import RuntimeDep
from hub.errors import Forbidden, NotFound, StorageUnavailable
from hub.media.types import content_disposition
from hub.streaming import stream_object
from storage import RESPONSE_HEADER_OVERRIDES, ObjectNotFound, StorageError

log = logging.getLogger(__name__)

router = APIRouter(tags=["objects"])


@router.get("/v1/objects/{key:path}", summary="Presigned download (local object store)", include_in_schema=False)
def presigned_object(
    request: Request,
    runtime: RuntimeDep,
    key: str,
    expires: Annotated[int, Query()],
    signature: Annotated[str, Query()],
) -> StreamingResponse:
    verify = getattr(runtime.store, "verify_presigned", None)
    if verify is None:
        raise NotFound("this hub's object store serves presigned URLs itself")
    overrides = {name: value for name, value in request.query_params.items() if name.startswith("response-")}
    if not verify(key, expires, signature, overrides):
        raise Forbidden("the link is invalid or has expired")
    try:
        stream = runtime.store.get_object(key)
    except ObjectNotFound:
        raise NotFound(f"no object {key!r}") from None
    except StorageError as exc:
        log.warning("presigned download of %r failed: %s", key, exc)
        raise StorageUnavailable("object store unreachable; try again later") from exc
    headers = {RESPONSE_HEADER_OVERRIDES[name]: value for name, value in overrides.items()}
    media_type = headers.pop("Content-Type", None) or stream.info.content_type or "application/octet-stream"
    headers["X-Content-Type-Options"] = "nosniff"
    if "Content-Disposition" not in headers and (disposition := content_disposition(media_type)):
        headers["Content-Disposition"] = disposition  # links signed before overrides existed
    return stream_object(stream, media_type=media_type, headers=headers)
