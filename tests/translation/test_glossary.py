"""Finding glossary terms in a source sentence, and cutting sentences around them."""

from __future__ import annotations

import unicodedata

import pytest

from translation.glossary import Term, _compile, base_language, find_terms, fold
from translation.protection import protect_terms

ALIYEV_FULL = Term(
    {
        "az": ["İlham Əliyev"],
        "tr": ["İlham Aliyev"],
        "ru": ["Ильхам Алиев"],
        "uz": ["Ilhom Aliyev", "Илҳом Алиев"],
        "en": ["Ilham Aliyev"],
    }
)
ALIYEV = Term({"az": ["Əliyev"], "tr": ["Aliyev"], "ru": ["Алиев"], "uz": ["Aliyev"], "en": ["Aliyev"]})
DIYARBAKIR = Term({"tr": ["Diyarbakır"], "az": ["Diyarbəkir"], "en": ["Diyarbakir"]})
ISTANBUL = Term({"tr": ["İstanbul"], "az": ["İstanbul"], "ru": ["Стамбул"], "en": ["Istanbul"]})
UZBEKISTAN = Term({"uz": ["O‘zbekiston", "Ўзбекистон"], "en": ["Uzbekistan"]})
GLOSSARY = (ALIYEV_FULL, ALIYEV, DIYARBAKIR, ISTANBUL, UZBEKISTAN)


def _found(text: str, lang: str, glossary=GLOSSARY) -> list[tuple[str, Term]]:
    return [(text[m.start : m.end], m.term) for m in find_terms(text, glossary, lang)]


def test_whole_words_only() -> None:
    assert _found("Əliyevin çıxışı, Əliyevə məktub, MəhəmmədƏliyev", "az") == []
    assert _found("Əliyev2024 və 2024Əliyev", "az") == []
    assert _found("(Əliyev) «Əliyev» Əliyev.", "az") == [("Əliyev", ALIYEV)] * 3


def test_a_combining_mark_touching_a_form_makes_a_longer_word() -> None:
    term = Term({"en": ["Jose"]})
    assert _found(unicodedata.normalize("NFD", "José said"), "en", [term]) == []
    assert _found("Jose said", "en", [term]) == [("Jose", term)]


def test_turkish_apostrophe_suffix_leaves_the_name_matched() -> None:
    assert _found("Aliyev'in açıklaması ve Aliyev’e mektup", "tr") == [("Aliyev", ALIYEV)] * 2


@pytest.mark.parametrize("written", ["İlham Əliyev", "İLHAM ƏLİYEV", "ilham əliyev", "ILHAM ƏLIYEV", "İlham  Əliyev"])
def test_case_insensitive_with_turkic_i(written: str) -> None:
    assert _found(f"Prezident {written} bildirib.", "az") == [(written, ALIYEV_FULL)]


@pytest.mark.parametrize("written", ["DİYARBAKIR", "diyarbakır", "Diyarbakir", "DIYARBAKIR"])
def test_dotted_and_dotless_i_fold_together(written: str) -> None:
    assert _found(f"{written} valiliği", "tr") == [(written, DIYARBAKIR)]


def test_decomposed_capital_dotted_i_is_matched_whole() -> None:
    text = unicodedata.normalize("NFD", "İstanbul'da")  # "I" + U+0307 + "stanbul'da"
    [(written, term)] = _found(text, "tr")
    assert term == ISTANBUL and written == unicodedata.normalize("NFD", "İstanbul")


def test_longest_term_first_and_non_overlapping() -> None:
    assert _found("İlham Əliyev və Əliyev, İlham Əliyev", "az") == [
        ("İlham Əliyev", ALIYEV_FULL),
        ("Əliyev", ALIYEV),
        ("İlham Əliyev", ALIYEV_FULL),
    ]
    # A longer form that does not end on a word boundary falls back to the shorter one.
    assert _found("İlham Əliyevin və Əliyev", "az") == [("Əliyev", ALIYEV)]


def test_cyrillic_forms_and_case() -> None:
    assert _found("ИЛЬХАМ АЛИЕВ и Алиев, но не Алиева", "ru") == [
        ("ИЛЬХАМ АЛИЕВ", ALIYEV_FULL),
        ("Алиев", ALIYEV),
    ]
    yo = Term({"ru": ["Пётр Толстой"]})
    assert _found("Петр Толстой и ПЁТР ТОЛСТОЙ", "ru", [yo]) == [("Петр Толстой", yo), ("ПЁТР ТОЛСТОЙ", yo)]


def test_every_uzbek_form_is_matched_in_an_uzbek_source() -> None:
    assert _found("Илҳом Алиев ва Ilhom Aliyev", "uz") == [("Илҳом Алиев", ALIYEV_FULL), ("Ilhom Aliyev", ALIYEV_FULL)]
    # However the apostrophe of o‘ was typed.
    for written in ("O‘zbekiston", "Oʻzbekiston", "O'zbekiston", "Ўзбекистон"):
        assert _found(f"{written} Respublikasi", "uz") == [(written, UZBEKISTAN)]


