"""HTTP surface of media: streamed raw-body upload, streamed download."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hub.deps import PullCaller, PushCaller, RuntimeDep
from hub.errors import PayloadTooLarge, UnsupportedMediaType
from hub.media import service
from hub.media.repository import Audience
from hub.media.types import base_type, content_disposition
from hub.openapi import error_responses
from hub.streaming import stream_object

router = APIRouter(prefix="/v1/media", tags=["media"])

MULTIPART_REFUSED = (
    "multipart uploads are not accepted: send the file's bytes as the raw request body "
    "(curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg')"
)


class MediaRead(BaseModel):
    href: str
    sha256: str
    size: int
    contentType: str


@router.post(
    "",
    response_model=MediaRead,
    status_code=201,
    summary="Upload a media file (raw request body)",
    responses=error_responses(401, 403, 408, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_media(
    request: Request,
    runtime: RuntimeDep,
    caller: PushCaller,
    content_type: Annotated[str | None, Header()] = None,
    content_length: Annotated[int | None, Header(include_in_schema=False)] = None,  # framing, not an API input
) -> MediaRead:
    """Send the file's bytes as the body (`curl --data-binary @photo.jpg`). The hub
    streams it, sniffs its type and stores it once per distinct sha256. A multipart
    form (`curl -F file=@photo.jpg`) is refused with 415: its sha256 would be the
    envelope's, not the file's."""
    if base_type(content_type).startswith("multipart/"):
        raise UnsupportedMediaType(MULTIPART_REFUSED)
    limit = runtime.settings.max_upload_bytes
    if content_length is not None and content_length > limit:
        raise PayloadTooLarge(f"upload of {content_length} bytes exceeds the limit of {limit} bytes")
    spooled = await service.spool_upload(request.stream(), limit=limit, directory=runtime.settings.upload_spool_dir)
    try:
        row = await run_in_threadpool(service.store_media, runtime, caller, spooled, content_type)
    finally:
        spooled.discard()
    return MediaRead(
        href=service.media_href(runtime, row.sha256), sha256=row.sha256, size=row.size, contentType=row.content_type
    )


class MediaLink(BaseModel):
    url: str
    expiresAt: datetime


@router.get(
    "/{sha256}/link",
    response_model=MediaLink,
    summary="A presigned download URL (no key needed to use it)",
    responses=error_responses(401, 403, 404, 422, 503),
)
def media_link(
    runtime: RuntimeDep, caller: PullCaller, sha256: str, expires_in: Annotated[int, Query(ge=1, le=7 * 86400)] = 3600
) -> MediaLink:
    """For handing a file to a CMS or CDN that cannot send our API key. With the S3
    backend the URL points straight at the object store. Anyone holding the URL can
    use it until it expires; 404 when the caller may not see the media (see below)."""
    url = service.presign_media(runtime, caller, sha256, timedelta(seconds=expires_in))
    return MediaLink(url=url, expiresAt=runtime.clock() + timedelta(seconds=expires_in))


@router.get(
    "/{sha256}",
    summary="Download a media file",
    response_class=StreamingResponse,
    responses=error_responses(401, 403, 404, 422, 503),
)
def download_media(runtime: RuntimeDep, caller: PullCaller, sha256: str) -> StreamingResponse:
    """Media follows the stories that link to it: admins, the agencies that uploaded
    it and the owners of linking stories see it at once, everyone once a linking story
    is visible to everyone (no embargo, or it has passed). Media no story links to yet
    is its uploaders' only. Anyone else gets 404, as for media that does not exist.
    HTML, SVG, XML and other active types come as attachments."""
    row, audience, stream = service.open_media(runtime, caller, sha256)
    # Content-addressed bytes never change; media not yet visible to everyone must not
    # sit in a shared cache that would hand it to the next caller.
    scope = "public" if audience is Audience.EVERYONE else "private"
    headers = {
        "Content-Length": str(row.size),
        "ETag": f'"{row.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": f"{scope}, max-age=31536000, immutable",
    }
    disposition = content_disposition(row.content_type)
    if disposition:
        headers["Content-Disposition"] = disposition
    return stream_object(stream, media_type=row.content_type, headers=headers)
