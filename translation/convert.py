"""Converting Transformers checkpoints (NLLB-200, M2M-100, OPUS-MT) into installed packages.

The whole algorithm: find the checkpoint — a local directory, or a model id fetched into the
Hugging Face cache (only then is the network used); tell its family from ``config.json`` and
``tokenizer_config.json`` (``model_type`` ``marian`` is OPUS-MT; ``m2m_100`` is NLLB when
its tokenizer is an ``NllbTokenizer`` — NLLB ships no ``vocab.json`` — and M2M-100
otherwise); map each requested language code to the model's language token (NLLB's FLORES
codes such as ``uzn_Latn``, M2M-100's ``__uz__``; Marian has none and serves the one
direction ``languages[0] → languages[1]``); convert the weights with CTranslate2's own
``TransformersConverter`` into a scratch directory next to the packages; refuse a language
whose token the converted vocabulary lacks; then install the model with its SentencePiece
model(s) through ``packages.import_model`` (atomic, digest-versioned) and metadata that
makes the engine feed the model exactly what the checkpoint's tokenizer would:
``[source lang token] pieces </s>`` (the converted config says ``add_source_eos: false``,
so the ``</s>`` is ours to add), the target language token forced as the decoding prefix
and stripped from the output, and every output token the SentencePiece model has no text
for dropped before decoding, as ``tokenizer.decode(skip_special_tokens=True)`` does. The
licence (the model card's ``license:``) and the source go into the metadata.

transformers and torch come with the optional ``convert`` extra and are imported only here,
when a conversion runs.
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translation.errors import ConversionError, ConverterMissing
from translation.packages import PackageInfo, import_model

INSTALL_HINT = "pip install torch==2.13.0 'ulak[convert]'"
UNKNOWN_LICENSE = "unknown — check the model card"

# FLORES-200 codes of the languages Ulak serves (Azerbaijani is North Azerbaijani, Uzbek
# Northern Uzbek: the variants news agencies write).
NLLB_LANGUAGE_TOKENS = {
    "az": "azj_Latn",
    "tr": "tur_Latn",
    "ru": "rus_Cyrl",
    "uz": "uzn_Latn",
    "en": "eng_Latn",
    "kk": "kaz_Cyrl",
    "ky": "kir_Cyrl",
}
EOS = "</s>"
_SOURCE_FILES = ("*.json", "*.model", "*.spm", "README.md", "*.safetensors")

ProgressCallback = Callable[[str], None]


@dataclass(frozen=True)
class Family:
    """How one model family marks languages; ``spm_files`` are (source, target) file names."""

    name: str
    spm_files: tuple[str, str]
    multilingual: bool = True

    def language_token(self, code: str) -> str:
        if self.name == "nllb":
            return NLLB_LANGUAGE_TOKENS.get(code, code)
        if self.name == "m2m_100":
            return f"__{code}__"
        return code


NLLB = Family("nllb", ("sentencepiece.bpe.model", "sentencepiece.bpe.model"))
M2M_100 = Family("m2m_100", ("sentencepiece.bpe.model", "sentencepiece.bpe.model"))
MARIAN = Family("marian", ("source.spm", "target.spm"), multilingual=False)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConversionError(f"{path}: unreadable ({exc})") from None
    return data if isinstance(data, dict) else {}


def detect_family(checkpoint: Path) -> Family:
    """NLLB, M2M-100 or Marian, from the checkpoint's config and tokenizer files."""
    config = _read_json(checkpoint / "config.json")
    if not config:
        raise ConversionError(f"{checkpoint}: no config.json (not a Transformers checkpoint)")
    model_type = config.get("model_type")
    if model_type == "marian":
        return MARIAN
    if model_type == "m2m_100":
        tokenizer_class = str(_read_json(checkpoint / "tokenizer_config.json").get("tokenizer_class") or "")
        if tokenizer_class.startswith("Nllb"):
            return NLLB
        if tokenizer_class.startswith("M2M100"):
            return M2M_100
        return M2M_100 if (checkpoint / "vocab.json").is_file() else NLLB
    raise ConversionError(
        f"{checkpoint}: model_type {model_type!r} is not one Ulak converts (NLLB and M2M-100: m2m_100; OPUS-MT: marian)"
    )


