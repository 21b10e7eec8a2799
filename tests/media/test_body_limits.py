"""Upload paths get a body limit sized for media; every other path keeps the JSON limit."""

from chaupal.config import Settings
from chaupal.media import media_body_limit


def test_media_body_limit__upload_paths_fit_the_largest_file():
    s = Settings()
    for path in ("/api/v1/media", "/api/v2/media", "/web/statuses", "/api/v1/media/123"):
        assert media_body_limit(s, path) >= max(s.max_image_bytes, s.max_video_bytes)


def test_media_body_limit__other_paths_use_the_default():
    assert media_body_limit(Settings(), "/api/v1/statuses") is None
