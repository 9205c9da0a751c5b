"""The issue's "done when": `ulak models setup --from DIR` on a fresh data dir, offline, and
then a story pushed in any of the five languages has no `blocked` translation."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hub.commands import models
from hub.jobs.worker import TranslationWorker, build_engine
from tests.fixtures.hub import HubHarness, make_settings, story

LANGUAGES = ("az", "tr", "ru", "uz", "en")
BODIES = {
    "az": "Prezident Bakı şəhərində görüş keçirib. Neft ixracı artıb.",
    "tr": "Cumhurbaşkanı Ankara'da toplantı düzenledi. Ekonomi büyüdü.",
    "ru": "Президент провёл встречу в Москве. Экспорт нефти вырос.",
    "uz": "Prezident Toshkentda uchrashuv o'tkazdi. Paxta eksporti o‘sdi.",
    "en": "The president held a meeting in the capital. Oil export grew.",
}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_hub_set_up_from_a_folder_offline_blocks_no_language(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthetic_archives: dict[str, Path]
) -> None:
    folder = tmp_path / "packages"
    folder.mkdir()
    for archive in synthetic_archives.values():
        shutil.copy(archive, folder)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ULAK_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ULAK_ARGOS_INDEX_URL", f"http://127.0.0.1:{_closed_port()}/index.json")  # offline
    app = typer.Typer()
    app.add_typer(models.app, name="models")

    result = CliRunner().invoke(app, ["models", "setup", "--from", str(folder)])
    assert result.exit_code == 0, result.output

    settings = make_settings(data_dir, database_url, embedded_worker=False, translation_threads=1)
    with HubHarness.start(settings) as hub:
        engine = build_engine(settings)
        worker = TranslationWorker(hub.runtime, engine)
        key = hub.agency("agency")
        pushed = {
            lang: hub.client.post(
                "/v1/stories", json=story(f"{lang}-1", language=lang, body=BODIES[lang]), headers=hub.auth(key)
            ).json()["id"]
            for lang in LANGUAGES
        }
        worker.run_until_idle()
        engine.close()
        for lang, story_id in pushed.items():
            translations = hub.client.get(f"/v1/stories/{story_id}/translations", headers=hub.auth(key)).json()
            statuses = {t["language"]: t["status"] for t in translations["translations"]}
            assert statuses == {target: "done" for target in LANGUAGES if target != lang}, (lang, translations)
