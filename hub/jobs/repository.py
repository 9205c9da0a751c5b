"""Every job-queue query. The database is the queue: jobs are rows, claimed with a
lease. Functions flush, never commit; the caller's transaction makes each step atomic.

Claiming: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets many workers claim disjoint
jobs at once; on SQLite the write transaction (BEGIN IMMEDIATE) makes the
select-then-update atomic. Completing: a job is finished only by the lease holder of
a still-running job, and one translation per (story, version, language) is a unique
constraint, so a reclaimed job can never produce a second result.

Leases are measured by the database's clock (``lease_clock``), not the worker host's:
workers on machines whose clocks disagree still agree on whose lease has expired.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hub.db import affected_rows
from hub.models import TranslationJob

OPEN = ("pending", "running", "blocked")


def enqueue(
    session: Session, story_id: str, version: int, source_lang: str, targets: Iterable[str], *, now: datetime
) -> None:
    session.add_all(
        TranslationJob(
            story_id=story_id,
            version=version,
            source_lang=source_lang,
            target_lang=target,
            available_at=now,
            created_at=now,
            updated_at=now,
        )
        for target in targets
        if target != source_lang
    )
    session.flush()


def cancel_open(
    session: Session, story_id: str, *, reason: str, now: datetime, before_version: int | None = None
) -> int:
    query = update(TranslationJob).where(TranslationJob.story_id == story_id, TranslationJob.status.in_(OPEN))
    if before_version is not None:
        query = query.where(TranslationJob.version < before_version)
    result = session.execute(
        query.values(status="canceled", reason=reason, lease_owner=None, lease_expires_at=None, updated_at=now)
    )
    return affected_rows(result)


def lease_clock(session: Session, now: datetime) -> datetime:
    """The time leases are set and compared by. On PostgreSQL the server's ``now()``
    (the transaction's start, read once per transaction): a worker host whose clock runs
    an hour ahead must not see every other worker's lease as expired. SQLite is a file
    on this machine, so the process clock (``now``) is the database's clock there."""
    if session.get_bind().dialect.name == "postgresql":
        server_now = session.scalar(select(func.now()))
        assert server_now is not None
        return server_now
    return now


def claim(session: Session, owner: str, *, limit: int, lease: timedelta, now: datetime) -> list[TranslationJob]:
    """Take up to ``limit`` jobs that are due, or whose holder's lease has expired by
    the database's clock."""
    lease_now = lease_clock(session, now)
    due = or_(
        (TranslationJob.status == "pending") & (TranslationJob.available_at <= now),
        (TranslationJob.status == "running") & (TranslationJob.lease_expires_at < lease_now),
    )
    query = select(TranslationJob).where(due).order_by(TranslationJob.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    for job in jobs:
        job.status = "running"
        job.lease_owner = owner
        job.lease_expires_at = lease_now + lease
        job.attempts += 1
        job.updated_at = now
    session.flush()
    return jobs


def extend_leases(session: Session, owner: str, job_ids: Sequence[int], *, lease: timedelta, now: datetime) -> None:
    """Renew ``owner``'s leases on ``job_ids`` for ``lease`` from now, by the database's clock."""
    if job_ids:
        session.execute(
            update(TranslationJob)
            .where(
                TranslationJob.id.in_(job_ids), TranslationJob.lease_owner == owner, TranslationJob.status == "running"
            )
            .values(lease_expires_at=lease_clock(session, now) + lease)
        )


def finish(session: Session, job_id: int, owner: str, *, status: str, now: datetime, **values: object) -> bool:
    """Move a job we still hold to ``status``; False if it was reclaimed or canceled."""
    result = session.execute(
        update(TranslationJob)
        .where(TranslationJob.id == job_id, TranslationJob.lease_owner == owner, TranslationJob.status == "running")
        .values(status=status, lease_owner=None, lease_expires_at=None, updated_at=now, **values)
    )
    return affected_rows(result) == 1


def blocked_pairs(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(TranslationJob.source_lang, TranslationJob.target_lang)
        .where(TranslationJob.status == "blocked")
        .distinct()
    )
    return [(source, target) for source, target in rows]


def unblock(session: Session, source_lang: str, target_lang: str, *, now: datetime) -> int:
    result = session.execute(
        update(TranslationJob)
        .where(
            TranslationJob.status == "blocked",
            TranslationJob.source_lang == source_lang,
            TranslationJob.target_lang == target_lang,
        )
        .values(status="pending", available_at=now, attempts=0, reason=None, updated_at=now)
    )
    return affected_rows(result)


def jobs_of(session: Session, story_id: str, version: int) -> list[TranslationJob]:
    return list(
        session.scalars(
            select(TranslationJob)
            .where(TranslationJob.story_id == story_id, TranslationJob.version == version)
            .order_by(TranslationJob.target_lang)
        )
    )


def jobs_of_versions(session: Session, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], list[TranslationJob]]:
    """``jobs_of`` for many (story, version) pairs in one query."""
    found: dict[tuple[str, int], list[TranslationJob]] = {}
    if not pairs:
        return found
    rows = session.scalars(
        select(TranslationJob)
        .where(TranslationJob.story_id.in_({story_id for story_id, _ in pairs}))
        .order_by(TranslationJob.target_lang)
    )
    for job in rows:
        if (job.story_id, job.version) in pairs:
            found.setdefault((job.story_id, job.version), []).append(job)
    return found


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(TranslationJob.status, func.count()).group_by(TranslationJob.status))
    found = {status: 0 for status in ("pending", "running", "done", "failed", "blocked", "canceled")}
    found.update({status: count for status, count in rows})
    return found


def oldest_pending(session: Session) -> datetime | None:
    return session.scalar(select(func.min(TranslationJob.created_at)).where(TranslationJob.status == "pending"))
