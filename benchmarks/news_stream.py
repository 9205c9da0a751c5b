"""News-like wire stories and a stream of them through the engine, as the worker sees it.

Agency wires repeat themselves: every story opens with a dateline and agency credit, many
end on the same standard sentences ("The ministry said in a statement.", "Follow us on
…"), bylines come from a small desk, and the same officials and headlines recur across
stories. ``wire_stories`` builds such stories deterministically in az/tr/ru/uz/en, one
unique body per story from ``generated_sentences`` around that boilerplate.
``run_stream`` sends stories through ``TranslationEngine.translate_documents`` in arrival
order as the worker's claims hold them (one single-target document per job, ``claim_size``
jobs per call) and reads from the engine's counters how many sentence translations the
translation memory and the in-claim de-duplication served instead of a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.measure import CpuWatch
from tests.fixtures.synthetic_models import generated_sentences
from translation import Document, Field, TranslationEngine
from translation.segmentation import segment_text

LANGS = ("az", "tr", "ru", "uz", "en")


@dataclass(frozen=True)
class Wire:
    """One agency's house style in its language: the parts its stories share."""

    city: str
    agency: str
    months: tuple[str, ...]  # December and January, as the dateline writes them
    standard: tuple[str, ...]  # sentences a story ends on, drawn from
    bylines: tuple[str, ...]
    headlines: tuple[str, ...]  # recurring headline shapes, {} = a recurring name


WIRES = {
    "az": Wire(
        "BAKI",
        "AZƏRTAC",
        ("dekabr", "yanvar"),
        (
            "Bu barədə nazirliyin mətbuat xidmətindən məlumat verilib.",
            "Qeyd edək ki, tədbirdə digər rəsmi şəxslər də iştirak ediblər.",
            "Xəbərləri AZƏRTAC-ın Telegram kanalında izləyin.",
        ),
        ("Müəllif: Elçin Məmmədov.", "Müəllif: Leyla Həsənova."),
        ("{} nümayəndə heyətini qəbul edib", "{} Bakıda görüş keçirib", "{} bəyanat verib"),
    ),
    "tr": Wire(
        "ANKARA",
        "AA",
        ("Aralık", "Ocak"),
        (
            "Bakanlıktan yapılan yazılı açıklamada bilgi verildi.",
            "Toplantıya çok sayıda yetkili katıldı.",
            "Gelişmeleri AA'nın Telegram kanalından takip edin.",
        ),
        ("Muhabir: Ayşe Demir.", "Muhabir: Mehmet Yılmaz."),
        ("{} heyeti kabul etti", "{} Ankara'da görüştü", "{} açıklama yaptı"),
    ),
    "ru": Wire(
        "МОСКВА",
        "ТАСС",
        ("декабря", "января"),
        (
            "Об этом говорится в заявлении министерства.",
            "В мероприятии приняли участие официальные лица.",
            "Следите за новостями ТАСС в Telegram.",
        ),
        ("Автор: Иван Петров.", "Автор: Анна Смирнова."),
        ("{} принял делегацию", "{} провел встречу в Москве", "{} сделал заявление"),
    ),
    "uz": Wire(
        "TOSHKENT",
        "UzA",
        ("dekabr", "yanvar"),
        (
            "Bu haqda vazirlik matbuot xizmati xabar berdi.",
            "Tadbirda rasmiy shaxslar ishtirok etdi.",
            "Yangiliklarni UzA Telegram kanalida kuzatib boring.",
        ),
        ("Muallif: Aziz Karimov.", "Muallif: Dilnoza Rasulova."),
        ("{} delegatsiyani qabul qildi", "{} Toshkentda uchrashuv o'tkazdi", "{} bayonot berdi"),
    ),
    "en": Wire(
        "ASTANA",
        "Kazinform",
        ("Dec", "Jan"),
        (
            "The ministry said in a statement.",
            "Officials from several countries attended the meeting.",
            "Follow us on Telegram for the latest news.",
        ),
        ("Reporting by John Smith; editing by Anna Lee.", "Reporting by Maria Jones; editing by Tom Clark."),
        ("{} receives delegation", "{} holds talks in Astana", "{} makes statement"),
    ),
}
# Names recur across every agency's stories, as the region's officials do.
NAMES = ("Ilham Aliyev", "Recep Tayyip Erdoğan", "Shavkat Mirziyoyev", "Kassym-Jomart Tokayev")


