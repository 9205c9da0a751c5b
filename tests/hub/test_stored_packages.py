"""Packages through the object store (hub/packages): stored once per digest, fetched and
verified before they are installed, planned with the setup rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.packages import service
from hub.packages.service import PackageIntegrityError, StoreSync
from tests.fixtures.hub import HubHarness, make_settings
from translation.packages import install_archive, installed_packages


@pytest.fixture
def store_hub(database_url: str, tmp_path: Path) -> HubHarness:
    settings = make_settings(tmp_path / "data", database_url, embedded_worker=False, models_in_store=True)
    with HubHarness.start(settings) as harness:
        yield harness  # type: ignore[misc]


def machine_with(synthetic_archives: dict[str, Path], root: Path, *codes: str) -> Path:
    packages_dir = root / "models"
    for code in codes:
        install_archive(synthetic_archives[code], packages_dir)
    return packages_dir


def test_a_package_is_stored_once_and_fetched_byte_for_byte(
    store_hub: HubHarness, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    here = machine_with(synthetic_archives, tmp_path / "one", "translate-az_en")
    [info] = installed_packages(here)

    first = service.publish(store_hub.runtime, info)
    again = service.publish(store_hub.runtime, info)
    assert first.stored_now and not again.stored_now
    assert again.package.object_key == first.package.object_key
    assert first.package.object_key == f"models/sha256/{first.package.sha256}.argosmodel"
    assert [p.digest for p in service.catalogue(store_hub.runtime)] == [info.digest]

    elsewhere = tmp_path / "two" / "models"
    fetched = service.fetch(store_hub.runtime, first.package, elsewhere)
    assert (fetched.code, fetched.digest) == (info.code, info.digest)
    assert [p.digest for p in installed_packages(elsewhere)] == [info.digest]


def test_tampered_bytes_are_refused_and_nothing_is_installed(
    store_hub: HubHarness, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    here = machine_with(synthetic_archives, tmp_path / "one", "translate-az_en")
    [info] = installed_packages(here)
    stored = service.publish(store_hub.runtime, info).package
    # Replace the object's bytes in the store with another (valid) package's.
    store_dir = store_hub.runtime.settings.resolved_storage_dir
    shutil.copyfile(synthetic_archives["translate-en_tr"], store_dir / "objects" / stored.object_key)

    elsewhere = tmp_path / "two" / "models"
    with pytest.raises(PackageIntegrityError, match="sha256"):
        service.fetch(store_hub.runtime, stored, elsewhere)
    assert installed_packages(elsewhere) == []


def test_only_what_blocked_pairs_need_is_fetched(
    store_hub: HubHarness, synthetic_archives: dict[str, Path], tmp_path: Path
) -> None:
    here = machine_with(synthetic_archives, tmp_path / "one", *synthetic_archives)
    published = service.publish_installed(store_hub.runtime, here)
    assert len(published) == len(synthetic_archives)
    assert service.publish_installed(store_hub.runtime, here) == []  # nothing new to store

    elsewhere = tmp_path / "two" / "models"
    sync = StoreSync(store_hub.runtime, elsewhere)
    fetched = sync.fetch_for([("az", "en")])
    assert [p.code for p in fetched] == ["translate-az_en"]
    # The same pairs and catalogue again: no second plan, no download.
    assert sync.fetch_for([("az", "en")]) == []
    pivot = sync.fetch_for([("az", "tr")])
    assert [p.code for p in pivot] == ["translate-en_tr"]  # az→en is here already
    assert {p.code for p in installed_packages(elsewhere)} == {"translate-az_en", "translate-en_tr"}


def test_nothing_is_fetched_when_the_store_has_nothing_that_helps(store_hub: HubHarness, tmp_path: Path) -> None:
    assert StoreSync(store_hub.runtime, tmp_path / "models").fetch_for([("az", "tr")]) == []


def test_models_are_kept_in_the_store_by_default_only_with_s3(tmp_path: Path) -> None:
    local = make_settings(tmp_path, "sqlite://")
    assert not local.resolved_models_in_store
    assert make_settings(tmp_path, "sqlite://", storage_backend="s3").resolved_models_in_store
    assert not make_settings(
        tmp_path, "sqlite://", storage_backend="s3", models_in_store=False
    ).resolved_models_in_store
