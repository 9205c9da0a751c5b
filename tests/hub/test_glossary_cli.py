"""`ulak glossary import|list|delete` against a real database in a temporary data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app

runner = CliRunner()

GLOSSARY_CSV = """\ufeffaz,tr,ru,uz-Cyrl,uz-Latn,en,kk,ky
İlham Əliyev,İlham Aliyev,Ильхам Алиев,Илҳом Алиев,Ilhom Aliyev,Ilham Aliyev,Ильхам Әлиев,Ильхам Алиев
Qarabağ,Karabağ,Карабах,,Qorabogʻ,Karabakh,,

"Heydər Əliyev Mərkəzi",Haydar Aliyev Merkezi,,,,Heydar Aliyev Center,,
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    assert run("db", "upgrade").exit_code == 0
    return tmp_path / "data"


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def write(tmp_path: Path, text: str, name: str = "glossary.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def listing(*args: str) -> list[dict]:
    result = run("glossary", "list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_import_list_and_delete(tmp_path: Path) -> None:
    csv_file = write(tmp_path, GLOSSARY_CSV)
    imported = run("glossary", "import", csv_file)
    assert imported.exit_code == 0, imported.stderr
    assert "added 3 term(s), skipped 0" in imported.stdout

    terms = listing()
    assert [t["agency"] for t in terms] == [None, None, None]
    aliyev, karabakh, center = (t["forms"] for t in terms)
    assert aliyev["uz"] == ["Ilhom Aliyev", "Илҳом Алиев"]  # Latin first, whatever the column order
    assert aliyev["kk"] == ["Ильхам Әлиев"] and aliyev["ky"] == ["Ильхам Алиев"]
    assert karabakh == {"az": ["Qarabağ"], "tr": ["Karabağ"], "ru": ["Карабах"], "uz": ["Qorabogʻ"], "en": ["Karabakh"]}
    assert center["az"] == ["Heydər Əliyev Mərkəzi"] and "ru" not in center

    # Importing the same file again stores nothing twice.
    again = run("glossary", "import", csv_file)
    assert again.exit_code == 0 and "added 0 term(s), skipped 3" in again.stdout
    # For an agency: its own terms, listed apart.
    assert run("agencies", "create", "azertac", "--name", "AZERTAC").exit_code == 0
    own = run("glossary", "import", write(tmp_path, "az,en\nŞuşa,Shusha\n", "own.csv"), "--agency", "AZERTAC")
    assert own.exit_code == 0 and "added 1 term(s)" in own.stdout and "agency azertac" in own.stdout
    assert [t["forms"]["az"] for t in listing("--agency", "azertac")] == [["Şuşa"]]
    assert len(listing()) == 4

    table = run("glossary", "list")
    assert table.exit_code == 0 and "Qarabağ" in table.stdout and "azertac" in table.stdout

    deleted = run("glossary", "delete", str(terms[1]["id"]))
    assert deleted.exit_code == 0 and "Qarabağ" in deleted.stdout
    assert [t["id"] for t in listing()] == [terms[0]["id"], terms[2]["id"], listing("--agency", "azertac")[0]["id"]]
    missing = run("glossary", "delete", str(terms[1]["id"]))
    assert missing.exit_code == 1 and f"no glossary term {terms[1]['id']}" in missing.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("az,de\nBakı,Baku\n", "line 1, column 2: unknown language 'de'"),
        ("az,,en\nBakı,,Baku\n", "line 1, column 2: empty language code"),
        ("\n", "no header row"),
        ("az,en\n", "no terms below the header"),
        ("az,en\nBakı,Baku\nGəncə,Ganja,Gandja\n", "line 3: 3 cells but the header names 2"),
        ("az,en\nBakı,Baku\n<b>Gəncə</b>,Ganja\n", "line 3: az: '<b>Gəncə</b>': markup"),
        ('az,en\nBakı,Baku\n"Gəncə\nşəhəri",Ganja\n', "line 4: az:"),
        ("az,en\nBakı,Baku\n,\n ,\n", None),  # blank rows are skipped, not an error
    ],
)
def test_a_bad_file_stores_nothing_and_says_why(tmp_path: Path, text: str, message: str | None) -> None:
    result = run("glossary", "import", write(tmp_path, text))
    if message is None:
        assert result.exit_code == 0 and "added 1 term(s)" in result.stdout
        return
    assert result.exit_code == 1
    assert message in " ".join(result.stderr.split()), result.stderr
    assert listing() == []


def test_unreadable_files_and_unknown_agencies_are_errors(tmp_path: Path) -> None:
    missing = run("glossary", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "cannot read" in missing.stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("az,en\nQarabağ,Karabakh\n".encode("cp1254"))
    not_utf8 = run("glossary", "import", str(latin1))
    assert not_utf8.exit_code == 1 and "not UTF-8" in not_utf8.stderr
    ghost = run("glossary", "import", write(tmp_path, "az\nBakı\n"), "--agency", "ghost")
    assert ghost.exit_code == 1 and "no agency 'ghost'" in ghost.stderr
    assert run("glossary", "list", "--agency", "ghost").exit_code == 1
    assert listing() == []
