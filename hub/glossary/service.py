"""Glossary rules: who may read, add and delete which terms; duplicates; the change log.

Owners: a term with no agency is hub-wide (admins add it); an agency's own terms are
added by its push keys (or by an admin on its behalf) and win over hub-wide ones for
its stories (``applicable_terms``). Every change is written with a ``GlossaryChange`` row
(the forms of the terms added or removed) in the same transaction, so a worker that
follows the change log forgets exactly the memory entries a committed change made stale.

``caller=None`` is the operator at the console (the ``ulak glossary`` commands): the
same rules as an admin key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.agencies import service as agencies
from hub.auth.service import Principal
from hub.errors import Forbidden, InvalidRequest, NotFound
from hub.glossary import repository as repo
from hub.glossary.forms import Forms
from hub.glossary.schemas import DuplicateTerm, GlossaryAdded, GlossaryRead, TermCreate, TermRead
from hub.models import GlossaryTerm
from hub.runtime import HubRuntime
from translation.glossary import Term, base_language, fold


def _restricted(caller: Principal | None) -> Principal | None:
    """The caller if its rights stop at its own agency; None for admin keys and the operator."""
    return None if caller is None or caller.is_admin else caller


def require_writer(caller: Principal) -> None:
    """Admin keys write any term; push keys their own agency's; anyone else is refused."""
    if not caller.is_admin:
        caller.require("push")


def _read(row: GlossaryTerm, agency_code: str | None) -> TermRead:
    return TermRead(id=row.id, agency=agency_code, forms=row.forms, createdAt=row.created_at)


# -- reading ------------------------------------------------------------------------------


def list_terms(runtime: HubRuntime, caller: Principal | None, agency: str | None = None) -> GlossaryRead:
    """Admins (and the operator) see every term, or with ``agency`` that agency's own;
    other keys see the hub-wide terms and their agency's (``agency`` may only be theirs)."""
    restricted = _restricted(caller)
    with runtime.read() as session:
        if agency is not None:
            owner = agencies.get_agency(session, agency)
            if restricted is not None and owner.id != restricted.agency_id:
                raise Forbidden(f"only admin keys may list the glossary of another agency ({owner.code!r})")
            rows = repo.terms_with_owners(session, agency_ids=[owner.id], hub_wide=False)
        elif restricted is None:
            rows = repo.terms_with_owners(session)
        else:
            rows = repo.terms_with_owners(session, agency_ids=[restricted.agency_id])
    return GlossaryRead(terms=[_read(row, code) for row, code in rows])


# -- adding -------------------------------------------------------------------------------


def _owner_of(session: Session, caller: Principal | None, code: str | None) -> tuple[int | None, str | None]:
    restricted = _restricted(caller)
    if restricted is None:
        if code is None:
            return None, None
        try:
            agency = agencies.get_agency(session, code)
        except NotFound as exc:  # a field of the body, not the resource addressed
            raise InvalidRequest(exc.detail) from None
        return agency.id, agency.code
    require_writer(restricted)
    if code is not None and code.lower() != restricted.agency_code:
        raise Forbidden(f"a push key adds terms for its own agency ({restricted.agency_code!r}) only, not {code!r}")
    return restricted.agency_id, restricted.agency_code


def add_terms(runtime: HubRuntime, caller: Principal | None, items: Sequence[TermCreate]) -> GlossaryAdded:
    """Store each term for its owner (see ``_owner_of``); one that its owner has already,
    with exactly these forms, is reported in ``duplicates`` and not stored twice."""
    with runtime.write() as session:
        owned = [(*_owner_of(session, caller, item.agency), item.cleaned_forms()) for item in items]
        return _store(session, runtime, owned)


def import_terms(runtime: HubRuntime, terms: Sequence[Forms], *, agency: str | None = None) -> GlossaryAdded:
    """The operator's bulk import (``ulak glossary import``): all of ``terms`` or nothing."""
    with runtime.write() as session:
        owner_id, owner_code = _owner_of(session, None, agency)
        return _store(session, runtime, [(owner_id, owner_code, forms) for forms in terms])


