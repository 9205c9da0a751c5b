"""Which packages `ulak models setup` picks: pure planning over package descriptions."""

from __future__ import annotations

import zipfile
from pathlib import Path

from translation.packages import PackageInfo, install_archive
from translation.provision import Offer, blocked_languages, missing_pairs, offers_from_folder, plan_additions

FIVE = ("az", "tr", "ru", "uz", "en")


def pair(source: str, target: str, version: str = "1.0") -> PackageInfo:
    return PackageInfo(f"translate-{source}_{target}", version, source, target, path=Path(f"{source}_{target}"))


def offer(package: PackageInfo) -> Offer:
    return Offer(package, f"/offers/{package.code}-{package.version}.argosmodel")


def codes(offers: tuple[Offer, ...]) -> list[str]:
    return sorted(o.package.code for o in offers)


def test_missing_pairs_are_what_the_router_cannot_plan() -> None:
    installed = [pair("az", "en"), pair("en", "tr")]
    assert missing_pairs([], ("az", "en")) == [("az", "en"), ("en", "az")]
    # az → tr goes through English; tr → az and the reverse hops do not exist.
    assert missing_pairs(installed, ("az", "tr", "en")) == [("tr", "az"), ("tr", "en"), ("en", "az")]


def test_pivot_halves_are_found_when_no_pair_involves_english() -> None:
    offers = [offer(pair(s, t)) for s, t in [("az", "en"), ("en", "az"), ("tr", "en"), ("en", "tr"), ("ru", "en")]]

    plan = plan_additions([], offers, ("az", "tr"))

    # Neither half of a pivot makes a pair routable on its own; the four halves do.
    assert codes(plan.add) == ["translate-az_en", "translate-en_az", "translate-en_tr", "translate-tr_en"]
    assert plan.missing == (("az", "tr"), ("tr", "az")) and plan.remaining == ()


def test_pair_packages_first_multilingual_for_the_rest_and_nothing_redundant() -> None:
    bilingual = [pair(s, t) for lang in ("az", "tr", "ru") for s, t in [(lang, "en"), ("en", lang)]]
    multilingual = PackageInfo(
        "translate-en_uz", "1.0", "en", "uz", path=Path("m"), languages=("en", "uz"), source_prefix="__{lang}__"
    )
    everything = PackageInfo("nllb", "1.0", "en", "az", path=Path("n"), languages=FIVE)
    offers = [offer(p) for p in [*bilingual, multilingual, everything, pair("az", "tr"), pair("en", "fr")]]

    plan = plan_additions([pair("az", "en")], offers, FIVE)

    # With az, tr, ru ↔ en in, az → tr goes through English: the az_tr package would be
    # redundant. en ↔ uz then needs a multilingual package, and the smaller one suffices;
    # az → en is already installed; en → fr serves nothing.
    assert codes(plan.add) == sorted([p.code for p in bilingual if p.code != "translate-az_en"] + ["translate-en_uz"])
    assert plan.remaining == ()


def test_installed_codes_are_not_offered_again_and_newest_offer_wins() -> None:
    offers = [offer(pair("az", "en", "1.0")), offer(pair("az", "en", "1.5")), offer(pair("en", "az"))]

    plan = plan_additions([], offers, ("az", "en"))
    assert [(o.package.code, o.package.version) for o in plan.add] == [
        ("translate-az_en", "1.5"),
        ("translate-en_az", "1.0"),
    ]

    again = plan_additions([pair("az", "en"), pair("en", "az")], offers, ("az", "en"))
    assert again.add == () and again.missing == ()


def test_blocked_languages_name_the_language_at_fault() -> None:
    installed = [pair(s, t) for lang in ("az", "tr", "ru") for s, t in [(lang, "en"), ("en", lang)]]
    blocked = blocked_languages(missing_pairs(installed, FIVE))
    assert list(blocked) == ["uz"] and len(blocked["uz"]) == 8


def test_a_folder_offers_its_package_files_read_without_installing(
    tmp_path: Path, synthetic_archives: dict[str, Path]
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    good = synthetic_archives["translate-en_uz"]
    (folder / "uzbek.zip").write_bytes(good.read_bytes())  # any name: the metadata says what it is
    (folder / "notes.txt").write_text("not a package", encoding="utf-8")
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(folder / "no-model.argosmodel", "w") as hollow:
        for name in source.namelist():
            if not name.endswith("model.bin"):
                hollow.writestr(name, source.read(name))

    offers, skipped = offers_from_folder(folder)

    [offer] = offers
    installed = install_archive(good, tmp_path / "models")
    assert offer.location == str(folder / "uzbek.zip")
    assert (offer.package.code, offer.package.version, offer.package.languages) == (
        installed.code,
        installed.version,
        installed.languages,
    )
    assert sorted(skipped) == [
        "no-model.argosmodel: model/model.bin is missing",
        "notes.txt: not a readable zip archive (File is not a zip file)",
    ]
