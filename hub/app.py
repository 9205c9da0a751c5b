"""``create_app(settings)``: the FastAPI service, built from explicit settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from hub import __version__
from hub.config import Settings
from hub.db import check_schema
from hub.delivery.routes import router as delivery_router
from hub.desk.app import install_desk
from hub.errors import install_error_handlers
from hub.feed.routes import router as feed_router
from hub.glossary.routes import router as glossary_router
from hub.health import router as health_router
from hub.jobs.queue import install_queue_hooks
from hub.jobs.routes import router as jobs_router
from hub.jobs.runner import EmbeddedWorker
from hub.limits import BodyLimitMiddleware, BodyTimeoutMiddleware, NulCharacterMiddleware
from hub.media.routes import router as media_router
from hub.metrics import HubMetrics
from hub.objects import router as objects_router
from hub.ratelimit import RateLimiter, RateLimitHeadersMiddleware
from hub.runtime import HubRuntime
from hub.search.routes import router as search_router
from hub.stories.routes import router as stories_router
from hub.sweep import sweep_at_start
from translation import langid

DESCRIPTION = """
Ulak is a multilingual content-exchange hub: agencies push ninjs stories, the hub
translates them offline into az, tr, ru, uz and en, partners pull a cursor feed.

Authenticate with `Authorization: Bearer <key>` (`ulak keys create CODE --scopes push,pull`).
Errors are always JSON: `{"error": "<code>", "detail": "<message>"}`.

Requests are rate limited per key and scope (`ULAK_RATE_LIMITS`): every counted response
carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), and a
spent budget answers 429 `rate_limited` with `Retry-After`.
"""


def create_app(settings: Settings | None = None, *, runtime: HubRuntime | None = None) -> FastAPI:
    """Build the app. Refuses (``SchemaOutdated``) when the database is not migrated."""
    settings = settings or (runtime.settings if runtime else Settings())
    runtime = runtime or HubRuntime.from_settings(settings)
    check_schema(runtime.engine)
    install_queue_hooks(runtime)
    metrics = HubMetrics(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(sweep_at_start, runtime)
        if settings.language_id_preload:
            await run_in_threadpool(langid.preload)
        worker = EmbeddedWorker(runtime, metrics) if settings.embedded_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await run_in_threadpool(worker.stop)
            if app.state.rate_limiter is not None:
                app.state.rate_limiter.close()

    # /docs and /redoc with Swagger UI and ReDoc served by the hub itself, not a CDN an
    # air-gapped newsroom cannot reach; no online spec validator either.
    app = FastAPIOffline(
        title="Ulak",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs/assets",
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.runtime = runtime
    app.state.metrics = metrics
    app.state.rate_limiter = RateLimiter.from_settings(settings, runtime.engine)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_story_bytes, exempt=("/v1/media",))
    app.add_middleware(BodyTimeoutMiddleware, timeout=settings.body_timeout_seconds)
    app.add_middleware(NulCharacterMiddleware)
    app.add_middleware(RateLimitHeadersMiddleware)
    app.include_router(health_router)
    app.include_router(objects_router)
    app.include_router(stories_router)
    app.include_router(feed_router)
    app.include_router(media_router)
    app.include_router(jobs_router)
    app.include_router(glossary_router)
    app.include_router(delivery_router)
    app.include_router(search_router)
    install_desk(app)
    return app
