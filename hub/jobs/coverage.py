"""Which configured languages the installed packages cannot reach, and the commands that fix it.

Stories come in the configured languages (``ULAK_TARGET_LANGUAGES``) and go out in all of
them, so every ordered pair among them needs a route; ``translation.routing`` decides which
pairs have none. ``ulak models list`` and ``ulak serve`` print the same hint from here.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.config import Settings
from hub.jobs.documents import LANGUAGE_NAMES
from translation import UnsupportedLanguagePair
from translation.packages import installed_packages
from translation.routing import PIVOT_LANG, Router

# Installs the packages for every configured language (the Argos ones and a multilingual
# model for the languages the Argos index lacks).
SETUP_COMMAND = "ulak models setup"
# What `setup` converts, and the hint names, for languages the Argos index lacks (Uzbek).
MULTILINGUAL_CHECKPOINT = "facebook/nllb-200-distilled-600M"


def blocked_pairs(settings: Settings) -> list[UnsupportedLanguagePair]:
    """Every (source, target) among the configured languages that no installed package routes."""
    router = Router(
        installed_packages(settings.resolved_models_dir),
        prefer=settings.translation_prefer,
        prefer_pairs=settings.translation_prefer_pairs,
    )
    return router.blocked(settings.target_languages, settings.target_languages)


def blocked_hint(settings: Settings) -> str | None:
    """What an operator reads when some configured language cannot be reached; None if all can."""
    blocked = blocked_pairs(settings)
    if not blocked:
        return None
    sources: dict[str, list[str]] = {}
    for pair in blocked:
        sources.setdefault(pair.target_lang, []).append(pair.source_lang)
    missing = sorted({code for pair in blocked for code in pair.missing}, key=_by_language(settings.target_languages))
    lines = ["Translation is blocked: no package installed on this machine reaches"]
    lines += [
        f"  {target} ({LANGUAGE_NAMES.get(target, target)}) from {', '.join(froms)}"
        for target, froms in sources.items()
    ]
    lines += [
        f"Install what the configured languages ({','.join(settings.target_languages)}) need:",
        f"  {SETUP_COMMAND}",
        "or one package at a time:",
        *(f"  ulak models install {code}" for code in missing),
        "(a language the package index lacks, such as Uzbek, needs a multilingual model instead:",
        f"  ulak models convert {MULTILINGUAL_CHECKPOINT} --languages {','.join(settings.target_languages)})",
    ]
    if settings.resolved_models_in_store:
        lines.append(
            "Packages another machine stored in the object store are fetched when a job needs them:"
            " nothing to do if one did."
        )
    return "\n".join(lines)


def _by_language(languages: tuple[str, ...]) -> Callable[[str], tuple[int, str]]:
    # translate-az_en next to translate-en_az, languages in their configured order.
    def key(code: str) -> tuple[int, str]:
        pair = code.removeprefix("translate-").split("_")
        other = [lang for lang in pair if lang != PIVOT_LANG] or pair
        return (languages.index(other[0]) if other[0] in languages else len(languages), code)

    return key
