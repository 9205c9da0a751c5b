"""Quality checks of machine translations, each on hand-written good and bad pairs of real
news sentences in our languages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from translation.glossary import Term
from translation.quality import (
    DEFAULT_LENGTH_RATIO_RANGE,
    LENGTH_MIN_CHARS,
    Identify,
    QualityReport,
    check_translation,
    length_ratio_range,
    plain_text,
)

AZ = (
    "Azərbaycan Prezidenti İlham Əliyev Bakıda Türkiyənin xarici işlər naziri ilə görüşüb. Görüşdə iki ölkə "
    "arasında ticarət dövriyyəsinin 2025-ci ildə 15 milyard dollara çatdırılması məsələsi müzakirə olunub."
)
AZ_EN = (
    "Azerbaijani President Ilham Aliyev met Turkey's foreign minister in Baku. The meeting discussed raising "
    "trade turnover between the two countries to 15 billion dollars in 2025."
)
RU = (
    "Инфляция в России по итогам 2023 года составила 7,42%, сообщил Росстат. В декабре цены выросли "
    "на 0,73% по сравнению с ноябрём."
)
RU_EN = "Inflation in Russia in 2023 was 7.42%, Rosstat said. In December prices rose by 0.73% compared to November."
TR = (
    "Türkiye'de işsizlik oranı ağustosta yüzde 9,4 oldu. TÜİK verilerine göre işsiz sayısı 3 milyon 300 bin "
    "kişi olarak gerçekleşti."
)
TR_RU = (
    "Уровень безработицы в Турции в августе составил 9,4 процента. По данным TÜİK, число безработных "
    "составило 3 миллиона 300 тысяч человек."
)
UZ = (
    "O‘zbekistonda 2024-yilning birinchi yarmida yalpi ichki mahsulot 6,4 foizga o‘sdi. Bu haqda Statistika "
    "agentligi xabar berdi."
)
UZ_RU = "В первом полугодии 2024 года ВВП Узбекистана вырос на 6,4%. Об этом сообщило Агентство статистики."
EN = "Kazakhstan's oil production reached 90.3 million tonnes in 2023, the Energy Ministry said on Monday."
EN_KK = "Энергетика министрлігінің мәліметінше, 2023 жылы Қазақстанда мұнай өндіру 90,3 миллион тоннаға жетті."
RU_KY_SOURCE = "В Бишкеке открылся международный форум, в котором принимают участие более 1 500 делегатов из 40 стран."
RU_KY = "Бишкекте эл аралык форум ачылды, ага 40 өлкөдөн 1 500дөн ашык делегат катышууда."

GOOD_PAIRS = [
    ("az", "en", AZ, AZ_EN),
    ("ru", "en", RU, RU_EN),
    ("tr", "ru", TR, TR_RU),
    ("uz", "ru", UZ, UZ_RU),
    ("en", "kk", EN, EN_KK),
    ("ru", "ky", RU_KY_SOURCE, RU_KY),
]


def check(
    source: str,
    target: str,
    source_lang: str,
    target_lang: str,
    *,
    terms: Sequence[Term] = (),
    identify: Identify | None = None,
) -> QualityReport:
    return check_translation([source], [target], source_lang, target_lang, terms=terms, identify=identify)


@pytest.mark.parametrize(("source_lang", "target_lang", "source", "target"), GOOD_PAIRS)
def test_real_translations_pass_every_check(source_lang: str, target_lang: str, source: str, target: str) -> None:
    report = check(source, target, source_lang, target_lang)
    assert report.status == "ok" and report.reasons == ()


# -- repetition ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("tr", "Yer yer sağanak yağış bekleniyor; sıcaklıklar yavaş yavaş düşecek, meteoroloji uyardı."),
        ("az", "Son günlər Bakıda tez-tez yağış yağır, yollarda sıx-sıx tıxaclar yaranır."),
        ("ru", "«Да, да, да, мы подпишем соглашение», — сказал министр журналистам в Москве."),
        ("en", "Very, very few people knew that the minister had resigned, the minister's office said."),
    ],
)
def test_legitimately_repeated_words_are_no_loop(lang: str, text: str) -> None:
    assert "repetition" not in check(text, text, lang, lang).codes


@pytest.mark.parametrize(
    ("output", "found"),
    [
        ("Заявление заявление заявление заявление министерства.", "'заявление' repeated 4 times"),
        ("The government said the government said the government said the talks.", "'the government said' repeated 3"),
        (
            "Президент провёл meetingeetingeetingeetingeeting в Москве.",
            "'eeting' repeated 5 times in a row inside a word",
        ),
    ],
)
def test_a_decoding_loop_is_flagged(output: str, found: str) -> None:
    report = check("Президент провёл встречу в Москве с министром экономики.", output, "ru", "en")
    assert report.status == "review"
    (reason,) = [r for r in report.reasons if r.code == "repetition"]
    assert found in reason.message


def test_a_field_made_of_one_sentence_over_and_over_is_flagged() -> None:
    # Each repeat is longer than the longest n-gram loop looked for: the share of repeated
    # trigrams finds it.
    output = " ".join(["The ministry said that the oil export of the country grew by a third this year."] * 4)
    report = check(AZ, output, "az", "en")
    (reason,) = [r for r in report.reasons if r.code == "repetition"]
    assert "of the word trigrams of a field are repeats" in reason.message


def test_a_loop_the_source_has_itself_is_not_the_models() -> None:
    source = "Болельщики скандировали: «Шайбу! Шайбу! Шайбу! Шайбу!» — и команда забила."
    target = "The fans chanted: 'Puck! Puck! Puck! Puck!' — and the team scored."
    assert "repetition" not in check(source, target, "ru", "en").codes


# -- length ratio ----------------------------------------------------------------------


def test_a_truncated_translation_is_too_short() -> None:
    report = check(AZ, "Azerbaijani President Ilham Aliyev met", "az", "en")
    (reason,) = [r for r in report.reasons if r.code == "length_ratio"]
    assert "too short" in reason.message and "az→en" in reason.message


def test_a_padded_translation_is_too_long() -> None:
    padded = RU_EN + " " + " ".join(f"Analysts in city {i} expect inflation to slow down next year." for i in range(4))
    report = check(RU, padded, "ru", "en")
    assert "length_ratio" in report.codes
    assert "too long" in next(r.message for r in report.reasons if r.code == "length_ratio")


def test_short_texts_are_not_measured() -> None:
    headline = "Bakıda forum açılıb"
    assert len(headline) < LENGTH_MIN_CHARS
    assert check(headline, "Forum", "az", "en").status == "ok"


def test_every_pair_of_our_languages_has_a_range_and_others_a_default() -> None:
    languages = ("az", "tr", "ru", "uz", "en", "kk", "ky")
    for source in languages:
        for target in languages:
            if source != target:
                low, high = length_ratio_range(source, target)
                assert 0.4 < low < 1 < high < 2.5, (source, target)
    assert length_ratio_range("ru", "en") == (round(1 / 1.1 / 1.6, 2), round(1 / 1.1 * 1.6, 2))
    assert length_ratio_range("uz-Cyrl", "ru") == length_ratio_range("uz", "ru")
    assert length_ratio_range("de", "fr") == DEFAULT_LENGTH_RATIO_RANGE


# -- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_lang", "source", "target_lang", "target"),
    [
        ("en", "The ministry allocated 1,500,000 dollars to 12 schools.", "ru", "Министерство выделило 1 500 000 долларов 12 школам."),
        ("ru", "Министерство выделило 1 500 000 долларов 12 школам.", "tr", "Bakanlık 12 okula 1.500.000 dolar ayırdı."),
        ("tr", "İşsizlik oranı %9,4 oldu.", "en", "The unemployment rate was 9.4%."),
        ("az", "Forum 02.12.2026 tarixində açılacaq.", "en", "The forum opens on 2 December 2026."),
        ("en", "The index rose 2.5% to 1,234.56 points.", "az", "İndeks 2,5% artaraq 1.234,56 bala çatıb."),
        ("en", "Exports reached 1,250 tonnes.", "ru", "Экспорт достиг 1,250 тонн."),  # copied as written: kept
    ],
)  # fmt: skip
def test_numbers_are_found_across_separator_conventions(
    source_lang: str, source: str, target_lang: str, target: str
) -> None:
    assert "missing_numbers" not in check(source, target, source_lang, target_lang).codes


def test_a_dropped_or_changed_number_is_named() -> None:
    wrong = (
        "Inflation in Russia in 2023 was 7.42%, Rosstat said. In December prices rose by 0.37% compared to November."
    )
    report = check(RU, wrong, "ru", "en")
    (reason,) = [r for r in report.reasons if r.code == "missing_numbers"]
    assert reason.message == "numbers of the source missing in the output: 0,73"


def test_a_thousands_group_read_as_a_decimal_is_missing() -> None:
    # "1 500" is fifteen hundred; in English "1.5" is one and a half.
    report = check(RU_KY_SOURCE, "In Bishkek a forum opened with over 1.5 delegates from 40 countries.", "ru", "en")
    assert "1 500" in next(r.message for r in report.reasons if r.code == "missing_numbers")


def test_numbers_in_markup_are_not_text() -> None:
    source = '<p>Inflyasiya <b>7,42%</b> təşkil edib. <a href="https://azertag.az/2024/05/x">Ətraflı</a></p>'
    target = '<p>Inflation was <b>7.42%</b>. <a href="https://azertag.az/x">More</a></p>'
    assert check_translation([source], [target], "az", "en", html=[True]).status == "ok"
    assert plain_text("<p>Birinci</p><p>ikinci &amp; üçüncü</p>").split() == ["Birinci", "ikinci", "&", "üçüncü"]


# -- glossary terms --------------------------------------------------------------------

ALIYEV = Term({"az": ["İlham Əliyev"], "en": ["Ilham Aliyev"], "ru": ["Ильхам Алиев"]})
BAKU = Term({"en": ["Baku"], "tr": ["Bakü"], "az": ["Bakı"]})


def test_a_term_in_its_target_form_passes() -> None:
    assert check(AZ, AZ_EN, "az", "en", terms=[ALIYEV, BAKU]).status == "ok"


def test_a_term_with_a_suffix_passes() -> None:
    source = "Officials from 12 countries met in Baku to discuss the pipeline."
    target = "12 ülkeden yetkililer boru hattını görüşmek için Bakü'de bir araya geldi."
    assert "missing_terms" not in check(source, target, "en", "tr", terms=[BAKU]).codes


def test_a_missing_term_is_named() -> None:
    report = check(AZ, AZ_EN.replace("Ilham Aliyev", "Ilham Aliev"), "az", "en", terms=[ALIYEV])
    (reason,) = report.reasons
    assert reason.code == "missing_terms"
    assert reason.message == "glossary terms missing in the output: 'Ilham Aliyev' (for 'İlham Əliyev')"


def test_a_term_not_in_the_source_or_without_a_target_form_is_not_asked_for() -> None:
    assert check(RU, RU_EN, "ru", "en", terms=[ALIYEV]).status == "ok"
    assert check(AZ, AZ_EN, "az", "kk", terms=[ALIYEV]).codes.count("missing_terms") == 0


# -- language --------------------------------------------------------------------------


@dataclass(frozen=True)
class Identification:
    """The shape of ``translation.langid.Identification``."""

    language: str
    score: float


def test_output_in_another_language_is_flagged() -> None:
    report = check(
        AZ,
        "Azerbaycan Cumhurbaşkanı İlham Aliyev 2025 yılında Bakü'de bakanla 15 kez görüştü",
        "az",
        "en",
        identify=lambda text: ("tr", 0.97),
    )
    (reason,) = [r for r in report.reasons if r.code == "wrong_language"]
    assert reason.message == "the output reads as tr (score 0.97), not en"


def test_output_in_the_other_script_is_flagged_without_an_identifier() -> None:
    russian = "Президент Азербайджана Ильхам Алиев встретился в Баку с министром в 2025 году 15"
    (reason,) = [r for r in check(AZ, russian, "az", "en").reasons if r.code == "wrong_language"]
    assert reason.message == "only 0% of the output's letters are Latin, the script of en"
    # A Latin name or acronym in Russian text is not another script's text.
    assert "wrong_language" not in check(AZ, russian + " (NATO, iPhone)", "az", "ru").codes


@pytest.mark.parametrize(
    ("target_lang", "identify"),
    [
        ("en", lambda text: ("en", 0.99)),
        ("en", lambda text: ("ru", 0.3)),  # not confident
        ("en", lambda text: None),
        ("uz", lambda text: ("uz-Cyrl", 0.9)),  # the target language in another script
        ("en", lambda text: Identification("en", 0.8)),
    ],
)
def test_output_in_the_target_language_or_unsure_is_not_flagged(target_lang: str, identify: Identify) -> None:
    assert "wrong_language" not in check(AZ, AZ_EN, "az", target_lang, identify=identify).codes


def test_the_identifier_sees_the_text_of_every_field_without_markup() -> None:
    seen: list[str] = []
    check_translation(
        ["<p>Bakıda forum</p>", AZ],
        ["<p>Forum in Baku</p>", AZ_EN],
        "az",
        "en",
        html=[True, False],
        identify=seen.append,
    )
    assert seen == ["Forum in Baku\n" + AZ_EN]


def test_fields_and_translations_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 source fields but 1 translations"):
        check_translation(["a", "b"], ["a"], "az", "en")
