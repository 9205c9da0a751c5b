"""Turning what a caller hands ``push_story`` into the ninjs JSON the hub accepts.

A caller may give a ready ninjs dict, a ``Ninjs`` model, or plain keyword arguments
(guid, headline, body, language…); all three end up as the same camelCase dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .models import Association, MediaObject, Ninjs, Subject

MediaRef = MediaObject | Association | Mapping[str, Any]
SubjectRef = str | Subject | Mapping[str, Any]


def build_story(
    story: Ninjs | Mapping[str, Any] | None = None,
    *,
    guid: str | None = None,
    language: str | None = None,
    headline: str | None = None,
    body_html: str | None = None,
    body_text: str | None = None,
    embargoed_until: datetime | str | None = None,
    urgency: int | None = None,
    subjects: Iterable[SubjectRef] | None = None,
    by: str | None = None,
    located: str | None = None,
    media: Iterable[MediaRef] | None = None,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    keywords = {
        "guid": guid, "language": language, "headline": headline, "body_html": body_html,
        "body_text": body_text, "embargoed_until": embargoed_until, "urgency": urgency,
        "subjects": subjects, "by": by, "located": located, "media": media, "fields": fields,
    }  # fmt: skip
    given = [name for name, value in keywords.items() if value is not None]
    if story is not None:
        if given:
            raise TypeError(f"give either a story or keyword arguments, not both (got {', '.join(given)})")
        return story.to_json_dict() if isinstance(story, Ninjs) else dict(story)

    # language may be left out: the hub then identifies it from the text (PushResult says so).
    missing = [name for name in ("guid", "headline") if keywords[name] is None]
    if (body_html is None) == (body_text is None):
        missing.append("exactly one of body_html / body_text")
    if missing:
        raise TypeError(f"push_story needs {', '.join(missing)}")

    result: dict[str, Any] = {
        "uri": guid,
        **({"language": language} if language is not None else {}),
        "headlines": [{"role": "main", "value": headline}],
        "bodies": [
            {"role": "main", "contentType": "text/html", "value": body_html}
            if body_html is not None
            else {"role": "main", "contentType": "text/plain", "value": body_text}
        ],
    }
    if embargoed_until is not None:
        result["embargoedUntil"] = _utc_iso(embargoed_until)
    if urgency is not None:
        result["urgency"] = urgency
    if subjects is not None:
        result["subjects"] = [_subject(s) for s in subjects]
    if by is not None:
        result["by"] = by
    if located is not None:
        result["located"] = located
    if media is not None:
        result["associations"] = [_association(m, index) for index, m in enumerate(media, start=1)]
    result.update(fields or {})
    return result


def _utc_iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError("embargoed_until must be timezone-aware (a naive time is ambiguous)")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _subject(subject: SubjectRef) -> dict[str, Any]:
    if isinstance(subject, str):
        return {"name": subject}
    if isinstance(subject, Subject):
        return subject.to_json_dict()
    return dict(subject)


def _association(media: MediaRef, index: int) -> dict[str, Any]:
    if isinstance(media, MediaObject):
        return media.as_association(f"media{index}").to_json_dict()
    if isinstance(media, Association):
        return media.to_json_dict()
    return dict(media)
