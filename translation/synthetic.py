"""Synthetic translation models: real CTranslate2 + SentencePiece files with seeded random weights.

The test suite and the benchmark need genuine models to exercise the real install → route →
translate path, and nothing may be downloaded. This module trains a SentencePiece model on
generated multilingual news-like text and builds a Transformer with seeded numpy weights.
The output is gibberish, but deterministic, short (a positive ``</s>`` bias stops decoding
after a few tokens) and free of language tokens (a negative bias keeps them out of outputs).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sentencepiece as spm

from translation.packages import write_archive

SPECIAL_TOKENS = ("<unk>", "<blank>", "<s>", "</s>")

_WORDS = {
    "az": ["prezident", "Bakı", "şəhərində", "görüş", "keçirib", "iqtisadiyyat", "nazirliyi", "açıqlama", "ölkə", "xəbər", "hökumət", "qərar", "verib", "milyon", "manat", "il", "ərzində", "artım", "bildirib", "regionda", "yeni", "layihə", "Azərbaycan", "Respublikası", "müqavilə", "imzalanıb", "neft", "qaz", "ixrac"],
    "tr": ["cumhurbaşkanı", "Ankara'da", "toplantı", "düzenledi", "ekonomi", "bakanlığı", "açıklama", "ülke", "haber", "hükümet", "karar", "verdi", "milyon", "lira", "yıl", "içinde", "büyüme", "bildirdi", "bölgede", "yeni", "proje", "Türkiye", "anlaşma", "imzalandı", "ihracat", "doğalgaz", "İstanbul"],
    "ru": ["президент", "провёл", "встречу", "в", "Москве", "экономика", "министерство", "заявление", "страна", "новости", "правительство", "приняло", "решение", "миллионов", "рублей", "за", "год", "рост", "сообщил", "регионе", "новый", "проект", "Россия", "соглашение", "подписано", "нефть", "газ", "экспорт"],
    "uz": ["prezident", "Toshkentda", "uchrashuv", "o'tkazdi", "iqtisodiyot", "vazirligi", "bayonot", "mamlakat", "yangiliklar", "hukumat", "qaror", "qabul", "qildi", "million", "so'm", "yil", "davomida", "o‘sish", "bildirdi", "viloyatda", "yangi", "loyiha", "O‘zbekiston", "shartnoma", "imzolandi", "paxta", "eksport"],
    "en": ["president", "held", "a", "meeting", "in", "the", "capital", "economy", "ministry", "statement", "country", "news", "government", "decision", "million", "dollars", "during", "year", "growth", "said", "region", "new", "project", "agreement", "signed", "oil", "gas", "export", "Baku", "Ankara", "Moscow", "Tashkent", "report_2024", "file_name"],
}
LANGUAGES = tuple(_WORDS)


@dataclass(frozen=True)
class ModelShape:
    """Transformer dimensions; ``vocab_size`` pads the vocabulary to a fixed size when set."""

    layers: tuple[int, int] = (1, 1)
    d_model: int = 32
    ffn: int = 64
    heads: int = 2
    vocab_size: int | None = None


TINY = ModelShape()
# The dimensions of Argos's real packages (OpenNMT-py Transformer base, 50k shared vocabulary).
ARGOS_SIZE = ModelShape(layers=(6, 6), d_model=512, ffn=2048, heads=8, vocab_size=50_000)


def language_token(code: str) -> str:
    """The M2M-100 style language token the synthetic multilingual package uses."""
    return f"__{code}__"


def generated_sentences(languages: Sequence[str] = LANGUAGES, *, count: int = 2000, seed: int = 0) -> Iterator[str]:
    """Deterministic news-like sentences mixing words, numbers, quotes and punctuation."""
    rng = random.Random(seed)
    for i in range(count):
        words = _WORDS[languages[i % len(languages)]]
        sentence = [rng.choice(words) for _ in range(rng.randint(4, 12))]
        if rng.random() < 0.3:
            sentence.insert(rng.randrange(len(sentence)), f"{rng.randint(1, 999)}.{rng.randint(0, 9)}")
        if rng.random() < 0.2:
            sentence.append(f"«{rng.choice(words)}»")
        yield sentence[0].capitalize() + " " + " ".join(sentence[1:]) + rng.choice(".!?")


def train_sentencepiece(
    *, vocab_size: int = 400, language_tokens: Sequence[str] = (), sentences: int = 2000, seed: int = 0
) -> bytes:
    """A SentencePiece model trained on generated text of every language, as serialized bytes."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=generated_sentences(count=sentences, seed=seed),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        user_defined_symbols=list(language_tokens),
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def model_vocabulary(sp_model: bytes, size: int | None = None) -> list[str]:
    """``<unk> <blank> <s> </s>`` + SentencePiece pieces, padded with filler pieces to ``size``."""
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocabulary = list(SPECIAL_TOKENS) + [p for p in pieces if p not in SPECIAL_TOKENS]
    if size is not None:
        vocabulary += [f"▁filler{i}" for i in range(size - len(vocabulary))]
    return vocabulary


def _specs():
    # ctranslate2.specs tries `import torch` (2 s and irrelevant here); a None entry makes that
    # import fail fast. It is removed again so that code needing torch later still gets it,
    # and a torch that is already imported is left alone.
    blocked = sys.modules.setdefault("torch", None) is None  # type: ignore[arg-type]
    try:
        from ctranslate2.specs import transformer_spec
    finally:
        if blocked:
            del sys.modules["torch"]
    return transformer_spec


