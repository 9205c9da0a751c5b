"""Language routing: which installed package(s) carry a text from one language to another.

One hop beats two: a package made for exactly the pair or a multilingual package covering
both languages serves it directly; only when neither exists does the text go through English
(source → en → target). Among direct packages the preference decides: ``bilingual`` (the
default) takes a package made for the pair first, ``multilingual`` a multilingual one, and
per-pair overrides beat the default; then the newest version wins. The first hop of a pivot
is the same for every target, so the engine translates to English once and fans out from
there. ``blocked`` lists the pairs no installed package can route, each with its fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from translation.errors import UnsupportedLanguagePair
from translation.packages import PackageInfo, version_key

PIVOT_LANG = "en"
Preference = Literal["bilingual", "multilingual"]
PREFERENCES: tuple[Preference, ...] = get_args(Preference)


@dataclass(frozen=True)
class ModelRef:
    """Which package (and direction) produced a translation: what ninjs ``infoSources`` name.

    ``digest`` is the package's content digest: a package re-installed under the same code
    and version with another model has the same name and a different digest.
    """

    code: str
    version: str
    from_code: str
    to_code: str
    digest: str = ""


@dataclass(frozen=True)
class Hop:
    """One model application: ``package`` translating ``source_lang`` → ``target_lang``."""

    package: PackageInfo
    source_lang: str
    target_lang: str

    @property
    def ref(self) -> ModelRef:
        return ModelRef(
            self.package.code, self.package.version, self.source_lang, self.target_lang, self.package.digest
        )


@dataclass(frozen=True)
class Route:
    """The hops from source to target; none when they are the same language."""

    source_lang: str
    target_lang: str
    hops: tuple[Hop, ...]

    @property
    def via_pivot(self) -> bool:
        return len(self.hops) > 1

    @property
    def models(self) -> list[ModelRef]:
        return [hop.ref for hop in self.hops]


def _rank(package: PackageInfo, prefer: Preference) -> tuple[bool, tuple[tuple[int, str], ...], str]:
    # The preferred kind first, then the newest version; the code breaks ties so the choice
    # never depends on directory order.
    return (package.multilingual == (prefer == "multilingual"), version_key(package.version), package.code)


class Router:
    """Plans routes over a fixed set of installed packages.

    ``prefer`` picks between a bilingual and a multilingual package when both serve a pair
    directly; ``prefer_pairs`` overrides it for (source, target) pairs.
    """

    def __init__(
        self,
        packages: Sequence[PackageInfo],
        *,
        prefer: Preference = "bilingual",
        prefer_pairs: Mapping[tuple[str, str], Preference] | None = None,
    ) -> None:
        for choice in (prefer, *(prefer_pairs or {}).values()):
            if choice not in PREFERENCES:
                raise ValueError(f"unknown route preference {choice!r}; expected one of {', '.join(PREFERENCES)}")
        self._packages = list(packages)
        self.prefer = prefer
        self.prefer_pairs = dict(prefer_pairs or {})

    def hop(self, source_lang: str, target_lang: str) -> Hop | None:
        candidates = [p for p in self._packages if p.serves(source_lang, target_lang)]
        if not candidates:
            return None
        prefer = self.prefer_pairs.get((source_lang, target_lang), self.prefer)
        return Hop(max(candidates, key=lambda p: _rank(p, prefer)), source_lang, target_lang)

    def plan(self, source_lang: str, target_lang: str) -> Route:
        if source_lang == target_lang:
            return Route(source_lang, target_lang, ())
        direct = self.hop(source_lang, target_lang)
        if direct is not None:
            return Route(source_lang, target_lang, (direct,))
        first = self.hop(source_lang, PIVOT_LANG) if source_lang != PIVOT_LANG else None
        second = self.hop(PIVOT_LANG, target_lang) if target_lang != PIVOT_LANG else None
        if first is not None and second is not None:
            return Route(source_lang, target_lang, (first, second))
        missing = []
        if source_lang == PIVOT_LANG or target_lang == PIVOT_LANG:
            missing.append(f"translate-{source_lang}_{target_lang}")
        else:
            if first is None:
                missing.append(f"translate-{source_lang}_{PIVOT_LANG}")
            if second is None:
                missing.append(f"translate-{PIVOT_LANG}_{target_lang}")
        raise UnsupportedLanguagePair(source_lang, target_lang, tuple(missing))

    def blocked(self, source_langs: Iterable[str], target_langs: Iterable[str]) -> list[UnsupportedLanguagePair]:
        """Every (source, target) pair no installed package can route, each naming its fix."""
        blocked = []
        for target in dict.fromkeys(target_langs):
            for source in dict.fromkeys(source_langs):
                try:
                    self.plan(source, target)
                except UnsupportedLanguagePair as exc:
                    blocked.append(exc)
        return blocked
