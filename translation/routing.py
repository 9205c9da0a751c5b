"""Language routing: which installed package(s) carry a text from one language to another.

Preference, per pair: a package made for exactly that pair, else a multilingual package
covering both languages, else two hops through English (source → en → target). The first
hop of a pivot is the same for every target, so the engine translates to English once and
fans out from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from translation.errors import UnsupportedLanguagePair
from translation.packages import PackageInfo, version_key

PIVOT_LANG = "en"


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


def _preference(package: PackageInfo) -> tuple[bool, tuple[tuple[int, str], ...], str]:
    # Dedicated pair models first (smaller, usually better), then the newest version; the code
    # breaks ties so the choice never depends on directory order.
    return (not package.multilingual, version_key(package.version), package.code)


class Router:
    """Plans routes over a fixed set of installed packages."""

    def __init__(self, packages: Sequence[PackageInfo]) -> None:
        self._packages = list(packages)

    def hop(self, source_lang: str, target_lang: str) -> Hop | None:
        candidates = [p for p in self._packages if p.serves(source_lang, target_lang)]
        if not candidates:
            return None
        return Hop(max(candidates, key=_preference), source_lang, target_lang)

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