def checkpoint_license(checkpoint: Path) -> str:
    """The ``license:`` of the model card's front matter (README.md), else UNKNOWN_LICENSE."""
    try:
        card = (checkpoint / "README.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return UNKNOWN_LICENSE
    front = re.match(r"---\s*\n(.*?)\n---", card, re.DOTALL)
    found = re.search(r"^license:\s*['\"]?([^'\"\n]+?)['\"]?\s*$", front.group(1), re.MULTILINE) if front else None
    return found.group(1) if found else UNKNOWN_LICENSE


def _import_converter() -> Any:
    """CTranslate2's Transformers converter, or ConverterMissing naming the extra."""
    try:
        # torch first: ctranslate2.specs decides at its own import whether torch tensors exist.
        import google.protobuf  # noqa: F401 - transformers needs it to read SentencePiece models
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from ctranslate2.converters import TransformersConverter
        from ctranslate2.specs import model_spec
    except ImportError as exc:
        raise ConverterMissing(
            f"converting checkpoints needs the convert extra ({exc.name or exc} is missing): {INSTALL_HINT}"
        ) from None
    if not model_spec.torch_is_available:
        raise ConversionError("ctranslate2.specs was imported while torch was unavailable: import torch before it")
    return TransformersConverter


def _fetch(model_id: str, on_progress: ProgressCallback) -> Path:
    """A model id's files in the Hugging Face cache: weights (safetensors), config, tokenizer, card."""
    try:
        from huggingface_hub import list_repo_files, snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
    except ImportError as exc:
        raise ConverterMissing(f"fetching a model id needs the convert extra ({exc.name}): {INSTALL_HINT}") from None
    on_progress(f"fetching {model_id}")
    try:
        files = list_repo_files(model_id)
        patterns = [*_SOURCE_FILES] if any(f.endswith(".safetensors") for f in files) else [*_SOURCE_FILES, "*.bin"]
        return Path(snapshot_download(model_id, allow_patterns=patterns))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as exc:
        raise ConversionError(
            f"{model_id} is neither a local checkpoint directory nor a model id that can be fetched now ({exc})"
        ) from None


def _default_code(family: Family, source: str) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", source.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-.") or family.name
    return name if name.startswith(family.name.split("_")[0]) else f"{family.name.replace('_', '')}-{name}"


def _vocabulary(model_dir: Path) -> set[str]:
    for name in ("shared_vocabulary.json", "source_vocabulary.json"):
        if (model_dir / name).is_file():
            return set(json.loads((model_dir / name).read_text(encoding="utf-8")))
    return set()


@contextmanager
def _without_sacremoses_hint() -> Iterator[None]:
    # The Marian tokenizer asks for sacremoses (punctuation normalisation) with a warning;
    # converting only reads its vocabulary.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Recommended: pip install sacremoses")
        yield


def _tokenizer_vocabulary(checkpoint: Path) -> set[str]:
    import transformers

    with _without_sacremoses_hint():
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(str(checkpoint))
        except (OSError, ValueError, KeyError) as exc:
            raise ConversionError(f"{checkpoint}: its tokenizer cannot be loaded ({exc})") from exc
    return set(tokenizer.get_vocab())


def _refuse_missing_tokens(tokens: Mapping[str, str], vocabulary: set[str]) -> None:
    missing = {c: t for c, t in tokens.items() if t not in vocabulary}
    if missing:
        listed = ", ".join(f"{c} ({t})" for c, t in missing.items())
        raise ConversionError(
            f"the model has no language token for {listed}; name the model's own with CODE=TOKEN, e.g. uz=uzn_Latn"
        )


