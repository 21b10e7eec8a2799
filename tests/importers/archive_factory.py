"""Generated X archives in the real export format (folder or .zip) for the import and advice
tests; the generator itself lives in chaupal.importers.x_archive_synth so the demo can use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaupal.importers.x_archive_synth import Planted, synth_items, tweets_js, write_archive

__all__ = ["Planted", "make_archive", "synth_items", "tweets_js"]


def make_archive(
    tmp_path: Path, *, seed: int = 5, n: int = 60, as_zip: bool = False,
    items: list[dict[str, Any]] | None = None, name: str = "twitter-archive", **kwargs: Any,
) -> Path:
    """Write an archive of `items` (default: `n` generated tweets) under `tmp_path`."""
    items = items if items is not None else synth_items(seed, n=n, **kwargs)
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    return write_archive(folder, items, as_zip=as_zip)
