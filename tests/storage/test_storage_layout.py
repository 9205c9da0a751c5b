"""Key layout: content-addressed media, per-version story documents, key validation."""

from __future__ import annotations

import hashlib

import pytest

from storage import InvalidKey, StorageError, media_key, story_key, validate_key


def test_media_key_fans_out_by_digest_prefix() -> None:
    digest = hashlib.sha256(b"photo").hexdigest()
    assert media_key(digest) == f"media/sha256/{digest[:2]}/{digest[2:4]}/{digest}"


@pytest.mark.parametrize("digest", ["", "abc", "G" * 64, "A" * 64, "0" * 63, "0" * 65, None])
def test_media_key_refuses_anything_but_a_lowercase_hex_digest(digest) -> None:
    with pytest.raises(ValueError):
        media_key(digest)


def test_story_key() -> None:
    assert story_key("AZERTAC", "2024-05-01.123", 3, "az") == "stories/AZERTAC/2024-05-01.123/3/az.json"
    assert story_key("aa", "s", "2", "uz-Latn") == "stories/aa/s/2/uz-Latn.json"
    assert story_key("aa", "s", 2, "tr", revision="edit-1a2b") == "stories/aa/s/2/tr.edit-1a2b.json"
    for unsafe in ("../x", "a/b", ""):
        with pytest.raises(ValueError):
            story_key("aa", "s", 2, "tr", revision=unsafe)


@pytest.mark.parametrize(
    ("agency", "story_id", "version", "lang"),
    [
        ("..", "s", 1, "az"),
        ("a/b", "s", 1, "az"),
        ("a", "../x", 1, "az"),
        ("a", "s", -1, "az"),
        ("a", "s", 1, "../az"),
        ("a", "s", 1, "AZ"),
        ("", "s", 1, "az"),
        ("a", ".hidden", 1, "az"),
        ("a", "s", "1/2", "az"),
        ("a", "x" * 129, 1, "az"),
    ],
)
def test_story_key_refuses_unsafe_parts(agency, story_id, version, lang) -> None:
    with pytest.raises(ValueError):
        story_key(agency, story_id, version, lang)


def test_invalid_key_is_both_a_storage_error_and_a_value_error() -> None:
    with pytest.raises(InvalidKey) as caught:
        validate_key("a/../b")
    assert isinstance(caught.value, StorageError) and isinstance(caught.value, ValueError)
    assert "'..'" in str(caught.value)
    with pytest.raises(InvalidKey, match="longer than 1024"):
        validate_key("a/" * 600)
    assert validate_key("media/sha256/ab/cd/x y.jpg") == "media/sha256/ab/cd/x y.jpg"
