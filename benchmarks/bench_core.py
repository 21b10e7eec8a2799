"""Core benchmark: posts created per second through the HTTP API, and home-timeline requests
per second with p50/p99 latency over a bulk-loaded database, against a real `chaupal serve`.

    .venv/bin/python benchmarks/bench_core.py --backend sqlite            # full scale
    .venv/bin/python benchmarks/bench_core.py --backend postgres --quick  # a quick look
    .venv/bin/python benchmarks/bench_core.py --backend postgres --redis --posts-only --repeat 3
        # PostgreSQL + Redis (home feeds, event bus); posts/s only, median of 3 runs

Prints a rich table, stores results in benchmarks/results/<backend>.json and redraws
docs/img/benchmarks.svg from every stored result."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bulkload
import svgchart

from chaupal import devdb, migrations
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CHART = ROOT / "docs" / "img" / "benchmarks.svg"
PG_ADMIN_URL = os.environ.get("CHAUPAL_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
console = Console()
START_SECONDS = 180  # a loaded shared machine can take over a minute to start two workers


def pg_admin(sql: str) -> None:
    devdb.pg_admin(PG_ADMIN_URL, sql)


free_port = devdb.free_port


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
    }


async def make_users(settings: Settings, n: int) -> list[tuple[int, str]]:
    """`n` accounts with a write token each, through the actions; returns (account id, token)."""
    from chaupal.actions.accounts import do_create_account
    from chaupal.actions.tokens import do_issue_token
    from chaupal.security import hash_password

    engine = make_engine(settings)
    out = []
    pw = hash_password("benchmark-password")
    tag = uuid.uuid4().hex[:6]
    async with make_sessionmaker(engine)() as session:
        for i in range(n):
            account, user = await do_create_account(
                session,
                username=f"bench_{tag}_{i}",
                email=f"bench_{tag}_{i}@example.org",
                password_hash=pw,
            )
            _, token, _ = await do_issue_token(
                session, user_id=user.id, application_id=None, scopes="read write follow"
            )
            out.append((account.id, token))
        await session.commit()
    await engine.dispose()
    return out


class Server:
    """`chaupal serve` as a subprocess on a free port."""

    def __init__(self, env: dict[str, str], workers: int, code: str | None = None) -> None:
        self.port = free_port()
        self.env = env
        self.workers = workers
        self.code = code  # a checkout to serve instead of this one (A/B runs on the same data)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        cmd = [
            sys.executable,
            "-m",
            "chaupal.cli",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        env = self.env
        if self.code:
            env = {**env, "PYTHONPATH": self.code}
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.code)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("chaupal serve exited during start-up")
            try:
                if httpx.get(f"{self.url}/api/v1/instance", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"chaupal serve did not start within {START_SECONDS} s")

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:  # never leave a server behind, nor lose the figures
                console.print("[yellow]chaupal serve did not stop within 60 s of SIGTERM; killed[/yellow]")
                self.proc.kill()
                self.proc.wait(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def drive(
    url: str, requests: list[tuple[str, str, dict[str, str], Any]], concurrency: int
) -> dict[str, Any]:
    """Send the requests with `concurrency` in flight; wall time, latencies and failures."""
    latencies: list[float] = []
    failures: dict[str, int] = {}
    queue = iter(requests)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for method, path, headers, body in queue:
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, path, headers=headers, json=body)
                    code: int | str = r.status_code
                except httpx.TransportError as exc:
                    code = type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                if code != 200:
                    failures[str(code)] = failures.get(str(code), 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    latencies.sort()
    q = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else [0] * 99
    )
    return {
        "requests": len(latencies),
        "seconds": wall,
        "per_second": len(latencies) / wall,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "failures": failures,
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of each figure over repeated runs (failures added up)."""
    out = dict(runs[len(runs) // 2])
    for key in ("per_second", "p50_ms", "p99_ms", "seconds"):
        out[key] = statistics.median(r[key] for r in runs)
    failures: dict[str, int] = {}
    for r in runs:
        for code, n in r["failures"].items():
            failures[code] = failures.get(code, 0) + n
    out["failures"] = failures
    return out


def post_requests(users: list[tuple[int, str]], n: int, rng: random.Random) -> list[Any]:
    words = bulkload.WORDS
    out = []
    for i in range(n):
        _, token = users[i % len(users)]
        text = f"{' '.join(rng.choices(words, k=10))} #bench{i % 50} #भारत"
        out.append(
            ("POST", "/api/v1/statuses", {"Authorization": f"Bearer {token}"}, {"status": text})
        )
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp}/chaupal.sqlite3"
    workers = args.workers or (1 if args.backend == "sqlite" else 2)
    prefix = f"chaupal-bench-{uuid.uuid4().hex[:10]}:"
    env = {
        **os.environ,
        "CHAUPAL_DATA_DIR": str(tmp),
        "CHAUPAL_DATABASE_URL": url,
        "CHAUPAL_RATE_LIMIT_ENABLED": "false",
        "CHAUPAL_REDIS_URL": args.redis_url if args.redis else "",
        "CHAUPAL_REDIS_PREFIX": prefix,
        "CHAUPAL_FEED_BACKEND": "redis" if args.redis else "sql",
        "CHAUPAL_SECRET_KEY": "bench",
    }
    settings = Settings(data_dir=tmp, database_url=url)
    result: dict[str, Any] = {
        "backend": args.backend,
        "redis": bool(args.redis),
        "workers": workers,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": {
            k: getattr(args, k)
            for k in (
                "posts",
                "users",
                "concurrency",
                "timeline_posts",
                "timeline_accounts",
                "follows",
                "timeline_requests",
                "repeat",
            )
        },
    }
    try:
        asyncio.run(migrations.upgrade(settings))
        users = asyncio.run(make_users(settings, args.users))
        viewer_id, viewer_token = users[0]

        console.print(
            f"[bold]{args.backend}[/bold]: creating {args.posts} posts over HTTP "
            f"({args.concurrency} concurrent, {workers} worker(s))"
        )
        with Server(env, workers) as server:
            asyncio.run(
                drive(server.url, post_requests(users, min(200, args.posts), rng), args.concurrency)
            )
            runs = [
                asyncio.run(
                    drive(server.url, post_requests(users, args.posts, rng), args.concurrency)
                )
                for _ in range(args.repeat)
            ]
            result["create_runs"] = runs
            result["create"] = median_run(runs)
        if args.posts_only:
            result["machine"]["load_after"] = os.getloadavg()[0]
            return result

        console.print(
            f"Bulk loading {args.timeline_posts:,} posts by {args.timeline_accounts:,} accounts; "
            f"the viewer follows {args.follows:,}"
        )
        t0 = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("posts", total=args.timeline_posts)
            bulkload.load_timeline_data(
                url.replace("+aiosqlite", "").replace("+asyncpg", ""),
                posts=args.timeline_posts,
                accounts=args.timeline_accounts,
                follows=args.follows,
                viewer_id=viewer_id,
                seed=args.seed,
                progress=lambda n: progress.advance(task, n),
            )
        result["bulk_load_seconds"] = time.perf_counter() - t0

        home = [
            ("GET", "/api/v1/timelines/home", {"Authorization": f"Bearer {viewer_token}"}, None)
        ]
        with Server(env, workers) as server:
            asyncio.run(drive(server.url, home * 50, 4))  # warm-up
            result["home_c1"] = asyncio.run(
                drive(server.url, home * (args.timeline_requests // 4), 1)
            )
            result["home"] = asyncio.run(
                drive(server.url, home * args.timeline_requests, args.home_concurrency)
            )
            r = httpx.get(
                f"{server.url}/api/v1/timelines/home?limit=20",
                headers={"Authorization": f"Bearer {viewer_token}"},
            )
            result["home_page_size"] = len(r.json()) if r.status_code == 200 else r.status_code
        result["scale"]["home_concurrency"] = args.home_concurrency
        result["machine"]["load_after"] = os.getloadavg()[0]
        return result
    finally:
        if dbname:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if args.redis:
            import redis

            r = redis.Redis.from_url(args.redis_url)
            keys = list(r.scan_iter(f"{prefix}*"))
            if keys:
                r.delete(*keys)
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def show(result: dict[str, Any]) -> None:
    table = Table(
        title=f"Chaupal core benchmark: {result['backend']}"
        f"{' + Redis' if result.get('redis') else ''} ({result['workers']} worker(s))"
    )
    for col in ("measure", "requests", "per second", "p50 ms", "p99 ms", "failures"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    rows = [
        (f"posts created (POST /api/v1/statuses, c={result['scale']['concurrency']})", "create"),
        ("home timeline, c=1", "home_c1"),
        (f"home timeline, c={result['scale'].get('home_concurrency', '-')}", "home"),
    ]
    for label, key in rows:
        if key not in result:
            continue
        r = result[key]
        table.add_row(
            label,
            f"{r['requests']:,}",
            f"{r['per_second']:,.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["failures"] or "-"),
        )
    console.print(table)
    m = result["machine"]
    for i, r in enumerate(result.get("create_runs", [])):
        console.print(
            f"  posts run {i + 1}: {r['per_second']:,.0f}/s, p50 {r['p50_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms, failures {r['failures'] or '-'}"
        )
    tail = (
        f"; bulk load {result['bulk_load_seconds']:.0f} s; home page size {result['home_page_size']}"
        if "home" in result
        else ""
    )
    console.print(
        f"{m['nproc']} CPUs ({m['cpu']}), {m['memory_gib']} GiB; load average "
        f"{m['load_before']:.1f} before, {m.get('load_after', 0):.1f} after{tail}"
    )


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--quick", action="store_true", help="small scale for a quick look")
    p.add_argument("--posts", type=int, default=None, help="posts to create over HTTP (5000)")
    p.add_argument("--users", type=int, default=200, help="posting accounts")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--timeline-posts", type=int, default=None, help="bulk-loaded posts (1,000,000)")
    p.add_argument("--timeline-accounts", type=int, default=10_000)
    p.add_argument("--follows", type=int, default=1_000)
    p.add_argument("--timeline-requests", type=int, default=None, help="home requests (4000)")
    p.add_argument("--home-concurrency", type=int, default=16)
    p.add_argument("--workers", type=int, default=None, help="serve workers (sqlite 1, postgres 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--redis", action="store_true",
        help="Redis home feeds, event bus and caches (CHAUPAL_BENCH_REDIS, with --backend postgres)",
    )
    p.add_argument(
        "--redis-url", default=os.environ.get("CHAUPAL_BENCH_REDIS", "redis://127.0.0.1:6379/0")
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of the posting phase (median shown)")
    p.add_argument("--posts-only", action="store_true", help="measure posting only (no bulk load)")
    p.add_argument(
        "--no-save", action="store_true", help="do not store the result or redraw the chart"
    )
    args = p.parse_args()
    args.posts = args.posts or (1000 if args.quick else 5000)
    args.timeline_posts = args.timeline_posts or (100_000 if args.quick else 1_000_000)
    args.timeline_requests = args.timeline_requests or (800 if args.quick else 4000)
    result = run(args)
    result["command"] = " ".join(["benchmarks/bench_core.py", *sys.argv[1:]])
    show(result)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = ("-redis" if args.redis else "") + ("-posts" if args.posts_only else "")
        suffix += "-quick" if args.quick else ""
        (RESULTS / f"{args.backend}{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
        # Only this benchmark's own result files (other benchmarks share the folder).
        mine = [json.loads(f.read_text()) for f in sorted(RESULTS.glob("*.json"))]
        svgchart.write(CHART, [r for r in mine if "create" in r and "home" in r])
        console.print(f"Saved {RESULTS}/{args.backend}{suffix}.json and {CHART}")


if __name__ == "__main__":
    main()
