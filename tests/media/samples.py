"""Media made in the tests themselves: images with EXIF, animations, pixel bombs, videos."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(
    size: tuple[int, int] = (80, 40), *, orientation: int | None = None, gps: bool = False
) -> bytes:
    """A JPEG whose left half is red and right half blue, optionally with EXIF orientation/GPS."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (28.0, 36.0, 50.0), 3: "E", 4: (77.0, 12.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png(size: tuple[int, int] = (60, 30), *, alpha: bool = False, text: str | None = None) -> bytes:
    from PIL import PngImagePlugin

    image = Image.new(
        "RGBA" if alpha else "RGB", size, (10, 120, 30, 128) if alpha else (10, 120, 30)
    )
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(size: tuple[int, int] = (64, 64), *, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 100, 50))
    exif = Image.Exif()
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (28.0, 36.0, 50.0)}
    out = io.BytesIO()
    image.save(out, "WEBP", exif=exif)
    return out.getvalue()


def animated_gif(size: tuple[int, int] = (40, 40), frames: int = 3) -> bytes:
    images = [Image.new("RGB", size, (i * 80 % 256, 40, 200 - i * 50)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit grayscale PNG of `width`x`height` zeros: tiny on disk, huge decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    parts = [comp.compress(row) for _ in range(height)]
    idat = b"".join(parts) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG header claiming `width`x`height` with (almost) no pixel data behind it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + _png_chunk(b"IEND", b"")
    )


MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def fake_mp4(size: int = 2048) -> bytes:
    """Bytes that start like an MP4 (for the store-as-is path without ffmpeg)."""
    return MP4_HEAD + b"\x00" * (size - len(MP4_HEAD))


def need_ffmpeg() -> None:
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        pytest.skip(
            "ffmpeg/ffprobe not installed (Debian package `ffmpeg`): video processing not tested"
        )


def real_mp4(tmp: Path, *, seconds: int = 1, gps: bool = False) -> bytes:
    """A short H.264 MP4 made by ffmpeg (call need_ffmpeg() first)."""
    out = tmp / "sample.mp4"
    args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10"]
    args += ["-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p"]
    if gps:
        args += ["-metadata", "location=+28.6139+077.2090/", "-metadata", "title=secret"]
    subprocess.run([*args, str(out)], check=True, timeout=120)
    return out.read_bytes()
