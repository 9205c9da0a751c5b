"""Installed translation packages: the .argosmodel format, validation, install, import, remove.

An .argosmodel is a zip with exactly one top-level folder holding ``metadata.json``,
``sentencepiece.model`` and ``model/`` (a CTranslate2 model). We read and write the format
ourselves (argostranslate would pull in stanza and torch). Beyond Argos's metadata, a package
may declare ``languages`` (a multilingual model serving every pair among them) and
``source_prefix`` / ``target_prefix`` token templates where ``{lang}`` stands for the
language token (``language_tokens`` maps a code to it when it is not the code itself, e.g.
``uz → uzn_Latn`` for NLLB). Converted checkpoints (``translation.convert``) add a
``source_suffix`` template (``</s>``: CTranslate2's converted NLLB, M2M-100 and Marian
models do not append it themselves), ``skip_special_tokens`` (drop output tokens the target
SentencePiece model has no text for, as the Transformers tokenizer's decode does), an optional
``target_sentencepiece.model`` (Marian's target side differs from its source side), and
``license`` / ``source`` / ``family`` for people. Every field is optional: Argos packages and
earlier imports read exactly as before.

Each package is installed as ``<packages_dir>/<code>-<version>/``; installs unpack into a
hidden scratch directory, validate, and appear with one rename, so a reader scanning the
directory never sees half a package. Every package also has a content digest
(``translation.digest``), recorded when it is installed or imported: a package replaced
under the same code and version has a new digest, and ``import_model`` derives its default
version from it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import sentencepiece as spm

from translation.digest import DIGEST_RECORD, SHORT_LENGTH, content_version, package_digest
from translation.errors import InvalidPackage, ModelNotInstalled

log = logging.getLogger(__name__)

METADATA = "metadata.json"
SENTENCEPIECE = "sentencepiece.model"
TARGET_SENTENCEPIECE = "target_sentencepiece.model"
MODEL_DIR = "model"
_SCRATCH_PREFIX = ".partial-"


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Order "1.10" after "1.9"; non-numeric parts compare as text."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))


@dataclass(frozen=True)
class PackageInfo:
    """An installed (or about to be installed) package, as its metadata describes it."""

    code: str
    version: str
    from_code: str
    to_code: str
    path: Path
    languages: tuple[str, ...] = ()
    source_prefix: str = ""
    target_prefix: str = ""
    source_suffix: str = ""
    skip_special_tokens: bool = False
    language_tokens: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    from_name: str = ""
    to_name: str = ""
    license: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    # Part of equality and hash: the model pool and the translation memory key on it.
    digest: str = ""

    @property
    def short_digest(self) -> str:
        return self.digest[:SHORT_LENGTH]

    @property
    def multilingual(self) -> bool:
        return bool(self.languages)

    def serves(self, source_lang: str, target_lang: str) -> bool:
        if self.multilingual:
            return source_lang != target_lang and {source_lang, target_lang} <= set(self.languages)
        return (self.from_code, self.to_code) == (source_lang, target_lang)

    def _tokens(self, template: str, lang: str) -> list[str]:
        return template.replace("{lang}", self.language_tokens.get(lang, lang)).split()

    def source_prefix_tokens(self, source_lang: str) -> list[str]:
        return self._tokens(self.source_prefix, source_lang)

    def source_suffix_tokens(self, source_lang: str) -> list[str]:
        return self._tokens(self.source_suffix, source_lang)

    def target_prefix_tokens(self, target_lang: str) -> list[str]:
        return self._tokens(self.target_prefix, target_lang)

    @property
    def model_dir(self) -> Path:
        return self.path / MODEL_DIR

    @property
    def sentencepiece_path(self) -> Path:
        return self.path / SENTENCEPIECE

    @property
    def target_sentencepiece_path(self) -> Path:
        """The target side's SentencePiece model: its own file when the package has one."""
        target = self.path / TARGET_SENTENCEPIECE
        return target if target.is_file() else self.sentencepiece_path

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "version": self.version,
            "from_code": self.from_code,
            "to_code": self.to_code,
            "languages": list(self.languages),
            "language_tokens": dict(self.language_tokens),
            "license": self.license,
            "source": self.source,
            "digest": self.digest,
            "path": str(self.path),
        }


