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


def test_packages_without_the_newer_fields_keep_the_digest_they_had(
    models_dir: Path, multilingual_model_source: ModelSource
) -> None:
    # The formula before source_suffix, skip_special_tokens and target_sentencepiece.model
    # existed, written out: an upgrade must not give installed packages new digests (the
    # translation memory and derived versions key on them).
    import hashlib

    from translation.digest import files_digest

    info = install_archive(_multilingual_archive(models_dir, multilingual_model_source), models_dir)
    metadata = json.loads((info.path / "metadata.json").read_text(encoding="utf-8"))
    keys = ("from_code", "to_code", "languages", "language_tokens", "source_prefix", "target_prefix")
    settings = json.dumps(
        {k: metadata.get(k) or None for k in keys}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert info.digest == hashlib.sha256(f"{files_digest(info.path)}\n{settings}".encode()).hexdigest()


def _multilingual_archive(models_dir: Path, source: ModelSource) -> Path:
    """The multilingual source as an .argosmodel (languages, prefixes, no newer field)."""
    root = models_dir.parent / "archive-src" / "en_uz"
    (root / "model").mkdir(parents=True)
    for file in source.model_dir.iterdir():
        (root / "model" / file.name).write_bytes(file.read_bytes())
    (root / "sentencepiece.model").write_bytes(source.sentencepiece.read_bytes())
    (root / "metadata.json").write_text(json.dumps(source.package.metadata()), encoding="utf-8")
    return write_archive(root, models_dir.parent / "en_uz.argosmodel")


def test_new_output_fields_and_the_target_sentencepiece_change_the_digest(
    tmp_path: Path, multilingual_model_source: ModelSource
) -> None:
    source = multilingual_model_source

    def imported(name: str, **kwargs: object) -> PackageInfo:
        return import_model(
            source.model_dir, source.sentencepiece, tmp_path / name, from_code="en", to_code="uz",
            languages=("en", "uz"), source_prefix="__{lang}__", target_prefix="__{lang}__", **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    plain = imported("plain")
    digests = {
        plain.digest,
        imported("suffix", source_suffix="</s>").digest,
        imported("skip", skip_special_tokens=True).digest,
        imported("target", target_sentencepiece_path=source.sentencepiece).digest,
    }
    assert len(digests) == 4
    assert imported("about", about={"license": "mit", "source": "x"}).digest == plain.digest
