"""Streaming an object-store download to the client without holding it in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from storage import ObjectStream


def stream_object(
    stream: ObjectStream, *, media_type: str, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        try:
            # The store's reads block: run them off the event loop.
            async for chunk in iterate_in_threadpool(iter(stream)):
                yield chunk
        finally:
            stream.close()

    return StreamingResponse(body(), media_type=media_type, headers=dict(headers or {}))