def build_ctranslate2_model(
    output_dir: Path,
    sp_model: bytes,
    *,
    shape: ModelShape = TINY,
    seed: int = 0,
    eos_bias: float = 5.0,
    quantization: str = "int8",
    gain: float = 2.0,
) -> Path:
    """Write a CTranslate2 Transformer with seeded random weights and a shared vocabulary."""
    transformer_spec = _specs()
    vocabulary = model_vocabulary(sp_model, shape.vocab_size)
    rng = np.random.default_rng(seed)
    d, v = shape.d_model, len(vocabulary)

    def linear(spec, out_dim: int, in_dim: int) -> None:
        spec.weight = rng.normal(0.0, gain * in_dim**-0.5, (out_dim, in_dim)).astype(np.float32)

    def norm(spec) -> None:
        spec.gamma = np.ones(d, np.float32)
        spec.beta = np.zeros(d, np.float32)

    spec = transformer_spec.TransformerSpec.from_config(shape.layers, shape.heads)
    encoder, decoder = spec.encoder, spec.decoder
    # One matrix for source and target embeddings, as OpenNMT-py's share_embeddings does
    # with a shared vocabulary: CTranslate2 stores and loads it once. (Tying the output
    # projection too halved decoding speed on CPU here, so it keeps its own weights.)
    embeddings = rng.normal(0.0, d**-0.5, (v, d)).astype(np.float32)
    encoder.embeddings[0].weight = embeddings
    decoder.embeddings.weight = embeddings
    for layer in [*encoder.layer, *decoder.layer]:
        norm(layer.self_attention.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d, d)
        linear(layer.self_attention.linear[1], d, d)
        if hasattr(layer, "attention"):
            norm(layer.attention.layer_norm)
            linear(layer.attention.linear[0], d, d)
            linear(layer.attention.linear[1], 2 * d, d)
            linear(layer.attention.linear[2], d, d)
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, shape.ffn, d)
        linear(layer.ffn.linear_1, d, shape.ffn)
    norm(encoder.layer_norm)
    norm(decoder.layer_norm)
    linear(decoder.projection, v, d)
    bias = np.zeros(v, np.float32)
    bias[vocabulary.index("</s>")] = eos_bias
    # Specials and language tokens must never be generated: an output that contains them
    # would look like a leaked prefix, which is exactly what the tests check for. Neither
    # may the filler pieces that pad a vocabulary to size: SentencePiece does not know them,
    # so a pivot's English would re-tokenize into many more pieces than the model produced.
    real_size = len(model_vocabulary(sp_model))
    for index, token in enumerate(vocabulary):
        if (
            token in ("<unk>", "<blank>", "<s>")
            or (token.startswith("__") and token.endswith("__"))
            or index >= real_size
        ):
            bias[index] = -30.0
    decoder.projection.bias = bias

    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.validate()
    spec.optimize(quantization=quantization)
    output_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(output_dir))
    return output_dir


@dataclass(frozen=True)
class SyntheticPackage:
    """What to build: a pair package, or a multilingual one when ``languages`` is given."""

    from_code: str
    to_code: str
    version: str = "1.0"
    languages: tuple[str, ...] = ()
    seed: int = 0

    @property
    def code(self) -> str:
        return f"translate-{self.from_code}_{self.to_code}"

    def metadata(self) -> dict[str, object]:
        metadata: dict[str, object] = {
            "package_version": self.version,
            "argos_version": "1.9.0",
            "from_code": self.from_code,
            "to_code": self.to_code,
            "from_name": self.from_code,
            "to_name": self.to_code,
            "code": self.code,
        }
        if self.languages:
            metadata |= {
                "languages": list(self.languages),
                "source_prefix": "__{lang}__",
                "target_prefix": "__{lang}__",
            }
        return metadata


_SP_CACHE: dict[tuple[str, ...], bytes] = {}


def shared_sentencepiece(language_tokens: Sequence[str] = ()) -> bytes:
    """One SentencePiece model per token set per process: training is the slow part of a build."""
    key = tuple(language_tokens)
    if key not in _SP_CACHE:
        _SP_CACHE[key] = train_sentencepiece(language_tokens=key)
    return _SP_CACHE[key]


def build_model_dir(
    dest: Path, package: SyntheticPackage, *, shape: ModelShape = TINY, sp_model: bytes | None = None
) -> tuple[Path, Path]:
    """A plain CTranslate2 model directory and a SentencePiece file, as `ulak models import` takes."""
    if sp_model is None:
        sp_model = shared_sentencepiece([language_token(c) for c in package.languages])
    model_dir = build_ctranslate2_model(dest / "model", sp_model, shape=shape, seed=package.seed)
    sp_path = dest / "sentencepiece.model"
    sp_path.write_bytes(sp_model)
    return model_dir, sp_path


def build_package(
    output_dir: Path, package: SyntheticPackage, *, shape: ModelShape = TINY, sp_model: bytes | None = None
) -> Path:
    """Build ``<code>-<version>.argosmodel`` in ``output_dir`` and return its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output_dir) as scratch:
        root = Path(scratch) / f"{package.from_code}_{package.to_code}"
        root.mkdir()
        build_model_dir(root, package, shape=shape, sp_model=sp_model)
        (root / "metadata.json").write_text(json.dumps(package.metadata(), ensure_ascii=False, indent=2))
        archive = output_dir / f"{package.code}-{package.version}.argosmodel"
        write_archive(root, archive)
        shutil.rmtree(root)
    return archive