def _read_vocabulary(model_dir: Path, side: str) -> set[str] | None:
    for name in (f"{side}_vocabulary", "shared_vocabulary"):
        if (model_dir / f"{name}.json").is_file():
            return set(json.loads((model_dir / f"{name}.json").read_text(encoding="utf-8")))
        if (model_dir / f"{name}.txt").is_file():
            return set((model_dir / f"{name}.txt").read_text(encoding="utf-8").splitlines())
    return None


def _info_from_metadata(metadata: object, path: Path, name: str) -> PackageInfo:
    """The package ``metadata`` describes (no digest yet); InvalidPackage names ``name`` when malformed."""
    if not isinstance(metadata, dict):
        raise InvalidPackage(f"{name}: {METADATA} must be a JSON object")
    for key in ("from_code", "to_code", "package_version"):
        if not isinstance(metadata.get(key), str) or not metadata[key]:
            raise InvalidPackage(f"{name}: {METADATA} lacks {key!r}")
    languages = metadata.get("languages") or []
    tokens = metadata.get("language_tokens") or {}
    if not (isinstance(languages, list) and all(isinstance(x, str) for x in languages)):
        raise InvalidPackage(f"{name}: 'languages' must be a list of language codes")
    if not isinstance(tokens, dict):
        raise InvalidPackage(f"{name}: 'language_tokens' must map codes to tokens")
    return PackageInfo(
        code=metadata.get("code") or f"translate-{metadata['from_code']}_{metadata['to_code']}",
        version=metadata["package_version"],
        from_code=metadata["from_code"],
        to_code=metadata["to_code"],
        path=path,
        languages=tuple(languages),
        source_prefix=metadata.get("source_prefix") or "",
        target_prefix=metadata.get("target_prefix") or "",
        source_suffix=metadata.get("source_suffix") or "",
        skip_special_tokens=metadata.get("skip_special_tokens") is True,
        language_tokens={str(k): str(v) for k, v in tokens.items()},
        from_name=metadata.get("from_name") or "",
        to_name=metadata.get("to_name") or "",
        license=str(metadata.get("license") or ""),
        source=str(metadata.get("source") or ""),
    )


def info_from_metadata(metadata: object, name: str, *, digest: str = "") -> PackageInfo:
    """The package a ``metadata.json`` describes, for planning before it is installed (a
    package kept elsewhere, e.g. in the hub's object store); ``path`` is ``name``."""
    return replace(_info_from_metadata(metadata, Path(name), name), digest=digest)


