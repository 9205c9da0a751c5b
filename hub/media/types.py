"""Content types of media: what an upload is stored as, and how it may be served.

Two layers, because a browser that renders an agency's upload on the hub's origin
runs its scripts there. At upload, the type is sniffed from the bytes; a declared
type is kept only when it is not *active* (HTML, XHTML, SVG, XML/XSL, JavaScript),
else the upload is stored as ``application/octet-stream``. When serving, only
passive types (images other than SVG, audio, video, plain text) are shown inline;
everything else, including rows stored before these rules, is sent with
``Content-Disposition: attachment``, and every response says ``nosniff``.
"""

from __future__ import annotations

import filetype

SNIFF_BYTES = 8192
FALLBACK = "application/octet-stream"

_ACTIVE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/xsl",
    "application/xslt+xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
}
# What curl --data-binary sends when not told otherwise: says nothing about the file.
_MEANINGLESS = {"application/x-www-form-urlencoded"}


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_active(content_type: str | None) -> bool:
    """A type a browser may execute or render with scripts (any XML dialect included)."""
    base = base_type(content_type)
    return base in _ACTIVE or base.endswith(("+xml", "/xml"))


def sniff_content_type(head: bytes, declared: str | None) -> str:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    base = base_type(declared)
    if base and not is_active(base) and base not in _MEANINGLESS:
        return base
    return FALLBACK


def shown_inline(content_type: str | None) -> bool:
    base = base_type(content_type)
    if is_active(base):
        return False
    return base.startswith(("image/", "audio/", "video/")) or base == "text/plain"


def content_disposition(content_type: str | None) -> str | None:
    """``attachment`` unless the type is safe to show inline (then no header at all)."""
    return None if shown_inline(content_type) else "attachment"
