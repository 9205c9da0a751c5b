"""Lease heartbeats: a worker keeps the jobs of the batch in hand while it translates it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from hub.jobs import repository as jobs
from hub.runtime import HubRuntime

log = logging.getLogger("ulak.worker")


class LeaseHeartbeat:
    """Extends the batch's leases while it is being translated, so a long batch is not
    reclaimed from a live worker; a dead worker stops extending and loses them."""

    def __init__(self, runtime: HubRuntime, owner: str, lease: timedelta, job_ids: list[int]) -> None:
        self.runtime, self.owner, self.lease, self.job_ids = runtime, owner, lease, job_ids
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name="ulak-lease-heartbeat")

    def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self.stop.wait(interval):
            try:
                with self.runtime.write() as session:
                    jobs.extend_leases(session, self.owner, self.job_ids, lease=self.lease, now=self.runtime.clock())
            except Exception:
                log.exception("could not extend leases")

    def __enter__(self) -> None:
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
