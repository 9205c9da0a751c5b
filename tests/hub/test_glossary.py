"""The glossary API: who may read, add and delete which terms; validation; duplicates;
the change log every change writes (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from hub.glossary import service
from hub.glossary.schemas import MAX_TERMS_PER_REQUEST, GlossaryAdded, TermCreate
from hub.models import GlossaryChange, GlossaryTerm
from tests.fixtures.hub import HubHarness

ALIYEV = {"az": "İlham Əliyev", "tr": "İlham Aliyev", "ru": "Ильхам Алиев", "en": "Ilham Aliyev"}
KARABAKH = {"az": "Qarabağ", "tr": "Karabağ", "en": "Karabakh"}


def post(hub: HubHarness, key: str, terms: list[dict]):  # type: ignore[no-untyped-def]
    return hub.client.post("/v1/glossary", json=terms, headers=hub.auth(key))


def listed(hub: HubHarness, key: str, query: str = "") -> list[dict]:
    answer = hub.client.get(f"/v1/glossary{query}", headers=hub.auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()["terms"]


def test_an_admin_adds_hub_wide_terms_and_every_key_reads_them(hub: HubHarness) -> None:
    admin = hub.agency("ulak", scopes="admin")
    added = post(hub, admin, [{"forms": ALIYEV}, {"forms": {**KARABAKH, "uz-Cyrl": "Қорабоғ", "uz-Latn": "Qorabogʻ"}}])
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["duplicates"] == []
    aliyev, karabakh = body["added"]
    assert aliyev["agency"] is None and aliyev["forms"]["az"] == ["İlham Əliyev"] and aliyev["createdAt"]
    # uz-Latn / uz-Cyrl fold into uz, Latin first whatever the order given.
    assert karabakh["forms"]["uz"] == ["Qorabogʻ", "Қорабоғ"]

    for reader in (hub.agency("azertac"), hub.agency("trt", scopes="pull", partner=True), admin):
        assert [t["id"] for t in listed(hub, reader)] == [aliyev["id"], karabakh["id"]]
    assert hub.client.get("/v1/glossary").status_code == 401


def test_agency_terms_are_seen_by_their_agency_and_admins_only(hub: HubHarness) -> None:
    admin = hub.agency("ulak", scopes="admin")
    azertac = hub.agency("azertac")
    uza = hub.agency("uza")
    post(hub, admin, [{"forms": KARABAKH}])
    own = post(hub, azertac, [{"forms": ALIYEV}])
    assert own.status_code == 201 and own.json()["added"][0]["agency"] == "azertac"
    other = post(hub, uza, [{"forms": {"uz": "Toshkent", "ru": "Ташкент"}}]).json()["added"][0]

    assert [t["agency"] for t in listed(hub, azertac)] == [None, "azertac"]
    assert [t["agency"] for t in listed(hub, uza)] == [None, "uza"]
    assert [t["agency"] for t in listed(hub, admin)] == [None, "azertac", "uza"]
    assert [t["id"] for t in listed(hub, admin, "?agency=uza")] == [other["id"]]
    assert [t["agency"] for t in listed(hub, azertac, "?agency=azertac")] == ["azertac"]
    refused = hub.client.get("/v1/glossary?agency=uza", headers=hub.auth(azertac))
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    unknown = hub.client.get("/v1/glossary?agency=ghost", headers=hub.auth(admin))
    assert unknown.status_code == 404 and "ghost" in unknown.json()["detail"]


def test_who_may_add_what(hub: HubHarness) -> None:
    admin = hub.agency("ulak", scopes="admin")
    hub.agency("azertac")
    azertac = hub.keys["azertac"]
    pull_only = hub.agency("apa", scopes="pull")
    partner = hub.agency("trt", scopes="pull", partner=True)

    for_agency = post(hub, admin, [{"forms": ALIYEV, "agency": "AZERTAC"}])
    assert for_agency.status_code == 201 and for_agency.json()["added"][0]["agency"] == "azertac"
    unknown = post(hub, admin, [{"forms": ALIYEV, "agency": "ghost"}])
    assert unknown.status_code == 422 and "ghost" in unknown.json()["detail"]

    someone_else = post(hub, azertac, [{"forms": KARABAKH, "agency": "apa"}])
    assert someone_else.status_code == 403 and "azertac" in someone_else.json()["detail"]
    for key in (pull_only, partner):
        # Refused before the body is looked at: an invalid body gets 403 too, not 422.
        for body in ([{"forms": KARABAKH}], [{"forms": {}}]):
            answer = post(hub, key, body)
            assert answer.status_code == 403 and answer.json()["error"] == "forbidden", answer.text
    with hub.runtime.read() as session:
        assert [t.agency_id is not None for t in session.scalars(select(GlossaryTerm))] == [True]


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        ([{"forms": {"de": "Berlin"}}], "0.forms", "unknown language 'de'"),
        ([{"forms": {}}], "0.forms", "empty term"),
        ([{"forms": {"az": "  ", "tr": ["", " "]}}], "0.forms", "empty term"),
        ([{"forms": ALIYEV}, {"forms": {"az": "<b>Bakı</b>"}}], "1.forms", "markup"),
        ([{"forms": {"az": "Bakı\u202e"}}], "0.forms", "U+202E"),
        ([{"forms": {"az": "Bakı\nGəncə"}}], "0.forms", "one line"),
        ([{"forms": {"az": "B" * 201}}], "0.forms", "at most 200 characters"),
        ([{"forms": {"az": [f"Bakı {n}" for n in range(9)]}}], "0.forms", "at most 8 forms"),
        ([{"forms": {"az": "—"}}], "0.forms", "no letter or digit"),
        ([{"forms": {"az": 7}}], "0.forms.az", ""),
        ([], "body", "at least 1"),
        ([{"forms": {"az": "Bakı"}}] * (MAX_TERMS_PER_REQUEST + 1), "body", f"at most {MAX_TERMS_PER_REQUEST}"),
        ({"forms": ALIYEV}, "body", "list"),
    ],
)
def test_invalid_terms_are_refused_whole(hub: HubHarness, terms: object, field: str, words: str) -> None:
    admin = hub.agency("ulak", scopes="admin")
    answer = hub.client.post("/v1/glossary", json=terms, headers=hub.auth(admin))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert any(f["field"].startswith(field) for f in body["fields"]), body
    assert words.lower() in body["detail"].lower() + str(body["fields"]).lower()
    with hub.runtime.read() as session:
        assert session.scalars(select(GlossaryTerm)).all() == []
        assert session.scalars(select(GlossaryChange)).all() == []


def test_forms_are_cleaned_and_duplicates_stored_once(hub: HubHarness) -> None:
    admin = hub.agency("ulak", scopes="admin")
    azertac = hub.agency("azertac")
    first = post(hub, admin, [{"forms": {"az": "  İlham\u00a0 Əliyev ", "ru": ["Ильхам Алиев", "Ильхам Алиев"]}}])
    stored = first.json()["added"][0]
    assert stored["forms"] == {"az": ["İlham Əliyev"], "ru": ["Ильхам Алиев"]}

    again = post(
        hub, admin, [{"forms": {"ru": "Ильхам Алиев", "az": "İlham Əliyev"}}, {"forms": KARABAKH}, {"forms": KARABAKH}]
    )
    assert again.status_code == 201
    body = again.json()
    assert [t["forms"]["az"] for t in body["added"]] == [["Qarabağ"]]
    assert body["duplicates"] == [{"index": 0, "id": stored["id"]}, {"index": 2, "id": body["added"][0]["id"]}]
    # A retry of a request that was stored: nothing new, 200.
    retried = post(hub, admin, [{"forms": KARABAKH}])
    assert retried.status_code == 200 and retried.json()["added"] == []
    # Another owner's identical term is a term of its own (the agency's wins for its stories).
    assert post(hub, azertac, [{"forms": KARABAKH}]).status_code == 201
    # Another spelling is another term.
    assert post(hub, admin, [{"forms": {**KARABAKH, "ru": "Карабах"}}]).status_code == 201
    with hub.runtime.read() as session:
        assert len(session.scalars(select(GlossaryTerm)).all()) == 4
        changes = session.scalars(select(GlossaryChange).order_by(GlossaryChange.id)).all()
    # One change per request that stored something, naming what it stored.
    assert [change.forms for change in changes][:2] == [
        {"added": [stored["forms"]]},
        {"added": [{"az": ["Qarabağ"], "tr": ["Karabağ"], "en": ["Karabakh"]}]},
    ]
    assert len(changes) == 4


def test_who_may_delete_what(hub: HubHarness) -> None:
    admin = hub.agency("ulak", scopes="admin")
    azertac = hub.agency("azertac")
    uza = hub.agency("uza")
    azertac_reader = hub.agency("azertac", scopes="pull")
    hub_wide = post(hub, admin, [{"forms": KARABAKH}]).json()["added"][0]["id"]
    own = post(hub, azertac, [{"forms": ALIYEV}]).json()["added"][0]["id"]

    def delete(key: str, term_id: int):  # type: ignore[no-untyped-def]
        return hub.client.delete(f"/v1/glossary/{term_id}", headers=hub.auth(key))

    assert delete(azertac, hub_wide).status_code == 403
    assert delete(uza, own).status_code == 403
    assert delete(azertac_reader, own).status_code == 403
    assert delete(admin, 999999).status_code == 404
    assert delete(azertac, 999999).status_code == 404
    assert delete(admin, "x").status_code == 422  # type: ignore[arg-type]
    assert delete(admin, 0).status_code == 422 and delete(admin, 2**63).status_code == 422
    deleted = delete(azertac, own)
    assert deleted.status_code == 200 and deleted.json()["id"] == own and deleted.json()["agency"] == "azertac"
    assert delete(azertac, own).status_code == 404
    assert delete(admin, hub_wide).status_code == 200
    assert listed(hub, admin) == []
    with hub.runtime.read() as session:
        changes = [c.forms for c in session.scalars(select(GlossaryChange).order_by(GlossaryChange.id))]
    assert changes[-2:] == [
        {"removed": [{k: [v] for k, v in ALIYEV.items()}]},
        {"removed": [{k: [v] for k, v in KARABAKH.items()}]},
    ]


def test_the_glossary_is_in_the_openapi_document(hub: HubHarness) -> None:
    spec = hub.client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/v1/glossary"]) == {"get", "post"}
    assert set(paths["/v1/glossary/{term_id}"]) == {"delete"}
    post_op = paths["/v1/glossary"]["post"]
    assert {"200", "201", "401", "403", "422"} <= set(post_op["responses"])
    assert post_op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert {"401", "403", "404"} <= set(paths["/v1/glossary/{term_id}"]["delete"]["responses"])


def test_concurrent_requests_adding_one_term_store_it_once(hub: HubHarness) -> None:
    # Without the glossary lock two transactions would each miss the other's new row
    # (PostgreSQL; SQLite's write lock serialises them anyway).
    barrier = threading.Barrier(6)
    results: list[GlossaryAdded] = []

    def add() -> None:
        barrier.wait()
        results.append(service.add_terms(hub.runtime, None, [TermCreate(forms=dict(KARABAKH))]))

    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r.added) for r in results) == [0, 0, 0, 0, 0, 1]
    with hub.runtime.read() as session:
        assert len(session.scalars(select(GlossaryTerm)).all()) == 1
        assert len(session.scalars(select(GlossaryChange)).all()) == 1
