"""Issue 6, figure 5: streaming latency with N open SSE connections to /api/v1/streaming/public on
one `chaupal serve` process (PostgreSQL + Redis pub/sub bus), from one asyncio client process
using raw sockets (uvloop). For each post: time from sending POST /api/v1/statuses until the
`update` frame reaches each connection (an upper bound of commit → frame: it includes the
post's own ~tens of ms before commit), and until the last connection has it.

    .venv/bin/python benchmarks/bench_streaming.py [--steps 1000,3000,10000] [--posts 15]

Writes benchmarks/results/streaming.json. Scratch database and Redis prefix are removed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import PG_ADMIN_URL, RESULTS, Server, machine, make_users, pg_admin

from chaupal import migrations
from chaupal.config import Settings

console = Console()
REDIS_URL = os.environ.get("CHAUPAL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
MARK = re.compile(rb"benchmark(\d+)x")


class Clients:
    """N raw SSE connections; arrival times of each marker per connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.tasks: list[asyncio.Task[None]] = []
        self.arrivals: dict[int, list[float]] = {}
        self.open = 0
        self.closed = 0

    async def _one(self, ready: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(
            b"GET /api/v1/streaming/public HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
        )
        seen: set[int] = set()
        tail = b""
        opened = False
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                now = time.perf_counter()
                buf = tail + chunk
                if not opened and b":)" in buf:
                    opened = True
                    self.open += 1
                    ready.set()
                for m in MARK.finditer(buf):
                    k = int(m.group(1))
                    if k not in seen:
                        seen.add(k)
                        self.arrivals.setdefault(k, []).append(now)
                tail = buf[-40:]
        finally:
            self.closed += 1
            writer.close()

    async def grow(self, n: int) -> None:
        """Open connections until `n` are open, 200 at a time."""
        while len(self.tasks) < n:
            batch = []
            for _ in range(min(200, n - len(self.tasks))):
                ready = asyncio.Event()
                self.tasks.append(asyncio.create_task(self._one(ready)))
                batch.append(ready.wait())
            await asyncio.wait_for(asyncio.gather(*batch), 60)


def pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def measure(
    clients: Clients, url: str, token: str, n: int, posts: int, first: int
) -> dict[str, Any]:
    lat: list[float] = []
    last: list[float] = []
    rtt: list[float] = []
    missing = 0
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for i in range(first, first + posts):
            await asyncio.sleep(0.5)
            t0 = time.perf_counter()
            r = await http.post(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {token}"},
                json={"status": f"stream benchmark{i}x #bench"},
            )
            rtt.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
            deadline = time.monotonic() + 20
            while len(clients.arrivals.get(i, ())) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            got = clients.arrivals.get(i, [])
            missing += n - len(got)
            lat.extend(a - t0 for a in got)
            if got:
                last.append(max(got) - t0)
    return {
        "connections": n,
        "open": clients.open - clients.closed,
        "posts": posts,
        "frames": len(lat),
        "missing_frames": missing,
        "p50_ms": pct(lat, 50) * 1000,
        "p99_ms": pct(lat, 99) * 1000,
        "last_frame_median_ms": statistics.median(last) * 1000,
        "post_round_trip_median_ms": statistics.median(rtt) * 1000,
        "load": os.getloadavg()[0],
    }


async def run_steps(
    port: int, url: str, token: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    clients = Clients(port)
    out = []
    first = 0
    try:
        for n in args.steps:
            t0 = time.perf_counter()
            await clients.grow(n)
            console.print(
                f"{clients.open - clients.closed:,} streams open (+{time.perf_counter() - t0:.1f} s)"
            )
            await asyncio.sleep(2)
            row = await measure(clients, url, token, n, args.posts, first)
            first += args.posts
            console.print(row)
            out.append(row)
    finally:
        for t in clients.tasks:
            t.cancel()
        await asyncio.gather(*clients.tasks, return_exceptions=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--steps", default="1000,3000,10000", type=lambda v: [int(x) for x in v.split(",")]
    )
    p.add_argument("--posts", type=int, default=15, help="posts timed at each step")
    args = p.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the server
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-stream-"))
    dbname = f"chaupal_bench_stream_{uuid.uuid4().hex[:10]}"
    prefix = f"chaupal-bench-stream-{uuid.uuid4().hex[:10]}:"
    pg_admin(f'CREATE DATABASE "{dbname}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{dbname}"
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["benchmarks/bench_streaming.py", *sys.argv[1:]]),
        "nofile": hard,
    }
    try:
        settings = Settings(data_dir=tmp, database_url=url)
        asyncio.run(migrations.upgrade(settings))
        ((_, token),) = asyncio.run(make_users(settings, 1))
        env = {
            **os.environ,
            "CHAUPAL_DATA_DIR": str(tmp),
            "CHAUPAL_DATABASE_URL": url,
            "CHAUPAL_RATE_LIMIT_ENABLED": "false",
            "CHAUPAL_SECRET_KEY": "bench",
            "CHAUPAL_REDIS_URL": REDIS_URL,
            "CHAUPAL_REDIS_PREFIX": prefix,
            "CHAUPAL_FEED_BACKEND": "redis",
        }
        with Server(env, 1) as server:
            import uvloop

            result["steps"] = uvloop.run(run_steps(server.port, server.url, token, args))
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"{prefix}*"))
        if keys:
            r.delete(*keys)
        os.system(f"rm -rf {tmp}")
    result["machine"]["load_after"] = os.getloadavg()[0]
    table = Table(
        title="Streaming: POST sent → update frame at the client (public SSE, 1 server process)"
    )
    for col in (
        "connections",
        "frames",
        "missing",
        "p50 ms",
        "p99 ms",
        "last frame ms",
        "POST round trip ms",
        "load",
    ):
        table.add_column(col, justify="right")
    for s in result["steps"]:
        table.add_row(
            f"{s['connections']:,}",
            f"{s['frames']:,}",
            str(s["missing_frames"]),
            f"{s['p50_ms']:.0f}",
            f"{s['p99_ms']:.0f}",
            f"{s['last_frame_median_ms']:.0f}",
            f"{s['post_round_trip_median_ms']:.0f}",
            f"{s['load']:.1f}",
        )
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "streaming.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
