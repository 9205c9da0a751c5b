"""A converted multilingual checkpoint in the running hub: an Azerbaijani push reaches the
Uzbek feed in one hop through it, and ``/translations`` names that package alone for uz."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.checkpoints import build_nllb  # imports torch first, as the converter needs
from tests.fixtures.hub import HubHarness, make_settings, story
from translation.convert import convert_checkpoint
from translation.packages import PackageInfo, install_archive

LANGUAGES = ("az", "tr", "ru", "uz", "en")
BODY = "Bakıda beynəlxalq media forumu açılıb. Forumda 40 ölkədən jurnalistlər iştirak edir."


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, synthetic_archives: dict[str, Path]) -> tuple[Path, PackageInfo]:
    """A tiny random NLLB-200 converted for the five languages, beside az↔en bilingual packages."""
    packages_dir = tmp_path_factory.mktemp("converted-models")
    checkpoint = build_nllb(tmp_path_factory.mktemp("checkpoint") / "nllb-200-tiny")
    package = convert_checkpoint(checkpoint.path, packages_dir, languages=LANGUAGES)
    for code in ("translate-az_en", "translate-en_az"):
        install_archive(synthetic_archives[code], packages_dir)
    return packages_dir, package


def test_azerbaijani_reaches_uzbek_in_one_hop_through_the_converted_package(
    database_url: str, tmp_path: Path, models: tuple[Path, PackageInfo]
) -> None:
    packages_dir, nllb = models
    settings = make_settings(
        tmp_path / "data", database_url, embedded_worker=False, models_dir=packages_dir,
        target_languages=",".join(LANGUAGES),
    )  # fmt: skip
    with HubHarness.start(settings) as hub:
        owner = hub.agency("azertac")
        reader = hub.agency("uza", scopes="pull", partner=True)
        pushed = hub.client.post("/v1/stories", json=story("az-1", body=BODY), headers=hub.auth(owner)).json()
        with build_engine(settings) as engine:
            TranslationWorker(hub.runtime, engine).run_until_idle()

        listing = hub.client.get(f"/v1/stories/{pushed['id']}/translations", headers=hub.auth(reader)).json()
        status = {t["language"]: t for t in listing["translations"]}
        [entry] = hub.client.get("/v1/feed?lang=uz", headers=hub.auth(reader)).json()["entries"]

    assert {t["status"] for t in status.values()} == {"done"}
    hop = {"package": nllb.code, "version": nllb.version, "from": "az", "to": "uz"}
    assert status["uz"]["route"] == [hop]  # one hop: no English in between
    assert status["uz"]["model"] == f"{nllb.code} {nllb.version}"
    assert status["en"]["route"][0]["package"] == "translate-az_en"  # a bilingual package still serves its pair
    assert entry["storyId"] == pushed["id"] and entry["item"]["language"] == "uz"
    [translator] = [s for s in entry["item"]["infoSources"] if s["role"] == "translator"]
    assert translator["literal"] == f"{nllb.code} {nllb.version}"
    assert entry["item"]["bodies"][0]["value"].strip()