def wire_stories(count: int, unique_sentences: int = 6) -> list[tuple[str, list[str]]]:
    """``count`` (source_lang, [headline, body]) stories in arrival order, languages in turn.

    Body: dateline + credit opening the first unique sentence, ``unique_sentences`` sentences
    of their own, two of the wire's standard sentences and a byline. Stories of one day share
    the dateline's date; a headline is one of the wire's shapes around a recurring name.
    """
    stories = []
    for i in range(count):
        lang = LANGS[i % len(LANGS)]
        wire = WIRES[lang]
        day = 2 + i // 10  # ten stories a day
        month = wire.months[0] if day <= 31 else wire.months[1]
        date = f"{day if day <= 31 else day - 31} {month}" if lang != "en" else f"{month} {day}"
        unique = list(generated_sentences((lang,), count=unique_sentences, seed=5000 + i))
        unique[0] = f"{wire.city}, {date} ({wire.agency}) – {unique[0]}"
        standard = [wire.standard[(i + k) % len(wire.standard)] for k in (0, 1)]
        half = len(unique) // 2
        body = " ".join(unique[:half]) + "\n\n" + " ".join(unique[half:] + standard) + "\n\n" + wire.bylines[i % 2]
        headline = wire.headlines[(i // len(LANGS)) % len(wire.headlines)].format(NAMES[i % len(NAMES)])
        stories.append((lang, [headline, body]))
    return stories


def synthetic_stories(count: int, sentences: int) -> list[tuple[str, list[str]]]:
    """The synthetic case as a stream: generated sentences only, nothing shared between stories."""
    stories = []
    for i in range(count):
        lang = LANGS[i % len(LANGS)]
        lines = list(generated_sentences((lang,), count=sentences + 1, seed=100 + i))
        half = len(lines) // 2
        stories.append((lang, [lines[0], " ".join(lines[1:half]) + "\n\n" + " ".join(lines[half:])]))
    return stories


def stream_jobs(stories: list[tuple[str, list[str]]]) -> list[Document]:
    """One single-target document per job, a story's jobs queued together, as the hub does."""
    return [
        Document(lang, (target,), [Field(text) for text in fields])
        for lang, fields in stories
        for target in LANGS
        if target != lang
    ]


def routed_sentences(engine: TranslationEngine, claims: list[list[Document]]) -> int:
    """Sentence translations the claims need with neither memory nor de-duplication across
    jobs: per job, its sentences × its route's hops, a story's source → en hop once per claim
    (the engine always shares a pivot's first hop between the targets of one story)."""
    total = 0
    for claim in claims:
        hops: dict[tuple[tuple[str, ...], object], int] = {}
        for doc in claim:
            texts = tuple(f.text for f in doc.fields)
            count = sum(len([s for s in segment_text(t, doc.source_lang).sentences if s.strip()]) for t in texts)
            for hop in engine.plan(doc.source_lang, doc.target_langs[0]).hops:
                hops[(texts, hop)] = count
        total += sum(hops.values())
    return total


def run_stream(engine: TranslationEngine, stories: list[tuple[str, list[str]]], claim_size: int) -> dict:
    """The stories' jobs through ``engine`` in claims of ``claim_size``, in arrival order."""
    jobs = stream_jobs(stories)
    claims = [jobs[start : start + claim_size] for start in range(0, len(jobs), claim_size)]
    before = (engine.stats.sentences_requested, engine.stats.memory_hits, engine.stats.sentences_translated)
    with CpuWatch() as watch:
        for claim in claims:
            results = engine.translate_documents(claim)
            assert all(r.error is None for doc in results for r in doc.values())
    requested, memory_hits, translated = (
        after - start
        for after, start in zip(
            (engine.stats.sentences_requested, engine.stats.memory_hits, engine.stats.sentences_translated),
            before,
            strict=True,
        )
    )
    routed = routed_sentences(engine, claims)
    sentences = sum(
        len([s for s in segment_text(text, lang).sentences if s.strip()]) for lang, fields in stories for text in fields
    )
    return {
        "seconds": watch.seconds,
        "cpu_seconds": watch.cpu_seconds,
        "other_cores": watch.other_cores,
        "stories": len(stories),
        "jobs": len(jobs),
        "claims": len(claims),
        "source_sentences": sentences,
        "sentences_per_second": sentences * (len(LANGS) - 1) / watch.seconds,
        "routed_sentence_translations": routed,
        "deduplicated": routed - requested,
        "memory_hits": memory_hits,
        "model_sentences": translated,
        "deduplicated_share": (routed - requested) / routed,
        "memory_share": memory_hits / routed,
        "model_share": translated / routed,
    }
