"""Image and video processing without the database: real types from bytes, limits before
decoding, orientation, metadata stripped, previews, blurhash, the store."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from chaupal.config import Settings
from chaupal.media import MediaError
from chaupal.media.images import process_image, strip_png_metadata, strip_webp_metadata
from chaupal.media.pipeline import store_upload
from chaupal.media.sniff import detect
from chaupal.media.storage import LocalStorage, new_key, valid_key
from chaupal.media.video import ffmpeg_available
from tests.media import samples


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, domain="chaupal.test")


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media", "http://chaupal.test/system/media")


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_jpeg__orientation_applied_and_gps_gone(settings: Settings) -> None:
    data = samples.jpeg((80, 40), orientation=6, gps=True)  # 6: rotate 90° clockwise to view
    assert Image.open(io.BytesIO(data)).getexif().get(samples.GPS_IFD) is not None

    result = process_image(data, "image/jpeg", settings)

    out = Image.open(io.BytesIO(result.original))
    assert out.size == (40, 80)
    assert result.meta["original"] == {"width": 40, "height": 80, "size": "40x80", "aspect": 0.5}
    exif = out.getexif()
    assert samples.GPS_IFD not in exif and samples.ORIENTATION not in exif
    assert b"Exif" not in result.original
    # red was on the left; after a clockwise quarter turn it is on top
    rgb = out.convert("RGB")
    top, bottom = rgb.getpixel((20, 10)), rgb.getpixel((20, 70))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_png__text_chunks_dropped_and_alpha_kept(settings: Settings) -> None:
    data = samples.png(alpha=True, text="taken at 28.6N 77.2E")
    result = process_image(data, "image/png", settings)
    assert b"28.6N" not in result.original
    assert Image.open(io.BytesIO(result.original)).mode == "RGBA"
    assert result.preview_ext == "png"


def test_webp__exif_gps_gone(settings: Settings) -> None:
    data = samples.webp(gps=True)
    assert b"EXIF" in data
    result = process_image(data, "image/webp", settings)
    assert result.content_type == "image/webp"
    assert b"EXIF" not in result.original
    assert Image.open(io.BytesIO(result.original)).getexif().get(samples.GPS_IFD) is None


def test_large_image__downscaled_to_stored_pixels_with_small_preview(settings: Settings) -> None:
    settings.media_image_stored_pixels = 200 * 100
    settings.media_preview_pixels = 50 * 25
    result = process_image(samples.jpeg((400, 200)), "image/jpeg", settings)
    assert result.meta["original"]["width"] * result.meta["original"]["height"] <= 200 * 100
    assert result.meta["original"]["width"] == 200
    small = result.meta["small"]
    assert small["width"] * small["height"] <= 50 * 25
    assert Image.open(io.BytesIO(result.preview)).size == (small["width"], small["height"])
    assert result.blurhash and len(result.blurhash) >= 6


def test_animated_gif__kept_animated_with_first_frame_preview(settings: Settings) -> None:
    data = samples.animated_gif()
    result = process_image(data, "image/gif", settings)
    assert result.animated and result.content_type == "image/gif"
    assert Image.open(io.BytesIO(result.original)).n_frames == 3
    assert result.preview and result.blurhash


def test_pixel_limit__checked_from_header_before_decoding(settings: Settings) -> None:
    with pytest.raises(MediaError, match="too many pixels"):
        process_image(samples.png_header_only(100_000, 100_000), "image/png", settings)


def test_pixel_bomb_20000x20000__refused_with_bounded_memory(settings: Settings) -> None:
    bomb = samples.png_bomb(20_000, 20_000)
    assert len(bomb) < 1_000_000  # a small file ...
    tracemalloc.start()
    try:
        with pytest.raises(MediaError, match="too many pixels"):
            process_image(bomb, "image/png", settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024  # ... that would be 50 MB at 1 bit per pixel, 1.2 GB as RGB


def test_pixel_limit_is_the_setting(settings: Settings) -> None:
    settings.max_image_pixels = 79 * 40
    with pytest.raises(MediaError, match="too many pixels"):
        process_image(samples.jpeg((80, 40)), "image/jpeg", settings)
    settings.max_image_pixels = 80 * 40
    assert process_image(samples.jpeg((80, 40)), "image/jpeg", settings).original


def test_truncated_jpeg__refused(settings: Settings) -> None:
    data = samples.jpeg((300, 300))
    with pytest.raises(MediaError, match="truncated|invalid"):
        process_image(data[: len(data) // 2], "image/jpeg", settings)


def test_size_limit__refused(settings: Settings) -> None:
    data = samples.jpeg()
    settings.max_image_bytes = len(data) - 1
    with pytest.raises(MediaError, match="too large"):
        process_image(data, "image/jpeg", settings)


@pytest.mark.parametrize(
    ("head", "filename", "ctype", "error"),
    [
        (samples.jpeg(), "photo.png", "image/png", "content type image/png"),
        (samples.jpeg(), "photo.png", None, r"extension \.png"),
        (samples.png(), "photo.html", "application/octet-stream", r"extension \.html"),
        (b"<html><script>alert(1)</script></html>", "x.jpg", "image/jpeg", "not supported"),
        (b"GIF8", "x.gif", "image/gif", "not supported"),
    ],
)
def test_detect__lying_or_unsupported_refused(
    head: bytes, filename: str, ctype: str | None, error: str
) -> None:
    with pytest.raises(MediaError, match=error):
        detect(head[:64], filename, ctype)


def test_detect__honest_declarations_accepted() -> None:
    assert detect(samples.jpeg()[:64], "IMG_0001.JPEG", "image/jpg") == "image/jpeg"
    assert detect(samples.png()[:64], "upload", "application/octet-stream") == "image/png"
    assert detect(samples.webp()[:64], None, None) == "image/webp"
    assert detect(samples.fake_mp4()[:64], "clip.mp4", "video/mp4") == "video/mp4"


def test_strip_png_and_webp_metadata__keep_the_image() -> None:
    png = samples.png(text="secret place")
    assert b"secret place" not in strip_png_metadata(png)
    assert Image.open(io.BytesIO(strip_png_metadata(png))).size == (60, 30)
    webp = samples.webp(gps=True)
    clean = strip_webp_metadata(webp)
    assert b"EXIF" not in clean
    assert Image.open(io.BytesIO(clean)).size == (64, 64)


def test_store_upload__random_names_never_the_clients(
    settings: Settings, storage: LocalStorage
) -> None:
    stored = store_upload(
        io.BytesIO(samples.jpeg()), "../../etc/passwd.jpg", "image/jpeg", settings, storage
    )
    assert all(valid_key(k) for k in stored.keys)
    names = [p.name for p in files_in(storage.root)]
    assert len(names) == 2 and not any("passwd" in n for n in names)


def test_store_upload__refused_upload_leaves_nothing(
    settings: Settings, storage: LocalStorage
) -> None:
    for data, name in (
        (samples.png_header_only(100_000, 100_000), "bomb.png"),
        (samples.jpeg()[:300], "cut.jpg"),
        (b"MZ\x90\x00 not an image", "x.exe"),
    ):
        with pytest.raises(MediaError):
            store_upload(io.BytesIO(data), name, None, settings, storage)
    assert files_in(storage.root) == []
    assert files_in(settings.data_dir / "tmp") == []


def test_video_without_ffmpeg__stored_as_is_and_says_so(
    settings: Settings, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chaupal.media.video.ffmpeg_available", lambda: False)
    data = samples.fake_mp4()
    stored = store_upload(io.BytesIO(data), "clip.mp4", "video/mp4", settings, storage)
    assert stored.type == "video" and stored.thumbnail_key is None
    assert stored.meta["processed"] is False and "ffmpeg" in stored.meta["reason"]
    assert (storage.root / stored.file_key).read_bytes() == data


def test_video_size_limit__refused(settings: Settings, storage: LocalStorage) -> None:
    settings.max_video_bytes = 1000
    with pytest.raises(MediaError, match="too large"):
        store_upload(io.BytesIO(samples.fake_mp4(2000)), "clip.mp4", "video/mp4", settings, storage)
    assert files_in(storage.root) == []


def test_video_with_ffmpeg__poster_duration_and_metadata_removed(
    settings: Settings, storage: LocalStorage, tmp_path: Path
) -> None:
    samples.need_ffmpeg()
    data = samples.real_mp4(tmp_path, seconds=1, gps=True)
    assert b"secret" in data
    stored = store_upload(io.BytesIO(data), "clip.mp4", "video/mp4", settings, storage)
    assert stored.type == "video" and stored.thumbnail_key
    assert stored.meta["width"] == 320 and stored.meta["height"] == 240
    assert 0.5 <= stored.meta["duration"] <= 1.5
    assert stored.meta["small"]["width"] == 320
    assert stored.blurhash
    saved = (storage.root / stored.file_key).read_bytes()
    assert b"secret" not in saved and b"+28.6139" not in saved


def test_video_with_ffmpeg__not_a_video_refused(settings: Settings, storage: LocalStorage) -> None:
    samples.need_ffmpeg()
    with pytest.raises(MediaError, match="invalid"):
        store_upload(io.BytesIO(samples.fake_mp4()), "clip.mp4", "video/mp4", settings, storage)
    assert files_in(storage.root) == []


def test_animated_gif_with_ffmpeg__becomes_gifv(settings: Settings, storage: LocalStorage) -> None:
    samples.need_ffmpeg()
    stored = store_upload(
        io.BytesIO(samples.animated_gif()), "a.gif", "image/gif", settings, storage
    )
    assert stored.type == "gifv" and stored.content_type == "video/mp4"
    assert stored.file_key.endswith(".mp4") and stored.thumbnail_key


def test_animated_gif_without_ffmpeg__stays_an_image(
    settings: Settings, storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chaupal.media.video.ffmpeg_available", lambda: False)
    stored = store_upload(
        io.BytesIO(samples.animated_gif()), "a.gif", "image/gif", settings, storage
    )
    assert stored.type == "image" and stored.content_type == "image/gif"


def test_storage__keys_cannot_escape_the_folder(storage: LocalStorage) -> None:
    for bad in ("../secret_key", "/etc/passwd", "ab/cd/../../x.jpg", "ab/cd/abcd.jpg", "x.jpg"):
        assert not valid_key(bad)
        with pytest.raises(ValueError):
            storage.path(bad)
    key = new_key("jpg")
    assert valid_key(key)
    storage.put(key, b"data")
    assert storage.open(key).read() == b"data"
    storage.delete(key)
    assert not (storage.root / key).exists()


def test_ffmpeg_detection_matches_path() -> None:
    import shutil

    assert ffmpeg_available() == bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))
