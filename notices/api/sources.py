"""``GET /api/sources``: the scheduled sources and their health, for operators (staff users: an API token
or a logged-in admin session). Mounted in tracker/api.py."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from ninja import Router, Schema

from notices import polling
from notices.api.auth import request_user
from notices.api.errors import responses
from notices.errors import NotAllowed, Unauthorized
from notices.models import Source

router = Router(tags=["sources"])


class SourceOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    enabled: bool
    interval: int
    last_run: dt.datetime | None
    last_success: dt.datetime | None
    last_error: str
    notices_seen: int
    healthy: bool
    problem: str
    skipped: dict[str, int]
    empty_polls: int


def _url(source: Source) -> str:
    if source.url or source.kind not in (Source.Kind.TED, Source.Kind.HILMA):
        return source.url
    return settings.TED_API_URL if source.kind == Source.Kind.TED else settings.HILMA_API_URL


@router.get(
    "/sources",
    response={200: list[SourceOut], **responses(401, 403)},
    summary="Scheduled sources and their health (staff only)",
    description=(
        "Every source with its state. `healthy` is false when an enabled source has had no successful poll "
        "for 3 x its interval (POLL_STALE_FACTOR), or its content broke (a page or feed that yielded notices "
        "yields none or no longer reads; TED refused the query, or it listed nothing for 3 polls while TED "
        "had notices for its country); `problem` says which. `interval` is in seconds. `skipped`: Hilma's "
        "search hits not fetched, by kind (`plan`, `pre-eForms`); `empty_polls`: TED polls in a row whose "
        "query listed nothing."
    ),
)
def list_sources(request):
    user = request_user(request)
    if user is None:
        raise Unauthorized("Send a staff user's API token (Authorization: Bearer <token>), or log in.")
    if not user.is_staff:
        raise NotAllowed("Only staff users can see the sources.")
    now = timezone.now()
    out = []
    for source in Source.objects.order_by("name", "pk"):
        healthy, problem = polling.health(source, now)
        out.append(
            {
                "id": source.pk,
                "name": source.name,
                "kind": source.kind,
                "url": _url(source),
                "enabled": source.enabled,
                "interval": source.interval,
                "last_run": source.last_run,
                "last_success": source.last_success,
                "last_error": source.last_error,
                "notices_seen": source.notices_seen,
                "healthy": healthy,
                "problem": problem,
                "skipped": source.skipped or {},
                "empty_polls": source.empty_polls,
            }
        )
    return out
