"""Provisioning: which language pairs are not yet routable, and which offered packages fix them.

Every ordered pair of the wanted languages must be routable by the engine's own ``Router``
(a pair package, a multilingual one, or two hops through English); ``missing_pairs`` asks
it, so there is one rule. ``plan_additions`` chooses among offered packages (the files of a
folder, the entries of the Argos index) in two rounds, pair packages first and multilingual
ones for what is still missing, as the router prefers them. Each round greedily adds the
offer that makes the most missing pairs routable, ties going to the one serving the most
new hops of missing pivots (so ``az_en`` and ``en_tr`` are found even when only az→tr is
wanted), then to the one with fewer languages (the smaller model), then to the lower code,
until no offer helps; then any chosen offer whose
removal leaves nothing more missing is dropped, so no package in the plan is redundant.
Offers of an already installed code are ignored: setup completes a hub, it never upgrades.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from translation.errors import InvalidPackage
from translation.index import IndexEntry
from translation.packages import PackageInfo, archive_info, version_key
from translation.routing import PIVOT_LANG, Router

Pair = tuple[str, str]


@dataclass(frozen=True)
class Offer:
    """A package that could be installed: ``location`` is its file or download URL."""

    package: PackageInfo
    location: str


@dataclass(frozen=True)
class SetupPlan:
    """``add`` (pair packages, then multilingual ones, by code); ``missing`` before and ``remaining`` after."""

    add: tuple[Offer, ...]
    missing: tuple[Pair, ...]
    remaining: tuple[Pair, ...]


def missing_pairs(packages: Sequence[PackageInfo], languages: Sequence[str]) -> list[Pair]:
    """Ordered pairs of ``languages`` that ``packages`` cannot route, in language order."""
    order = {lang: index for index, lang in enumerate(languages)}
    blocked = Router(packages).blocked(languages, languages)
    return sorted(((e.source_lang, e.target_lang) for e in blocked), key=lambda p: (order[p[0]], order[p[1]]))


def blocked_languages(pairs: Iterable[Pair]) -> dict[str, list[Pair]]:
    """The fewest languages that account for ``pairs`` (each with its pairs), most pairs first.

    With no Uzbek model every pair involving uz is missing; naming every language of those
    pairs would blame az, tr, ru and en as well, so languages are picked by how many of the
    unexplained pairs they appear in.
    """
    left, blocked = list(pairs), {}
    while left:
        counts: dict[str, int] = {}
        for pair in left:
            for lang in pair:
                counts[lang] = counts.get(lang, 0) + 1
        lang = max(counts, key=lambda code: (counts[code], -list(counts).index(code)))
        blocked[lang] = [pair for pair in left if lang in pair]
        left = [pair for pair in left if lang not in pair]
    return blocked


def offers_from_folder(folder: Path) -> tuple[list[Offer], list[str]]:
    """Every package file in ``folder`` (not recursive), read without installing; and why others were skipped."""
    offers, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            offers.append(Offer(archive_info(path), str(path)))
        except InvalidPackage as exc:
            skipped.append(str(exc))
    return offers, skipped


def offers_from_index(entries: Iterable[IndexEntry]) -> list[Offer]:
    """Index entries with an HTTP(S) link (the index also lists ipfs:// links we cannot fetch)."""
    offers = []
    for entry in entries:
        links = [link for link in entry.links if link.startswith(("http://", "https://"))]
        if links:
            package = PackageInfo(entry.code, entry.version, entry.from_code, entry.to_code, path=Path(entry.code))
            offers.append(Offer(package, links[0]))
    return offers


def _newest_per_code(offers: Iterable[Offer]) -> list[Offer]:
    newest: dict[str, Offer] = {}
    for offer in offers:
        current = newest.get(offer.package.code)
        if current is None or version_key(offer.package.version) > version_key(current.package.version):
            newest[offer.package.code] = offer
    return [newest[code] for code in sorted(newest)]


def _pivot_hops(pairs: Iterable[Pair]) -> set[Pair]:
    hops = set()
    for source_lang, target_lang in pairs:
        if PIVOT_LANG not in (source_lang, target_lang):
            hops |= {(source_lang, PIVOT_LANG), (PIVOT_LANG, target_lang)}
    return hops


def _served(packages: Sequence[PackageInfo], hops: Iterable[Pair]) -> set[Pair]:
    return {hop for hop in hops if any(p.serves(*hop) for p in packages)}


def _choose(base: list[PackageInfo], pool: list[Offer], languages: Sequence[str]) -> list[Offer]:
    chosen: list[Offer] = []
    missing = missing_pairs(base, languages)
    while missing:
        current = base + [o.package for o in chosen]
        hops = _pivot_hops(missing)
        served = _served(current, hops)
        best, best_score = None, (0, 0, 0)
        for offer in pool:
            if offer in chosen:
                continue
            trial = [*current, offer.package]
            fixed = len(missing) - len(missing_pairs(trial, languages))
            score = (fixed, len(_served(trial, hops) - served), -len(offer.package.languages))
            if score > best_score:
                best, best_score = offer, score
        if best is None or best_score[:2] == (0, 0):
            break
        chosen.append(best)
        missing = missing_pairs(base + [o.package for o in chosen], languages)
    # A pivot half whose other half never came, or a package a later one made unnecessary.
    for offer in reversed(list(chosen)):
        others = base + [o.package for o in chosen if o is not offer]
        if len(missing_pairs(others, languages)) == len(missing):
            chosen.remove(offer)
    return chosen


def plan_additions(installed: Sequence[PackageInfo], offers: Iterable[Offer], languages: Sequence[str]) -> SetupPlan:
    """The offers to install so that every ordered pair of ``languages`` becomes routable."""
    installed_codes = {p.code for p in installed}
    pool = [o for o in _newest_per_code(offers) if o.package.code not in installed_codes]
    chosen: list[Offer] = []
    for multilingual in (False, True):
        base = [*installed, *(o.package for o in chosen)]
        chosen += _choose(base, [o for o in pool if o.package.multilingual == multilingual], languages)
    return SetupPlan(
        add=tuple(sorted(chosen, key=lambda o: (o.package.multilingual, o.package.code))),
        missing=tuple(missing_pairs(installed, languages)),
        remaining=tuple(missing_pairs([*installed, *(o.package for o in chosen)], languages)),
    )


def describe(offer: Offer) -> str:
    """``translate-az_en 1.5 (az → en)``, or the languages of a multilingual package."""
    package = offer.package
    if package.multilingual:
        return f"{package.code} {package.version} (multilingual: {', '.join(package.languages)})"
    return f"{package.code} {package.version} ({package.from_code} → {package.to_code})"
