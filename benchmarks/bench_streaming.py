"""Issue 6, figure 5: streaming latency with N open SSE connections to /api/v1/streaming/public on
`chaupal serve` (`--serve-processes` worker processes on one port, each with its own share of the
streams and its own subscription to the Redis pub/sub bus; PostgreSQL). The connections are held by
`--clients` child processes (uvloop, one asyncio Protocol per socket: no task per connection).
For each post: time from sending POST /api/v1/statuses until the `update` frame reaches each
connection (an upper bound of commit → frame: it includes the post's own work before commit),
and until the last connection has it. Times are CLOCK_MONOTONIC, shared by all processes.

    .venv/bin/python benchmarks/bench_streaming.py [--steps 1000,3000,10000] [--posts 15] [--repeat 1]
        [--serve-processes 1]

Writes benchmarks/results/streaming.json (streaming-<N>proc.json with N processes). Scratch database and Redis prefix are removed."""

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
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

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
REQUEST = b"GET /api/v1/streaming/public HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
OPEN_BATCH = 500  # connections opened at once by each client process


# --- client process: holds its share of the connections ---------------------------------


class Recorder:
    def __init__(self) -> None:
        self.open = 0
        self.closed = 0
        self.arrivals: dict[int, list[float]] = defaultdict(list)