def convert_checkpoint(
    source: str | Path,
    packages_dir: Path,
    *,
    languages: Sequence[str],
    language_tokens: Mapping[str, str] | None = None,
    code: str | None = None,
    version: str | None = None,
    quantization: str | None = "int8",
    on_progress: ProgressCallback | None = None,
) -> PackageInfo:
    """Convert a Transformers checkpoint (directory or model id) and install it as a package.

    ``languages``: the codes to serve (Marian: exactly ``[from, to]``); ``language_tokens``
    overrides the family's token for a code (``{"uz": "uzn_Latn"}``). ``quantization`` is
    CTranslate2's (``int8``, ``int8_float32``, ``float16``…; None keeps the weights' type).
    Without ``version`` the package gets ``1.0+<short digest>``.
    """
    progress = on_progress or (lambda _message: None)
    converter_class = _import_converter()
    codes = tuple(dict.fromkeys(code_.strip() for code_ in languages if code_.strip()))
    local = Path(source).expanduser()
    if local.is_dir():
        checkpoint = local
    elif local.exists() or isinstance(source, Path) or str(source).startswith(("/", ".", "~")):
        # Plainly a path, not a model id: never go to the network for a typo.
        raise ConversionError(f"{source}: no such checkpoint directory")
    else:
        checkpoint = _fetch(str(source), progress)
    family = detect_family(checkpoint)
    progress(f"{checkpoint}: {family.name} checkpoint")
    if family.multilingual and len(codes) < 2:
        raise ConversionError(f"a {family.name} model serves several languages: give at least two, e.g. az,tr,en")
    if not family.multilingual and len(codes) != 2:
        raise ConversionError("an OPUS-MT (Marian) model serves one direction: give --languages FROM,TO")
    spm_paths = [checkpoint / name for name in family.spm_files]
    for path in spm_paths:
        if not path.is_file():
            raise ConversionError(f"{checkpoint}: no {path.name} (the {family.name} tokenizer's SentencePiece model)")
    tokens = (
        {c: (language_tokens or {}).get(c) or family.language_token(c) for c in codes} if family.multilingual else {}
    )
    # Checked against the tokenizer before the conversion (minutes for a real model), and
    # against the converted vocabulary after it, which is what the engine will feed.
    _refuse_missing_tokens(tokens, _tokenizer_vocabulary(checkpoint))

    packages_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=packages_dir, prefix=".convert-") as scratch:
        model_dir = Path(scratch) / "model"
        progress(f"converting the weights ({quantization or 'unquantized'})")
        try:
            with _without_sacremoses_hint():
                converter_class(str(checkpoint)).convert(str(model_dir), quantization=quantization)
        except (OSError, ValueError, KeyError, RuntimeError, NotImplementedError) as exc:
            raise ConversionError(f"{checkpoint}: CTranslate2 cannot convert it ({exc})") from exc
        _refuse_missing_tokens(tokens, _vocabulary(model_dir))
        progress("installing the package")
        import ctranslate2
        import transformers

        return import_model(
            model_dir,
            spm_paths[0],
            packages_dir,
            from_code=codes[0],
            to_code=codes[1],
            version=version,
            code=code or _default_code(family, str(source)),
            languages=codes if family.multilingual else (),
            language_tokens=tokens,
            source_prefix="{lang}" if family.multilingual else "",
            target_prefix="{lang}" if family.multilingual else "",
            source_suffix=EOS,
            skip_special_tokens=True,
            target_sentencepiece_path=spm_paths[1] if spm_paths[1] != spm_paths[0] else None,
            about={
                "family": family.name,
                "license": checkpoint_license(checkpoint),
                "source": str(local.resolve()) if local.is_dir() else str(source),
                "converter": f"ctranslate2 {ctranslate2.__version__}, transformers {transformers.__version__}",
                "quantization": quantization or "none",
            },
        )