def _store(
    session: Session, runtime: HubRuntime, owned: Sequence[tuple[int | None, str | None, Forms]]
) -> GlossaryAdded:
    repo.take_glossary_lock(session)
    now = runtime.clock()
    # Same owner and the same forms (order included: the first form is the one used) is
    # the same term; anything else, even one more spelling, is a term of its own.
    known: dict[tuple[int | None, str], int] = {}
    for owner_id in {owner_id for owner_id, _, _ in owned}:
        for row in repo.terms_of_owner(session, owner_id):
            known.setdefault((owner_id, _identity(row.forms)), row.id)
    added: list[tuple[GlossaryTerm, str | None]] = []
    duplicates: list[tuple[int, GlossaryTerm | int]] = []
    fresh: dict[tuple[int | None, str], GlossaryTerm] = {}
    for index, (owner_id, owner_code, forms) in enumerate(owned):
        identity = (owner_id, _identity(forms))
        if identity in known:
            duplicates.append((index, known[identity]))
        elif identity in fresh:
            duplicates.append((index, fresh[identity]))  # twice in one request: its id comes with the flush
        else:
            row = GlossaryTerm(agency_id=owner_id, forms=forms, created_at=now, updated_at=now)
            fresh[identity] = row
            added.append((row, owner_code))
    if added:
        repo.add_terms(session, [row for row, _ in added])
        repo.record_change(session, {"added": [row.forms for row, _ in added]}, now)
    return GlossaryAdded(
        added=[_read(row, code) for row, code in added],
        duplicates=[
            DuplicateTerm(index=index, id=match if isinstance(match, int) else match.id) for index, match in duplicates
        ],
    )


def _identity(forms: Mapping[str, Any]) -> str:
    return repr(sorted((language, tuple(values)) for language, values in forms.items()))


# -- deleting -----------------------------------------------------------------------------


def delete_term(runtime: HubRuntime, caller: Principal | None, term_id: int) -> TermRead:
    """Admins delete any term; a push key its own agency's; others get 403, an unknown id 404."""
    with runtime.write() as session:
        repo.take_glossary_lock(session)
        row = repo.term(session, term_id)
        if row is None:
            raise NotFound(f"no glossary term {term_id}")
        restricted = _restricted(caller)
        if restricted is not None:
            require_writer(restricted)
            if row.agency_id != restricted.agency_id:
                whose = "a hub-wide term" if row.agency_id is None else "another agency's term"
                raise Forbidden(f"glossary term {term_id} is {whose}; only an admin key may delete it")
        code = None if row.agency_id is None else repo.agency_code(session, row.agency_id)
        deleted = _read(row, code)
        repo.delete_term(session, row)
        repo.record_change(session, {"removed": [row.forms]}, runtime.clock())
    return deleted


# -- what the worker uses -----------------------------------------------------------------


def terms_of_change(change: Mapping[str, Any]) -> list[Term]:
    """The terms a ``GlossaryChange`` row names (added or removed alike)."""
    return [Term(forms) for key in ("added", "removed") for forms in change.get(key, ())]


def _folded_forms(term: Term, source_lang: str) -> set[str]:
    # Compared as the matcher sees them: "İLHAM ƏLİYEV" and "İlham Əliyev" are one form.
    return {fold(form).strip() for form in term.source_forms(base_language(source_lang))}


def applicable_terms(hub_wide: Iterable[Term], own: Sequence[Term], source_lang: str) -> tuple[Term, ...]:
    """An agency's glossary for a story in ``source_lang``: its own terms, then the hub-wide
    terms that share no source-language form with one of them (the agency's term wins)."""
    claimed = set().union(*(_folded_forms(term, source_lang) for term in own))
    kept = [term for term in hub_wide if not (_folded_forms(term, source_lang) & claimed)]
    return (*own, *kept)


@dataclass
class BatchGlossary:
    """The terms one worker batch may need, loaded with one query."""

    hub_wide: list[Term] = field(default_factory=list)
    by_agency: dict[int, list[Term]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, agency_ids: Iterable[int]) -> BatchGlossary:
        glossary = cls()
        for row, _ in repo.terms_with_owners(session, agency_ids=set(agency_ids)):
            term = Term(row.forms)
            if row.agency_id is None:
                glossary.hub_wide.append(term)
            else:
                glossary.by_agency.setdefault(row.agency_id, []).append(term)
        return glossary

    def for_story(self, agency_id: int, source_lang: str) -> tuple[Term, ...]:
        return applicable_terms(self.hub_wide, self.by_agency.get(agency_id, []), source_lang)
