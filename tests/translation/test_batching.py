"""Batches and workers: how a batch of documents is cut and run side by side.

The engine cuts each hop's sentences into length-sorted batches and runs the batches of
independent hops on several single-threaded workers. None of that may change an output:
concurrent runs must equal sequential ones, and a hop some routes take first and others
second must still run once.
"""

from __future__ import annotations

from pathlib import Path

from translation import Document, Field, ModelNotInstalled, TranslationEngine
from translation.inference import cpu_workers, token_batches
from translation.packages import install_archive
from translation.segmentation import segment_text

STORIES = [
    Document(
        "az",
        ("tr", "uz", "ru", "en"),
        [Field("Prezident Bakı şəhərində görüş keçirib. Hökumət yeni qərar verib!\n\nNeft və qaz ixracı artıb.")],
    ),
    Document(
        "en", ("az", "tr", "uz", "ru"), [Field("The president held a meeting in the capital. Oil and gas export grew.")]
    ),
    Document("tr", ("az", "en", "uz"), [Field("Cumhurbaşkanı Ankara'da toplantı düzenledi. Ekonomi büyüdü.")]),
    Document("ru", ("az", "tr", "en"), [Field("Президент провёл встречу в Москве. Экономика выросла.")]),
    Document("uz", ("az", "en"), [Field("Prezident Toshkentda uchrashuv o'tkazdi. Yangi loyiha.")]),
]


def test_batches_cover_every_sentence_once_within_the_token_budget() -> None:
    lengths = [5, 30, 7, 12, 12, 3, 40, 8, 9, 25, 6, 11]
    batches = token_batches(lengths, 60)

    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 60
    # Sorted by length, so a batch never mixes the shortest and the longest sentences.
    spans = [(min(lengths[i] for i in b), max(lengths[i] for i in b)) for b in batches]
    assert all(high <= low_next for (_, high), (low_next, _) in zip(sorted(spans), sorted(spans)[1:], strict=False))
    assert token_batches(lengths, 60) == batches


def test_small_jobs_are_split_so_that_every_worker_gets_a_batch() -> None:
    assert len(token_batches([10] * 20, 1024)) == 1
    halves = token_batches([10] * 20, 1024, min_batches=2)
    assert sorted(len(b) for b in halves) == [10, 10]
    assert len(token_batches([10] * 20, 1024, min_batches=3)) == 3
    assert token_batches([10], 1024, min_batches=4) == [[0]]  # nothing left to split


def test_a_sentence_longer_than_the_budget_gets_its_own_batch() -> None:
    assert token_batches([2000, 3, 4], 100) == [[0], [1, 2]]


def test_zero_threads_means_every_available_cpu() -> None:
    assert cpu_workers(3) == 3
    assert cpu_workers(0) >= 1


def _texts(results):
    return [{target: (r.texts, r.error) for target, r in doc.items()} for doc in results]


def test_concurrent_hops_give_the_sequential_outputs(installed_models_dir: Path) -> None:
    with TranslationEngine(installed_models_dir, threads=1) as sequential:
        expected = _texts(sequential.translate_documents(STORIES))
        assert sequential.pool.workers == 1
    # max_batch_tokens small enough that hops are cut into several batches, all run at once.
    with TranslationEngine(installed_models_dir, threads=3, max_batch_tokens=40) as concurrent:
        first = _texts(concurrent.translate_documents(STORIES))
        assert concurrent.stats.batches > concurrent.stats.model_calls
    with TranslationEngine(installed_models_dir, threads=3, max_batch_tokens=40) as again:
        second = _texts(again.translate_documents(STORIES))
    assert first == expected and second == expected


def test_a_hop_taken_first_by_some_routes_and_second_by_others_runs_once(installed_models_dir: Path) -> None:
    az = "Prezident Bakı şəhərində görüş keçirib. Neft ixracı artıb."
    en = "The president held a meeting. Oil export grew."
    with TranslationEngine(installed_models_dir, threads=2) as engine:
        [from_az, from_en] = engine.translate_documents(
            [Document("az", ("tr",), [Field(az)]), Document("en", ("tr",), [Field(en)])]
        )
        # az→en, then en→tr once for the English story and the pivot together.
        assert engine.stats.model_calls == 2
        english = [engine.translate_text(s, "az", "en") for s in segment_text(az, "az").sentences]
        composed = [engine.translate_text(s, "en", "tr") for s in english]
        assert from_az["tr"].texts == [segment_text(az, "az").render(composed)]
        assert from_en["tr"].texts == [engine.translate_text(en, "en", "tr")]


def test_a_hop_that_cannot_load_fails_only_its_targets_while_others_run(
    synthetic_archives: dict[str, Path], models_dir: Path
) -> None:
    for code in ("translate-az_en", "translate-en_tr", "translate-en_ru", "translate-en_uz"):
        install_archive(synthetic_archives[code], models_dir)
    with TranslationEngine(models_dir, threads=2) as engine:
        # Broken in place: a removed package would be noticed by the rescan, not fail to load.
        (next(models_dir.glob("translate-en_ru-*")) / "model" / "model.bin").write_bytes(b"not a model")
        [result] = engine.translate_documents(
            [Document("az", ("tr", "ru", "uz", "en"), [Field(STORIES[0].fields[0].text)])]
        )
    assert isinstance(result["ru"].error, ModelNotInstalled) and result["ru"].texts is None
    assert all(result[t].error is None and result[t].texts for t in ("tr", "uz", "en"))