class StreamProtocol(asyncio.Protocol):
    """One SSE connection: records when each post's marker first arrives."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.tail = b""
        self.opened = False
        self.seen: set[int] = set()

    def connection_made(self, transport: Any) -> None:
        transport.write(REQUEST)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buf = self.tail + data
        if not self.opened and b":)" in buf:
            self.opened = True
            self.rec.open += 1
        for m in MARK.finditer(buf):
            k = int(m.group(1))
            if k not in self.seen:
                self.seen.add(k)
                self.rec.arrivals[k].append(now)
        self.tail = buf[-40:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.rec.closed += 1


async def child(port: int) -> None:
    """Commands on stdin, one JSON line each: {"grow": n} -> {"open": n};
    {"wait": k, "n": n, "timeout": s} -> {"times": [...]} once n connections have post k."""
    loop = asyncio.get_running_loop()
    rec = Recorder()
    transports: list[Any] = []
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        if "grow" in cmd:
            target = cmd["grow"]
            while len(transports) < target:
                batch = min(OPEN_BATCH, target - len(transports))
                made = await asyncio.gather(
                    *(loop.create_connection(lambda: StreamProtocol(rec), "127.0.0.1", port) for _ in range(batch))
                )
                transports += [t for t, _ in made]
                deadline = time.monotonic() + 120
                while rec.open < len(transports) and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
            answer: dict[str, Any] = {"open": rec.open - rec.closed}
        else:
            k, deadline = cmd["wait"], time.monotonic() + cmd["timeout"]
            while len(rec.arrivals.get(k, ())) < cmd["n"] and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            answer = {"times": rec.arrivals.pop(k, [])}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    for t in transports:
        t.close()


# --- the coordinator -----------------------------------------------------------------


class Clients:
    """The client processes, each holding an equal share of the connections."""

    def __init__(self, procs: list[Any]) -> None:
        self.procs = procs
        self.shares = [0] * len(procs)

    @classmethod
    async def start(cls, port: int, count: int) -> Clients:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--child", str(port),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26,
            )
            for _ in range(count)
        ]
        return cls(procs)

    async def _ask(self, proc: Any, cmd: dict[str, Any]) -> dict[str, Any]:
        proc.stdin.write(json.dumps(cmd).encode() + b"\n")
        await proc.stdin.drain()
        return json.loads(await proc.stdout.readline())

    async def grow(self, n: int) -> int:
        k = len(self.procs)
        self.shares = [n // k + (1 if i < n % k else 0) for i in range(k)]
        answers = await asyncio.gather(*(self._ask(p, {"grow": s}) for p, s in zip(self.procs, self.shares)))
        return sum(a["open"] for a in answers)

    async def arrivals(self, k: int, timeout: float) -> list[float]:
        answers = await asyncio.gather(
            *(self._ask(p, {"wait": k, "n": s, "timeout": timeout}) for p, s in zip(self.procs, self.shares))
        )
        return [t for a in answers for t in a["times"]]

    async def stop(self) -> None:
        for p in self.procs:
            p.stdin.close()
        for p in self.procs:
            try:
                await asyncio.wait_for(p.wait(), 30)
            except TimeoutError:
                p.kill()


def pct(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def measure(clients: Clients, url: str, token: str, n: int, posts: int, first: int) -> dict[str, Any]:
    lat: list[float] = []  # from sending the POST: an upper bound of commit -> frame
    after: list[float] = []  # from the POST's answer (sent after commit): a lower bound
    last: list[float] = []
    rtt: list[float] = []
    missing = 0
    load_before = os.getloadavg()[0]
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for i in range(first - 1, first + posts):  # the first post warms up, untimed
            await asyncio.sleep(0.5)
            t0 = time.perf_counter()
            r = await http.post(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {token}"},
                json={"status": f"stream benchmark{i}x #bench"},
            )
            t1 = time.perf_counter()
            assert r.status_code == 200, r.text
            got = await clients.arrivals(i, 20)
            if i < first:
                continue
            rtt.append(t1 - t0)
            missing += n - len(got)
            lat.extend(a - t0 for a in got)
            after.extend(a - t1 for a in got)
            if got:
                last.append(max(got) - t0)
    return {
        "connections": n,
        "posts": posts,
        "frames": len(lat),
        "missing_frames": missing,
        "p50_ms": pct(lat, 50) * 1000,
        "p99_ms": pct(lat, 99) * 1000,
        "after_answer_p50_ms": pct(after, 50) * 1000,
        "after_answer_p99_ms": pct(after, 99) * 1000,
        "last_frame_median_ms": statistics.median(last) * 1000,
        "post_round_trip_median_ms": statistics.median(rtt) * 1000,
        "load_before": load_before,
        "load": os.getloadavg()[0],
    }


def streams_per_process(server_pid: int) -> list[int]:
    """Open sockets held by each `chaupal serve` worker (uvicorn's children; the process itself
    with one worker): how the kernel spread the streams over the processes."""
    try:
        kids = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        kids = []
    pids = [int(k) for k in kids] or [server_pid]
    counts = []
    for pid in pids:
        n = 0
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
                except OSError:
                    pass
        except OSError:
            pass
        counts.append(n)
    return sorted(counts, reverse=True)


async def run_steps(
    port: int, url: str, token: str, args: argparse.Namespace, server_pid: int = 0
) -> list[dict[str, Any]]:
    clients = await Clients.start(port, args.clients)
    out = []
    first = 1
    try:
        for n in args.steps:
            t0 = time.perf_counter()
            opened = await clients.grow(n)
            took = time.perf_counter() - t0
            console.print(f"{opened:,} streams open (+{took:.1f} s)")
            await asyncio.sleep(2)
            row = await measure(clients, url, token, n, args.posts, first)
            row["open"], row["open_seconds"] = opened, took
            row["sockets_per_process"] = streams_per_process(server_pid) if server_pid else []
            first += args.posts + 1
            console.print(row)
            out.append(row)
    finally:
        await clients.stop()
    return out


class PatientServer(Server):
    """bench_core's Server, given longer to start on a busy machine, and stopped if it does not."""

    def __enter__(self) -> Self:
        for attempt in range(3):
            try:
                return super().__enter__()
            except SystemExit:
                if self.proc is not None:
                    self.proc.terminate()
                    self.proc.wait(timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError


def send_floor(n: int = 2000, size: int = 1500) -> float:
    """Microseconds one loopback `send()` of a frame-sized chunk costs on this machine right
    now (plain sockets, no Python server): the kernel's floor under every stream write."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4096)
    pairs = []
    for _ in range(n):
        c = socket.create_connection(srv.getsockname())
        pairs.append((srv.accept()[0], c))
    data = b"x" * size
    t0 = time.perf_counter()
    for s, _ in pairs:
        s.send(data)
    took = time.perf_counter() - t0
    for s, c in pairs:
        s.close()
        c.close()
    srv.close()
    return took / n * 1e6


def run_once(args: argparse.Namespace, hard: int) -> list[dict[str, Any]]:
    """One server on a scratch database: the steps, in order."""
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-stream-"))
    dbname = f"chaupal_bench_stream_{uuid.uuid4().hex[:10]}"
    prefix = f"chaupal-bench-stream-{uuid.uuid4().hex[:10]}:"
    pg_admin(f'CREATE DATABASE "{dbname}"')
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{dbname}"
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
        with PatientServer(env, args.serve_processes, args.code) as server:
            import uvloop

            assert server.proc is not None
            return uvloop.run(run_steps(server.port, server.url, token, args, server.proc.pid))
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"{prefix}*"))
        if keys:
            r.delete(*keys)
        os.system(f"rm -rf {tmp}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        import uvloop

        uvloop.run(child(int(sys.argv[2])))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--steps", default="1000,3000,10000", type=lambda v: [int(x) for x in v.split(",")]
    )
    p.add_argument("--posts", type=int, default=15, help="posts timed at each step")
    p.add_argument("--repeat", type=int, default=1, help="whole runs (fresh server); the table shows medians")
    p.add_argument("--clients", type=int, default=1, help="client processes holding the connections")
    p.add_argument(
        "--serve-processes", type=int, default=1, help="`chaupal serve --workers`: processes sharing the port"
    )
    p.add_argument("--code", default=None, help="serve this checkout instead (A/B runs)")
    p.add_argument("--out", default=None, help="results file name under benchmarks/results/")
    args = p.parse_args()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the server and clients
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["benchmarks/bench_streaming.py", *sys.argv[1:]]),
        "nofile": hard,
        "runs": [],
    }
    result["send_floor_us"] = []
    for _ in range(args.repeat):
        result["send_floor_us"].append(send_floor())
        result["runs"].append(run_once(args, hard))
    console.print(f"loopback send() floor: {', '.join(f'{v:.0f}' for v in result['send_floor_us'])} µs per socket")
    result["steps"] = [
        {
            key: statistics.median(run[i][key] for run in result["runs"])
            for key in result["runs"][0][i]
            if key != "sockets_per_process"
        }
        for i in range(len(args.steps))
    ]
    result["machine"]["load_after"] = os.getloadavg()[0]
    table = Table(
        title=f"Streaming: POST sent → update frame at the client (public SSE, {args.serve_processes} server process(es); "
        f"medians of {args.repeat} run(s))"
    )
    for col in (
        "connections",
        "frames",
        "missing",
        "p50 ms",
        "p99 ms",
        "after answer p50 / p99 ms",
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
            f"{s['after_answer_p50_ms']:.0f} / {s['after_answer_p99_ms']:.0f}",
            f"{s['last_frame_median_ms']:.0f}",
            f"{s['post_round_trip_median_ms']:.0f}",
            f"{s['load']:.1f}",
        )
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = args.out or ("streaming.json" if args.serve_processes == 1 else f"streaming-{args.serve_processes}proc.json")
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