def read_package(path: Path) -> PackageInfo:
    """Validate an unpacked package directory and describe it; raise InvalidPackage saying why."""
    try:
        metadata = json.loads((path / METADATA).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidPackage(f"{path.name}: no {METADATA}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPackage(f"{path.name}: {METADATA} is not valid JSON ({exc})") from None
    info = _info_from_metadata(metadata, path, path.name)
    for name in (SENTENCEPIECE, TARGET_SENTENCEPIECE):
        if name == TARGET_SENTENCEPIECE and not (path / name).exists():
            continue  # optional: the source model serves both sides
        try:
            spm.SentencePieceProcessor(model_file=str(path / name))
        except (OSError, RuntimeError) as exc:
            raise InvalidPackage(f"{path.name}: {name} is missing or unreadable ({exc})") from None
    model_dir = path / MODEL_DIR
    for name in ("model.bin", "config.json"):
        if not (model_dir / name).is_file():
            raise InvalidPackage(f"{path.name}: {MODEL_DIR}/{name} is missing (not a CTranslate2 model)")
    source_vocab, target_vocab = _read_vocabulary(model_dir, "source"), _read_vocabulary(model_dir, "target")
    if source_vocab is None or target_vocab is None:
        raise InvalidPackage(f"{path.name}: {MODEL_DIR}/ has no vocabulary file")
    # A prefix token the model does not know would be fed as <unk> and silently ruin every
    # translation, so refuse the package up front.
    for lang in info.languages or (info.from_code, info.to_code):
        for token in info.source_prefix_tokens(lang) + info.source_suffix_tokens(lang):
            if token not in source_vocab:
                raise InvalidPackage(f"{path.name}: source prefix/suffix token {token!r} is not in the vocabulary")
        for token in info.target_prefix_tokens(lang):
            if token not in target_vocab:
                raise InvalidPackage(f"{path.name}: target prefix token {token!r} is not in the vocabulary")
    return replace(info, digest=package_digest(path, metadata))


def installed_packages(packages_dir: Path) -> list[PackageInfo]:
    """Every valid installed package, newest version per code, sorted by code."""
    newest: dict[str, PackageInfo] = {}
    if not packages_dir.is_dir():
        return []
    for path in sorted(packages_dir.iterdir()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        try:
            info = read_package(path)
        except InvalidPackage as exc:
            log.warning("skipping broken package: %s", exc)
            continue
        current = newest.get(info.code)
        if current is None or version_key(info.version) > version_key(current.version):
            newest[info.code] = info
    return [newest[code] for code in sorted(newest)]


def scan_signature(packages_dir: Path) -> tuple[object, ...]:
    """A cheap fingerprint of what ``installed_packages`` reads: it changes when one would differ.

    Installs, imports and removals rename whole package directories, so the directories'
    names, inodes and mtimes with the stat of each one's metadata and digest record are
    enough; no file is read. A model file edited in place is not seen here (packages are
    replaced, not edited): the digest record notices it at the next full scan.
    """
    entries: list[tuple[object, ...]] = []
    try:
        listing = os.scandir(packages_dir)
    except FileNotFoundError:
        return ()
    with listing:
        for entry in listing:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            stamps: list[object] = [entry.name, entry.inode()]
            for path in (entry.path, os.path.join(entry.path, METADATA), os.path.join(entry.path, DIGEST_RECORD)):
                try:
                    stat = os.stat(path)
                    stamps.append((stat.st_ino, stat.st_mtime_ns, stat.st_size))
                except FileNotFoundError:  # also a package removed while we look: it differs anyway
                    stamps.append(None)
            entries.append(tuple(stamps))
    return tuple(sorted(entries, key=lambda e: str(e[0])))


def _move_into_place(staged: Path, packages_dir: Path) -> PackageInfo:
    info = read_package(staged)
    final = packages_dir / f"{info.code}-{info.version}"
    trash = packages_dir / f"{_SCRATCH_PREFIX}{uuid.uuid4().hex}"
    if final.exists():
        final.rename(trash)
    staged.rename(final)
    for old in list(packages_dir.iterdir()):
        if old != final and old.is_dir() and old.name.startswith(f"{info.code}-"):
            try:
                if read_package(old).code == info.code:
                    old.rename(packages_dir / f"{_SCRATCH_PREFIX}{uuid.uuid4().hex}")
            except InvalidPackage:
                pass
    for scratch in packages_dir.glob(f"{_SCRATCH_PREFIX}*"):
        shutil.rmtree(scratch, ignore_errors=True)
    return read_package(final)


def _top_level_folder(archive: zipfile.ZipFile, name: str) -> str:
    tops = set()
    for member in archive.namelist():
        parts = PurePosixPath(member).parts
        if not parts or member.startswith("/") or ".." in parts or "\\" in member:
            raise InvalidPackage(f"{name}: unsafe path in archive: {member!r}")
        if len(parts) == 1 and not member.endswith("/"):
            raise InvalidPackage(f"{name}: {member!r} lies outside a top-level folder")
        tops.add(parts[0])
    if len(tops) != 1:
        raise InvalidPackage(f"{name}: an .argosmodel must hold exactly one top-level folder, found {len(tops)}")
    return tops.pop()


def install_archive(archive_path: Path, packages_dir: Path) -> PackageInfo:
    """Validate and install an .argosmodel; a broken file installs nothing and raises InvalidPackage."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidPackage(f"{archive_path.name}: not a readable zip archive ({exc})") from None
    scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=packages_dir))
    try:
        with archive:
            top = _top_level_folder(archive, archive_path.name)
            try:
                archive.extractall(scratch)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InvalidPackage(f"{archive_path.name}: corrupt archive ({exc})") from None
        # A digest recorded elsewhere (an exported package) is not taken on trust: hash it here.
        (scratch / top / DIGEST_RECORD).unlink(missing_ok=True)
        return _move_into_place(scratch / top, packages_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def archive_info(archive_path: Path) -> PackageInfo:
    """What an .argosmodel would install, read from its metadata without unpacking it.

    Only the metadata and the presence of the model files are checked (no digest:
    ``install_archive`` validates and hashes); ``path`` is the archive itself.
    """
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidPackage(f"{archive_path.name}: not a readable zip archive ({exc})") from None
    with archive:
        top = _top_level_folder(archive, archive_path.name)
        names = set(archive.namelist())
        try:
            metadata = json.loads(archive.read(f"{top}/{METADATA}").decode("utf-8"))
        except KeyError:
            raise InvalidPackage(f"{archive_path.name}: no {METADATA}") from None
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError) as exc:
            raise InvalidPackage(f"{archive_path.name}: {METADATA} is unreadable ({exc})") from None
    for required in (SENTENCEPIECE, f"{MODEL_DIR}/model.bin", f"{MODEL_DIR}/config.json"):
        if f"{top}/{required}" not in names:
            raise InvalidPackage(f"{archive_path.name}: {required} is missing")
    return _info_from_metadata(metadata, archive_path, archive_path.name)


def import_model(
    model_dir: Path,
    sentencepiece_path: Path,
    packages_dir: Path,
    *,
    from_code: str,
    to_code: str,
    version: str | None = None,
    code: str | None = None,
    languages: tuple[str, ...] = (),
    language_tokens: dict[str, str] | None = None,
    source_prefix: str = "",
    target_prefix: str = "",
    source_suffix: str = "",
    skip_special_tokens: bool = False,
    target_sentencepiece_path: Path | None = None,
    about: dict[str, str] | None = None,
) -> PackageInfo:
    """Package an existing CTranslate2 model + SentencePiece file in Argos format and install it.

    Without ``version`` the package gets ``1.0+<short digest>``: importing a changed model
    under the same code gives a new version, importing the same one again the same version.
    ``about`` adds descriptive metadata (license, source, family) that changes no output.
    """
    if languages and not {from_code, to_code} <= set(languages):
        languages = tuple(dict.fromkeys((from_code, to_code, *languages)))
    packages_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=packages_dir))
    try:
        staged = scratch / f"{from_code}_{to_code}"
        if not (model_dir / "model.bin").is_file():
            raise InvalidPackage(f"{model_dir}: not a CTranslate2 model directory (no model.bin)")
        shutil.copytree(model_dir, staged / MODEL_DIR)
        sentencepieces = {SENTENCEPIECE: sentencepiece_path}
        if target_sentencepiece_path is not None:
            sentencepieces[TARGET_SENTENCEPIECE] = target_sentencepiece_path
        for name, file in sentencepieces.items():
            try:
                shutil.copyfile(file, staged / name)
            except OSError as exc:
                raise InvalidPackage(f"{file}: cannot read ({exc})") from None
        metadata: dict[str, object] = {
            "argos_version": "1.9.0",
            "from_code": from_code,
            "to_code": to_code,
            "from_name": from_code,
            "to_name": to_code,
            "code": code or f"translate-{from_code}_{to_code}",
            "source_prefix": source_prefix,
            "target_prefix": target_prefix,
        }
        if languages:
            metadata["languages"] = list(languages)
        if language_tokens:
            metadata["language_tokens"] = language_tokens
        if source_suffix:
            metadata["source_suffix"] = source_suffix
        if skip_special_tokens:
            metadata["skip_special_tokens"] = True
        metadata |= about or {}
        metadata = {"package_version": version or content_version(package_digest(staged, metadata)), **metadata}
        (staged / METADATA).write_text(json.dumps(metadata, ensure_ascii=False, indent=2), encoding="utf-8")
        return _move_into_place(staged, packages_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove_package(packages_dir: Path, code: str) -> PackageInfo:
    """Remove every installed version of ``code``; raise ModelNotInstalled if there is none."""
    matches = [p for p in installed_packages(packages_dir) if p.code == code]
    if not matches:
        raise ModelNotInstalled(f"package {code!r} is not installed")
    for path in list(packages_dir.iterdir()):
        if path.is_dir() and path.name.startswith(f"{code}-"):
            trash = packages_dir / f"{_SCRATCH_PREFIX}{uuid.uuid4().hex}"
            path.rename(trash)  # disappears at once for scanners; deletion can take its time
            shutil.rmtree(trash, ignore_errors=True)
    return matches[0]


def write_archive(package_root: Path, archive_path: Path) -> Path:
    """Zip an unpacked package directory as an .argosmodel (its folder becomes the top level)."""
    partial = archive_path.with_name(archive_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(package_root.rglob("*")):
            if file.is_file():
                archive.write(file, f"{package_root.name}/{file.relative_to(package_root).as_posix()}")
    os.replace(partial, archive_path)
    return archive_path
