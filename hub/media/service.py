"""Media objects: streamed uploads, content-addressed by sha256, content type sniffed,
and who may fetch them.

An upload is spooled to a temporary file while it is hashed and counted (memory use
stays flat whatever the size), then stored under ``media/sha256/..`` unless the same
bytes are there already. The object is stored before the row that points at it.

Media follows the stories that link to it (hub/media/references.py): admins, the
agencies that uploaded it and the owners of linking stories may fetch it at once;
everyone may once a linking story is visible to everyone (not embargoed, or the
embargo has passed). Media no story links to yet stays with its uploaders, so a photo
sent ahead of an embargoed story cannot leak in between. Anyone else gets 404.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from hub.auth.service import Principal
from hub.errors import InvalidRequest, NotFound, PayloadTooLarge, StorageUnavailable
from hub.media import repository as repo
from hub.media.repository import Audience
from hub.media.types import SNIFF_BYTES, content_disposition, sniff_content_type
from hub.models import MediaObject
from hub.runtime import HubRuntime
from storage import ObjectNotFound, ObjectStream, StorageError
from storage.layout import media_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spooled:
    path: Path
    sha256: str
    size: int
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


async def spool_upload(chunks: AsyncIterator[bytes], *, limit: int, directory: Path) -> Spooled:
    directory.mkdir(parents=True, exist_ok=True)
    hasher, size, head = hashlib.sha256(), 0, b""
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"upload exceeds the limit of {limit} bytes")
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                hasher.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    if size == 0:
        os.unlink(name)
        raise InvalidRequest("empty upload: send the file's bytes as the request body")
    return Spooled(Path(name), hasher.hexdigest(), size, head)


def media_href(runtime: HubRuntime, sha256: str) -> str:
    return f"{runtime.settings.public_url.rstrip('/')}/v1/media/{sha256}"


def store_media(runtime: HubRuntime, caller: Principal, upload: Spooled, declared_type: str | None) -> MediaObject:
    with runtime.read() as session:
        existing = repo.media(session, upload.sha256)
    if existing is None:
        _put_object(runtime, upload, sniff_content_type(upload.head, declared_type))
    # Every agency that sends the bytes may see them; the first one is the row's uploader.
    # Two uploads of the same bytes race on the primary keys: the loser retries once
    # and then finds the winner's rows.
    for attempt in range(2):
        try:
            with runtime.write() as session:
                now = runtime.clock()
                row = repo.media(session, upload.sha256)
                if row is None:
                    row = MediaObject(
                        sha256=upload.sha256,
                        size=upload.size,
                        content_type=sniff_content_type(upload.head, declared_type),
                        object_key=media_key(upload.sha256),
                        uploaded_by=caller.agency_id,
                        created_at=now,
                    )
                    repo.add_media(session, row)
                repo.record_upload(session, upload.sha256, caller.agency_id, now)
                return row
        except IntegrityError:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _put_object(runtime: HubRuntime, upload: Spooled, content_type: str) -> None:
    # The object goes in before the row that points at it: a failed commit leaves an
    # orphan object that the next upload of the same bytes reuses.
    try:
        with upload.path.open("rb") as data:
            runtime.store.put_object(
                media_key(upload.sha256), data, upload.size, content_type=content_type, sha256=upload.sha256
            )
    except StorageError as exc:
        log.warning("storing media %s failed: %s", upload.sha256, exc)
        raise StorageUnavailable("object store unreachable: the upload was not saved; try again later") from exc


def visible_media(runtime: HubRuntime, caller: Principal, sha256: str) -> tuple[MediaObject, Audience]:
    """The media row, if ``caller`` may see it; otherwise ``NotFound``, exactly as for
    media that does not exist, so an embargoed photo's existence does not leak."""
    digest = sha256.lower()
    with runtime.read() as session:
        row = repo.media(session, digest)
        audience = None
        if row is not None:
            audience = repo.audience(
                session, digest, agency_id=caller.agency_id, is_admin=caller.is_admin, now=runtime.clock()
            )
    if row is None or audience is None:
        raise NotFound(f"no media {sha256!r}")
    return row, audience


def open_media(runtime: HubRuntime, caller: Principal, sha256: str) -> tuple[MediaObject, Audience, ObjectStream]:
    row, audience = visible_media(runtime, caller, sha256)
    try:
        return row, audience, runtime.store.get_object(row.object_key)
    except ObjectNotFound:
        raise NotFound(f"media {sha256!r} is missing from the object store") from None
    except StorageError as exc:
        log.warning("reading media %s failed: %s", row.sha256, exc)
        raise StorageUnavailable("object store unreachable; try again later") from exc


def presign_media(runtime: HubRuntime, caller: Principal, sha256: str, expires: timedelta) -> str:
    row, _ = visible_media(runtime, caller, sha256)
    # With S3 the object store serves the bytes itself: the disposition travels in the
    # signed request, since it cannot add nosniff the way the hub does.
    disposition = content_disposition(row.content_type)
    overrides = {"response-content-disposition": disposition} if disposition else None
    try:
        return runtime.store.presigned_get_object(row.object_key, expires=expires, response_headers=overrides)
    except StorageError as exc:
        log.warning("presigning media %s failed: %s", row.sha256, exc)
        raise StorageUnavailable("object store unreachable; try again later") from exc
