"""ninjs 3.1 documents as the hub serves them: the stable per-language uri, hub-owned
fields, sanitised HTML text fields, links between language versions, and validation
against the official schema."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from hub.errors import InvalidRequest
from hub.stories.schemas import HUB_OWNED_FIELDS, StoryCreate
from hub.stories.served import links_json, served_item, served_texts, story_uri
from translation import is_html, sanitize_html

SCHEMA_PATH = Path(__file__).with_name("ninjs-schema_3.1.json")
STANDARD = {
    "name": "ninjs",
    "version": "3.1",
    "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
}
# The hub's own trust-indicator roles (IPTC's trustindicator vocabulary has none for
# machine-translation checks): the outcome of the automatic checks of a translation, so a
# partner's system can act on the role alone. Only the hub sets them: an original that
# claims one loses it.
QUALITY_ROLES = {
    "ok": "urn:ulak:trustindicator:machine-translation-quality:ok",
    "review": "urn:ulak:trustindicator:machine-translation-quality:review",
}
# The text of a story: what is translated, and what is sanitised when it is HTML.
TEXT_FIELDS = ("headlines", "descriptions", "bodies")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def content_hash(submitted: dict[str, Any]) -> str:
    """Hash of what the agency said, minus what the hub owns, in canonical JSON."""
    kept = {k: v for k, v in submitted.items() if k not in HUB_OWNED_FIELDS}
    canonical = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def schema_errors(document: dict[str, Any]) -> list[dict[str, str]]:
    """``{"field", "message"}`` pairs, the shape of a 422's ``fields`` (hub.openapi.FieldError)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [{"field": ".".join(str(p) for p in e.absolute_path) or "(root)", "message": e.message} for e in errors]


def build_original(
    story: StoryCreate,
    submitted: dict[str, Any],
    *,
    story_id: str,
    version: int,
    version_created: datetime,
    first_created: datetime,
    agency_code: str,
    agency_name: str,
) -> dict[str, Any]:
    """The ninjs document the hub keeps for an original: the agency's properties, with
    hub-owned ones set by the hub, HTML sanitised, and the agency's guid kept in altIds.
    The document carries the language the hub keeps the story in, declared or identified."""
    language = story.language
    if language is None:
        raise ValueError("the story's language must be decided (hub.stories.language) before it is built")
    doc = {k: v for k, v in submitted.items() if k not in HUB_OWNED_FIELDS}
    doc.update(
        uri=story_uri(story_id, language),
        standard=STANDARD,
        type=submitted.get("type", "text"),
        version=str(version),
        versionCreated=iso(version_created),
        firstCreated=iso(first_created),
        pubStatus="usable",
        language=language,
    )
    doc = sanitize_text_fields(doc)
    if story.embargoedUntil:
        doc["embargoedUntil"] = iso(story.embargoedUntil)
    alt_ids = [a for a in doc.get("altIds", []) if a.get("role") not in ("agencyGuid", "ulakStoryId")]
    doc["altIds"] = [*alt_ids, {"role": "agencyGuid", "value": story.uri}, {"role": "ulakStoryId", "value": story_id}]
    if isinstance(doc.get("trustIndicators"), list):
        doc["trustIndicators"] = [
            t for t in doc["trustIndicators"] if not (isinstance(t, dict) and t.get("role") in QUALITY_ROLES.values())
        ]
    sources = [s for s in doc.get("infoSources", []) if s.get("role") != "originator"]
    doc["infoSources"] = [{"name": agency_name, "role": "originator", "literal": agency_code}, *sources]
    problems = schema_errors(doc)
    if problems:
        first = problems[0]
        raise InvalidRequest(f"not valid ninjs 3.1: {first['field']}: {first['message']}", fields=problems[:20])
    return doc


def sanitize_text_fields(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every HTML headline, description and body sanitised, also in
    its associations (each may be a whole ninjs object, nested at any depth); plain text
    is text (a reader escapes it) and is kept as it is. Originals and translations both
    pass through here before they are stored."""
    doc = dict(document)
    for name in TEXT_FIELDS:
        items = doc.get(name)
        if isinstance(items, list):
            doc[name] = [_sanitized(item) for item in items]
    associations = doc.get("associations")
    if isinstance(associations, list):
        doc["associations"] = [sanitize_text_fields(a) if isinstance(a, dict) else a for a in associations]
    return doc


def _sanitized(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("value"), str) and is_html(item.get("contentType")):
        return {**item, "value": sanitize_html(item["value"])}
    return item


def present(
    document: dict[str, Any], *, pub_status: str, languages: list[str], original_language: str
) -> dict[str, Any]:
    """A stored document as served: the current pubStatus and links to the other
    language versions of the same story version (the rules of hub/stories/served.py,
    which feed pages and story reads apply to the stored texts directly)."""
    story_id = next(a["value"] for a in document["altIds"] if a["role"] == "ulakStoryId")
    linked = links_json(
        story_id,
        int(document["version"]),
        document["language"],
        original_language=original_language,
        languages=languages,
    )
    served, own = served_texts(document)
    own_bytes = None if own is None else own.encode()
    return orjson.loads(served_item(served.encode(), own_bytes, pub_status=pub_status, linked=linked))