def test_uzbek_o_and_g_with_their_apostrophe_are_letters() -> None:
    term = Term({"uz": ["Bo"], "tr": ["Bo"]})
    assert _found("Bo‘ston va Boʻston", "uz", [term]) == []
    assert _found("Bo va Bo'ya", "uz", [term]) == [("Bo", term)]
    assert _found("Bo'ya", "tr", [term]) == [("Bo", term)]  # a Turkish suffix


def test_only_the_source_languages_forms_are_matched() -> None:
    assert _found("Ilham Aliyev and İlham Əliyev", "en") == [("Ilham Aliyev", ALIYEV_FULL)]
    assert _found("Ilhom Aliyev", "az") == []
    assert _found("Ilhom Aliyev", "uz-Latn") == [("Ilhom Aliyev", ALIYEV_FULL)]
    assert base_language("az_AZ") == "az" and base_language(" UZ-Cyrl") == "uz"


def test_empty_and_blank_forms_match_nothing() -> None:
    assert find_terms("anything", (), "en") == []
    assert find_terms("anything at all", [Term({"en": ["", "  "]})], "en") == []


def test_fold_is_what_is_compared() -> None:
    assert fold("İLHAM\u00a0ƏLİYEV") == fold("ilham əliyev") == fold("ILHAM Əliyev")
    assert fold("Ёж") == fold("еж")


def test_hundreds_of_terms_compile_once_and_match_correctly() -> None:
    glossary = [Term({"en": [f"Company {n} Holdings"], "az": [f"Şirkət {n}"]}) for n in range(500)]
    glossary.append(Term({"en": ["Company 7"]}))  # a prefix of "Company 7 Holdings" and of "Company 70…"
    text = " ".join(f"Company {n} Holdings said that Company 7 met Company {n}." for n in range(0, 500, 7))
    _compile.cache_clear()
    first = find_terms(text, glossary, "en")
    again = find_terms(text, list(glossary), "en")  # an equal glossary, another list
    assert _compile.cache_info().misses == 1 and _compile.cache_info().hits == 1
    assert first == again
    written = [text[m.start : m.end] for m in first]
    # Per sentence: the full name, then "Company 7" (the only bare number with a term).
    assert written[:2] == ["Company 0 Holdings", "Company 7"]
    assert len(written) == 2 * len(range(0, 500, 7)) + 1  # plus the last "Company 7." of n=7
    assert all(m.term is glossary[int(text[m.start : m.end].split()[1])] for m in first if m.end - m.start > 10)


# -- protect_terms: what the models get, what each target renders --------------------------


def test_sentences_without_terms_are_units_as_they_are() -> None:
    protected = protect_terms(["Əliyevin çıxışı.", "Heç nə."], GLOSSARY, "az")
    assert protected.units == ["Əliyevin çıxışı.", "Heç nə."]
    assert protected.render(["A.", "B."], "en") == ["A.", "B."]


def test_fragments_around_terms_keep_their_whitespace_and_punctuation() -> None:
    protected = protect_terms(["Prezident İLHAM ƏLİYEV, Əliyev  bu gün danışıb."], GLOSSARY, "az")
    assert protected.units == ["Prezident", "bu gün danışıb."]
    assert protected.render([" The president ", "spoke today."], "en") == [
        "The president Ilham Aliyev, Aliyev  spoke today."
    ]
    assert protected.render(["Президент", "выступил."], "ru") == ["Президент Ильхам Алиев, Алиев  выступил."]


def test_a_term_without_a_target_form_is_kept_as_written() -> None:
    protected = protect_terms(["diyarbakır valisi"], GLOSSARY, "tr")
    assert protected.units == ["valisi"]
    assert protected.render(["governor"], "en") == ["Diyarbakir governor"]
    assert protected.render(["губернатор"], "ru") == ["diyarbakır губернатор"]


def test_a_sentence_that_is_only_terms_sends_nothing() -> None:
    protected = protect_terms(["İlham Əliyev — Əliyev"], GLOSSARY, "az")
    assert protected.units == []
    assert protected.render([], "uz") == ["Ilhom Aliyev — Aliyev"]


def test_apostrophe_suffix_goes_with_the_text_after_the_name() -> None:
    protected = protect_terms(["Aliyev'in açıklaması"], GLOSSARY, "tr")
    assert protected.units == ["'in açıklaması"]
    assert protected.render(["'s statement"], "en") == ["Aliyev's statement"]


def test_render_refuses_a_short_batch() -> None:
    with pytest.raises(ValueError, match="expected 1"):
        protect_terms(["Əliyev danışıb."], GLOSSARY, "az").render([], "en")


def test_a_fragment_the_model_left_empty_leaves_no_double_space() -> None:
    protected = protect_terms(["Əliyev bu gün Bakı", "Sabah Bakı"], GLOSSARY, "tr")
    assert protected.units == ["Əliyev bu gün Bakı", "Sabah Bakı"]  # not Turkish forms
    protected = protect_terms(["İlham Əliyev bu gün Əliyev", "Sabah Əliyev"], GLOSSARY, "az")
    assert protected.units == ["bu gün", "Sabah"]
    assert protected.render(["", " "], "en") == ["Ilham Aliyev Aliyev", "Aliyev"]
