"""Federation delivery (issue 7): deliveries per second from a post's `ap_distribute` job to
1,000 remote servers simulated on loopback — one asyncio process listening on 1,000 ports of
127.0.0.1 (each its own host:port, so each a distinct server with its own DeliveryDestination),
answering 202 to every POST. Each delivery is a real `ap_deliver` job: body signed with the
actor's RSA key (HTTP Signatures), POSTed through the SSRF guard over a new connection, host
health recorded, job marked done. The job runner runs as `chaupal worker` would.

    .venv/bin/python benchmarks/bench_federation_delivery.py [--backend sqlite|postgres] [--servers 1000] [--activities 3]

Writes benchmarks/results/federation_delivery.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from benchmarks.bench_core import PG_ADMIN_URL, machine, pg_admin
from chaupal import migrations
from chaupal.config import Settings
from chaupal.db import make_engine, make_sessionmaker
from chaupal.federation.outbox import publish
from chaupal.jobs import JobRunner
from chaupal.lib.ids import new_id
from chaupal.models import Account, Follow, Job
from chaupal.models.federation import DeliveryDestination

console = Console()
RESULTS = Path(__file__).resolve().parent / "results" / "federation_delivery.json"

SERVER = r'''
import asyncio, json, sys
n = int(sys.argv[1])
count = 0
async def handle(reader, writer):
    global count
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            count += 1
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=64) for _ in range(n)]
    print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # until the benchmark says stop
    print(count, flush=True)
asyncio.run(main())
'''


async def seed(sessions: Any, ports: list[int]) -> int:
    """A local author followed by one remote account on each simulated server."""
    author = new_id()
    async with sessions() as s:
        await s.execute(insert(Account), [{"id": author, "username": "minister", "username_lower": "minister"}])
        rows, follows = [], []
        for port in ports:
            aid = new_id()
            host = f"127.0.0.1:{port}"
            rows.append({
                "id": aid, "username": "reader", "username_lower": "reader", "domain": host,
                "uri": f"http://{host}/users/reader", "inbox_url": f"http://{host}/users/reader/inbox",
                "shared_inbox_url": f"http://{host}/inbox",
            })
            follows.append({"account_id": aid, "target_account_id": author})
        await s.execute(insert(Account), rows)
        await s.execute(insert(Follow), follows)
        await s.commit()
    return author


async def run(settings: Settings, ports: list[int], activities: int, workers: int) -> dict[str, Any]:
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        author_id = await seed(sessions, ports)
        async with sessions() as s:
            author = await s.get(Account, author_id)
            for n in range(activities):
                activity = {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{settings.base_url}/users/minister/statuses/{n}/activity",
                    "type": "Create", "actor": f"{settings.base_url}/users/minister",
                    "object": {"id": f"{settings.base_url}/users/minister/statuses/{n}", "type": "Note", "content": "<p>" + "x" * 400 + "</p>"},
                }
                await publish(s, settings, author, activity)
            await s.commit()
        runners = [JobRunner(sessions, settings, name=f"bench{i}") for i in range(workers)]
        cpu0, t0 = time.process_time(), time.perf_counter()
        await runners[0].run_due(limit=activities)  # the distribute jobs: resolve inboxes, enqueue
        t_distribute = time.perf_counter() - t0
        await asyncio.gather(*(r.run_until_idle(max_rounds=10**7) for r in runners))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        async with sessions() as s:
            states = dict((await s.execute(select(Job.state, func.count()).where(Job.kind == "ap_deliver").group_by(Job.state))).all())
            hosts = await s.scalar(select(func.count()).select_from(DeliveryDestination).where(DeliveryDestination.deliveries > 0))
        done = states.get("done", 0)
        return {
            "servers": len(ports), "activities": activities, "workers": workers,
            "deliveries_done": done, "deliveries_other": {k: v for k, v in states.items() if k != "done"},
            "hosts_delivered": hosts, "distribute_seconds": round(t_distribute, 3),
            "wall_seconds": round(wall, 2), "deliveries_per_s": round(done / wall, 1),
            "deliveries_per_cpu_s": round(done / cpu, 1) if cpu else None,
        }
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="job runners in this process")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-fed-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_fed_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp}/fed.sqlite3"
    settings = Settings(
        data_dir=tmp, database_url=url, redis_url="", jobs_in_process=False,
        federation_allow_http_loopback=True, domain="bench.chaupal.test",
    )
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.servers)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    load_before = os.getloadavg()[0]
    try:
        ports = json.loads(server.stdout.readline())
        asyncio.run(migrations.upgrade(settings))
        result = asyncio.run(run(settings, ports, args.activities, args.workers))
        server.stdin.write("stop\n")
        server.stdin.flush()
        result["requests_received"] = int(server.stdout.readline())
    finally:
        server.kill()
        if dbname:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    result.update(backend=args.backend, load_before=round(load_before, 2), load_after=round(os.getloadavg()[0], 2), machine=machine(),
                  command=" ".join(["benchmarks/bench_federation_delivery.py", *sys.argv[1:]]))
    table = Table(title=f"Federation delivery, {args.backend}: {args.activities} activities × {args.servers:,} servers, {args.workers} runner(s)")
    for col in ("deliveries", "received", "distribute", "wall", "deliveries/s", "per CPU-s"):
        table.add_column(col, justify="right")
    table.add_row(f"{result['deliveries_done']:,}", f"{result['requests_received']:,}", f"{result['distribute_seconds'] * 1000:.0f} ms",
                  f"{result['wall_seconds']:.1f} s", f"{result['deliveries_per_s']:,.0f}", f"{result['deliveries_per_cpu_s'] or 0:,.0f}")
    console.print(table)
    console.print(f"{result['machine'].get('cpu', '')} · {result['machine'].get('nproc')} CPUs · load avg {load_before:.1f} → {os.getloadavg()[0]:.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    existing[args.backend] = result
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")


if __name__ == "__main__":
    main()
