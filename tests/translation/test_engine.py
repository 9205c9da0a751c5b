"""The engine end to end over real (synthetic) CTranslate2 packages.

Synthetic models produce gibberish, so these tests assert structure and determinism —
layout kept, pivot = composition, nothing leaked, work deduplicated and remembered — not
wording.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.fixtures.models import PAIR_PACKAGES, ModelSource
from translation import (
    Document,
    Field,
    ModelNotInstalled,
    PackageInfo,
    TranslationEngine,
    UnsupportedLanguagePair,
)
from translation.inference import ModelPool
from translation.markup import sanitize_html
from translation.packages import import_model, install_archive
from translation.segmentation import segment_text

AZ_STORY = (
    "Prezident Bakı şəhərində görüş keçirib. Hökumət yeni qərar verib!\n\n"
    "İqtisadiyyat nazirliyi açıqlama yayıb: artım 3.5 faiz olub.\n"
    "Neft və qaz ixracı artıb."
)
AZ_HTML = '<p class="lead">Prezident <b>Bakı</b> şəhərində görüş keçirib.</p><ul><li>Neft ixrac.</li><li><a href="https://example.az/x">Xəbər</a> yeni layihə.</li></ul>'
LANGUAGE_TOKEN = re.compile(r"__[a-z]{2,3}__")


@pytest.fixture
def engine(installed_models_dir: Path) -> TranslationEngine:
    with TranslationEngine(installed_models_dir, threads=1) as engine:
        yield engine


def _story(target_langs=("tr", "uz", "en", "ru", "az")) -> Document:
    return Document(
        "az", tuple(target_langs), [Field("Bakı xəbəri: yeni layihə."), Field(AZ_STORY), Field(AZ_HTML, html=True)]
    )


def test_every_target_gets_every_field_with_its_models(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents([_story()])

    assert list(result) == ["tr", "uz", "en", "ru", "az"]
    for target in ("tr", "uz", "en", "ru"):
        assert result[target].error is None
        assert len(result[target].texts) == 3
        assert all(isinstance(text, str) for text in result[target].texts)
    assert [(m.code, m.from_code, m.to_code) for m in result["uz"].models] == [
        ("translate-az_en", "az", "en"),
        ("translate-en_uz", "en", "uz"),
    ]
    assert [m.code for m in result["en"].models] == ["translate-az_en"]


def test_same_language_target_is_returned_unchanged(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents([_story(("az",))])
    assert result["az"].texts == [f.text for f in _story().fields]
    assert result["az"].models == [] and engine.stats.model_calls == 0


def test_paragraph_structure_is_kept(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents([_story(("en", "tr"))])
    for target in ("en", "tr"):
        body = result[target].texts[1]
        assert body.count("\n\n") == 1 and body.count("\n") == 3
        paragraphs = body.split("\n\n")
        assert len(paragraphs[1].split("\n")) == 2


def test_html_structure_and_attributes_are_kept(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents([_story(("uz",))])
    html = result["uz"].texts[2]
    tags = re.findall(r"<[^>]+>", html)
    # Markup is sanitised first (nh3), then every tag and attribute survives translation.
    assert tags == re.findall(r"<[^>]+>", sanitize_html(AZ_HTML))
    assert len(tags) == 12 and 'href="https://example.az/x"' in html


def test_output_is_deterministic(installed_models_dir: Path) -> None:
    outputs = []
    for _ in range(2):
        with TranslationEngine(installed_models_dir, threads=1) as engine:
            outputs.append(engine.translate_documents([_story()]))
    assert [{t: r.texts for t, r in d.items()} for d in outputs[0]] == [
        {t: r.texts for t, r in d.items()} for d in outputs[1]
    ]


def test_pivot_equals_the_composition_of_its_hops(engine: TranslationEngine) -> None:
    [pivoted] = engine.translate_documents([Document("az", ("uz", "tr", "en"), [Field(AZ_STORY)])])

    layout = segment_text(AZ_STORY, "az")
    english = [engine.translate_text(s, "az", "en") for s in layout.sentences]
    for target in ("uz", "tr"):
        composed = [engine.translate_text(e, "en", target) for e in english]
        assert pivoted[target].texts == [layout.render(composed)]
    assert pivoted["en"].texts == [layout.render(english)]


def test_pivot_translates_to_english_once_for_all_targets(engine: TranslationEngine) -> None:
    sentences = segment_text(AZ_STORY, "az").sentences
    engine.translate_documents([Document("az", ("tr", "uz", "ru", "en"), [Field(AZ_STORY)])])
    calls, translated = engine.stats.model_calls, engine.stats.sentences_translated
    english = {engine.translate_text(s, "az", "en") for s in sentences} - {""}
    # az→en once (shared by en and every pivot), then en→tr, en→uz, en→ru: 4 model calls,
    # each over the distinct English lines only.
    assert calls == 4
    assert translated == len(sentences) + 3 * len(english)


def test_one_batch_per_model_deduplicated_across_documents(engine: TranslationEngine) -> None:
    boilerplate = "Xəbər agentliyi."
    docs = [
        Document("az", ("en",), [Field(f"{boilerplate} Prezident görüş keçirib."), Field(boilerplate)]),
        Document("az", ("en",), [Field(f"{boilerplate} Neft ixrac artıb.")]),
        Document("tr", ("en",), [Field("Ekonomi büyüdü.")]),
    ]
    results = engine.translate_documents(docs)

    assert engine.stats.model_calls == 2  # az→en and tr→en, each once
    assert engine.stats.sentences_translated == 3 + 1  # the boilerplate line only once
    first = engine.translate_text(boilerplate, "az", "en")
    assert results[0]["en"].texts[1] == first


def test_language_tokens_never_leak(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents(
        [Document("en", ("uz",), [Field("The president held a meeting. Oil and gas export grew.")])]
    )
    [back] = engine.translate_documents(
        [Document("uz", ("en", "az"), [Field("Prezident Toshkentda uchrashuv o'tkazdi.")])]
    )
    for text in [*result["uz"].texts, *back["en"].texts, *back["az"].texts]:
        assert not LANGUAGE_TOKEN.search(text)


def test_underscores_in_text_survive_decoding(engine: TranslationEngine) -> None:
    model = engine.pool.get(next(p for p in engine.packages if p.code == "translate-en_az"))
    text = "See report_2024 and file_name now"
    assert model.detokenize(model.processor.encode(text, out_type=str)) == text


def test_per_target_errors_do_not_fail_the_batch(engine: TranslationEngine) -> None:
    results = engine.translate_documents(
        [Document("az", ("kk", "tr"), [Field(AZ_STORY)]), Document("ky", ("en",), [Field("Salam.")])]
    )
    assert isinstance(results[0]["kk"].error, UnsupportedLanguagePair)
    assert results[0]["kk"].texts is None
    assert "translate-en_kk" in str(results[0]["kk"].error)
    assert results[0]["tr"].error is None and results[0]["tr"].texts
    assert isinstance(results[1]["en"].error, UnsupportedLanguagePair)


def test_package_that_fails_to_load_fails_only_its_targets(
    synthetic_archives: dict[str, Path], models_dir: Path
) -> None:
    for code in ("translate-az_en", "translate-en_tr", "translate-en_ru"):
        install_archive(synthetic_archives[code], models_dir)
    with TranslationEngine(models_dir, threads=1) as engine:
        (next(models_dir.glob("translate-en_ru-*")) / "model" / "model.bin").write_bytes(b"not a model")
        [result] = engine.translate_documents([Document("az", ("tr", "ru"), [Field(AZ_STORY)])])
        assert result["tr"].error is None
        assert isinstance(result["ru"].error, ModelNotInstalled)


def test_package_removed_under_a_running_engine_is_noticed(
    synthetic_archives: dict[str, Path], models_dir: Path
) -> None:
    for code in ("translate-az_en", "translate-en_tr", "translate-en_ru"):
        install_archive(synthetic_archives[code], models_dir)
    with TranslationEngine(models_dir, threads=1) as engine:
        shutil.rmtree(next(models_dir.glob("translate-en_ru-*")))
        [result] = engine.translate_documents([Document("az", ("tr", "ru"), [Field(AZ_STORY)])])
        assert result["tr"].error is None
        # No refresh() call: the engine saw the packages dir change and says what to install.
        assert isinstance(result["ru"].error, UnsupportedLanguagePair)
        assert "translate-en_ru" in str(result["ru"].error)


def test_refresh_picks_up_new_packages(synthetic_archives: dict[str, Path], models_dir: Path) -> None:
    with TranslationEngine(models_dir, threads=1) as engine:
        with pytest.raises(UnsupportedLanguagePair):
            engine.plan("ru", "en")
        install_archive(synthetic_archives["translate-ru_en"], models_dir)
        engine.refresh()
        assert [m.code for m in engine.plan("ru", "en").models] == ["translate-ru_en"]


def test_loaded_models_are_capped(installed_models_dir: Path) -> None:
    with TranslationEngine(installed_models_dir, threads=1, max_loaded_models=2) as engine:
        for package in PAIR_PACKAGES:
            engine.translate_text("Salam dünya.", package.from_code, package.to_code)
            assert len(engine.pool.loaded) <= 2
        assert [p.code for p in engine.pool.loaded] == [p.code for p in PAIR_PACKAGES[-2:]]


def test_translation_memory_skips_known_sentences_and_is_shared(installed_models_dir: Path, tmp_path: Path) -> None:
    memory = tmp_path / "memory.sqlite3"
    sentences = [f"Prezident {n} saylı qərar verib." for n in range(20)]
    story = " ".join(sentences)
    corrected = " ".join([*sentences[:7], "Hökumət yeni layihə açıqlayıb.", *sentences[8:]])

    with TranslationEngine(installed_models_dir, memory_path=memory, threads=1) as first:
        [original] = first.translate_documents([Document("az", ("en", "tr"), [Field(story)])])
        english = {first.translate_text(s, "az", "en") for s in sentences}
        # 20 lines az→en, then each distinct English line en→tr (tiny models repeat themselves).
        assert first.stats.sentences_translated == 20 + len(english)

    with TranslationEngine(installed_models_dir, memory_path=memory, threads=1) as second:
        [again] = second.translate_documents([Document("az", ("en", "tr"), [Field(story)])])
        assert second.stats.sentences_translated == 0 and second.stats.model_calls == 0
        assert {t: r.texts for t, r in again.items()} == {t: r.texts for t, r in original.items()}
        hits_before = second.stats.memory_hits
        second.translate_documents([Document("az", ("en", "tr"), [Field(corrected)])])
        # One changed source sentence: one az→en line, and at most its English line en→tr
        # (the other English lines are remembered).
        assert 1 <= second.stats.sentences_translated <= 2
        assert second.stats.memory_hits - hits_before >= 19

    with TranslationEngine(installed_models_dir, memory_path=memory, threads=1, beam_size=2) as other_settings:
        other_settings.translate_documents([Document("az", ("en",), [Field(story)])])
        assert other_settings.stats.memory_hits == 0  # different decoding settings, different keys


# -- a package replaced under the same code and version ------------------------------------

SENTENCES = "Prezident Bakı şəhərində görüş keçirib. Neft və qaz ixracı artıb."


def _import(source: ModelSource, models_dir: Path) -> PackageInfo:
    return import_model(source.model_dir, source.sentencepiece, models_dir, from_code="az", to_code="en", version="1.0")


def _fresh_output(source: ModelSource, models_dir: Path) -> str:
    """What the model alone makes of SENTENCES: its own packages dir, no memory."""
    _import(source, models_dir)
    with TranslationEngine(models_dir, threads=1) as engine:
        return engine.translate_text(SENTENCES, "az", "en")


@pytest.fixture
def expected(replaced_model_sources: tuple[ModelSource, ...], tmp_path: Path) -> tuple[str, str]:
    outputs = tuple(_fresh_output(s, tmp_path / f"alone-{i}") for i, s in enumerate(replaced_model_sources))
    assert outputs[0] != outputs[1]  # else the tests below could not tell the models apart
    return outputs


def test_reimported_model_is_not_answered_from_the_memory_of_the_old_one(
    replaced_model_sources: tuple[ModelSource, ...], expected: tuple[str, str], models_dir: Path, tmp_path: Path
) -> None:
    old, new = replaced_model_sources
    memory = tmp_path / "memory.sqlite3"
    first = _import(old, models_dir)
    with TranslationEngine(models_dir, memory_path=memory, threads=1) as engine:
        assert engine.translate_text(SENTENCES, "az", "en") == expected[0]
        second = _import(new, models_dir)
        engine.refresh()
        hits = engine.stats.memory_hits

        assert engine.translate_text(SENTENCES, "az", "en") == expected[1]
        assert engine.stats.memory_hits == hits
        assert (second.code, second.version) == (first.code, first.version) and second.digest != first.digest
    # The new model's lines are remembered under the new content, and answer from now on.
    with TranslationEngine(models_dir, memory_path=memory, threads=1) as later:
        assert later.translate_text(SENTENCES, "az", "en") == expected[1]
        assert later.stats.sentences_translated == 0


@pytest.mark.parametrize("replace", ["import", "install"])
def test_long_lived_engine_never_translates_with_the_replaced_model(
    replace: str,
    replaced_model_sources: tuple[ModelSource, ...],
    replaced_archives: tuple[Path, ...],
    expected: tuple[str, str],
    models_dir: Path,
    tmp_path: Path,
) -> None:
    def put(index: int) -> PackageInfo:
        if replace == "import":
            return _import(replaced_model_sources[index], models_dir)
        return install_archive(replaced_archives[index], models_dir)

    put(0)
    with TranslationEngine(models_dir, memory_path=tmp_path / "memory.sqlite3", threads=1) as engine:
        [before] = engine.translate_documents([Document("az", ("en",), [Field(SENTENCES)])])
        assert before["en"].texts == [expected[0]]
        assert len(engine.pool.loaded) == 1  # the old model is loaded and held
        new = put(1)

        # No refresh() call: a worker's engine runs batch after batch on its own.
        [after] = engine.translate_documents([Document("az", ("en",), [Field(SENTENCES)])])

        assert after["en"].texts == [expected[1]]
        assert engine.pool.loaded == [new]
        [old_ref], [new_ref] = before["en"].models, after["en"].models
        assert (new_ref.code, new_ref.version) == (old_ref.code, old_ref.version)
        assert new_ref.digest == new.digest != old_ref.digest


def test_pool_refuses_a_package_replaced_after_the_scan(
    replaced_model_sources: tuple[ModelSource, ...], models_dir: Path
) -> None:
    scanned = _import(replaced_model_sources[0], models_dir)
    _import(replaced_model_sources[1], models_dir)  # same directory, other content
    pool = ModelPool(threads=1)
    try:
        with pytest.raises(ModelNotInstalled, match="replaced"):
            pool.get(scanned)
        assert pool.loaded == []
    finally:
        pool.close()
