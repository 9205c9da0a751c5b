"""The desk's Jinja2 environment (templates shipped in the package, autoescaped) and its
filters: glossary terms highlighted in a text, sanitised HTML shown as HTML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from hub.jobs.documents import LANGUAGE_NAMES
from translation import is_html

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
_TAG = re.compile(r"(<[^>]*>)")


def _highlighted_text(text: str, pattern: re.Pattern[str] | None) -> Markup:
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup('<mark class="term">%s</mark>') % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _terms_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    forms = sorted({t for t in terms if t.strip()}, key=len, reverse=True)  # the longest term wins
    if not forms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)", re.IGNORECASE)


def field_html(item: dict[str, Any], terms: Sequence[str] = ()) -> Markup:
    """One ninjs text item for display. Its HTML was sanitised by the hub's one policy on
    the way in, so it is shown as HTML (terms marked in its text, never inside a tag);
    plain text is escaped and its paragraphs kept."""
    value = str(item.get("value") or "")
    pattern = _terms_pattern(terms)
    if is_html(item.get("contentType")):
        parts = _TAG.split(value)
        return Markup("").join(
            Markup(part) if index % 2 else _highlighted_text(part, pattern) for index, part in enumerate(parts)
        )
    paragraphs = [p for p in re.split(r"\n\s*\n", value) if p.strip()] or [value]
    return Markup("").join(Markup("<p>%s</p>") % _highlighted_text(p, pattern) for p in paragraphs)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters["field_html"] = field_html
templates.env.filters["language_name"] = language_name


# Desk pages load only the hub's own files, cannot be framed (a hidden "Kill" click) and are
# not cached (a new key is on one; a shared computer's back button must not show it again).
PAGE_HEADERS = {
    # htmx sets (empty) style attributes while it swaps: inline styles are allowed, scripts not.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response
