"""Video uploads (MP4, WebM) and GIF-to-video (gifv) with ffmpeg when it is installed: probe,
remux without metadata, poster frame and Mastodon's `meta`. Without ffmpeg a video is stored
as uploaded and `meta` says so."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from chaupal.config import Settings
from chaupal.media import MediaError
from chaupal.media.images import dims, load_checked, open_checked, preview_and_blurhash

NOT_PROCESSED = {
    "processed": False,
    "reason": "ffmpeg not installed: stored as uploaded, without a poster frame, "
    "duration or metadata removal",
}


@dataclass
class ProcessedVideo:
    content_type: str
    ext: str
    path: Path  # the file to store
    preview: bytes | None
    preview_ext: str | None
    blurhash: str | None
    meta: dict[str, Any] = field(default_factory=dict)


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def _words(text: str) -> list[str]:
    return text.split()


def _run(args: list[str], settings: Settings) -> bytes:
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            timeout=settings.media_ffmpeg_timeout_seconds,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise MediaError("File took too long to process") from None
    if done.returncode != 0:
        raise MediaError("File is invalid (it could not be read as a video)")
    return done.stdout


def probe(path: Path, settings: Settings) -> dict[str, Any]:
    out = _run(
        [*_words("ffprobe -v error -print_format json -show_format -show_streams"), str(path)],
        settings,
    )
    try:
        return json.loads(out)
    except ValueError:
        raise MediaError("File is invalid (it could not be read as a video)") from None


def _video_meta(info: dict[str, Any], settings: Settings) -> dict[str, Any]:
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise MediaError("File is invalid (it has no video stream)")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaError("File is invalid (the video has no frame size)")
    if width * height > settings.max_image_pixels:
        raise MediaError(f"Video frames have too many pixels (at most {settings.max_image_pixels})")
    fmt = info.get("format") or {}
    duration = _float(fmt.get("duration")) or _float(video.get("duration")) or 0.0
    rate = str(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1")
    try:
        fps = float(Fraction(rate)) if rate not in ("0/0", "") else 0.0
    except (ValueError, ZeroDivisionError):
        fps = 0.0
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    meta: dict[str, Any] = {
        "length": _length(duration),
        "duration": round(duration, 3),
        "fps": round(fps),
        **dims(width, height),
        "original": {
            "width": width,
            "height": height,
            "frame_rate": rate,
            "duration": round(duration, 3),
            "bitrate": int(_float(fmt.get("bit_rate")) or 0),
        },
    }
    if audio is not None:
        meta["audio_encode"] = str(audio.get("codec_name") or "")
        if audio.get("sample_rate"):
            meta["audio_bitrate"] = f"{audio['sample_rate']} Hz"
        if audio.get("channel_layout"):
            meta["audio_channels"] = str(audio["channel_layout"])
    return meta


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _length(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{secs:05.2f}"


def _poster(path: Path, settings: Settings) -> tuple[bytes, str, dict[str, Any], str | None]:
    png = _run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            *_words("-frames:v 1 -f image2pipe -c:v png pipe:1"),
        ],
        settings,
    )
    if not png:
        raise MediaError("File is invalid (no frame could be read from the video)")
    image = open_checked(png, "image/png", settings)
    load_checked(image)
    return preview_and_blurhash(image, settings)


def process_video(
    src: Path, content_type: str, workdir: Path, settings: Settings
) -> ProcessedVideo:
    """`src` is the upload on disk; outputs go to `workdir` (a temporary folder)."""
    ext = "mp4" if content_type == "video/mp4" else "webm"
    if not ffmpeg_available():
        return ProcessedVideo(content_type, ext, src, None, None, None, dict(NOT_PROCESSED))
    meta = _video_meta(probe(src, settings), settings)
    out = workdir / f"clean.{ext}"
    keep = "-map 0:v:0 -map 0:a:0? -map_metadata -1 -map_chapters -1 -c copy"
    args = ["ffmpeg", "-v", "error", "-y", "-i", str(src), *_words(keep)]
    if ext == "mp4":
        args += ["-movflags", "+faststart"]
    _run([*args, str(out)], settings)
    preview, preview_ext, small, hash_ = _poster(out, settings)
    meta["small"] = small
    return ProcessedVideo(content_type, ext, out, preview, preview_ext, hash_, meta)


def gif_to_gifv(gif: bytes, workdir: Path, settings: Settings) -> ProcessedVideo | None:
    """An animated GIF as a silent looping MP4 (Mastodon's gifv), or None without ffmpeg."""
    if not ffmpeg_available():
        return None
    src = workdir / "upload.gif"
    src.write_bytes(gif)
    out = workdir / "gifv.mp4"
    encode = (
        "-an -map_metadata -1 -movflags +faststart -pix_fmt yuv420p"
        " -vf scale=trunc(iw/2)*2:trunc(ih/2)*2 -c:v libx264 -preset veryfast"
    )
    _run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *_words(encode), str(out)], settings)
    meta = _video_meta(probe(out, settings), settings)
    preview, preview_ext, small, hash_ = _poster(out, settings)
    meta["small"] = small
    return ProcessedVideo("video/mp4", "mp4", out, preview, preview_ext, hash_, meta)
