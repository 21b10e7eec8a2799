"""Issue 3 figures: image uploads processed per second (a 1-megapixel JPEG through
`POST /api/v2/media`) and the server-side render time of the web home page with 40 posts.

Runs the app in-process (httpx ASGI transport: no network, no server process) on a fresh
SQLite database in a temporary folder, so the figures are the application's own cost.
Usage: .venv/bin/python benchmarks/bench_media_web.py [--uploads 60] [--renders 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

import chaupal.models  # noqa: F401
from chaupal.actions.accounts import check_create_account
from chaupal.actions.follows import check_follow
from chaupal.actions.statuses import check_create_status
from chaupal.actions.tokens import do_issue_token
from chaupal.app import create_app
from chaupal.config import Settings
from chaupal.db import Base, make_engine
from chaupal.search_index import search_index_ddl

RESULTS = Path(__file__).resolve().parent / "results" / "media-web.json"
console = Console()


def one_megapixel_jpeg() -> bytes:
    """1155×866 (~1.0 MP) photo-like JPEG: a gradient with noise, so it compresses like a photo."""
    w, h = 1155, 866
    base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    noise = Image.effect_noise((w, h), 40).convert("RGB")
    img = Image.blend(base, noise, 0.35)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main(uploads: int, renders: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-mw-"))
    settings = Settings(
        data_dir=tmp, database_url=f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
        domain="bench.test", secret_key="bench", rate_limit_enabled=False,
        media_cleanup_interval_seconds=0,
    )
    engine = make_engine(settings)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        for stmt in search_index_ddl(conn.dialect.name):
            await conn.execute(text(stmt))
    await engine.dispose()

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessions() as s:
            viewer, viewer_user = await check_create_account(
                s, settings, username="viewer", email="v@example.org", password="password123"
            )
            _, token, _ = await do_issue_token(s, user_id=viewer_user.id, application_id=None,
                                               scopes="read write follow")
            for i in range(40):
                author, _ = await check_create_account(
                    s, settings, username=f"minister{i}", email=f"m{i}@example.org",
                    password="password123",
                )
                await check_follow(s, settings, viewer, author)
                for j in range(2):
                    await check_create_status(
                        s, settings, author,
                        text=f"Update {j} from @viewer on #budget and #भारत https://example.org/{i}",
                    )
            await s.commit()

        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as c:
            jpeg = one_megapixel_jpeg()
            headers = {"Authorization": f"Bearer {token}"}
            times = []
            with console.status(f"uploading {uploads} × 1 MP JPEG ({len(jpeg) // 1024} KiB)"):
                for _ in range(uploads):
                    t0 = time.perf_counter()
                    r = await c.post("/api/v2/media", headers=headers,
                                     files={"file": ("photo.jpg", jpeg, "image/jpeg")})
                    times.append(time.perf_counter() - t0)
                    assert r.status_code in (200, 202), r.text
            upload = {
                "uploads_per_s": len(times) / sum(times),
                "upload_p50_ms": statistics.median(times) * 1000,
                "upload_p99_ms": pct(times, 99) * 1000,
            }

            page = await c.get("/auth/sign_in", params={"next": "/home"})
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            r = await c.post("/auth/sign_in", data={"username": "viewer", "password": "password123",
                                                    "next": "/home", "csrf_token": csrf})
            assert r.status_code == 303, r.text
            r = await c.get("/home", params={"limit": 40})
            shown = r.text.count('class="status')
            assert r.status_code == 200 and shown >= 40, (r.status_code, shown)
            renders_ms = []
            with console.status(f"rendering the home page {renders} times"):
                for _ in range(renders):
                    t0 = time.perf_counter()
                    r = await c.get("/home", params={"limit": 40})
                    renders_ms.append((time.perf_counter() - t0) * 1000)
            home = {
                "home_render_p50_ms": statistics.median(renders_ms),
                "home_render_p99_ms": pct(renders_ms, 99),
                "home_pages_per_s": 1000 * len(renders_ms) / sum(renders_ms),
            }
    figures = {**upload, **home, "jpeg_bytes": len(jpeg), "load_avg": os.getloadavg()[0]}
    table = Table(title="Media and web page (in-process, SQLite)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in figures.items():
        table.add_row(k, f"{v:,.1f}" if isinstance(v, float) else f"{v:,}")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({**figures, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                                  indent=2))
    return figures


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uploads", type=int, default=60)
    ap.add_argument("--renders", type=int, default=200)
    args = ap.parse_args()
    asyncio.run(main(args.uploads, args.renders))
