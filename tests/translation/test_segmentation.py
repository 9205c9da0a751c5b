"""Sentence splitting per language, and plain-text layouts that keep line structure."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures.data import NINJS_EXAMPLES
from translation.segmentation import segment_text, split_sentences

CASES: dict[str, list[tuple[str, list[str]]]] = {
    "en": [
        ("Mr. Smith met Mrs. Jones. They talked.", ["Mr. Smith met Mrs. Jones.", "They talked."]),
        (
            "Dr. Brown arrived at 3.5 p.m. on Jan. 5. The meeting began.",
            ["Dr. Brown arrived at 3.5 p.m. on Jan. 5.", "The meeting began."],
        ),
        ("The U.S. Army said so. Nobody argued.", ["The U.S. Army said so.", "Nobody argued."]),
        (
            "He moved to the U.S. The move surprised many.",
            ["He moved to the U.S.", "The move surprised many."],
        ),
        (
            "Apples, pears, etc. are sold here. Prices rose.",
            ["Apples, pears, etc. are sold here.", "Prices rose."],
        ),
        ("We bought apples, pears etc. Then we left.", ["We bought apples, pears etc.", "Then we left."]),
        ("Apple Inc. CEO Tim Cook spoke. He smiled.", ["Apple Inc. CEO Tim Cook spoke.", "He smiled."]),
        (
            "Martin Luther King Jr. The speech lasted long.",
            ["Martin Luther King Jr.", "The speech lasted long."],
        ),
        (
            "Prices rose 3.5% to 12.50 dollars. Analysts, e.g. Smith, agree. Others, i.e. Jones, do not.",
            [
                "Prices rose 3.5% to 12.50 dollars.",
                "Analysts, e.g. Smith, agree.",
                "Others, i.e. Jones, do not.",
            ],
        ),
        (
            "A. B. Smith met John F. Kennedy. Nothing happened.",
            ["A. B. Smith met John F. Kennedy.", "Nothing happened."],
        ),
        (
            "Wait... What happened? Nobody knows! Really?! Yes.",
            ["Wait...", "What happened?", "Nobody knows!", "Really?!", "Yes."],
        ),
        ("He paused… and went on. Then he stopped.", ["He paused… and went on.", "Then he stopped."]),
        ('He said "It is over." Then he left.', ['He said "It is over."', "Then he left."]),
        ('"Stop!" he shouted. "Now!"', ['"Stop!" he shouted.', '"Now!"']),
        ("She wrote “We won.” The crowd cheered.", ["She wrote “We won.”", "The crowd cheered."]),
        (
            "Visit https://example.com/a.b?x=1&y=2 or mail info@example.co.uk. We reply fast.",
            ["Visit https://example.com/a.b?x=1&y=2 or mail info@example.co.uk.", "We reply fast."],
        ),
        ("See No. 5 on the list. It is good.", ["See No. 5 on the list.", "It is good."]),
        ("The answer was no. Then came yes.", ["The answer was no.", "Then came yes."]),
        ("Prices fell in 2023. 2024 was better.", ["Prices fell in 2023.", "2024 was better."]),
        ("1. Introduction of the bill. 2. Debate.", ["1. Introduction of the bill.", "2. Debate."]),
        ("The index rose (by 2%). Markets closed.", ["The index rose (by 2%).", "Markets closed."]),
        ("  Hello   world.  Next\tone.  ", ["Hello world.", "Next one."]),
        ("Headline without a stop\nBody. More.", ["Headline without a stop", "Body.", "More."]),
    ],
    "ru": [
        (
            "В 2024 г. он переехал в г. Москва. Там он живёт.",
            ["В 2024 г. он переехал в г. Москва.", "Там он живёт."],
        ),
        (
            "Это случилось в 2024 г. Потом всё изменилось.",
            ["Это случилось в 2024 г.", "Потом всё изменилось."],
        ),
        (
            "В 2024 г. Россия провела выборы. Явка выросла.",
            ["В 2024 г. Россия провела выборы.", "Явка выросла."],
        ),
        (
            "Он живёт на ул. Ленина, т. е. в центре. И. И. Иванов подтвердил.",
            ["Он живёт на ул. Ленина, т. е. в центре.", "И. И. Иванов подтвердил."],
        ),
        ("Бюджет составил 5 млн. руб. Дефицит вырос.", ["Бюджет составил 5 млн. руб.", "Дефицит вырос."]),
        ("Выручка — 2 млрд. Это рекорд.", ["Выручка — 2 млрд.", "Это рекорд."]),
        ("Купили хлеб, молоко и т. д. Потом ушли.", ["Купили хлеб, молоко и т. д.", "Потом ушли."]),
        ("Купили хлеб, молоко и т.п. Потом ушли.", ["Купили хлеб, молоко и т.п.", "Потом ушли."]),
        (
            "«Ты придёшь?» — спросил он. «Да», — ответила она.",
            ["«Ты придёшь?» — спросил он.", "«Да», — ответила она."],
        ),
        ("Он сказал: «Мы готовы.» Переговоры начались.", ["Он сказал: «Мы готовы.»", "Переговоры начались."]),
        ("Он ответил „Нет.“ Все замолчали.", ["Он ответил „Нет.“", "Все замолчали."]),
        (
            "Курс вырос на 3,5 процента. Дата: 12.05.2024. Всё.",
            ["Курс вырос на 3,5 процента.", "Дата: 12.05.2024.", "Всё."],
        ),
        ("Музей им. Пушкина открыт. Вход свободный.", ["Музей им. Пушкина открыт.", "Вход свободный."]),
        ("Ждём… Ничего не происходит?! Странно.", ["Ждём…", "Ничего не происходит?!", "Странно."]),
        ("Это был я. Потом пришёл он.", ["Это был я.", "Потом пришёл он."]),
        ("В XX в. Россия изменилась. Это факт.", ["В XX в. Россия изменилась.", "Это факт."]),
        (
            "Почта: press@kremlin.ru. Сайт: www.kremlin.ru. Звоните.",
            ["Почта: press@kremlin.ru.", "Сайт: www.kremlin.ru.", "Звоните."],
        ),
    ],
    "tr": [
        (
            "Cumhuriyet'in 100. Yılı kutlandı. Törenler sürdü.",
            ["Cumhuriyet'in 100. Yılı kutlandı.", "Törenler sürdü."],
        ),
        (
            "Kanunun 15. maddesi değişti. Meclis onayladı.",
            ["Kanunun 15. maddesi değişti.", "Meclis onayladı."],
        ),
        (
            "Takım 1. Lig'e yükseldi. Taraftarlar sevindi.",
            ["Takım 1. Lig'e yükseldi.", "Taraftarlar sevindi."],
        ),
        (
            "Prof. Dr. Ahmet Yılmaz konuştu. Doç. Ayşe Kaya da katıldı.",
            ["Prof. Dr. Ahmet Yılmaz konuştu.", "Doç. Ayşe Kaya da katıldı."],
        ),
        (
            "Elma, armut vb. meyveler satıldı. Fiyatlar arttı.",
            ["Elma, armut vb. meyveler satıldı.", "Fiyatlar arttı."],
        ),
        ("Elma, armut vb. Bunlar ucuzdu.", ["Elma, armut vb.", "Bunlar ucuzdu."]),
        ("Kitap, defter vs. Hepsi alındı.", ["Kitap, defter vs.", "Hepsi alındı."]),
        (
            "Av. Mehmet Demir ve Sn. Ali Öztürk geldi. Toplantı başladı.",
            ["Av. Mehmet Demir ve Sn. Ali Öztürk geldi.", "Toplantı başladı."],
        ),
        (
            "Büyük şehirlerde, örn. İstanbul'da, trafik arttı. Ankara'da azaldı.",
            ["Büyük şehirlerde, örn. İstanbul'da, trafik arttı.", "Ankara'da azaldı."],
        ),
        (
            "Enflasyon %3,5 oldu. Tarih 12.05.2024. Rapor yılı 2023. Bu yıl zor geçti.",
            ["Enflasyon %3,5 oldu.", "Tarih 12.05.2024.", "Rapor yılı 2023.", "Bu yıl zor geçti."],
        ),
        ("Ne dedi? Hiçbir şey! Gerçekten mi?!", ["Ne dedi?", "Hiçbir şey!", "Gerçekten mi?!"]),
        ('"Geliyorum." dedi ve çıktı. Kapı kapandı.', ['"Geliyorum." dedi ve çıktı.', "Kapı kapandı."]),
        (
            "T.C. Cumhurbaşkanlığı açıklama yaptı. Açıklama kısaydı.",
            ["T.C. Cumhurbaşkanlığı açıklama yaptı.", "Açıklama kısaydı."],
        ),
        (
            "Koç Holding A.Ş. Yönetim Kurulu toplandı. Karar açıklandı.",
            ["Koç Holding A.Ş. Yönetim Kurulu toplandı.", "Karar açıklandı."],
        ),
        (
            "Bakan «Hazırız.» dedi. İzmir'de yağmur başladı.",
            ["Bakan «Hazırız.» dedi.", "İzmir'de yağmur başladı."],
        ),
    ],
    "az": [
        (
            "Prof. Əliyev və dos. Məmmədov çıxış etdi. İclas bitdi.",
            ["Prof. Əliyev və dos. Məmmədov çıxış etdi.", "İclas bitdi."],
        ),
        ("Alma, armud və s. Bunlar ucuzdur.", ["Alma, armud və s.", "Bunlar ucuzdur."]),
        ("Alma, armud və s. satılır. Qiymət artıb.", ["Alma, armud və s. satılır.", "Qiymət artıb."]),
        (
            "Büdcə 5 mln. manat oldu. Gəlir 2 mlrd. Bu rekorddur.",
            ["Büdcə 5 mln. manat oldu.", "Gəlir 2 mlrd.", "Bu rekorddur."],
        ),
        (
            "Tədbirdə akad. Ramiz Mehdiyev iştirak etdi. Sonra.",
            ["Tədbirdə akad. Ramiz Mehdiyev iştirak etdi.", "Sonra."],
        ),
        (
            "Qanunun 15. maddəsi dəyişdi. Parlament 2. Oxunuşda təsdiqlədi.",
            ["Qanunun 15. maddəsi dəyişdi.", "Parlament 2. Oxunuşda təsdiqlədi."],
        ),
        (
            "Artım 3,5 faiz oldu. Bakı, 12.05.2024. Xəbər yayıldı.",
            ["Artım 3,5 faiz oldu.", "Bakı, 12.05.2024.", "Xəbər yayıldı."],
        ),
        (
            "Ətraflı məlumat üçün b. Əlavə bölməyə. Sonra davam edin.",
            ["Ətraflı məlumat üçün b. Əlavə bölməyə.", "Sonra davam edin."],
        ),
        ("O dedi: «Biz hazırıq.» Danışıqlar başladı.", ["O dedi: «Biz hazırıq.»", "Danışıqlar başladı."]),
        ("Nə oldu?! Heç nə… Qəribədir.", ["Nə oldu?!", "Heç nə…", "Qəribədir."]),
    ],
    "uz": [
        (
            "Toshkent sh. Yunusobod tumanida maktab ochildi. Unda 500 o'quvchi bor.",
            ["Toshkent sh. Yunusobod tumanida maktab ochildi.", "Unda 500 o'quvchi bor."],
        ),
        (
            "2024 y. Toshkentda forum bo'ldi. Keyin tugadi.",
            ["2024 y. Toshkentda forum bo'ldi.", "Keyin tugadi."],
        ),
        ("Forum 2024-y. Keyin hamma ketdi.", ["Forum 2024-y.", "Keyin hamma ketdi."]),
        (
            "Prof. Karimov va akad. Rahimov so'zga chiqdi. Yig'ilish tugadi.",
            ["Prof. Karimov va akad. Rahimov so'zga chiqdi.", "Yig'ilish tugadi."],
        ),
        (
            "Byudjet 5 mln. so'm. Daromad 2 mlrd. Bu rekord.",
            ["Byudjet 5 mln. so'm.", "Daromad 2 mlrd.", "Bu rekord."],
        ),
        ("Olma, nok va h.k. Bular arzon.", ["Olma, nok va h.k.", "Bular arzon."]),
        (
            "Oʻzbekiston prezidenti gapirdi. Gʻalaba muhim.",
            ["Oʻzbekiston prezidenti gapirdi.", "Gʻalaba muhim."],
        ),
        (
            "Qonunning 15. moddasi o'zgardi. Majlis ma'qulladi.",
            ["Qonunning 15. moddasi o'zgardi.", "Majlis ma'qulladi."],
        ),
        (
            "Тошкент ш. Юнусобод туманида мактаб очилди. Унда 500 ўқувчи бор.",
            ["Тошкент ш. Юнусобод туманида мактаб очилди.", "Унда 500 ўқувчи бор."],
        ),
        ("Бюджет 5 млн. сўм. Ўсиш 3,5 фоиз.", ["Бюджет 5 млн. сўм.", "Ўсиш 3,5 фоиз."]),
    ],
    "de": [  # any other language: shared titles, generic rules
        ("Dr. Müller kam um 10 Uhr. Er ging bald.", ["Dr. Müller kam um 10 Uhr.", "Er ging bald."]),
        ("Siehe Nr. 5 im Text. Danke.", ["Siehe Nr. 5 im Text.", "Danke."]),
        ("Er traf in der 18. Minute. Dann fiel er.", ["Er traf in der 18. Minute.", "Dann fiel er."]),
        ("Obst, z.B. Äpfel, usw. Das reicht.", ["Obst, z.B. Äpfel, usw.", "Das reicht."]),
    ],
    "fr": [  # a language without dotted ordinals: a number before a capital ends a sentence
        ("Il est né en 1990. Paris l'a accueilli.", ["Il est né en 1990.", "Paris l'a accueilli."]),
        ("Le score était 18. Minute de silence.", ["Le score était 18.", "Minute de silence."]),
    ],
}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [(lang, text, expected) for lang, cases in CASES.items() for text, expected in cases],
)
def test_split_sentences(lang: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en-US", "Mr. Smith left. He returned.", ["Mr. Smith left.", "He returned."]),
        ("uz-Cyrl", "Тошкент ш. Юнусобод. Бу яхши.", ["Тошкент ш. Юнусобод.", "Бу яхши."]),
        ("RU", "Ул. Ленина. Всё.", ["Ул. Ленина.", "Всё."]),
        ("tr_TR", "Prof. Kaya geldi. Gitti.", ["Prof. Kaya geldi.", "Gitti."]),
    ],
)
def test_language_tags_are_reduced_to_their_primary_subtag(lang: str, text: str, expected: list[str]) -> None:
    assert split_sentences(text, lang) == expected


def test_abbreviations_belong_to_their_language() -> None:
    # "г." is a Russian year/city mark, not an English one: in English it ends a sentence.
    assert split_sentences("Он ушёл в г. Москва.", "ru") == ["Он ушёл в г. Москва."]
    assert split_sentences("Weight 5 g. Then more.", "en") == ["Weight 5 g.", "Then more."]
    # Turkish "vs." is "etc." and ends a list; English "vs." is "versus" and never ends one.
    assert split_sentences("Kalem, kitap vs. Hepsi.", "tr") == ["Kalem, kitap vs.", "Hepsi."]
    assert split_sentences("Smith vs. Jones ended.", "en") == ["Smith vs. Jones ended."]


def test_empty_and_blank_text_give_no_sentences() -> None:
    assert split_sentences("", "en") == []
    assert split_sentences(" \n\n\t \n", "ru") == []
    assert split_sentences("...", "en") == ["..."]


def test_no_break_space_inside_a_sentence_is_kept() -> None:
    assert split_sentences("Он получил 5\u00a0млн. Это много.", "ru") == [
        "Он получил 5\u00a0млн.",
        "Это много.",
    ]


def test_splitting_is_deterministic_and_loses_no_text() -> None:
    text = " ".join(text for cases in CASES.values() for text, _ in cases)
    first = split_sentences(text, "en")
    assert first == split_sentences(text, "en")
    assert "".join(first).replace(" ", "") == re.sub(r"\s", "", text)
    assert all(sentence == sentence.strip() and sentence for sentence in first)


def test_a_long_paragraph_splits_in_linear_time() -> None:
    # Lower-case continuations are never boundaries, so the splitter must not rescan.
    text = "word. lower " * 20_000 + "End."
    assert split_sentences(text, "en") == [text.strip()]


def test_layout_keeps_paragraphs_and_line_breaks() -> None:
    text = "Title line\n\nFirst one. Second one.\nThird line.\r\n\n  Indented para.  Another.  \n"
    layout = segment_text(text, "en")
    assert layout.sentences == [
        "Title line",
        "First one.",
        "Second one.",
        "Third line.",
        "Indented para.",
        "Another.",
    ]
    rendered = layout.render([f"<{i}>" for i in range(len(layout.sentences))])
    assert rendered == "<0>\n\n<1> <2>\n<3>\r\n\n  <4> <5>  \n"
    assert (
        layout.render(layout.sentences)
        == "Title line\n\nFirst one. Second one.\nThird line.\r\n\n  Indented para. Another.  \n"
    )


def test_layout_keeps_letterless_sentences_verbatim() -> None:
    layout = segment_text("***\n2024.\nText here. 15:30.\n— \n", "en")
    assert layout.sentences == ["Text here."]
    assert layout.render(["Metin burada."]) == "***\n2024.\nMetin burada. 15:30.\n— \n"


def test_layout_render_rejects_a_wrong_number_of_sentences() -> None:
    layout = segment_text("One. Two.", "en")
    with pytest.raises(ValueError, match="expected 2"):
        layout.render(["Bir."])
    with pytest.raises(ValueError):
        layout.render(["Bir.", "İki.", "Üç."])


def test_layout_of_empty_text() -> None:
    layout = segment_text("", "az")
    assert layout.sentences == []
    assert layout.render([]) == ""


def test_layout_sentences_match_split_sentences() -> None:
    text = "Mr. Smith left.\n\nВ 2024 г. он ушёл. «Да?» — спросил он.\n"
    assert segment_text(text, "en").sentences == split_sentences(text, "en")


def _plain_bodies() -> list[str]:
    bodies = []
    for path in NINJS_EXAMPLES:
        story = json.loads(path.read_text())
        for body in story.get("bodies") or []:
            if (body.get("contenttype") or body.get("contentType")) == "text/plain":
                bodies.append(body["value"])
        for key in ("body_text", "bodyText"):
            if isinstance(story.get(key), str):
                bodies.append(story[key])
    return bodies


def test_identity_render_of_ninjs_plain_bodies() -> None:
    bodies = _plain_bodies()
    assert bodies, "the ninjs examples hold plain-text bodies"
    for body in bodies:
        for lang in ("en", "ru", "tr"):
            layout = segment_text(body, lang)
            assert layout.sentences
            rendered = layout.render(layout.sentences)
            rendered_lines, body_lines = rendered.splitlines(), body.splitlines()
            assert len(rendered_lines) == len(body_lines)
            for rendered_line, body_line in zip(rendered_lines, body_lines, strict=True):
                assert _collapse(rendered_line) == _collapse(body_line)


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text)
