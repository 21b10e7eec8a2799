"""What an upload really is, from its first bytes; and whether the client's filename extension
and content type tell the same story (a lying one is refused)."""

from __future__ import annotations

from chaupal.media import MediaError

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
VIDEO_TYPES = ("video/mp4", "video/webm")
SUPPORTED_TYPES = IMAGE_TYPES + VIDEO_TYPES

# ISO-BMFF brands that are still images, not video (HEIC, AVIF).
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}

# Extensions a client may send, with the type each claims. Unknown extensions claim nothing.
_EXTENSIONS = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "pjpeg": "image/jpeg",
    "png": "image/png",
    "apng": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "heic": "image/heic",
    "heif": "image/heic",
    "avif": "image/avif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "svg": "image/svg+xml",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "html": "text/html",
    "htm": "text/html",
    "js": "text/javascript",
    "txt": "text/plain",
    "pdf": "application/pdf",
    "exe": "application/x-msdownload",
}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "video/x-m4v": "video/mp4"}
_NO_CLAIM = {"", "application/octet-stream", "binary/octet-stream"}


def sniff(head: bytes) -> str | None:
    """The content type the bytes show (first 64 are enough), or None when not one we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS and head[8:12] != b"qt  ":
        return "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "video/webm"
    return None


def check_declared(real: str, filename: str | None, content_type: str | None) -> None:
    """Refuse an upload whose extension or content type claims another type than its bytes."""
    declared = (content_type or "").split(";")[0].strip().lower()
    declared = _ALIASES.get(declared, declared)
    if declared not in _NO_CLAIM and declared != real:
        raise MediaError(f"File content type {declared} does not match its content ({real})")
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." in name:
        ext = name.rsplit(".", 1)[1].lower()
        claimed = _EXTENSIONS.get(ext)
        if claimed is not None and claimed != real:
            raise MediaError(f"File extension .{ext} does not match its content ({real})")


def detect(head: bytes, filename: str | None, content_type: str | None) -> str:
    """The real type of an upload, or MediaError when it is unsupported or lies about itself."""
    real = sniff(head)
    if real is None:
        raise MediaError(
            "File content type is not supported (JPEG, PNG, WebP, GIF, MP4 and WebM are)"
        )
    check_declared(real, filename, content_type)
    return real
