"""The I/O-free heart shared by ``UlakClient`` and ``AsyncUlakClient``.

Everything that is not sending bytes lives here, as plain functions over plain
values: building each API call (``Call``), turning a status + body into a model or
a typed error, and deciding whether and how long to wait before a retry
(``RetryPolicy``). The two clients only move bytes and sleep, so they cannot drift
apart in behaviour.
"""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from ._exceptions import ERRORS_BY_CODE, ERRORS_BY_STATUS, APIError
from ._media import MediaSource
from .models import (
    DeliveryLog,
    FeedPage,
    GlossaryAdded,
    GlossaryTerm,
    MediaObject,
    Model,
    Ninjs,
    PushResult,
    SearchPage,
    StatusChange,
    StoryTranslations,
    StoryVersions,
    Subscription,
    SubscriptionCreated,
)

T = TypeVar("T")

USER_AGENT = "ulak-client/0.1.0"


class Retry(enum.Enum):
    """How safe a call is to send twice."""

    IDEMPOTENT = "idempotent"  # any retryable fault: connection errors, 429, 502-504
    CONNECT_ONLY = "connect_only"  # only when the request provably never left this machine
    NEVER = "never"


@dataclass
class Call(Generic[T]):
    """One API call, described without doing it."""

    method: str
    path: str
    parse: Callable[[int, Any], T]  # (status_code, decoded JSON body) -> result
    retry: Retry
    params: dict[str, str | int] = field(default_factory=dict)
    json: Any = None
    media: MediaSource | None = None  # a streamed request body
    raw_response: bool = False  # parse() receives the undecoded bytes


# --- retries -----------------------------------------------------------------------

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The request never reached the hub: safe to resend anything, even a kill.
CONNECT_PHASE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Faults that may go away on their own; a bad URL or proxy setting will not.
RETRYABLE_TRANSPORT_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; a ``Retry-After`` from the hub wins over backoff.

    ``max_attempts`` counts the first try; ``RetryPolicy(max_attempts=1)`` never retries.
    A ``Retry-After`` longer than ``max_retry_after`` is not waited out: the error is
    raised at once (with ``retry_after`` set) so the caller can reschedule.
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    jitter: float = 0.5  # fraction of each backoff delay that is randomised

    def backoff_delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return base * (1.0 - self.jitter + self.jitter * rng.random())

    def delay_after_error(self, call: Call[Any], attempt: int, error: Exception, rng: random.Random) -> float | None:
        """Seconds to wait before resending after a transport error, or None to give up."""
        if attempt >= self.max_attempts or call.retry is Retry.NEVER:
            return None
        if not isinstance(error, RETRYABLE_TRANSPORT_ERRORS):
            return None
        if call.retry is Retry.CONNECT_ONLY and not isinstance(error, CONNECT_PHASE_ERRORS):
            return None
        return self.backoff_delay(attempt, rng)

    def delay_after_status(
        self, call: Call[Any], attempt: int, status_code: int, headers: Mapping[str, str], rng: random.Random
    ) -> float | None:
        """Seconds to wait before resending after an HTTP answer, or None to keep it."""
        if status_code not in RETRY_STATUSES or call.retry is not Retry.IDEMPOTENT:
            return None
        if attempt >= self.max_attempts:
            return None
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is None:
            return self.backoff_delay(attempt, rng)
        if retry_after > self.max_retry_after:
            return None
        # A little extra on top spreads out clients that were all told the same number.
        return retry_after + 0.1 * retry_after * rng.random()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# --- responses ---------------------------------------------------------------------


