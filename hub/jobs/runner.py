"""Running workers: in the API process (embedded default) or as `ulak worker`, with
graceful shutdown — SIGTERM lets the batch in hand finish, then the worker exits.
Webhook delivery loops run beside the translation loops, in threads of their own."""

from __future__ import annotations

import logging
import signal
import threading

from hub.delivery.loop import run_delivery_threads
from hub.jobs.worker import TranslationWorker, build_engine
from hub.metrics import HubMetrics
from hub.runtime import HubRuntime

log = logging.getLogger("ulak.worker")
DELIVERY_THREADS = 2


class EmbeddedWorker:
    """``concurrency`` worker loops in threads, each with its own engine (CTranslate2
    releases the GIL; every engine loads its own copy of the models it uses), and
    ``deliveries`` webhook delivery loops (each sends one subscription at a time)."""

    def __init__(
        self,
        runtime: HubRuntime,
        metrics: HubMetrics | None = None,
        *,
        concurrency: int = 1,
        deliveries: int = DELIVERY_THREADS,
    ) -> None:
        self.runtime, self.metrics, self.concurrency, self.deliveries = runtime, metrics, concurrency, deliveries
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def _work(self, index: int) -> None:
        engine = build_engine(self.runtime.settings)
        try:
            TranslationWorker(self.runtime, engine, metrics=self.metrics).run(self.stop_event)
        finally:
            engine.close()

    def start(self) -> None:
        for index in range(self.concurrency):
            thread = threading.Thread(target=self._work, args=(index,), name=f"ulak-worker-{index}", daemon=True)
            thread.start()
            self.threads.append(thread)
        self.threads += run_delivery_threads(self.runtime, self.stop_event, count=self.deliveries, metrics=self.metrics)

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)

    def run_forever(self) -> None:
        """Block until SIGTERM or SIGINT, then finish the batch in hand and return."""

        def request_stop(signum: int, _frame: object) -> None:
            log.info("signal %d: finishing the current batch, then stopping", signum)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        self.start()
        while any(t.is_alive() for t in self.threads):
            for thread in self.threads:
                thread.join(0.5)
