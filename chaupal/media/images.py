"""Image uploads decoded safely with Pillow: size and pixel limits checked from the header before
any full decode, truncated files refused, orientation applied, EXIF/GPS/XMP stripped by
re-encoding, downscaled original + `small` preview, blurhash, Mastodon's `meta`."""

from __future__ import annotations

import io
import logging
import math
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import blurhash
from PIL import Image, ImageOps

from chaupal.config import Settings
from chaupal.media import MediaError

log = logging.getLogger(__name__)

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


@dataclass
class ProcessedImage:
    content_type: str  # of `original`
    ext: str
    original: bytes
    preview: bytes
    preview_ext: str
    blurhash: str | None
    meta: dict[str, Any] = field(default_factory=dict)
    animated: bool = False


def dims(width: int, height: int) -> dict[str, Any]:
    """Mastodon's size block: width, height, "WxH", aspect."""
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": width / height if height else 0,
    }


def fit(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """The largest size with the same aspect and at most `max_pixels` (never upscaled)."""
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def open_checked(data: bytes, content_type: str, settings: Settings) -> Image.Image:
    """Open lazily (header only), and refuse over-size or over-pixel images before decoding."""
    if len(data) > settings.max_image_bytes:
        raise MediaError(
            f"File is too large (images may be at most {settings.max_image_bytes} bytes)"
        )
    # Pillow's own bomb check, as a second line: pixels above this raise on open and load.
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    try:
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]])
    except Image.DecompressionBombError:
        raise _too_many_pixels(settings) from None
    except Exception:  # noqa: BLE001 - any decoder failure on untrusted bytes is invalid input
        raise MediaError("File is invalid (it could not be read as an image)") from None
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > settings.max_image_pixels:
        raise _too_many_pixels(settings)
    return image


def _too_many_pixels(settings: Settings) -> MediaError:
    return MediaError(
        f"Image has too many pixels (at most {settings.max_image_pixels} are allowed)"
    )


def load_checked(image: Image.Image) -> None:
    try:
        image.load()
    except Image.DecompressionBombError:
        raise MediaError("Image has too many pixels") from None
    except Exception:  # noqa: BLE001 - truncated or corrupt data
        raise MediaError("File is invalid (truncated or corrupt image data)") from None


def orient(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (the tag goes with it); a broken EXIF block changes nothing."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001
        log.info("ignoring an unreadable EXIF orientation")
        return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _encode(image: Image.Image, fmt: str, *, quality: int, icc: bytes | None = None) -> bytes:
    out = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
    elif fmt == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        image.save(out, "WEBP", quality=quality, method=4, **extra)
    else:
        image.save(out, "PNG", compress_level=6, **extra)
    return out.getvalue()


def preview_and_blurhash(
    image: Image.Image, settings: Settings
) -> tuple[bytes, str, dict[str, Any], str | None]:
    """The `small` preview (JPEG, or PNG when transparent), its meta block and the blurhash."""
    small = image.copy()
    small.info = {}
    size = fit(small.width, small.height, settings.media_preview_pixels)
    if size != small.size:
        small = small.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    alpha = _has_alpha(small)
    if small.mode not in ("RGB", "RGBA", "L", "LA"):
        small = small.convert("RGBA" if alpha else "RGB")
    preview = _encode(small, "PNG" if alpha else "JPEG", quality=80)
    return preview, "png" if alpha else "jpg", dims(*small.size), _blurhash(small)


def _blurhash(image: Image.Image) -> str | None:
    tiny = image.convert("RGB")
    tiny.thumbnail((64, 64))
    try:
        return _encode_blurhash(tiny)
    except Exception:  # a blurhash is a nicety, never a reason to refuse
        log.info("blurhash failed", exc_info=True)
        return None


def _encode_blurhash(image: Image.Image, components: int = 4) -> str:
    """blurhash-python's C encoder fed the RGB bytes directly (its `encode` walks pixels with
    `getdata`, which Pillow deprecates); its public `encode` is the fallback."""
    try:
        from blurhash._functions import ffi, lib
    except ImportError:
        return str(blurhash.encode(image, x_components=components, y_components=components))
    width, height = image.size
    dest = ffi.new("char[]", 2 + 4 + (9 * 9 - 1) * 2 + 1)
    result = lib.create_hash_from_pixels(
        components, components, width, height, ffi.from_buffer(image.tobytes()), width * 3, dest
    )
    if result == ffi.NULL:
        raise ValueError("blurhash encoder failed")
    return str(ffi.string(result).decode("ascii"))


def process_image(data: bytes, content_type: str, settings: Settings) -> ProcessedImage:
    """Validate and re-encode one image upload (`content_type` as sniffed from its bytes)."""
    image = open_checked(data, content_type, settings)
    if getattr(image, "is_animated", False):
        return _process_animated(data, image, content_type, settings)
    fmt = _PIL_FORMATS[content_type]
    target = fit(image.width, image.height, settings.media_image_stored_pixels)
    if fmt == "JPEG" and target != image.size:
        image.draft("RGB", target)  # decode at a reduced DCT scale: less memory for big JPEGs
    load_checked(image)
    icc = image.info.get("icc_profile")
    image = orient(image)
    if fmt == "GIF":  # a still GIF is stored as PNG (lossless, no palette quirks)
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        fmt, content_type = "PNG", "image/png"
    image.info = {}  # nothing of the upload's metadata travels on (EXIF, GPS, XMP, comments)
    target = fit(image.width, image.height, settings.media_image_stored_pixels)
    if target != image.size:
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    original = _encode(image, fmt, quality=90, icc=icc)
    preview, preview_ext, small_meta, hash_ = preview_and_blurhash(image, settings)
    meta = {"original": dims(*image.size), "small": small_meta}
    return ProcessedImage(
        content_type, _EXT[content_type], original, preview, preview_ext, hash_, meta
    )


def _process_animated(
    data: bytes, image: Image.Image, content_type: str, settings: Settings
) -> ProcessedImage:
    """Animated GIF/PNG/WebP: kept as uploaded (metadata chunks removed without decoding every
    frame); the preview and blurhash come from the first frame."""
    load_checked(image)  # the first frame only
    first = image.convert("RGBA")
    preview, preview_ext, small_meta, hash_ = preview_and_blurhash(first, settings)
    if content_type == "image/png":
        data = strip_png_metadata(data)
    elif content_type == "image/webp":
        data = strip_webp_metadata(data)
    meta = {"original": dims(*image.size), "small": small_meta}
    return ProcessedImage(
        content_type, _EXT[content_type], data, preview, preview_ext, hash_, meta, animated=True
    )


_PNG_DROP = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def strip_png_metadata(data: bytes) -> bytes:
    """Copy a PNG without its text, EXIF and time chunks (XMP lives in iTXt)."""
    out = [data[:8]]
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise MediaError("File is invalid (truncated PNG chunk)")
        chunk = data[pos:end]
        if zlib.crc32(chunk[4:-4]) != struct.unpack(">I", chunk[-4:])[0]:
            raise MediaError("File is invalid (corrupt PNG chunk)")
        if kind not in _PNG_DROP:
            out.append(chunk)
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def strip_webp_metadata(data: bytes) -> bytes:
    """Copy a WebP without its EXIF and XMP chunks, clearing their flags in VP8X."""
    chunks = []
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > len(data):
            raise MediaError("File is invalid (truncated WebP chunk)")
        chunk = bytearray(data[pos:end])
        if kind == b"VP8X" and length >= 1:
            chunk[8] &= ~0x0C & 0xFF  # EXIF (0x08) and XMP (0x04) flags
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(bytes(chunk))
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
