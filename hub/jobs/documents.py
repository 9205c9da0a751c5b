"""From an original ninjs document to what the engine translates, and from the
engine's texts back to a labelled ninjs translation.

Translated: every headline, description and body. Everything else (subjects, places,
media associations…) is carried over as it is. HTML fields of the translation are
sanitised with the same policy as the original's before they are stored.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hub.stories.ninjs import QUALITY_ROLES, TEXT_FIELDS, iso, sanitize_text_fields, story_uri
from translation import Field, ModelRef, is_html
from translation.quality import QualityReport

DIGITAL_SOURCE_TYPE = {
    "name": "Trained algorithmic media",
    "uri": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
}
LANGUAGE_NAMES = {
    "az": "Azerbaijani",
    "tr": "Turkish",
    "ru": "Russian",
    "uz": "Uzbek",
    "en": "English",
    "kk": "Kazakh",
    "ky": "Kyrgyz",
}


def fields_of(document: dict[str, Any]) -> list[Field]:
    return [
        Field(item["value"], html=is_html(item.get("contentType")))
        for array in TEXT_FIELDS
        for item in document.get(array, [])
    ]


def describe_models(models: Sequence[ModelRef]) -> str:
    """``translate-az_en 1.5 → translate-en_tr 1.5``: what a translation came from."""
    return " → ".join(f"{m.code} {m.version}" for m in models) or "none"


def route_of(models: Sequence[ModelRef]) -> list[dict[str, str]]:
    """The hops a translation took, as the job row keeps and ``/translations`` shows them."""
    return [{"package": m.code, "version": m.version, "from": m.from_code, "to": m.to_code} for m in models]


def translated_document(
    original: dict[str, Any],
    texts: Sequence[str],
    *,
    story_id: str,
    target_lang: str,
    models: Sequence[ModelRef],
    version_created: datetime,
    quality: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``quality`` is the translation's trust indicator (``quality_indicator``)."""
    doc = copy.deepcopy(original)
    remaining = iter(texts)
    for array in TEXT_FIELDS:
        for item in doc.get(array, []):
            item["value"] = next(remaining)
    # The engine renders HTML from sanitised markup and escaped text, but what is stored
    # must not depend on that: the hub's rule is applied to every document it keeps.
    doc = sanitize_text_fields(doc)
    source_lang = original["language"]
    doc.update(
        uri=story_uri(story_id, target_lang),
        language=target_lang,
        versionCreated=iso(version_created),
        digitalSourceType=DIGITAL_SOURCE_TYPE,
        edNote=f"Machine translation from {LANGUAGE_NAMES.get(source_lang, source_lang)} ({source_lang})",
    )
    originators = [s for s in doc.get("infoSources", []) if s.get("role") == "originator"]
    doc["infoSources"] = [
        *originators,
        {
            "name": "Ulak offline machine translation (CTranslate2)",
            "role": "translator",
            "literal": describe_models(models),
        },
    ]
    if quality is not None:
        # The agency's own indicators (its ethics policy…) hold for the translation too.
        kept = [t for t in doc.get("trustIndicators", []) if t.get("role") not in QUALITY_ROLES.values()]
        doc["trustIndicators"] = [*kept, quality]
    # The link to the original (rel translatedFrom, with its version) is added when the
    # document is served, like every link between language versions.
    return doc


def quality_indicator(report: QualityReport, *, href: str) -> dict[str, str]:
    """The ninjs ``trustIndicators`` entry saying how a translation fared in the checks."""
    if report.status == "ok":
        title = "Automatic quality checks of the machine translation: ok"
    else:
        title = f"Automatic quality checks of the machine translation: review ({', '.join(report.codes)})"
    return {"role": QUALITY_ROLES[report.status], "title": title, "href": href}


def translations_href(public_url: str, story_id: str) -> str:
    """Where a translation's check results are listed: the story's /translations."""
    return f"{public_url.rstrip('/')}/v1/stories/{story_id}/translations"
