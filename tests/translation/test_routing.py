"""Routing over installed packages: direct, multilingual, English pivot, and what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation import UnsupportedLanguagePair
from translation.packages import installed_packages
from translation.routing import Router


@pytest.fixture(scope="module")
def router(installed_models_dir: Path) -> Router:
    return Router(installed_packages(installed_models_dir))


def _codes(route) -> list[tuple[str, str, str]]:
    return [(h.package.code, h.source_lang, h.target_lang) for h in route.hops]


def test_direct_pair(router: Router) -> None:
    assert _codes(router.plan("az", "en")) == [("translate-az_en", "az", "en")]


def test_multilingual_package_serves_both_directions(router: Router) -> None:
    assert _codes(router.plan("en", "uz")) == [("translate-en_uz", "en", "uz")]
    assert _codes(router.plan("uz", "en")) == [("translate-en_uz", "uz", "en")]


def test_pivot_goes_through_english(router: Router) -> None:
    route = router.plan("az", "uz")
    assert route.via_pivot
    assert _codes(route) == [("translate-az_en", "az", "en"), ("translate-en_uz", "en", "uz")]
    assert [(m.code, m.from_code, m.to_code) for m in route.models] == [
        ("translate-az_en", "az", "en"),
        ("translate-en_uz", "en", "uz"),
    ]
    assert _codes(router.plan("ru", "tr")) == [("translate-ru_en", "ru", "en"), ("translate-en_tr", "en", "tr")]


def test_same_language_needs_no_model(router: Router) -> None:
    assert router.plan("tr", "tr").hops == ()


@pytest.mark.parametrize(
    ("source", "target", "missing"),
    [
        ("az", "kk", ("translate-en_kk",)),
        ("ky", "tr", ("translate-ky_en",)),
        ("ky", "kk", ("translate-ky_en", "translate-en_kk")),
        ("en", "kk", ("translate-en_kk",)),
    ],
)
def test_unsupported_pair_names_exactly_what_to_install(
    router: Router, source: str, target: str, missing: tuple[str, ...]
) -> None:
    with pytest.raises(UnsupportedLanguagePair) as caught:
        router.plan(source, target)
    assert caught.value.missing == missing
    for code in missing:
        assert code in str(caught.value)


def test_dedicated_pair_beats_multilingual(installed_models_dir: Path) -> None:
    packages = installed_packages(installed_models_dir)
    multilingual = next(p for p in packages if p.multilingual)
    widened = type(multilingual)(**{**multilingual.__dict__, "languages": ("en", "uz", "az")})
    router = Router([*packages, widened])
    assert _codes(router.plan("az", "en")) == [("translate-az_en", "az", "en")]
    assert _codes(router.plan("az", "uz")) == [(multilingual.code, "az", "uz")]


def _widened(packages):
    """The multilingual package, also serving az: a converted M2M-100 / NLLB would."""
    multilingual = next(p for p in packages if p.multilingual)
    return type(multilingual)(**{**multilingual.__dict__, "languages": ("en", "uz", "az")})


def test_one_multilingual_hop_beats_a_pivot_even_when_its_first_hop_exists(installed_models_dir: Path) -> None:
    packages = installed_packages(installed_models_dir)
    widened = _widened(packages)
    for prefer in ("bilingual", "multilingual"):
        router = Router([*packages, widened], prefer=prefer)
        route = router.plan("az", "uz")
        assert not route.via_pivot
        assert [(m.code, m.from_code, m.to_code) for m in route.models] == [(widened.code, "az", "uz")]


def test_preference_chooses_among_direct_packages(installed_models_dir: Path) -> None:
    packages = installed_packages(installed_models_dir)
    widened = _widened(packages)
    router = Router([*packages, widened], prefer="multilingual")
    assert _codes(router.plan("az", "en")) == [(widened.code, "az", "en")]
    assert _codes(router.plan("en", "az")) == [(widened.code, "en", "az")]
    # Only bilingual packages serve tr: the pivot stays, whatever the preference.
    assert _codes(router.plan("tr", "ru")) == [("translate-tr_en", "tr", "en"), ("translate-en_ru", "en", "ru")]


def test_a_pair_override_beats_the_default_preference(installed_models_dir: Path) -> None:
    packages = installed_packages(installed_models_dir)
    widened = _widened(packages)
    router = Router([*packages, widened], prefer="bilingual", prefer_pairs={("az", "en"): "multilingual"})
    assert _codes(router.plan("az", "en")) == [(widened.code, "az", "en")]
    assert _codes(router.plan("en", "az")) == [("translate-en_az", "en", "az")]
    router = Router([*packages, widened], prefer="multilingual", prefer_pairs={("en", "az"): "bilingual"})
    assert _codes(router.plan("en", "az")) == [("translate-en_az", "en", "az")]
    assert _codes(router.plan("az", "en")) == [(widened.code, "az", "en")]


def test_an_unknown_preference_is_refused() -> None:
    with pytest.raises(ValueError, match="multilingual"):
        Router([], prefer="smallest")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bilingual"):
        Router([], prefer_pairs={("az", "uz"): "nllb"})  # type: ignore[dict-item]


def test_blocked_lists_every_pair_nothing_can_route_with_its_fix(installed_models_dir: Path) -> None:
    packages = [p for p in installed_packages(installed_models_dir) if p.code != "translate-en_tr"]
    blocked = Router(packages).blocked(("az", "tr", "en"), ("az", "tr", "en"))
    assert [(b.source_lang, b.target_lang, b.missing) for b in blocked] == [
        ("az", "tr", ("translate-en_tr",)),
        ("en", "tr", ("translate-en_tr",)),
    ]
    assert Router(installed_packages(installed_models_dir)).blocked(("az", "uz"), ("az", "tr", "ru", "uz", "en")) == []
    nothing = Router([]).blocked(("az", "en"), ("az", "en"))
    assert [(b.source_lang, b.target_lang, b.missing) for b in nothing] == [
        ("en", "az", ("translate-en_az",)),
        ("az", "en", ("translate-az_en",)),
    ]
