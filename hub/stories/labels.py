"""How a translation says who made it, once a person had a hand in it.

Three kinds of translation, told apart by their IPTC ``digitalSourceType``
(http://cv.iptc.org/newscodes/digitalsourcetype/):

- *machine*: ``trainedAlgorithmicMedia`` (hub.jobs.documents);
- *edited*: ``humanEdits`` — "augmentation, correction or enhancement by one or more
  humans using non-generative tools". A post-edit is exactly that: an editor corrected
  the machine translation in a text editor and, by sending it, vouched for every
  sentence. That the text started as machine output stays said: ``infoSources`` keeps
  the translator entry naming the models, and ``edNote`` says "machine translation …
  post-edited by …";
- *mixed*: ``compositeSynthetic`` — "a mix or composite of several elements, at least one
  of which is synthetic". A correction's translation that kept an earlier post-edit's
  sentences but machine-translated what changed: part is a person's text, part is
  machine output no person has read, so neither ``humanEdits`` (no one vouched for the
  new machine sentences) nor ``trainedAlgorithmicMedia`` (it hides the human part) is
  true of the whole. When the post-edit covered everything, it is *edited* again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from hub.jobs.documents import DIGITAL_SOURCE_TYPE, LANGUAGE_NAMES
from hub.stories.ninjs import QUALITY_ROLES

_VOCABULARY = "http://cv.iptc.org/newscodes/digitalsourcetype/"
HUMAN_EDITS = {"name": "Human-edited media", "uri": _VOCABULARY + "humanEdits"}
COMPOSITE_SYNTHETIC = {"name": "Composite including synthetic elements", "uri": _VOCABULARY + "compositeSynthetic"}
EDITOR_ROLE = "editor"

Origin = Literal["machine", "edited", "mixed"]
_ORIGINS: dict[str, Origin] = {
    DIGITAL_SOURCE_TYPE["uri"]: "machine",
    HUMAN_EDITS["uri"]: "edited",
    COMPOSITE_SYNTHETIC["uri"]: "mixed",
}


@dataclass(frozen=True)
class Editor:
    """An agency whose post-edit is in a translation."""

    agency_id: int
    code: str
    name: str


def origin_of(document: dict[str, Any]) -> Origin:
    """What ``/translations`` says of a translation: read from the label partners get."""
    source_type = document.get("digitalSourceType")
    uri = source_type.get("uri") if isinstance(source_type, dict) else None
    return _ORIGINS.get(uri or "", "machine")


def _machine_note(source_lang: str) -> str:
    return f"Machine translation from {LANGUAGE_NAMES.get(source_lang, source_lang)} ({source_lang})"


def _with_editors(document: dict[str, Any], editors: Sequence[Editor]) -> dict[str, Any]:
    """``infoSources`` with the machine translator kept and each editor listed once, last."""
    codes = {editor.code for editor in editors}
    kept = [
        s for s in document.get("infoSources", []) if not (s.get("role") == EDITOR_ROLE and s.get("literal") in codes)
    ]
    added = [{"name": e.name, "role": EDITOR_ROLE, "literal": e.code} for e in editors]
    return {**document, "infoSources": [*kept, *added]}


def post_edited(document: dict[str, Any], editor: Editor, *, source_lang: str, edited_at: str) -> dict[str, Any]:
    """A translation as ``editor`` post-edited it (the PUT): labelled human-edited."""
    doc = _with_editors(document, [editor])
    # Earlier editors of this version stay named: their text may still be in it.
    names = ", ".join(
        f"{s.get('name')} ({s.get('literal')})" for s in doc["infoSources"] if s.get("role") == EDITOR_ROLE
    )
    # The machine output's check result no longer describes this text: a post-edit is ok.
    indicators = [t for t in doc.get("trustIndicators", []) if t.get("role") not in QUALITY_ROLES.values()]
    if indicators:
        doc["trustIndicators"] = indicators
    else:
        doc.pop("trustIndicators", None)
    return {
        **doc,
        "digitalSourceType": HUMAN_EDITS,
        "versionCreated": edited_at,
        "edNote": f"{_machine_note(source_lang)}, post-edited by {names}",
    }


def kept_edits(
    document: dict[str, Any], editors: Sequence[Editor], *, source_lang: str, machine_sentences: int
) -> dict[str, Any]:
    """A machine translation of a new version that reused post-edited units: ``editors``
    has one entry per unit reused (so the count and whose they were can be said)."""
    counts = Counter(editors)
    ordered = [editor for editor, _ in counts.most_common()]
    whose = "; ".join(
        f"{count} from the post-edit by {editor.name} ({editor.code})" for editor, count in counts.most_common()
    )
    if machine_sentences:
        note = (
            f"{_machine_note(source_lang)}; kept {len(editors)} post-edited passage(s) whose original did not change "
            f"({whose}); {machine_sentences} sentence(s) machine-translated anew"
        )
        source_type = COMPOSITE_SYNTHETIC
    else:
        note = f"{_machine_note(source_lang)}, post-edited: all {len(editors)} passage(s) kept ({whose})"
        source_type = HUMAN_EDITS
    return {**_with_editors(document, ordered), "digitalSourceType": source_type, "edNote": note}


def main_editor(editors: Sequence[Editor], times: Sequence[datetime]) -> tuple[Editor, datetime]:
    """The agency most of the kept units came from, and when the newest of them was made."""
    editor = Counter(editors).most_common(1)[0][0]
    return editor, max(times)
