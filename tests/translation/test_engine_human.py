"""The engine with human units (``Document.human``): they come before the memory and
any model, per target, and only what they leave reaches a model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.models import installed_models_dir, synthetic_archives  # noqa: F401 - fixtures
from translation import Document, Field, TranslationEngine
from translation.glossary import Term

BODY = "Bakıda forum açılıb. Jurnalistlər iştirak edir.\n\nTədbir iki gün davam edəcək."


@pytest.fixture
def engine(installed_models_dir: Path, tmp_path: Path) -> Iterator[TranslationEngine]:  # noqa: F811
    with TranslationEngine(installed_models_dir, threads=1, memory_path=tmp_path / "memory.sqlite") as engine:
        yield engine


def test_human_units_replace_machine_output_and_only_the_rest_is_translated(engine: TranslationEngine) -> None:
    human = {
        "Bakı xəbəri.": "Bakü haberi.",
        "Bakıda forum açılıb.": "Bakü'de forum açıldı.",
        "Jurnalistlər iştirak edir.": "Gazeteciler katılıyor.",
    }
    doc = Document("az", ("tr",), [Field("Bakı xəbəri."), Field(BODY)], human={"tr": human})
    tr = engine.translate_documents([doc])[0]["tr"]

    assert tr.texts is not None and tr.texts[0] == "Bakü haberi."
    first, second = tr.texts[1].split("\n\n")
    assert first == "Bakü'de forum açıldı. Gazeteciler katılıyor."
    assert second and second != "Tədbir iki gün davam edəcək."  # machine output
    assert sorted(tr.human_units) == sorted(human) and tr.machine_sentences == 1
    assert engine.stats.human_hits == 3
    # One sentence through the pivot: az→en, then en→tr.
    assert engine.stats.sentences_requested == engine.stats.sentences_translated == 2
    # Human units are per target: Russian gets all four sentences from the models.
    ru = engine.translate_documents([Document("az", ("ru",), doc.fields, human=doc.human)])[0]["ru"]
    assert ru.human_units == [] and ru.machine_sentences == 4


def test_a_human_unit_wins_over_the_memory(engine: TranslationEngine) -> None:
    plain = Document("az", ("en",), [Field("Bakıda forum açılıb.")])
    machine = engine.translate_documents([plain])[0]["en"].texts
    edited = Document("az", ("en",), [Field("Bakıda forum açılıb.")], human={"en": {"Bakıda forum açılıb.": "Forum."}})
    requested = engine.stats.sentences_requested
    assert engine.translate_documents([edited])[0]["en"].texts == ["Forum."] != machine
    assert engine.stats.sentences_requested == requested  # neither the memory nor a model was asked


def test_a_glossary_applies_to_what_the_models_translate_and_never_rewrites_a_human_unit(
    engine: TranslationEngine,
) -> None:
    """An editor's sentence is kept as written, even where it spells a term its own way;
    the sentences left to the models still get every term in its target form."""
    baku = Term({"az": ["Bakı"], "tr": ["Bakü"]})
    body = "Bakıda forum açılıb. Bakı forumu iki gün davam edəcək."
    human = {"Bakıda forum açılıb.": "Baku'da forum açıldı."}  # the editor's own spelling
    doc = Document("az", ("tr",), [Field(body)], glossary=[baku], human={"tr": human})
    tr = engine.translate_documents([doc])[0]["tr"]

    assert tr.texts is not None
    kept = "Baku'da forum açıldı. "
    assert tr.texts[0].startswith(kept), tr.texts
    assert tr.texts[0].removeprefix(kept).startswith("Bakü ")  # the machine sentence keeps its term
    assert tr.human_units == ["Bakıda forum açılıb."] and tr.machine_sentences == 1
