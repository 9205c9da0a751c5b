"""Glossary terms through the real engine: whatever the (synthetic, garbling) models do, each
term found in the source reaches every target in its target form, on every kind of route."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation import Document, Field, TranslationEngine
from translation.glossary import Term, find_terms
from translation.markup import segment_html
from translation.protection import protect_terms
from translation.segmentation import segment_text

LANGS = ("az", "tr", "ru", "uz", "en")
PRESIDENT = Term(
    {
        "az": ["İlham Əliyev"],
        "tr": ["İlham Aliyev"],
        "ru": ["Ильхам Алиев"],
        "uz": ["Ilhom Aliyev", "Илҳом Алиев"],
        "en": ["Ilham Aliyev"],
    }
)
BAKU = Term({"az": ["Bakı"], "tr": ["Bakü"], "ru": ["Баку"], "uz": ["Boku", "Боку"], "en": ["Baku"]})
REPUBLIC = Term(
    {
        "az": ["Azərbaycan Respublikası"],
        "tr": ["Azerbaycan Cumhuriyeti"],
        "ru": ["Азербайджанская Республика"],
        "uz": ["Ozarbayjon Respublikasi"],
        "en": ["Republic of Azerbaijan"],
    }
)
ASAN = Term({"az": ["ASAN xidmət"]})  # a name with no form in any other language
GLOSSARY = (PRESIDENT, BAKU, REPUBLIC, ASAN)

# Each source opens with two adjacent terms, holds the republic's name in capitals mid-sentence
# and ends on a term; Turkish adds an apostrophe suffix, Uzbek writes two terms in Cyrillic.
SOURCES = {
    "az": "İlham Əliyev Bakı şəhərində görüş keçirib. Hökumət AZƏRBAYCAN RESPUBLİKASI adından "
    "yeni qərar verib. Neft ixracı artıb, bildirib prezident Bakı.",
    "tr": "İlham Aliyev Bakü'de toplantı düzenledi. Hükümet AZERBAYCAN CUMHURİYETİ adına yeni "
    "karar verdi. İhracat arttı, dedi cumhurbaşkanı Bakü.",
    "ru": "Ильхам Алиев Баку провёл встречу. Правительство АЗЕРБАЙДЖАНСКАЯ РЕСПУБЛИКА приняло "
    "решение. Экспорт нефти вырос, сообщил президент Баку.",
    "uz": "Илҳом Алиев Boku shahrida uchrashuv o'tkazdi. Hukumat OZARBAYJON RESPUBLIKASI nomidan "
    "yangi qaror qabul qildi. Eksport oshdi, dedi prezident Боку.",
    "en": "Ilham Aliyev Baku held a meeting. The government of the REPUBLIC OF AZERBAIJAN made a "
    "new decision. Oil exports grew, said the president in Baku.",
}


def _html(lang: str) -> str:
    president, baku, republic = (term.source_forms(lang)[0] for term in (PRESIDENT, BAKU, REPUBLIC))
    return (
        f"<p><b>{president}</b> {SOURCES[lang].split('. ')[1]}.</p>"
        f'<p>{republic} &amp; <i>{baku}</i></p><img src="https://example.org/p.jpg" alt="{baku} 2024">'
    )


@pytest.fixture
def engine(installed_models_dir: Path) -> TranslationEngine:
    with TranslationEngine(installed_models_dir, threads=1) as engine:
        yield engine


def _forms(target: str) -> tuple[str, str, str]:
    return tuple(term.target_form(target) for term in (PRESIDENT, BAKU, REPUBLIC))  # type: ignore[return-value]


def test_the_language_matrix_covers_direct_pivot_and_multilingual_routes(engine: TranslationEngine) -> None:
    kinds = set()
    for source in LANGS:
        for target in LANGS:
            if source != target:
                route = engine.plan(source, target)
                kinds.add("pivot" if len(route.hops) == 2 else "direct")
                kinds |= {"multilingual" for hop in route.hops if hop.package.multilingual}
    assert kinds == {"direct", "pivot", "multilingual"}


@pytest.mark.parametrize("source", LANGS)
def test_every_target_gets_every_term_in_its_form(engine: TranslationEngine, source: str) -> None:
    targets = tuple(t for t in LANGS if t != source)
    [result] = engine.translate_documents(
        [Document(source, targets, [Field(SOURCES[source]), Field(_html(source), html=True)], GLOSSARY)]
    )
    for target in targets:
        assert result[target].error is None and result[target].models
        text, html = result[target].texts
        president, baku, republic = _forms(target)
        # Adjacent terms at the start, with the source's space between them; a term at the end.
        assert text.startswith(f"{president} {baku}") and text.endswith(f" {baku}.")
        assert f" {republic} " in text  # written in capitals, matched all the same
        assert f"<p><b>{president}</b> " in html and f"{republic} &amp; <i>{baku}</i>" in html
        assert f'alt="{baku} 2024"' in html


def test_a_term_with_no_target_form_is_kept_as_written(engine: TranslationEngine) -> None:
    text = "Vətəndaşlar asan xidmət mərkəzinə gəlib, Bakı."
    [result] = engine.translate_documents([Document("az", ("en", "tr", "ru", "uz"), [Field(text)], GLOSSARY)])
    for target in ("en", "tr", "ru", "uz"):
        [translated] = result[target].texts
        assert " asan xidmət " in translated and translated.endswith(f" {BAKU.target_form(target)}.")


def test_inflected_forms_are_not_terms_and_translate_freely(engine: TranslationEngine) -> None:
    text = "Əliyevin çıxışı Bakıda olub. Bakılılar azərbaycan respublikasında yaşayır."
    targets = ("en", "tr", "uz")
    glossary = (*GLOSSARY, Term({"az": ["Əliyev"], "en": ["Aliyev"], "tr": ["Aliyev"], "uz": ["Aliyev"]}))
    [protected] = engine.translate_documents([Document("az", targets, [Field(text)], glossary)])
    [plain] = engine.translate_documents([Document("az", targets, [Field(text)])])
    assert {t: r.texts for t, r in protected.items()} == {t: r.texts for t, r in plain.items()}


def test_turkish_dotted_and_dotless_i_in_capitals(engine: TranslationEngine) -> None:
    diyarbakir = Term({"tr": ["Diyarbakır"], "en": ["Diyarbakir"], "ru": ["Диярбакыр"]})
    istanbul = Term({"tr": ["İstanbul"], "en": ["Istanbul"], "ru": ["Стамбул"]})
    text = "DİYARBAKIR ve istanbul arasında yeni proje. ISTANBUL'da toplantı."
    [result] = engine.translate_documents([Document("tr", ("en", "ru"), [Field(text)], (diyarbakir, istanbul))])
    for target, (first, second) in {"en": ("Diyarbakir", "Istanbul"), "ru": ("Диярбакыр", "Стамбул")}.items():
        [translated] = result[target].texts
        assert translated.startswith(f"{first} ") and f" {second} " in translated
        assert translated.count(second) >= 2  # "ISTANBUL'da" too: the name before the apostrophe


def test_a_field_that_is_only_terms_needs_no_model(engine: TranslationEngine) -> None:
    [result] = engine.translate_documents(
        [Document("az", ("en", "ru", "uz"), [Field("Bakı"), Field("İlham Əliyev — Bakı", html=True)], GLOSSARY)]
    )
    assert engine.stats.sentences_translated == 0 and engine.stats.model_calls == 0
    assert result["en"].texts == ["Baku", "Ilham Aliyev — Baku"]
    assert result["ru"].texts == ["Баку", "Ильхам Алиев — Баку"]
    assert result["uz"].texts == ["Boku", "Ilhom Aliyev — Boku"]


def test_target_forms_are_escaped_in_html(engine: TranslationEngine) -> None:
    company = Term({"az": ["Conson və Conson"], "en": ["Johnson & Johnson"]})
    doc = Document("az", ("en",), [Field("Conson və Conson"), Field("<p>Conson və Conson</p>", html=True)], [company])
    [result] = engine.translate_documents([doc])
    assert result["en"].texts == ["Johnson & Johnson", "<p>Johnson &amp; Johnson</p>"]


def test_the_memory_only_ever_sees_fragments(
    installed_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = [Field(SOURCES["az"]), Field(_html("az"), html=True)]
    doc = Document("az", ("en", "tr", "uz"), fields, GLOSSARY)
    sentences = [*segment_text(SOURCES["az"], "az").sentences, *segment_html(_html("az"), "az").sentences]
    fragments = protect_terms(sentences, GLOSSARY, "az").units
    with TranslationEngine(installed_models_dir, memory_path=tmp_path / "memory.sqlite3", threads=1) as first:
        assert first.memory is not None
        stored: dict[str, dict[str, str]] = {}
        real_store = first.memory.store
        monkeypatch.setattr(
            first.memory,
            "store",
            lambda scope, rows, **kw: (stored.setdefault(scope, {}).update(rows), real_store(scope, rows, **kw)),
        )
        [original] = first.translate_documents([doc])

    first_hop = {
        source: target for scope, rows in stored.items() if ":az>en:" in scope for source, target in rows.items()
    }
    assert set(first_hop) == set(fragments)
    assert not [s for s in first_hop if find_terms(s, GLOSSARY, "az")]
    # The second hops (en→tr, en→uz) see only the first hop's translations of the fragments.
    later = {source for scope, rows in stored.items() if ":az>en:" not in scope for source in rows}
    assert later <= set(first_hop.values())

    with TranslationEngine(installed_models_dir, memory_path=tmp_path / "memory.sqlite3", threads=1) as second:
        [again] = second.translate_documents([doc])
        assert second.stats.model_calls == 0 and second.stats.memory_hits > 0
    assert {t: r.texts for t, r in again.items()} == {t: r.texts for t, r in original.items()}
    assert all(r.texts[0].startswith(f"{PRESIDENT.target_form(t)} {BAKU.target_form(t)} ") for t, r in again.items())
