"""Queue and cancel translation jobs inside the transactions that make them necessary
(the push that creates a version, the kill or withhold that makes them moot)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hub.jobs import repository as jobs
from hub.models import Story
from hub.runtime import HubRuntime


def install_queue_hooks(runtime: HubRuntime) -> None:
    targets = runtime.settings.target_languages

    def on_version_created(session: Session, story: Story, version: int, now: datetime) -> None:
        jobs.cancel_open(session, story.id, reason=f"superseded by version {version}", now=now, before_version=version)
        jobs.enqueue(session, story.id, version, story.source_lang, targets, now=now)

    def on_status_changed(session: Session, story: Story, now: datetime) -> None:
        jobs.cancel_open(session, story.id, reason=f"story {story.pub_status}", now=now)

    runtime.on_version_created.append(on_version_created)
    runtime.on_status_changed.append(on_status_changed)
