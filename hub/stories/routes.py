"""HTTP surface of stories: thin, all rules live in hub.stories.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hub.auth.service import Principal
from hub.deps import BearerToken, PullCaller, PushCaller, RuntimeDep, counted_as, read_as_puller
from hub.openapi import error_responses
from hub.stories import edits, service
from hub.stories.schemas import StatusChanged, StoryCreate, StoryPushed, TranslationEditRequest, VersionList

router = APIRouter(prefix="/v1/stories", tags=["stories"])


@router.post(
    "",
    response_model=StoryPushed,
    status_code=201,
    responses={
        200: {"description": "same guid and content: the existing version", "model": StoryPushed},
        **error_responses(401, 403, 408, 409, 413, 422, 503),
    },
    summary="Push a ninjs story",
)
async def push_story(
    runtime: RuntimeDep, caller: PushCaller, story: Annotated[StoryCreate, Body()], response: Response
) -> StoryPushed:
    """Push a ninjs 3.x story. The agency comes from the key; `uri` is the agency's own
    guid. The same guid with the same content returns the existing version (200), so a
    push can be retried safely; changed content makes a new version (201).

    `language` may be left out: the hub identifies it from the text among its target
    languages plus kk and ky, answers with `languageIdentified: true`, and refuses with 422
    when the text does not tell (too short, no letters). A declared language that the text
    confidently contradicts is kept, with a `language_mismatch` entry in `warnings`; the
    story's `/translations` shows it as `languageCheck`."""
    submitted: dict[str, Any] = story.model_dump(mode="json", exclude_unset=True, by_alias=True)
    result = await run_in_threadpool(service.push_story, runtime, caller, story, submitted)
    if not result.created:
        response.status_code = 200
    return result.story


@router.get(
    "/{story_id}",
    summary="A story in one language (ninjs 3.1)",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
            "description": "the story's current version in that language, ninjs 3.1",
        },
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def get_story(
    request: Request,
    runtime: RuntimeDep,
    token: BearerToken,
    story_id: str,
    lang: Annotated[str | None, Query(description="language code; default: the original's")] = None,
) -> Response:
    # Bytes spliced from the stored JSON (hub/stories/served.py), not re-encoded by FastAPI.
    story = await read_as_puller(
        request, runtime, token, lambda session, caller: service.story_json(runtime, session, caller, story_id, lang)
    )
    return Response(story, media_type="application/json")


@router.get(
    "/{story_id}/versions",
    response_model=VersionList,
    summary="Version history",
    responses=error_responses(401, 403, 404, 422, 503),
)
def list_versions(runtime: RuntimeDep, caller: PullCaller, story_id: str) -> VersionList:
    return service.list_versions(runtime, caller, story_id)


@router.post(
    "/{story_id}/kill",
    response_model=StatusChanged,
    summary="Kill a story (pubStatus canceled)",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def kill_story(runtime: RuntimeDep, caller: PushCaller, story_id: str) -> StatusChanged:
    """Kill the story: pubStatus becomes `canceled` and every language of its current
    version gets a feed entry saying so; open translation jobs are canceled. Owner or
    admin only. Idempotent: killing a killed story answers 200 with its current state
    and adds nothing to the feed, so a kill can be retried safely. A killed story
    takes no new versions."""
    story = service.change_status(runtime, caller, story_id, "canceled")
    return StatusChanged(id=story.id, version=story.current_version, pubStatus=story.pub_status)


@router.post(
    "/{story_id}/withhold",
    response_model=StatusChanged,
    summary="Withhold a story",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def withhold_story(runtime: RuntimeDep, caller: PushCaller, story_id: str) -> StatusChanged:
    """Withhold the story: pubStatus becomes `withheld` and every language of its
    current version gets a feed entry saying so; open translation jobs are canceled, and
    a new version makes it usable again. Owner or admin only. Idempotent: withholding a withheld story answers 200 with its
    current state and adds nothing to the feed. A killed story cannot be withheld
    (409 conflict)."""
    story = service.change_status(runtime, caller, story_id, "withheld")
    return StatusChanged(id=story.id, version=story.current_version, pubStatus=story.pub_status)


@router.put(
    "/{story_id}/translations/{lang}",
    summary="Post-edit a translation (ninjs 3.1)",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
)
def edit_translation(
    runtime: RuntimeDep,
    # Any key: who may edit depends on the story (its owner) and the language (an edit key's).
    caller: Annotated[Principal, Depends(counted_as("edit"))],
    story_id: str,
    lang: str,
    edit: Annotated[TranslationEditRequest, Body()],
) -> dict[str, Any]:
    """Replace the current version's translation in `lang` with a person's text. `headlines`,
    `descriptions` and `bodies` give one item per item of the machine translation, in its
    order (422 naming the array otherwise); an array left out is kept. `version` must be
    the story's current version (409). Allowed for the story's owner (push scope) and for
    keys with the `edit` scope that name `lang`; others get 403. The edited translation
    becomes the current one (a new feed entry), labelled `humanEdits` with the editing
    agency in `infoSources`; its sentences are kept in later versions wherever the
    original did not change."""
    return edits.edit_translation(runtime, caller, story_id, lang, edit)
