"""Post-edit alignment: an original field and its edited translation, cut into the units
the engine later reuses; and ``HumanPlan`` putting them back."""

from __future__ import annotations

from translation.alignment import HumanPlan, Unit, align_field, paragraph_texts, segment

AZ = "Bakıda forum açılıb. Jurnalistlər iştirak edir.\n\nTədbir iki gün davam edəcək."
TR = "Bakü'de forum açıldı. Gazeteciler katılıyor.\n\nEtkinlik iki gün sürecek."


def test_paragraphs_that_keep_their_sentence_count_align_sentence_by_sentence() -> None:
    units = align_field(AZ, TR, source_lang="az", target_lang="tr")
    assert units == [
        Unit("sentence", "Bakıda forum açılıb.", "Bakü'de forum açıldı."),
        Unit("sentence", "Jurnalistlər iştirak edir.", "Gazeteciler katılıyor."),
        Unit("sentence", "Tədbir iki gün davam edəcək.", "Etkinlik iki gün sürecek."),
    ]


def test_a_paragraph_whose_sentences_were_merged_is_one_unit_the_others_stay_sentences() -> None:
    edited = "Bakü'de açılan foruma gazeteciler katılıyor.\n\nEtkinlik iki gün sürecek."
    units = align_field(AZ, edited, source_lang="az", target_lang="tr")
    assert units == [
        Unit(
            "paragraph",
            "Bakıda forum açılıb. Jurnalistlər iştirak edir.",
            "Bakü'de açılan foruma gazeteciler katılıyor.",
        ),
        Unit("sentence", "Tədbir iki gün davam edəcək.", "Etkinlik iki gün sürecek."),
    ]


def test_a_changed_paragraph_count_makes_the_field_one_unit() -> None:
    edited = "Bakü'de forum açıldı.\n\nGazeteciler katılıyor.\n\nEtkinlik iki gün sürecek."
    assert align_field(AZ, edited, source_lang="az", target_lang="tr") == [Unit("field", AZ, edited)]


def test_blank_lines_do_not_count_as_paragraphs() -> None:
    edited = "Bakü'de forum açıldı. Gazeteciler katılıyor.\nEtkinlik iki gün sürecek."
    assert [u.kind for u in align_field(AZ, edited, source_lang="az", target_lang="tr")] == ["sentence"] * 3


def test_untranslated_pieces_must_match_for_sentence_alignment() -> None:
    # "2024." is kept verbatim by the engine; an editor who changed it needs the paragraph.
    units = align_field("Hesabat. 2024.", "Rapor. 2025 yılı.", source_lang="az", target_lang="tr")
    assert units == [Unit("paragraph", "Hesabat. 2024.", "Rapor. 2025 yılı.")]


def test_html_with_the_same_markup_aligns_text_node_by_text_node() -> None:
    source = '<p>Prezident <b>Bakıda</b> görüş keçirib.</p><p><img src="a.jpg" alt="Forum zalı."></p>'
    edited = '<p>Cumhurbaşkanı <b>Bakü\'de</b> görüştü.</p><p><img src="a.jpg" alt="Forum salonu."></p>'
    units = align_field(source, edited, source_lang="az", target_lang="tr", html=True)
    assert units == [
        Unit("sentence", "Prezident", "Cumhurbaşkanı"),
        Unit("sentence", "Bakıda", "Bakü'de"),
        Unit("sentence", "görüş keçirib.", "görüştü."),
        Unit("sentence", "Forum zalı.", "Forum salonu."),
    ]


def test_html_with_changed_markup_falls_back_to_the_whole_field_sanitised() -> None:
    source = "<p>Prezident <b>Bakıda</b> görüş keçirib.</p>"
    edited = "<p>Cumhurbaşkanı Bakü'de görüştü.<script>x()</script></p>"
    assert align_field(source, edited, source_lang="az", target_lang="tr", html=True) == [
        Unit("field", source, "<p>Cumhurbaşkanı Bakü'de görüştü.</p>")
    ]


def test_an_empty_original_gives_no_units() -> None:
    assert align_field("  ", "Bir şey", source_lang="az", target_lang="tr") == []


def _render(texts: list[str], human: dict[str, str], machine: str = "MT", *, html: bool = False) -> tuple:
    layouts = [segment(text, "az", html=html) for text in texts]
    plan = HumanPlan.build(texts, layouts, human)
    return plan, plan.render(layouts, [f"{machine}{i}" for i in plan.machine])


def test_plan_prefers_field_then_paragraph_then_sentence_and_leaves_the_rest_to_models() -> None:
    headline = "Bakıda forum."
    body = AZ + "\nYeni paragraf burada. İkinci cümlə."
    human = {
        headline: "Bakü'de forum.",  # a whole field
        "Bakıda forum açılıb. Jurnalistlər iştirak edir.": "Bakü'de foruma gazeteciler katılıyor.",  # a paragraph
        "Yeni paragraf burada.": "Yeni paragraf burada.",  # a sentence
    }
    plan, texts = _render([headline, body], human)
    # Sentences 0-1 of the body are inside the human paragraph; 2 and 4 go to the models.
    assert plan.machine == [3, 5]
    assert sorted(plan.used) == sorted(human)
    assert texts == [
        "Bakü'de forum.",
        "Bakü'de foruma gazeteciler katılıyor.\n\nMT3\nYeni paragraf burada. MT5",
    ]


def test_plan_without_human_units_sends_everything_to_models() -> None:
    plan, texts = _render([AZ], {})
    assert plan.machine == [0, 1, 2] and plan.used == []
    assert texts == ["MT0 MT1\n\nMT2"]


def test_plan_escapes_human_text_in_html() -> None:
    source = '<p>Prezident &amp; nazir. Görüş.</p><img src="a.jpg" alt="Zal.">'
    layout = segment(source, "az", html=True)
    assert paragraph_texts(layout) == ["Prezident & nazir. Görüş.", "Zal."]
    plan, [text] = _render(
        [source], {"Prezident & nazir. Görüş.": "Başkan & <bakan>.", "Zal.": 'Salon "A".'}, html=True
    )
    assert plan.machine == []
    assert text == '<p>Başkan &amp; &lt;bakan&gt;.</p><img src="a.jpg" alt="Salon &quot;A&quot;.">'
