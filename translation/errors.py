"""The translation package's error tree.

TranslationError               anything the engine or the package manager refuses
├── UnsupportedLanguagePair    no installed package(s) can route source → target
├── ModelNotInstalled          a routed package is missing or unloadable on disk
├── InvalidPackage             an .argosmodel / model dir that fails validation
├── PackageNotFound            no such package code in the package index
├── IndexUnavailable           the package index or a download cannot be fetched
└── ConversionError            a Transformers checkpoint that cannot be converted
    └── ConverterMissing       the optional ``convert`` extra (transformers, torch) is not installed
"""

from __future__ import annotations


class TranslationError(Exception):
    """Root of every error raised by ``translation``."""


class UnsupportedLanguagePair(TranslationError):
    """Raised by routing; ``missing`` lists the package codes whose install would fix it."""

    def __init__(self, source_lang: str, target_lang: str, missing: tuple[str, ...]) -> None:
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.missing = missing
        hint = " and ".join(missing)
        super().__init__(
            f"cannot translate {source_lang} → {target_lang}: install {hint} "
            f"(or import a multilingual model covering {source_lang} and {target_lang})"
        )


class ModelNotInstalled(TranslationError):
    """A package the route needs is gone or broken (e.g. removed after the last refresh)."""


class InvalidPackage(TranslationError):
    """A package file or model directory that would not work if installed; says why."""


class PackageNotFound(TranslationError):
    """``ulak models install CODE`` named a code the package index does not list."""


class IndexUnavailable(TranslationError):
    """The package index (or a package download) could not be fetched, and no cache helps."""


class ConversionError(TranslationError):
    """``ulak models convert`` cannot turn this checkpoint into a package; says why."""


class ConverterMissing(ConversionError):
    """Converting needs transformers and torch, which only the ``convert`` extra installs."""
