"""Ulak's offline machine-translation engine: Argos-format packages, routing through an
English pivot, sentence/HTML segmentation and batched CTranslate2 inference.

Knows nothing of the hub; see ``TranslationEngine`` for the entry point, and
``translation.convert.convert_checkpoint`` to turn NLLB, M2M-100 and OPUS-MT checkpoints
into packages (the optional ``convert`` extra).
"""

from translation.engine import Document, EngineStats, Field, TargetResult, TranslationEngine
from translation.errors import (
    ConversionError,
    ConverterMissing,
    IndexUnavailable,
    InvalidPackage,
    ModelNotInstalled,
    PackageNotFound,
    TranslationError,
    UnsupportedLanguagePair,
)
from translation.inference import DecodingOptions
from translation.markup import HTML_CONTENT_TYPES, is_html, sanitize_html
from translation.packages import PackageInfo
from translation.routing import Hop, ModelRef, Route

__all__ = [
    "HTML_CONTENT_TYPES",
    "ConversionError",
    "ConverterMissing",
    "DecodingOptions",
    "Document",
    "EngineStats",
    "Field",
    "Hop",
    "IndexUnavailable",
    "InvalidPackage",
    "ModelNotInstalled",
    "ModelRef",
    "PackageInfo",
    "PackageNotFound",
    "Route",
    "TargetResult",
    "TranslationEngine",
    "TranslationError",
    "UnsupportedLanguagePair",
    "is_html",
    "sanitize_html",
]