def decode_body(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def error_for(status_code: int, headers: Mapping[str, str], content: bytes) -> APIError:
    """The typed error for an HTTP error answer: by the hub's code, else by status."""
    body = decode_body(content)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body["error"]
        detail = str(body.get("detail", ""))
    else:
        body = None
        code = f"http_{status_code}"
        detail = content[:200].decode("utf-8", "replace").strip() or "no detail"
    cls = ERRORS_BY_CODE.get(code) or ERRORS_BY_STATUS.get(status_code, APIError)
    retry_after = parse_retry_after(headers.get("retry-after"))
    return cls(status_code, code, detail, body=body, retry_after=retry_after)


def handle_response(call: Call[T], status_code: int, headers: Mapping[str, str], content: bytes) -> T:
    if status_code >= 400:
        raise error_for(status_code, headers, content)
    if call.raw_response:
        return call.parse(status_code, content)
    return call.parse(status_code, decode_body(content))


# --- calls -------------------------------------------------------------------------


def _segment(value: str) -> str:
    return quote(str(value), safe="")


def push_story(story: dict[str, Any]) -> Call[PushResult]:
    # Idempotent by design: the hub keys a story on (agency, guid) and a version on its
    # content hash, so resending the same story returns the same version (200).
    def parse(status: int, body: Any) -> PushResult:
        result = PushResult.model_validate(body)
        result.created = status == 201
        return result

    return Call("POST", "/v1/stories", parse, Retry.IDEMPOTENT, json=story)


def get_story(story_id: str, lang: str | None) -> Call[Ninjs]:
    params: dict[str, str | int] = {"lang": lang} if lang else {}
    return Call(
        "GET",
        f"/v1/stories/{_segment(story_id)}",
        lambda _, b: Ninjs.model_validate(b),
        Retry.IDEMPOTENT,
        params=params,
    )


def versions(story_id: str) -> Call[StoryVersions]:
    return Call(
        "GET",
        f"/v1/stories/{_segment(story_id)}/versions",
        lambda _, b: StoryVersions.model_validate(b),
        Retry.IDEMPOTENT,
    )


def translations(story_id: str) -> Call[StoryTranslations]:
    return Call(
        "GET",
        f"/v1/stories/{_segment(story_id)}/translations",
        lambda _, b: StoryTranslations.model_validate(b),
        Retry.IDEMPOTENT,
    )


EditedItems = Sequence[str | Mapping[str, Any] | Model]


def _edited_items(items: EditedItems) -> list[dict[str, Any]]:
    """A string is an item's new value; a mapping or model is sent as it is (the hub
    keeps the machine item's role and content type and replaces only ``value``)."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            out.append({"value": item})
        elif isinstance(item, Model):
            out.append(item.to_json_dict())
        else:
            out.append(dict(item))
    return out


def edit_translation(
    story_id: str,
    lang: str,
    *,
    version: int,
    headlines: EditedItems | None,
    descriptions: EditedItems | None,
    bodies: EditedItems | None,
) -> Call[Ninjs]:
    body: dict[str, Any] = {"version": version}
    for name, items in (("headlines", headlines), ("descriptions", descriptions), ("bodies", bodies)):
        if items is not None:
            body[name] = _edited_items(items)
    # Each edit is announced with a feed entry of its own: resent only when the request
    # provably never left this machine, like a kill.
    return Call(
        "PUT",
        f"/v1/stories/{_segment(story_id)}/translations/{_segment(lang)}",
        lambda _, b: Ninjs.model_validate(b),
        Retry.CONNECT_ONLY,
        json=body,
    )


def change_status(story_id: str, action: str) -> Call[StatusChange]:
    # Not retried on an answer or a dropped response: a second kill may add a second
    # feed entry. A connection that never opened is still safe to retry.
    return Call(
        "POST",
        f"/v1/stories/{_segment(story_id)}/{action}",
        lambda _, b: StatusChange.model_validate(b),
        Retry.CONNECT_ONLY,
    )


def feed_page(
    lang: str, *, after: str | None, limit: int, agency: str | None, quality: str | None = None
) -> Call[FeedPage]:
    params: dict[str, str | int] = {"lang": lang, "limit": limit}
    if after is not None:
        params["after"] = after
    if agency is not None:
        params["agency"] = agency
    if quality is not None:
        params["quality"] = quality
    return Call("GET", "/v1/feed", lambda _, b: FeedPage.model_validate(b), Retry.IDEMPOTENT, params=params)


def search(
    q: str,
    *,
    lang: str | None,
    agency: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    after: str | None,
) -> Call[SearchPage]:
    params: dict[str, str | int] = {"q": q, "limit": limit}
    optional = {"lang": lang, "agency": agency, "after": after}
    params.update({name: value for name, value in optional.items() if value is not None})
    # The hub refuses a moment without a timezone (422): send what was given, it decides.
    params.update(
        {name: value.isoformat() for name, value in (("since", since), ("until", until)) if value is not None}
    )
    return Call("GET", "/v1/search", lambda _, b: SearchPage.model_validate(b), Retry.IDEMPOTENT, params=params)


def upload_media(source: MediaSource) -> Call[MediaObject]:
    # Content-addressed by sha256, so a resend stores nothing twice; but a one-shot
    # stream cannot be sent again, and then only a connection that never opened is retried.
    retry = Retry.IDEMPOTENT if source.replayable else Retry.CONNECT_ONLY
    return Call("POST", "/v1/media", lambda _, b: MediaObject.model_validate(b), retry, media=source)


def download_media(href_or_sha256: str) -> Call[bytes]:
    return Call("GET", media_path(href_or_sha256), lambda _, content: content, Retry.IDEMPOTENT, raw_response=True)


def media_path(href_or_sha256: str) -> str:
    """The request path for a media object given its sha256 or the ``href`` the hub returned."""
    if "/" not in href_or_sha256:
        return f"/v1/media/{_segment(href_or_sha256)}"
    return href_or_sha256


def glossary(agency: str | None) -> Call[list[GlossaryTerm]]:
    params: dict[str, str | int] = {"agency": agency} if agency is not None else {}
    return Call(
        "GET",
        "/v1/glossary",
        lambda _, b: [GlossaryTerm.model_validate(term) for term in b["terms"]],
        Retry.IDEMPOTENT,
        params=params,
    )


def add_glossary_terms(
    terms: Iterable[Mapping[str, str | Sequence[str]]], *, agency: str | None
) -> Call[GlossaryAdded]:
    # Idempotent by design: a term its owner has already, with the same forms, is not
    # stored again (the hub lists it in ``duplicates``), so a resend adds nothing.
    body = [
        {"forms": {lang: value if isinstance(value, str) else list(value) for lang, value in forms.items()}}
        | ({"agency": agency} if agency is not None else {})
        for forms in terms
    ]
    return Call("POST", "/v1/glossary", lambda _, b: GlossaryAdded.model_validate(b), Retry.IDEMPOTENT, json=body)


def delete_glossary_term(term_id: int) -> Call[GlossaryTerm]:
    # A resend after a lost answer would get 404 for a term that was deleted: only a
    # connection that never opened is retried.
    return Call(
        "DELETE",
        f"/v1/glossary/{int(term_id)}",
        lambda _, b: GlossaryTerm.model_validate(b),
        Retry.CONNECT_ONLY,
    )


def create_subscription(
    url: str, languages: Sequence[str], *, agencies: Sequence[str] | None, after: str | None
) -> Call[SubscriptionCreated]:
    body: dict[str, Any] = {"url": url, "languages": list(languages)}
    if agencies is not None:
        body["agencies"] = list(agencies)
    if after is not None:
        body["after"] = after
    # The secret is in this answer only: a resend after a lost answer would get 409 (the url
    # is subscribed already) and no secret. Only a connection that never opened is retried.
    return Call(
        "POST", "/v1/subscriptions", lambda _, b: SubscriptionCreated.model_validate(b), Retry.CONNECT_ONLY, json=body
    )


def subscriptions() -> Call[list[Subscription]]:
    return Call(
        "GET",
        "/v1/subscriptions",
        lambda _, b: [Subscription.model_validate(s) for s in b["subscriptions"]],
        Retry.IDEMPOTENT,
    )


def subscription(
    subscription_id: str, action: str = "", *, method: str = "GET", json: Any = None
) -> Call[Subscription]:
    # GET and replay (to a fixed cursor) may be resent; delete and resume would answer
    # 404 / 409 the second time, so they are resent only when the request never left.
    retry = Retry.IDEMPOTENT if method == "GET" or action == "replay" else Retry.CONNECT_ONLY
    path = f"/v1/subscriptions/{_segment(subscription_id)}" + (f"/{action}" if action else "")
    return Call(method, path, lambda _, b: Subscription.model_validate(b), retry, json=json)


def deliveries(subscription_id: str, *, limit: int, before: int | None) -> Call[DeliveryLog]:
    params: dict[str, str | int] = {"limit": limit}
    if before is not None:
        params["before"] = before
    return Call(
        "GET",
        f"/v1/subscriptions/{_segment(subscription_id)}/deliveries",
        lambda _, b: DeliveryLog.model_validate(b),
        Retry.IDEMPOTENT,
        params=params,
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in (RFC 6454)."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port or _DEFAULT_PORTS.get(parsed.scheme)


def request_headers(api_key: str | None, call: Call[Any], *, url: str, base_url: str) -> dict[str, str]:
    """Headers for ``call`` sent to ``url``. The key goes only to the hub's own origin:
    a media href may point at another host (a CDN, or anything a story links to), and
    that host must not learn the key. (httpx itself drops it on a cross-origin redirect.)"""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api_key and origin(url) == origin(base_url):
        headers["Authorization"] = f"Bearer {api_key}"
    if call.media is not None:
        headers.update(call.media.headers())
    return headers


def resolve_url(base_url: str, path: str) -> str:
    """Join a path onto the base URL; an absolute href (from the hub) is used as is."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url.rstrip("/") + "/" + path.lstrip("/")
