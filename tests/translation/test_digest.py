"""Package content digests: what they cover, where they are recorded, when they are recomputed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.models import ModelSource
from translation import PackageInfo
from translation.digest import DIGEST_RECORD
from translation.packages import import_model, install_archive, installed_packages, read_package, write_archive


def test_install_records_the_digest_and_a_scan_reads_it(models_dir: Path, replaced_archives: tuple[Path, ...]) -> None:
    info = install_archive(replaced_archives[0], models_dir)

    record = json.loads((info.path / DIGEST_RECORD).read_text(encoding="utf-8"))
    assert sorted(record["files"]) == sorted(
        ["sentencepiece.model", *(f"model/{p.name}" for p in info.model_dir.iterdir())]
    )
    assert len(info.digest) == 64 and info.short_digest == info.digest[:12]
    assert installed_packages(models_dir) == [info]


def test_digest_follows_the_model_not_the_name(
    replaced_archives: tuple[Path, ...], replaced_model_sources: tuple[ModelSource, ...], tmp_path: Path
) -> None:
    first = install_archive(replaced_archives[0], tmp_path / "a")
    other = install_archive(replaced_archives[1], tmp_path / "b")
    source = replaced_model_sources[0]
    # The same model imported under another version, and exported then installed elsewhere.
    imported = import_model(
        source.model_dir, source.sentencepiece, tmp_path / "c", from_code="az", to_code="en", version="7.3"
    )
    moved = install_archive(write_archive(first.path, tmp_path / "export.argosmodel"), tmp_path / "d")
    prefixed = import_model(
        source.model_dir, source.sentencepiece, tmp_path / "e", from_code="az", to_code="en", target_prefix="<s>"
    )

    assert first.digest == imported.digest == moved.digest
    assert other.digest != first.digest
    assert prefixed.digest != first.digest  # a prefix changes every output


def test_old_package_gets_its_digest_once(models_dir: Path, replaced_archives: tuple[Path, ...]) -> None:
    info = install_archive(replaced_archives[0], models_dir)
    (info.path / DIGEST_RECORD).unlink()  # as installed before digests existed

    [scanned] = installed_packages(models_dir)
    recorded = (info.path / DIGEST_RECORD).stat().st_mtime_ns
    [again] = installed_packages(models_dir)

    assert scanned.digest == again.digest == info.digest
    assert (info.path / DIGEST_RECORD).stat().st_mtime_ns == recorded  # read, not hashed again


def test_a_file_changed_in_place_changes_the_digest(models_dir: Path, replaced_archives: tuple[Path, ...]) -> None:
    info = install_archive(replaced_archives[0], models_dir)
    config = info.model_dir / "config.json"
    config.write_text(config.read_text(encoding="utf-8") + " ", encoding="utf-8")

    assert read_package(info.path).digest != info.digest


def test_import_without_version_derives_it_from_the_content(
    models_dir: Path, replaced_model_sources: tuple[ModelSource, ...]
) -> None:
    def imported(source: ModelSource) -> PackageInfo:
        return import_model(source.model_dir, source.sentencepiece, models_dir, from_code="az", to_code="en")

    old, new = replaced_model_sources
    first, again, changed = imported(old), imported(old), imported(new)

    assert changed.version != first.version == again.version == f"1.0+{first.short_digest}"
    assert installed_packages(models_dir) == [changed]


def test_a_package_whose_digest_cannot_be_recorded_still_gets_it(
    models_dir: Path, replaced_archives: tuple[Path, ...]
) -> None:
    info = install_archive(replaced_archives[0], models_dir)
    (info.path / DIGEST_RECORD).unlink()
    (info.path / DIGEST_RECORD).mkdir()  # unwritable as a file, like a read-only models dir

    assert [p.digest for p in installed_packages(models_dir)] == [info.digest]
    assert [p.digest for p in installed_packages(models_dir)] == [info.digest]
    assert sorted(p.name for p in info.path.iterdir()) == sorted(
        [DIGEST_RECORD, "metadata.json", "model", "sentencepiece.model"]
    )
