"""The SDK's I/O-free core: retry decisions, Retry-After, error mapping, story building, models."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from ulak_client import (
    APIError,
    AuthenticationError,
    BadRequest,
    Conflict,
    FeedEntry,
    MediaObject,
    Ninjs,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationError,
    _core,
    parse_retry_after,
)
from ulak_client._story import build_story


@pytest.fixture
def rng() -> random.Random:
    return random.Random(1234)


# --- retry decisions ---------------------------------------------------------------


def test_backoff_grows_exponentially_within_jitter_and_cap(rng: random.Random) -> None:
    policy = RetryPolicy(backoff=0.5, max_backoff=4.0, jitter=0.5)
    for attempt, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = [policy.backoff_delay(attempt, rng) for _ in range(200)]
        assert all(base * 0.5 <= d <= base for d in delays), (attempt, min(delays), max(delays))
        assert max(delays) - min(delays) > base * 0.3  # really jittered, not a constant


def test_idempotent_call_retries_503_honouring_retry_after(rng: random.Random) -> None:
    policy = RetryPolicy(max_attempts=3)
    call = _core.get_story("s1", None)
    delay = policy.delay_after_status(call, 1, 503, {"retry-after": "2"}, rng)
    assert delay is not None and 2.0 <= delay <= 2.2
    assert policy.delay_after_status(call, 2, 429, {}, rng) is not None  # no header: backoff
    assert policy.delay_after_status(call, 3, 503, {"retry-after": "1"}, rng) is None  # out of attempts
    assert policy.delay_after_status(call, 1, 500, {}, rng) is None  # a bug is not retried
    assert policy.delay_after_status(call, 1, 404, {}, rng) is None


def test_retry_after_beyond_the_cap_is_raised_not_waited(rng: random.Random) -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.delay_after_status(_core.versions("s"), 1, 503, {"retry-after": "3600"}, rng) is None


def test_push_is_retried_but_kill_only_when_the_connection_never_opened(rng: random.Random) -> None:
    policy = RetryPolicy()
    push = _core.push_story({"uri": "g"})
    kill = _core.change_status("s1", "kill")
    connect_failed = httpx.ConnectError("refused")
    read_failed = httpx.ReadError("reset")
    assert policy.delay_after_status(push, 1, 503, {"retry-after": "0"}, rng) == 0.0
    assert policy.delay_after_error(push, 1, read_failed, rng) is not None
    assert policy.delay_after_status(kill, 1, 503, {"retry-after": "0"}, rng) is None
    assert policy.delay_after_error(kill, 1, read_failed, rng) is None
    assert policy.delay_after_error(kill, 1, connect_failed, rng) is not None


def test_adding_terms_is_retried_but_deleting_one_only_when_the_connection_never_opened(rng: random.Random) -> None:
    policy = RetryPolicy()
    add = _core.add_glossary_terms([{"az": "Bakı", "uz": ("Boku", "Боку")}], agency="azertac")
    delete = _core.delete_glossary_term(7)
    read_failed = httpx.ReadError("reset")
    assert add.json == [{"forms": {"az": "Bakı", "uz": ["Boku", "Боку"]}, "agency": "azertac"}]
    assert (delete.method, delete.path) == ("DELETE", "/v1/glossary/7")
    assert policy.delay_after_error(add, 1, read_failed, rng) is not None
    assert policy.delay_after_error(delete, 1, read_failed, rng) is None
    assert policy.delay_after_error(delete, 1, httpx.ConnectError("refused"), rng) is not None
    listing = _core.glossary("uza")
    assert listing.params == {"agency": "uza"} and _core.glossary(None).params == {}
    terms = listing.parse(
        200, {"terms": [{"id": 1, "agency": None, "forms": {"az": ["Bakı"]}, "createdAt": "2026-01-01T00:00:00Z"}]}
    )
    assert terms[0].form("az") == "Bakı" and terms[0].agency is None


def test_non_transient_transport_errors_are_not_retried(rng: random.Random) -> None:
    policy = RetryPolicy()
    assert policy.delay_after_error(_core.versions("s"), 1, httpx.UnsupportedProtocol("ftp"), rng) is None
    assert policy.delay_after_error(_core.versions("s"), 1, httpx.ReadTimeout("slow"), rng) is not None


def test_one_shot_upload_stream_is_not_resent() -> None:
    from ulak_client._media import MediaSource

    replayable = _core.upload_media(MediaSource(b"bytes"))
    one_shot = _core.upload_media(MediaSource(iter([b"a", b"b"])))
    assert replayable.retry is _core.Retry.IDEMPOTENT
    assert one_shot.retry is _core.Retry.CONNECT_ONLY


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- error mapping -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "bad_request", BadRequest),
        (401, "unauthorized", AuthenticationError),
        (403, "forbidden", PermissionDenied),
        (404, "not_found", NotFound),
        (408, "request_timeout", RequestTimeout),
        (409, "conflict", Conflict),
        (413, "payload_too_large", PayloadTooLarge),
        (415, "unsupported_media_type", UnsupportedMediaType),
        (422, "invalid_request", ValidationError),
        (429, "rate_limited", RateLimited),
        (503, "storage_unavailable", ServiceUnavailable),
        (503, "database_unavailable", ServiceUnavailable),
        (503, "unavailable", ServiceUnavailable),
        (500, "internal_error", APIError),
    ],
)
def test_hub_error_codes_map_to_classes(status: int, code: str, cls: type[APIError]) -> None:
    body = f'{{"error": "{code}", "detail": "because"}}'.encode()
    error = _core.error_for(status, {"retry-after": "1"} if status == 503 else {}, body)
    assert type(error) is cls
    assert (error.status_code, error.code, error.detail) == (status, code, "because")
    assert error.retry_after == (1.0 if status == 503 else None)


def test_validation_error_exposes_fields() -> None:
    body = b'{"error": "invalid_request", "detail": "headlines: required", "fields": [{"field": "headlines", "message": "required"}]}'
    error = _core.error_for(422, {}, body)
    assert isinstance(error, ValidationError)
    assert error.fields == [{"field": "headlines", "message": "required"}]


def test_non_json_error_falls_back_to_status() -> None:
    error = _core.error_for(503, {}, b"<html>Bad gateway upstream</html>")
    assert isinstance(error, ServiceUnavailable)
    assert error.code == "http_503" and "Bad gateway" in error.detail
    assert type(_core.error_for(418, {}, b"")) is APIError


def test_handle_response_parses_push_and_marks_idempotent_repeat() -> None:
    call = _core.push_story({"uri": "g"})
    body = b'{"id": "st_1", "version": 2, "uri": "g", "language": "en", "status": "usable"}'
    assert _core.handle_response(call, 201, {}, body).created is True
    repeat = _core.handle_response(call, 200, {}, body)
    assert (repeat.created, repeat.id, repeat.version) == (False, "st_1", 2)
    with pytest.raises(NotFound):
        _core.handle_response(call, 404, {}, b'{"error": "not_found", "detail": "x"}')


def test_urls_and_headers() -> None:
    assert _core.resolve_url("http://hub:8000/", "/v1/feed") == "http://hub:8000/v1/feed"
    assert _core.resolve_url("http://hub/base", "/v1/media/ab") == "http://hub/base/v1/media/ab"
    assert _core.resolve_url("http://hub", "https://cdn/x") == "https://cdn/x"
    assert _core.get_story("a/b", "tr").path == "/v1/stories/a%2Fb"
    assert _core.download_media("abc123").path == "/v1/media/abc123"
    assert _core.download_media("/v1/media/abc123").path == "/v1/media/abc123"
    headers = _core.request_headers("k3y", _core.versions("s"), url="http://hub/v1/x", base_url="http://hub")
    assert headers["Authorization"] == "Bearer k3y"
    assert "Authorization" not in _core.request_headers(
        None, _core.versions("s"), url="http://hub/v1/x", base_url="http://hub"
    )


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://hub:80/v1/media/ab", True),  # the default port, spelled out
        ("HTTP://HUB/v1/media/ab", True),
        ("https://hub/v1/media/ab", False),  # another scheme is another origin
        ("http://hub:8080/v1/media/ab", False),
        ("http://cdn/v1/media/ab", False),
        ("http://hub.evil/v1/media/ab", False),
        ("http://hub@evil/v1/media/ab", False),
    ],
)
def test_the_key_goes_only_to_the_hubs_origin(url: str, sent: bool) -> None:
    headers = _core.request_headers("k3y", _core.download_media(url), url=url, base_url="http://hub/")
    assert ("Authorization" in headers) is sent


# --- building stories --------------------------------------------------------------


def test_keyword_story_becomes_ninjs() -> None:
    photo = MediaObject(href="/v1/media/ff", sha256="ff", size=10, content_type="image/jpeg")
    embargo = datetime(2030, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=4)))
    story = build_story(
        guid="urn:azertac:1", language="az", headline="Başlıq", body_html="<p>Mətn</p>",
        embargoed_until=embargo, urgency=3, subjects=["economy"], by="Reporter", located="Baku",
        media=[photo], fields={"slugline": "econ"},
    )  # fmt: skip
    assert story == {
        "uri": "urn:azertac:1",
        "language": "az",
        "headlines": [{"role": "main", "value": "Başlıq"}],
        "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>Mətn</p>"}],
        "embargoedUntil": "2030-05-01T05:30:00Z",
        "urgency": 3,
        "subjects": [{"name": "economy"}],
        "by": "Reporter",
        "located": "Baku",
        "associations": [
            {
                "name": "media1",
                "uri": "/v1/media/ff",
                "type": "picture",
                "renditions": [
                    {"name": "original", "href": "/v1/media/ff", "contentType": "image/jpeg", "sizeInBytes": 10}
                ],
            }
        ],
        "slugline": "econ",
    }


def test_story_builder_refuses_ambiguous_input() -> None:
    with pytest.raises(TypeError, match="not both"):
        build_story({"uri": "g"}, headline="x")
    with pytest.raises(TypeError, match="exactly one of body_html / body_text"):
        build_story(guid="g", language="en", headline="h", body_text="a", body_html="<p>a</p>")
    with pytest.raises(TypeError, match="guid"):
        build_story(language="en", headline="h", body_text="a")
    # No language is fine: the hub identifies it; the key is left out rather than sent as null.
    assert "language" not in build_story(guid="g", headline="h", body_text="a")
    with pytest.raises(ValueError, match="timezone-aware"):
        build_story(guid="g", language="en", headline="h", body_text="a", embargoed_until=datetime(2030, 1, 1))


def test_models_keep_unknown_fields_round_trip() -> None:
    wire = {
        "storyId": "st_1",
        "version": 3,
        "language": "tr",
        "pubStatus": "usable",
        "futureField": {"x": 1},
        "item": {
            "uri": "https://hub/stories/st_1/tr",
            "language": "tr",
            "headlines": [{"role": "main", "value": "Başlık", "contentType": "text/plain"}],
            "bodies": [{"role": "main", "contentType": "text/html", "value": "<p>a</p>", "wordCount": 1}],
            "digitalSourceType": {"uri": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"},
            "infoSources": [{"name": "ulak-mt", "role": "engine"}],
            "associations": [
                {"name": "original", "uri": "https://hub/stories/st_1/az", "rel": "translatedFrom", "version": "3"}
            ],
            "versionCreated": "2025-01-01T12:00:00Z",
        },
    }
    entry = FeedEntry.model_validate(wire)
    assert (entry.story_id, entry.version, entry.language, entry.pub_status) == ("st_1", 3, "tr", "usable")
    assert entry.item.headline == "Başlık" and entry.item.body == "<p>a</p>"
    assert entry.item.associations[0].rel == "translatedFrom" and entry.item.is_machine_translation
    assert entry.item.version_created == datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert entry.to_json_dict() == wire


def test_ninjs_model_pushes_as_camel_case() -> None:
    story = Ninjs(uri="g", language="en", headlines=[{"value": "h"}], bodies=[{"value": "b"}], ed_note="n")
    assert build_story(story) == {
        "uri": "g",
        "language": "en",
        "headlines": [{"value": "h"}],
        "bodies": [{"value": "b"}],
        "edNote": "n",
    }
