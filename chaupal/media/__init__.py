"""Media attachments: safe decoding and re-encoding of uploads (images, video) and the store
their files live in. Nothing here touches the database; `chaupal.actions.media` does."""

from __future__ import annotations

from chaupal.config import Settings


class MediaError(ValueError):
    """An upload we refuse; the message is shown to the client (422)."""


# The web compose form (/web/statuses) carries an upload too.
_UPLOAD_PATHS = ("/api/v1/media", "/api/v2/media", "/web/statuses")


def media_body_limit(settings: Settings, path: str) -> int | None:
    """The request-body limit for a media upload or update path (file + thumbnail + form
    fields), or None for every other path (they keep `max_request_body_bytes`)."""
    if path in _UPLOAD_PATHS or path.startswith("/api/v1/media/"):
        largest = max(settings.max_image_bytes, settings.max_video_bytes)
        return largest + settings.max_image_bytes + 1024 * 1024
    return None
