"""Prometheus metrics. Queue figures are read from the database at scrape time (so
every API replica reports the same truth); worker counters are per process."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from hub.jobs import repository as jobs
from hub.runtime import HubRuntime
from translation import TranslationEngine

log = logging.getLogger("ulak.metrics")


class _QueueCollector(Collector):
    def __init__(self, runtime: HubRuntime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("ulak_database_up", "1 when the queue figures could be read from the database")
        try:
            with self.runtime.read() as session:
                counts = jobs.counts(session)
        except SQLAlchemyError as exc:
            # A scrape must still answer while the database is down: it says so instead.
            log.warning("metrics: cannot read the queue from the database: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        family = GaugeMetricFamily("ulak_translation_jobs", "Translation jobs by status", labels=["status"])
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family
        depth = GaugeMetricFamily("ulak_queue_depth", "Jobs waiting for a worker (pending + running)")
        depth.add_metric([], counts["pending"] + counts["running"])
        yield depth


class HubMetrics:
    def __init__(self, runtime: HubRuntime) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_QueueCollector(runtime))
        self.jobs_finished = Counter(
            "ulak_jobs_finished", "Jobs finished by this process", ["status"], registry=self.registry
        )
        self.translations_checked = Counter(
            "ulak_translation_quality",
            "Machine translations published by this process, by the checks' outcome (ok | review)",
            ["quality"],
            registry=self.registry,
        )
        self.quality_reasons = Counter(
            "ulak_translation_quality_reasons",
            "Why this process's machine translations were flagged for review, by reason code",
            ["code"],
            registry=self.registry,
        )
        self.sentences = Counter(
            "ulak_translation_sentences",
            "Sentences translated by a model (memory hits excluded)",
            registry=self.registry,
        )
        self.sentences_per_second = Gauge(
            "ulak_translation_sentences_per_second", "Throughput of the last batch", registry=self.registry
        )
        self.batch_seconds = Histogram(
            "ulak_translation_batch_seconds", "Wall time of one worker batch", registry=self.registry
        )
        self.model_load_seconds = Gauge(
            "ulak_model_load_seconds", "Total time spent loading models", registry=self.registry
        )
        self.webhook_attempts = Counter(
            "ulak_webhook_attempts",
            "Webhook deliveries attempted by this process, by outcome (delivered | failed)",
            ["outcome"],
            registry=self.registry,
        )
        self._translated_before = 0

    def observe_batch(self, engine: TranslationEngine, *, seconds: float) -> None:
        translated = engine.stats.sentences_translated
        fresh, self._translated_before = translated - self._translated_before, translated
        self.sentences.inc(fresh)
        self.batch_seconds.observe(seconds)
        if seconds > 0:
            self.sentences_per_second.set(fresh / seconds)
        self.model_load_seconds.set(engine.pool.load_seconds)
