"""The desk in a real browser (headless Chromium) against the real hub on a real port."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.desk.conftest import DeskHub, screenshot
from tests.fixtures.hub import story

LANGUAGES = ("az", "tr", "ru", "uz", "en")
SignIn = Callable[[Page, str, str], None]


def test_sign_in_incoming_story_post_edit_and_kill(desk_hub: DeskHub, page: Page, sign_in: SignIn) -> None:
    problems: list[str] = []  # console errors: a blocked asset, a CSP violation, a script error
    page.on("console", lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{desk_hub.url}/desk")
    expect(page.get_by_label("API key")).to_be_visible()
    screenshot(page, "sign-in")
    sign_in(page, desk_hub.url, desk_hub.keys["azertac"])
    expect(page.get_by_role("heading", name="Incoming")).to_be_visible()

    member = desk_hub.keys["azertac"]
    baku = {"az": "Bakı", "tr": "Bakü", "ru": "Баку", "uz": "Boku", "en": "Baku"}
    desk_hub.post(member, "/v1/glossary", [{"forms": baku}])

    # Pushed through the API while the page is open: it appears without a reload.
    page.evaluate("window.__notReloaded = true")
    story_id = desk_hub.push(
        member,
        story(
            "az-desk-1",
            headline="Bakıda media forumu açılıb",
            body="Forum Bakı şəhərində iki gün davam edəcək.\n\nForumda 40 ölkədən jurnalistlər iştirak edir.",
        ),
    )
    row = page.locator(f'tr[data-story="{story_id}"]')
    expect(row).to_contain_text("Bakıda media forumu açılıb")
    assert page.evaluate("window.__notReloaded") is True
    desk_hub.wait_translated(story_id)
    desk_hub.push(
        member, story("tr-desk-2", language="tr", headline="Ankara'da ekonomi zirvesi", body="Zirve yarın başlayacak.")
    )
    desk_hub.push(
        member,
        story("ru-desk-3", language="ru", headline="В Ташкенте открылась выставка", body="Выставка продлится три дня."),
    )
    expect(page.locator("tbody tr")).to_have_count(3)
    done = re.compile(r"^(ok|review)$")  # translated; "review" when the quality checks flagged it
    expect(row.locator("td.state")).to_have_text(["original", done, done, done, done], use_inner_text=True)
    screenshot(page, "incoming")

    row.get_by_role("link").click()
    columns = page.locator("section.col")
    expect(columns).to_have_count(5)
    assert [columns.nth(i).get_attribute("lang") for i in range(5)] == list(LANGUAGES)
    for lang in LANGUAGES[1:]:
        expect(page.locator(f"#lang-{lang} .headline")).not_to_be_empty()
        expect(page.locator(f"#lang-{lang}")).to_contain_text("Model route")
        expect(page.locator(f"#lang-{lang} mark.term")).to_have_text(baku[lang])  # the glossary term, marked
    screenshot(page, "story")

    # Post-edit Turkish in place (htmx swaps the column), then see it after a reload too.
    turkish = page.locator("#lang-tr")
    turkish.get_by_text("Post-edit Turkish").click()
    turkish.get_by_label("Headline (tr)").fill("Bakü'de medya forumu açıldı")
    turkish.get_by_label("Body (tr)").fill("Forum iki gün sürecek.")
    turkish.get_by_role("button", name="Save Turkish").click()
    expect(page.locator("#lang-tr")).to_contain_text("Saved")
    expect(page.locator("#lang-tr .headline")).to_have_text("Bakü'de medya forumu açıldı")
    page.reload()
    expect(page.locator("#lang-tr .headline")).to_have_text("Bakü'de medya forumu açıldı")
    expect(page.locator("#lang-tr")).to_contain_text("edited by azertac")

    # Kill, as the owner, through the confirmation step.
    page.get_by_role("button", name="Kill", exact=True).click()
    expect(page.get_by_role("heading", name="Kill this story?")).to_be_visible()
    screenshot(page, "confirm-kill")
    page.get_by_role("button", name="Yes, kill it").click()
    expect(page.locator("#story-status")).to_have_text("canceled")
    for lang in LANGUAGES:
        expect(page.locator(f"#lang-{lang} .status-canceled")).to_have_text("canceled")
    expect(page.get_by_role("button", name="Kill", exact=True)).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    page.goto(f"{desk_hub.url}/desk/incoming")
    expect(page.get_by_label("API key")).to_be_visible()  # the session is gone
    assert problems == [], problems


def test_a_partner_sees_no_embargoed_story_and_no_kill_button(desk_hub: DeskHub, page: Page, sign_in: SignIn) -> None:
    member = desk_hub.keys["azertac"]
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    embargoed = desk_hub.push(member, story("az-embargo", headline="Embarqolu xəbər", embargoedUntil=later))
    public = desk_hub.push(member, story("az-public", headline="Açıq xəbər"))

    sign_in(page, desk_hub.url, desk_hub.keys["trt"])
    page.keyboard.press("Tab")  # the keyboard's first stop skips to the content, with a visible focus ring
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    expect(page.locator(f'tr[data-story="{public}"]')).to_be_visible()
    expect(page.locator(f'tr[data-story="{embargoed}"]')).to_have_count(0)
    response = page.goto(f"{desk_hub.url}/desk/stories/{embargoed}")
    assert response is not None and response.status == 404
    page.goto(f"{desk_hub.url}/desk/stories/{public}")
    expect(page.locator("section.col")).to_have_count(5)
    expect(page.get_by_role("button", name="Kill", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Withhold")).to_have_count(0)
    expect(page.get_by_text("Post-edit", exact=False)).to_have_count(0)

    # The owner sees its embargoed story, marked, filtered by status.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, desk_hub.url, member)
    page.get_by_label("Status").select_option("embargoed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f'tr[data-story="{embargoed}"]')).to_contain_text("embargoed until")
    expect(page.locator(f'tr[data-story="{public}"]')).to_have_count(0)


def test_a_form_post_without_the_csrf_token_is_refused(desk_hub: DeskHub, page: Page, sign_in: SignIn) -> None:
    story_id = desk_hub.push(desk_hub.keys["azertac"], story("az-csrf", headline="Saxta forma"))
    sign_in(page, desk_hub.url, desk_hub.keys["azertac"])
    forged = """async ([path, token]) => {
        const body = new URLSearchParams(token === null ? {} : {csrf_token: token});
        return (await fetch(path, {method: "POST", body})).status;
    }"""
    assert page.evaluate(forged, [f"/desk/stories/{story_id}/kill", None]) == 403
    assert page.evaluate(forged, [f"/desk/stories/{story_id}/kill", "0" * 64]) == 403
    assert page.evaluate(forged, ["/desk/sign-out", None]) == 403
    page.goto(f"{desk_hub.url}/desk/stories/{story_id}")
    expect(page.locator("#story-status")).to_have_text("usable")


def test_admin_creates_a_key_shown_once_and_revoking_it_ends_its_session(
    desk_hub: DeskHub, browser_page_pair: tuple[Page, Page], sign_in: SignIn
) -> None:
    admin, editor = browser_page_pair
    sign_in(admin, desk_hub.url, desk_hub.keys["ulak"])
    admin.get_by_role("link", name="Admin").click()
    expect(admin.get_by_role("heading", name="Translation queue")).to_be_visible()
    expect(admin.get_by_role("heading", name="Installed models")).to_be_visible()
    expect(admin.locator("#models-h + table")).to_contain_text("translate-az_en")

    admin.get_by_label("Code").fill("apa")
    admin.get_by_label("Name").fill("Anadolu Ajansı")
    admin.get_by_role("button", name="Create agency").click()
    expect(admin.locator("#agencies")).to_contain_text("Anadolu Ajansı (apa)")
    admin.get_by_label("Code").fill("bad code!")
    admin.get_by_label("Name").fill("x")
    admin.locator("#a-code").evaluate("el => el.removeAttribute('pattern')")  # the server's check, not the browser's
    admin.get_by_role("button", name="Create agency").click()
    expect(admin.get_by_role("alert")).to_contain_text("Agency not created")

    admin.get_by_label("Agency", exact=True).select_option("apa")
    admin.get_by_label("push").check()
    admin.get_by_role("button", name="Create key").click()
    new_key = admin.get_by_label("API key (push, pull)").input_value()
    assert new_key.startswith("ulak_")
    screenshot(admin, "admin")
    admin.goto(f"{desk_hub.url}/desk/admin")
    assert new_key not in admin.content()  # shown once

    sign_in(editor, desk_hub.url, new_key)
    expect(editor.get_by_text("Anadolu Ajansı (apa)")).to_be_visible()
    key_id = new_key.split("_")[1]
    admin.get_by_role("button", name=f"Revoke key {key_id} of apa").click()
    expect(admin.locator("#agencies")).to_contain_text("revoked")
    editor.reload()
    expect(editor.get_by_label("API key")).to_be_visible()
    expect(editor.get_by_role("alert")).to_contain_text("revoked")


def test_the_versions_of_a_story_and_the_diff_between_two(desk_hub: DeskHub, page: Page, sign_in: SignIn) -> None:
    member = desk_hub.keys["azertac"]
    first = story("az-versions", headline="Forum açılıb", body="Forum iki gün davam edəcək.")
    story_id = desk_hub.push(member, first)
    desk_hub.push(
        member,
        {**first, "bodies": [{"role": "main", "contentType": "text/plain", "value": "Forum üç gün davam edəcək."}]},
    )
    sign_in(page, desk_hub.url, member)
    page.goto(f"{desk_hub.url}/desk/stories/{story_id}")
    expect(page.locator(".versions li")).to_have_count(2)
    page.get_by_label("Compare version").select_option("1")
    page.get_by_label("with version").select_option("2")
    page.get_by_role("button", name="Show the differences").click()
    expect(page.locator(".diff .del")).to_have_text("removed: - Forum iki gün davam edəcək.")
    expect(page.locator(".diff .ins")).to_have_text("added: + Forum üç gün davam edəcək.")
    expect(page.locator(".diff .same")).to_have_text(["  Forum açılıb"])
    screenshot(page, "story-versions")

    # On a phone the languages are tabs: one column at a time, the original first.
    page.set_viewport_size({"width": 390, "height": 800})
    expect(page.locator("#lang-az")).to_be_visible()
    expect(page.locator("#lang-tr")).to_be_hidden()
    page.get_by_role("navigation", name="Languages").get_by_role("link", name="Turkish").click()
    expect(page.locator("#lang-tr")).to_be_visible()
    expect(page.locator("#lang-az")).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("section.col").filter(visible=True)).to_have_count(5)  # side by side again

    response = page.goto(f"{desk_hub.url}/desk/stories/{story_id}?from=1&to=9")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("has no version 9")
