"""Package files: validation, atomic install, versions, import and removal."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.models import MULTILINGUAL_PACKAGE
from tests.fixtures.synthetic_models import SyntheticPackage, build_package
from translation import InvalidPackage, ModelNotInstalled
from translation.packages import import_model, install_archive, installed_packages, remove_package, write_archive


def _rezip(archive: Path, dest: Path, rename=lambda name: name, skip=lambda name: False, edit=None) -> Path:
    """Copy an .argosmodel member by member, renaming, dropping or editing members."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(dest, "w") as out:
        for item in source.infolist():
            if skip(item.filename):
                continue
            data = source.read(item)
            if edit is not None:
                data = edit(item.filename, data)
            out.writestr(rename(item.filename), data)
    return dest


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_install_unpacks_one_versioned_directory(models_dir: Path, synthetic_archives: dict[str, Path]) -> None:
    info = install_archive(synthetic_archives["translate-az_en"], models_dir)

    assert (info.code, info.version, info.from_code, info.to_code) == ("translate-az_en", "1.0", "az", "en")
    assert [p.name for p in models_dir.iterdir()] == ["translate-az_en-1.0"]
    assert (info.path / "model" / "model.bin").is_file() and info.sentencepiece_path.is_file()
    assert installed_packages(models_dir) == [info]


@pytest.mark.parametrize(
    "breakage",
    [
        "not-a-zip",
        "no-top-level-folder",
        "two-top-level-folders",
        "no-metadata",
        "bad-metadata",
        "no-sentencepiece",
        "no-model",
        "path-traversal",
    ],
)
def test_broken_archive_installs_nothing_and_says_why(
    breakage: str, models_dir: Path, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    good = synthetic_archives["translate-tr_en"]
    install_archive(synthetic_archives["translate-az_en"], models_dir)
    before = _listing(models_dir)
    bad = tmp_path / "bad.argosmodel"
    if breakage == "not-a-zip":
        bad.write_bytes(good.read_bytes()[:1000])
    elif breakage == "no-top-level-folder":
        _rezip(good, bad, rename=lambda n: n.split("/", 1)[1])
    elif breakage == "two-top-level-folders":
        _rezip(good, bad, rename=lambda n: n.replace("tr_en/model/", "other/model/"))
    elif breakage == "no-metadata":
        _rezip(good, bad, skip=lambda n: n.endswith("metadata.json"))
    elif breakage == "bad-metadata":
        _rezip(good, bad, edit=lambda n, d: b'{"from_code": "tr"' if n.endswith("metadata.json") else d)
    elif breakage == "no-sentencepiece":
        _rezip(good, bad, skip=lambda n: n.endswith("sentencepiece.model"))
    elif breakage == "no-model":
        _rezip(good, bad, skip=lambda n: n.endswith("model.bin"))
    elif breakage == "path-traversal":
        _rezip(good, bad, rename=lambda n: n.replace("tr_en/metadata.json", "tr_en/../../evil.json"))

    with pytest.raises(InvalidPackage) as caught:
        install_archive(bad, models_dir)

    assert "bad.argosmodel" in str(caught.value) or "tr_en" in str(caught.value)
    assert _listing(models_dir) == before  # nothing half-installed, no scratch left behind
    assert not (tmp_path.parent / "evil.json").exists()


def test_prefix_token_missing_from_vocabulary_is_refused(
    models_dir: Path, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    def edit(name: str, data: bytes) -> bytes:
        if not name.endswith("metadata.json"):
            return data
        metadata = json.loads(data) | {"target_prefix": "__xx__"}
        return json.dumps(metadata).encode()

    bad = _rezip(synthetic_archives["translate-en_uz"], tmp_path / "bad.argosmodel", edit=edit)

    with pytest.raises(InvalidPackage, match="__xx__"):
        install_archive(bad, models_dir)
    assert installed_packages(models_dir) == []


def test_newer_version_replaces_older_and_reinstall_is_idempotent(models_dir: Path, tmp_path: Path) -> None:
    old = build_package(tmp_path, SyntheticPackage("az", "en", version="1.9"))
    new = build_package(tmp_path, SyntheticPackage("az", "en", version="1.10"))

    install_archive(old, models_dir)
    install_archive(new, models_dir)
    install_archive(new, models_dir)

    [info] = installed_packages(models_dir)
    assert info.version == "1.10"
    assert [p.name for p in models_dir.iterdir()] == ["translate-az_en-1.10"]


def test_remove_deletes_the_package_and_unknown_code_raises(
    models_dir: Path, synthetic_archives: dict[str, Path]
) -> None:
    install_archive(synthetic_archives["translate-az_en"], models_dir)
    install_archive(synthetic_archives["translate-en_az"], models_dir)

    removed = remove_package(models_dir, "translate-az_en")

    assert removed.code == "translate-az_en"
    assert [p.code for p in installed_packages(models_dir)] == ["translate-en_az"]
    assert [p.name for p in models_dir.iterdir()] == ["translate-en_az-1.0"]
    with pytest.raises(ModelNotInstalled):
        remove_package(models_dir, "translate-az_en")


def test_import_packages_a_plain_model_with_multilingual_metadata(
    models_dir: Path, multilingual_model_source, tmp_path: Path
) -> None:
    source = multilingual_model_source
    info = import_model(
        source.model_dir,
        source.sentencepiece,
        models_dir,
        from_code="en",
        to_code="uz",
        languages=("en", "uz"),
        source_prefix="__{lang}__",
        target_prefix="__{lang}__",
    )

    assert info.multilingual and info.serves("uz", "en") and info.serves("en", "uz")
    assert not info.serves("az", "uz")
    assert info.source_prefix_tokens("uz") == ["__uz__"] and info.target_prefix_tokens("en") == ["__en__"]
    # The result is a genuine Argos-format package: zipped, it installs elsewhere as is.
    archive = write_archive(info.path, tmp_path / "imported.argosmodel")
    with zipfile.ZipFile(archive) as zipped:
        assert {name.split("/")[0] for name in zipped.namelist()} == {info.path.name}
    assert install_archive(archive, tmp_path / "elsewhere").code == MULTILINGUAL_PACKAGE.code


def test_import_refuses_a_directory_that_is_not_a_model(
    models_dir: Path, multilingual_model_source, tmp_path: Path
) -> None:
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    with pytest.raises(InvalidPackage, match=r"model\.bin"):
        import_model(empty, multilingual_model_source.sentencepiece, models_dir, from_code="en", to_code="uz")
    with pytest.raises(InvalidPackage, match="__zz__"):
        import_model(
            multilingual_model_source.model_dir,
            multilingual_model_source.sentencepiece,
            models_dir,
            from_code="en",
            to_code="uz",
            target_prefix="__zz__",
        )
    assert list(models_dir.iterdir()) == []


def test_scan_skips_broken_directories(models_dir: Path, synthetic_archives: dict[str, Path]) -> None:
    info = install_archive(synthetic_archives["translate-ru_en"], models_dir)
    broken = models_dir / "translate-xx_en-1.0"
    shutil.copytree(info.path, broken)
    (broken / "sentencepiece.model").write_bytes(b"garbage")

    assert [p.code for p in installed_packages(models_dir)] == ["translate-ru_en"]
