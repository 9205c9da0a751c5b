"""The language a pushed story is kept in: the one the agency declared, or, when it declared
none, the one identified from its text (translation.langid); and a warning when a declared
language contradicts a confident identification."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from hub.errors import InvalidRequest
from hub.stories.schemas import PushWarning, StoryCreate
from translation import langid

# Languages an agency may push in without their being translation targets.
ALSO_IDENTIFIED = ("kk", "ky")
# An identification is taken for a story without a declared language from this score on: every
# news sentence of tests/data/news_sentences.py scores above 0.53, two- or three-word
# fragments ("Hello world", "Mirziyoyev Samarqandda") below 0.45.
IDENTIFY_SCORE = 0.5
# A declared language is contradicted only by an identification this sure: the whole stories of
# the test corpus score 0.75 and more for their own language, and a false alarm on every story
# of a hesitant kind would teach desks to ignore the warning.
LANGUAGE_MISMATCH_SCORE = 0.8


@dataclass(frozen=True)
class LanguageDecision:
    language: str
    identified: bool
    # What story_versions.language_check keeps: {declared, identified, score} when they
    # disagree, None when the declared language stands unchallenged.
    check: dict[str, Any] | None = None
    warnings: list[PushWarning] = field(default_factory=list)


def story_text(story: StoryCreate) -> str:
    """Headline, descriptions and bodies: the text the translation engine will read."""
    parts = [h.value for h in story.headlines]
    parts += [d.value for d in story.descriptions or []]
    parts += [b.value for b in story.bodies]
    return "\n\n".join(parts)


def candidate_languages(target_languages: Collection[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*target_languages, *ALSO_IDENTIFIED]))


def decide_language(story: StoryCreate, target_languages: Collection[str]) -> LanguageDecision:
    """Runs the models: call it outside any database transaction."""
    candidates = candidate_languages(target_languages)
    if story.language is None:
        found = langid.identify(story_text(story), candidates)
        if found is None or found.score < IDENTIFY_SCORE:
            guess = "" if found is None else f" (best guess {found.language!r} at {found.score:.2f} is too unsure)"
            raise InvalidRequest(
                f"language: the story's language could not be identified{guess}; "
                f"set `language` to one of {', '.join(candidates)}",
                fields=[{"field": "language", "message": "could not be identified from the text; set it"}],
            )
        return LanguageDecision(found.language, identified=True)
    declared = story.language
    found = langid.identify(story_text(story), candidate_languages([*candidates, declared]))
    if found is None or found.language == declared or found.score < LANGUAGE_MISMATCH_SCORE:
        return LanguageDecision(declared, identified=False)
    check = {"declared": declared, "identified": found.language, "score": found.score}
    warning = PushWarning(
        code="language_mismatch",
        message=(
            f"declared language {declared!r} but the text reads as {found.language!r} "
            f"(score {found.score:.2f}); the story was accepted as {declared!r} and will be "
            f"translated from {declared!r}: push it again with the right language if that is wrong"
        ),
    )
    return LanguageDecision(declared, identified=False, check=check, warnings=[warning])
