"""Converting NLLB, M2M-100 and OPUS-MT (Marian) checkpoints: the engine must translate exactly as the model's
authors intended, i.e. as CTranslate2's documented usage with the checkpoint's own tokenizer:
tokenizer → ``translate_batch(target_prefix=[[lang token]])`` → ``decode(skip_special_tokens=True)``.

The checkpoints are tiny random ones built offline (tests/fixtures/checkpoints.py), once
per session, and converted through the public API; nothing is downloaded.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

# Before anything that may import CTranslate2's specs with torch blocked (see the fixture).
from tests.fixtures.checkpoints import Checkpoint, build_m2m100, build_marian, build_nllb, load_tokenizer  # isort: skip

import ctranslate2
import pytest
import typer
from typer.testing import CliRunner

from hub.commands import models
from translation.convert import NLLB_LANGUAGE_TOKENS, UNKNOWN_LICENSE, convert_checkpoint, detect_family
from translation.engine import Document, Field, TranslationEngine
from translation.errors import ConversionError, ConverterMissing
from translation.inference import DecodingOptions, LoadedModel
from translation.packages import PackageInfo

LANGUAGES = ("az", "tr", "ru", "uz", "en")
SENTENCES = {
    "az": ["Prezident Bakı şəhərində görüş keçirib.", "Neft ixrac 2024 il ərzində artım bildirib!"],
    "tr": ["Cumhurbaşkanı Ankara'da toplantı düzenledi.", "Yeni proje İstanbul'da imzalandı?"],
    "ru": ["Президент провёл встречу в Москве.", "Правительство приняло решение за год."],
    "uz": ["Prezident Toshkentda uchrashuv o'tkazdi.", "O‘zbekiston yangi loyiha shartnoma imzolandi."],
    "en": ["The president held a meeting in the capital.", "Oil and gas export growth, the ministry said."],
}
# The engine's settings, shared with the reference (a short cap keeps random models fast).
OPTIONS = DecodingOptions(max_decoding_length=32)


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Checkpoint]:
    root = tmp_path_factory.mktemp("checkpoints")
    return {"nllb": build_nllb(root / "nllb-200-tiny"), "m2m_100": build_m2m100(root / "m2m100-tiny")}


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory, checkpoints: dict[str, Checkpoint]) -> dict[str, PackageInfo]:
    """Each family converted through the public API into a packages dir of its own."""
    return {
        family: convert_checkpoint(checkpoint.path, tmp_path_factory.mktemp(f"packages-{family}"), languages=LANGUAGES)
        for family, checkpoint in checkpoints.items()
    }


def _reference(
    checkpoint: Checkpoint, package: PackageInfo, sentences: list[str], source: str, target: str
) -> list[str]:
    """CTranslate2's documented usage, with the checkpoint's own tokenizer."""
    tokenizer = load_tokenizer(checkpoint)
    tokenizer.src_lang = package.language_tokens[source] if checkpoint.family == "nllb" else source
    target_token = package.language_tokens[target]
    translator = ctranslate2.Translator(str(package.model_dir), compute_type=OPTIONS.compute_type)
    results = translator.translate_batch(
        [tokenizer.convert_ids_to_tokens(tokenizer(s).input_ids) for s in sentences],
        target_prefix=[[target_token]] * len(sentences),
        beam_size=OPTIONS.beam_size,
        length_penalty=OPTIONS.length_penalty,
        max_decoding_length=OPTIONS.max_decoding_length,
        min_decoding_length=OPTIONS.min_decoding_length,
    )
    return [
        tokenizer.decode(tokenizer.convert_tokens_to_ids(r.hypotheses[0][1:]), skip_special_tokens=True)
        for r in results
    ]


@pytest.mark.parametrize("family", ["nllb", "m2m_100"])
def test_engine_output_equals_the_reference_for_every_ordered_pair(
    family: str, checkpoints: dict[str, Checkpoint], converted: dict[str, PackageInfo]
) -> None:
    package = converted[family]
    engine = TranslationEngine(package.path.parent, threads=1, max_decoding_length=OPTIONS.max_decoding_length)
    outputs = set()
    with engine:
        for source, target in itertools.permutations(LANGUAGES, 2):
            sentences = SENTENCES[source]
            [result] = engine.translate_documents([Document(source, (target,), [Field(s) for s in sentences])])
            assert result[target].error is None
            assert [m.code for m in result[target].models] == [package.code]  # direct, no pivot
            expected = _reference(checkpoints[family], package, sentences, source, target)
            assert result[target].texts == expected, (source, target)
            outputs.update(expected)
    # A comparison of empty strings would prove nothing: the outputs are real, varied text.
    assert len(outputs) > 20 and all(outputs)


@pytest.mark.parametrize("family", ["nllb", "m2m_100"])
def test_source_tokens_equal_the_tokenizers(
    family: str, checkpoints: dict[str, Checkpoint], converted: dict[str, PackageInfo]
) -> None:
    package = converted[family]
    tokenizer = load_tokenizer(checkpoints[family])
    model = LoadedModel(package, workers=1, compute_type="int8")
    vocabulary = set(json.loads((package.model_dir / "shared_vocabulary.json").read_text(encoding="utf-8")))
    for lang in LANGUAGES:
        tokenizer.src_lang = package.language_tokens[lang] if family == "nllb" else lang
        expected = [tokenizer.convert_ids_to_tokens(tokenizer(s).input_ids) for s in SENTENCES[lang]]
        tokens = model.tokenize(SENTENCES[lang], lang)
        # A piece outside the vocabulary (here ",") is <unk> to the model either way: the
        # tokenizer names it so, CTranslate2 maps the unknown string to it.
        assert [[t if t in vocabulary else "<unk>" for t in sentence] for sentence in tokens] == expected
        assert tokens[0][0] == package.language_tokens[lang] and tokens[0][-1] == "</s>"


@pytest.mark.parametrize("family", ["nllb", "m2m_100"])
def test_special_tokens_anywhere_in_an_output_are_dropped_as_the_tokenizer_does(
    family: str, checkpoints: dict[str, Checkpoint], converted: dict[str, PackageInfo]
) -> None:
    package = converted[family]
    tokenizer = load_tokenizer(checkpoints[family])
    model = LoadedModel(package, workers=1, compute_type="int8")
    vocabulary = json.loads((package.model_dir / "shared_vocabulary.json").read_text(encoding="utf-8"))
    specials = [t for t in vocabulary if not model._is_text_piece(model.target_processor, t)]
    assert {"<s>", "<pad>", "</s>", "<unk>", package.language_tokens["uz"]} <= set(specials)
    pieces = [p for p in vocabulary if model._is_text_piece(model.target_processor, p)][5:40]
    mixed = [specials[i % len(specials)] if i % 3 == 0 else p for i, p in enumerate(pieces)]
    if family == "m2m_100":
        mixed.insert(4, "madeupword3")
    expected = tokenizer.decode(tokenizer.convert_tokens_to_ids(mixed), skip_special_tokens=True)
    assert model.detokenize(mixed) == expected


def test_package_metadata(checkpoints: dict[str, Checkpoint], converted: dict[str, PackageInfo]) -> None:
    nllb, m2m = converted["nllb"], converted["m2m_100"]
    assert nllb.language_tokens == {code: NLLB_LANGUAGE_TOKENS[code] for code in LANGUAGES}
    assert m2m.language_tokens == {code: f"__{code}__" for code in LANGUAGES}
    for family, package in converted.items():
        metadata = json.loads((package.path / "metadata.json").read_text(encoding="utf-8"))
        assert package.languages == LANGUAGES
        assert package.source_prefix == package.target_prefix == "{lang}"
        assert package.source_suffix == "</s>" and package.skip_special_tokens
        assert package.license == "cc-by-nc-4.0"
        assert package.source == str(checkpoints[family].path.resolve())
        assert metadata["family"] == family and metadata["quantization"] == "int8"
        assert package.version.startswith("1.0+")
    assert nllb.code == "nllb-200-tiny" and m2m.code == "m2m100-tiny"


def test_family_detection(tmp_path: Path, checkpoints: dict[str, Checkpoint]) -> None:
    assert detect_family(checkpoints["nllb"].path).name == "nllb"
    assert detect_family(checkpoints["m2m_100"].path).name == "m2m_100"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "marian"}))
    assert detect_family(tmp_path).name == "marian"
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ConversionError, match="bert"):
        detect_family(tmp_path)
    with pytest.raises(ConversionError, match=r"no config\.json"):
        detect_family(tmp_path / "nothing")


def test_a_language_the_model_lacks_is_refused(tmp_path: Path, checkpoints: dict[str, Checkpoint]) -> None:
    steps: list[str] = []
    with pytest.raises(ConversionError, match=r"no language token for xx \(__xx__\)"):
        convert_checkpoint(checkpoints["m2m_100"].path, tmp_path, languages=["en", "xx"], on_progress=steps.append)
    assert not [step for step in steps if step.startswith("converting")]  # refused before the long part
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]


def test_missing_extra_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoints: dict[str, Checkpoint]
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # as if it were not installed
    with pytest.raises(ConverterMissing, match=r"pip install torch==2\.13\.0 'ulak\[convert\]'"):
        convert_checkpoint(checkpoints["nllb"].path, tmp_path, languages=LANGUAGES)


def test_cli_converts_a_local_checkpoint_and_installs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checkpoints: dict[str, Checkpoint]
) -> None:
    monkeypatch.setenv("ULAK_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    app.add_typer(models.app, name="models")
    runner = CliRunner()
    source = str(checkpoints["nllb"].path)
    result = runner.invoke(app, ["models", "convert", source, "--languages", "en,uz", "--code", "nllb-test"])
    assert result.exit_code == 0, result.output
    assert "converted and installed nllb-test" in result.stdout
    assert "license: cc-by-nc-4.0" in result.stdout
    assert "converting the weights (int8)" in result.stderr  # plain progress lines off a terminal
    listed = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
    assert [(p["code"], p["languages"], p["language_tokens"], p["license"]) for p in listed] == [
        ("nllb-test", ["en", "uz"], {"en": "eng_Latn", "uz": "uzn_Latn"}, "cc-by-nc-4.0")
    ]
    assert listed[0]["source"] == str(Path(source).resolve())
    with TranslationEngine(tmp_path / "data" / "models", threads=1, max_decoding_length=8) as engine:
        assert engine.translate_text("Prezident Toshkentda uchrashuv o'tkazdi.", "uz", "en")


def test_unknown_license_says_so(tmp_path: Path, checkpoints: dict[str, Checkpoint]) -> None:
    from translation.convert import checkpoint_license

    assert checkpoint_license(checkpoints["nllb"].path) == "cc-by-nc-4.0"
    assert checkpoint_license(tmp_path) == UNKNOWN_LICENSE


def test_a_missing_directory_is_an_error_not_a_download(tmp_path: Path) -> None:
    for source in (tmp_path / "missing", str(tmp_path / "missing"), "./missing"):
        with pytest.raises(ConversionError, match="no such checkpoint directory"):
            convert_checkpoint(source, tmp_path / "models", languages=LANGUAGES)


@pytest.fixture(scope="session")
def marian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Checkpoint, PackageInfo]:
    checkpoint = build_marian(tmp_path_factory.mktemp("checkpoints-marian") / "opus-mt-tr-en-tiny")
    return checkpoint, convert_checkpoint(
        checkpoint.path, tmp_path_factory.mktemp("packages-marian"), languages=["tr", "en"]
    )


def test_marian_engine_output_and_source_tokens_equal_the_tokenizers(marian: tuple[Checkpoint, PackageInfo]) -> None:
    checkpoint, package = marian
    assert (package.from_code, package.to_code, package.languages) == ("tr", "en", ())
    assert package.target_sentencepiece_path.name == "target_sentencepiece.model"
    assert package.target_sentencepiece_path.read_bytes() == (checkpoint.path / "target.spm").read_bytes()
    tokenizer = load_tokenizer(checkpoint)
    sentences = SENTENCES["tr"] + ["Ekonomi bakanlığı açıklama yaptı, yeni proje!", "Türkiye ihracat haber verdi."]
    model = LoadedModel(package, workers=1, compute_type="int8")
    source = [tokenizer.convert_ids_to_tokens(tokenizer(s).input_ids) for s in sentences]
    vocabulary = set(json.loads((package.model_dir / "shared_vocabulary.json").read_text(encoding="utf-8")))
    tokens = model.tokenize(sentences, "tr")
    assert [[t if t in vocabulary else "<unk>" for t in sentence] for sentence in tokens] == source
    results = ctranslate2.Translator(str(package.model_dir), compute_type="int8").translate_batch(
        source,
        beam_size=OPTIONS.beam_size,
        length_penalty=OPTIONS.length_penalty,
        max_decoding_length=OPTIONS.max_decoding_length,
    )
    expected = [
        tokenizer.decode(tokenizer.convert_tokens_to_ids(r.hypotheses[0]), skip_special_tokens=True) for r in results
    ]
    with TranslationEngine(package.path.parent, threads=1, max_decoding_length=OPTIONS.max_decoding_length) as engine:
        [result] = engine.translate_documents([Document("tr", ("en",), [Field(s) for s in sentences])])
    assert result["en"].texts == expected and all(expected)


def test_marian_serves_one_direction(tmp_path: Path, marian: tuple[Checkpoint, PackageInfo]) -> None:
    with pytest.raises(ConversionError, match="one direction"):
        convert_checkpoint(marian[0].path, tmp_path, languages=["tr", "en", "az"])


def test_a_model_id_offline_fails_clearly(tmp_path: Path) -> None:
    # In a child process with the Hub's offline switch set before it is imported: the id is
    # looked up (never fetched here) and the failure names what was tried.
    code = (
        "from pathlib import Path\n"
        "from translation.convert import convert_checkpoint\n"
        "from translation.errors import ConversionError\n"
        "try:\n"
        f"    convert_checkpoint('facebook/m2m100_418M', Path({str(tmp_path)!r}), languages=['az', 'en'])\n"
        "except ConversionError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "facebook/m2m100_418M is neither a local checkpoint directory nor a model id" in done.stdout
    assert "offline mode is enabled" in done.stdout


def test_one_loadable_model_still_fans_out_in_one_pass(converted: dict[str, PackageInfo]) -> None:
    """With room for one model, the four hops a multilingual package serves for one source
    run together, in as few batches as with room for many (the same output either way)."""
    package = converted["nllb"]
    doc = Document("az", ("tr", "ru", "uz", "en"), [Field(" ".join(SENTENCES["az"]))])
    outputs, batches = [], []
    for max_loaded in (1, 8):
        with TranslationEngine(
            package.path.parent, threads=2, max_loaded_models=max_loaded, max_decoding_length=32
        ) as engine:
            [result] = engine.translate_documents([doc])
            outputs.append({lang: r.texts for lang, r in result.items()})
            batches.append(engine.stats.batches)
            assert engine.stats.model_calls == 4
    assert outputs[0] == outputs[1]
    assert batches[0] == batches[1] <= 4, batches
