"""Which packages a translation goes through, in the running hub: one hop beats the English
pivot, ``ULAK_TRANSLATION_PREFER(_PAIRS)`` chooses among one-hop packages, and
``/translations`` and ``infoSources`` name the route actually taken."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.config import Settings
from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.hub import HubHarness, make_settings, story
from tests.fixtures.synthetic_models import SyntheticPackage, build_package
from translation.packages import install_archive

# A converted M2M-100 / NLLB serves every pair among its languages, Uzbek included.
MULTILINGUAL = SyntheticPackage("az", "uz", languages=("az", "en", "uz"), seed=43)
BODY = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir."


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, synthetic_archives: dict[str, Path]) -> Path:
    """az↔en and en→tr bilingual packages, and the multilingual az/en/uz one."""
    packages_dir = tmp_path_factory.mktemp("route-models")
    for code in ("translate-az_en", "translate-en_az", "translate-en_tr"):
        install_archive(synthetic_archives[code], packages_dir)
    install_archive(build_package(tmp_path_factory.mktemp("multilingual"), MULTILINGUAL), packages_dir)
    return packages_dir


@dataclass
class Translated:
    """A hub in which an Azerbaijani story was pushed and translated."""

    hub: HubHarness
    key: str
    pushedid: str

    def routes(self) -> dict[str, tuple[str | None, list[dict] | None]]:
        """Language → (model, route) as ``/translations`` reports them."""
        url = f"/v1/stories/{self.pushedid}/translations"
        listing = self.hub.client.get(url, headers=self.hub.auth(self.key)).json()
        assert {t["status"] for t in listing["translations"]} == {"done"}
        return {t["language"]: (t["model"], t["route"]) for t in listing["translations"]}

    def translator(self, lang: str) -> str:
        """The translator ``infoSources`` literal of the story in the ``lang`` feed."""
        [entry] = self.hub.client.get(f"/v1/feed?lang={lang}", headers=self.hub.auth(self.key)).json()["entries"]
        assert entry["storyId"] == self.pushedid
        [source] = [s for s in entry["item"]["infoSources"] if s["role"] == "translator"]
        return source["literal"]


@contextmanager
def translated(database_url: str, data_dir: Path, models: Path, **settings: object) -> Iterator[Translated]:
    """Push an Azerbaijani story and run a worker until its translations are done."""
    config = make_settings(
        data_dir, database_url, embedded_worker=False, models_dir=models, target_languages="az,uz,en,tr", **settings
    )
    with HubHarness.start(config) as hub:
        key = hub.agency("azertac")
        pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(key)).json()
        engine = build_engine(config)
        try:
            TranslationWorker(hub.runtime, engine).run_until_idle()
        finally:
            engine.close()
        yield Translated(hub, key, pushed["id"])


def hop(package: str, source: str, target: str) -> dict[str, str]:
    return {"package": package, "version": "1.0", "from": source, "to": target}


def test_multilingual_package_carries_az_to_uz_in_one_hop(database_url: str, tmp_path: Path, models: Path) -> None:
    with translated(database_url, tmp_path / "data", models) as pushed:
        found = pushed.routes()
        # An az→en package exists, yet Uzbek does not go through English: one hop beats two.
        assert found["uz"] == ("translate-az_uz 1.0", [hop("translate-az_uz", "az", "uz")])
        assert pushed.translator("uz") == "translate-az_uz 1.0"
        # Both kinds serve az→en: bilingual, the default, wins.
        assert found["en"] == ("translate-az_en 1.0", [hop("translate-az_en", "az", "en")])
        assert pushed.translator("en") == "translate-az_en 1.0"
        # Only bilingual packages reach Turkish: the English pivot stays, two hops.
        assert found["tr"] == (
            "translate-az_en 1.0 → translate-en_tr 1.0",
            [hop("translate-az_en", "az", "en"), hop("translate-en_tr", "en", "tr")],
        )
        assert pushed.translator("tr") == "translate-az_en 1.0 → translate-en_tr 1.0"


def test_prefer_multilingual_sends_pairs_both_kinds_serve_through_it(
    database_url: str, tmp_path: Path, models: Path
) -> None:
    with translated(database_url, tmp_path / "data", models, translation_prefer="multilingual") as pushed:
        found = pushed.routes()
        assert found["en"] == ("translate-az_uz 1.0", [hop("translate-az_uz", "az", "en")])
        assert pushed.translator("en") == "translate-az_uz 1.0"
        assert found["uz"][1] == [hop("translate-az_uz", "az", "uz")]
        # The pivot's first hop is a pair both kinds serve: it follows the preference too.
        assert found["tr"][1] == [hop("translate-az_uz", "az", "en"), hop("translate-en_tr", "en", "tr")]


def test_a_pair_preference_overrides_the_default(database_url: str, tmp_path: Path, models: Path) -> None:
    with translated(database_url, tmp_path / "data", models, translation_prefer_pairs="az-en:multilingual") as pushed:
        assert pushed.routes()["en"][1] == [hop("translate-az_uz", "az", "en")]


def test_preference_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ULAK_TRANSLATION_PREFER", "multilingual")
    monkeypatch.setenv("ULAK_TRANSLATION_PREFER_PAIRS", "az-uz:bilingual, tr-en:multilingual")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.translation_prefer == "multilingual"
    assert settings.translation_prefer_pairs == {("az", "uz"): "bilingual", ("tr", "en"): "multilingual"}
    assert Settings(_env_file=None, translation_prefer_pairs="").translation_prefer_pairs == {}  # type: ignore[call-arg]
    for bad in ("az-uz:nllb", "az-uz", "azuz:bilingual"):
        monkeypatch.setenv("ULAK_TRANSLATION_PREFER_PAIRS", bad)
        with pytest.raises(ValidationError):
            Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("ULAK_TRANSLATION_PREFER_PAIRS")
    monkeypatch.setenv("ULAK_TRANSLATION_PREFER", "smallest")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
