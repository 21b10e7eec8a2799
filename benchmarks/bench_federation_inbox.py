"""Issue 7: inbox throughput — signed `Create(Note)` activities processed per second by one
`chaupal serve` process, over HTTP on loopback.

A simulated remote server (a small HTTP server on 127.0.0.3 serving one actor document with its
public key) sends public Notes to Chaupal's shared inbox, each with its own id and signed the
way Mastodon signs (draft-cavage, rsa-sha256 over (request-target) host date digest). The first
activity makes Chaupal fetch the actor (key) once; the timed run starts after that warm-up.
Every activity is checked, verified and stored before the 202 answer, so the rate is end to end.

    .venv/bin/python benchmarks/bench_federation_inbox.py [--backend sqlite|postgres]
        [--activities 500] [--concurrency 8] [--repeat 3]

Writes benchmarks/results/federation-inbox-{backend}.json. The scratch database is removed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import PG_ADMIN_URL, RESULTS, Server, machine, pg_admin

from chaupal import migrations
from chaupal.config import Settings
from chaupal.federation.httpsig import sign_headers
from chaupal.federation.keys import generate_keypair

AS = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
REMOTE_HOST = "127.0.0.3"


class RemoteActor:
    """One actor on a simulated remote server: serves its document, signs its activities."""

    def __init__(self) -> None:
        self.port = _free_port_on(REMOTE_HOST)
        self.base = f"http://{REMOTE_HOST}:{self.port}"
        self.uri = f"{self.base}/users/sim"
        self.key_id = f"{self.uri}#main-key"
        self.private_pem, self.public_pem = generate_keypair()
        self.fetches = 0
        actor = self.document()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                if self.path.split("?")[0] == "/users/sim":
                    body = json.dumps(actor).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", AS)
                else:
                    body = b"{}"
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((REMOTE_HOST, self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def document(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": "sim",
            "name": "Simulated remote actor",
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "following": f"{self.uri}/following",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "url": f"{self.base}/@sim",
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
        }

    def create_note(self, n: int) -> dict[str, Any]:
        note_id = f"{self.uri}/statuses/{uuid.uuid4().hex}"
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note_id}/activity",
            "type": "Create",
            "actor": self.uri,
            "published": now,
            "to": [PUBLIC],
            "cc": [f"{self.uri}/followers"],
            "object": {
                "id": note_id,
                "type": "Note",
                "attributedTo": self.uri,
                "content": f"<p>Benchmark note {n} with a #federation tag</p>",
                "published": now,
                "to": [PUBLIC],
                "cc": [f"{self.uri}/followers"],
                "url": note_id,
                "tag": [{"type": "Hashtag", "name": "#federation",
                         "href": f"{self.base}/tags/federation"}],
            },
        }

    def signed(self, inbox: str, activity: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(activity).encode()
        headers = sign_headers("POST", inbox, body, self.key_id, self.private_pem)
        headers["Content-Type"] = AS
        return body, headers

    def close(self) -> None:
        self.httpd.shutdown()


class InboxServer(Server):
    """bench_core's `chaupal serve` subprocess, given longer to start on a loaded machine and
    stopped even when it fails to start."""

    START_SECONDS = 300

    def __enter__(self) -> Self:
        cmd = [sys.executable, "-m", "chaupal.cli", "serve", "--port", str(self.port),
               "--workers", str(self.workers), "--no-access-log", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, env=self.env)
        deadline = time.monotonic() + self.START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("chaupal serve exited during start-up")
            try:
                if httpx.get(f"{self.url}/api/v1/instance", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit(f"chaupal serve did not start within {self.START_SECONDS} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its waited-for children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port_on(address: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


async def send_all(
    inbox: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int
) -> tuple[float, dict[int, int]]:
    """POST every request (`concurrency` at a time); wall seconds and the status-code counts."""
    codes: dict[int, int] = {}
    queue = list(reversed(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            while queue:
                body, headers = queue.pop()
                r = await client.post(inbox, content=body, headers=headers)
                codes[r.status_code] = codes.get(r.status_code, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, codes


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="chaupal-bench-inbox-"))
    dbname = None
    if args.backend == "postgres":
        dbname = f"chaupal_bench_inbox_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{dbname}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{base}/{dbname}"
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
    actor = RemoteActor()
    try:
        settings = Settings(data_dir=tmp, database_url=url)
        asyncio.run(migrations.upgrade(settings))
        env = {
            **os.environ,
            "CHAUPAL_DATA_DIR": str(tmp),
            "CHAUPAL_DATABASE_URL": url,
            "CHAUPAL_RATE_LIMIT_ENABLED": "false",
            "CHAUPAL_SECRET_KEY": "bench",
            "CHAUPAL_FEDERATION_ALLOW_HTTP_LOOPBACK": "true",
        }
        server = InboxServer(env, 1)
        env["CHAUPAL_DOMAIN"] = f"127.0.0.1:{server.port}"
        with server:
            inbox = f"http://127.0.0.1:{server.port}/inbox"
            # Warm-up: the first activity makes Chaupal fetch and store the actor and its key.
            warm = [actor.signed(inbox, actor.create_note(-i)) for i in range(1, 6)]
            _, codes = asyncio.run(send_all(inbox, warm, 1))
            if set(codes) != {202}:
                raise SystemExit(f"warm-up activities were refused: {codes}")
            runs = []
            for rep in range(args.repeat):
                batch = [
                    actor.signed(inbox, actor.create_note(rep * args.activities + i))
                    for i in range(args.activities)
                ]  # signed just before sending: dates stay fresh
                load = os.getloadavg()[0]
                cpu_before = cpu_seconds(server.proc.pid)
                seconds, codes = asyncio.run(send_all(inbox, batch, args.concurrency))
                cpu = cpu_seconds(server.proc.pid) - cpu_before
                accepted = codes.get(202, 0)
                runs.append({
                    "seconds": round(seconds, 3),
                    "accepted": accepted,
                    "codes": {str(k): v for k, v in codes.items()},
                    "per_second": round(accepted / seconds, 1),
                    "server_cpu_seconds": round(cpu, 2),
                    "per_server_cpu_second": round(accepted / cpu, 1) if cpu > 0 else None,
                    "load_before": load,
                })
                print(f"run {rep + 1}: {accepted}/{len(batch)} accepted in {seconds:.2f} s "
                      f"= {accepted / seconds:.1f} activities/s, {cpu:.1f} s server CPU "
                      f"(load {load:.2f})")
            stored = httpx.get(f"http://127.0.0.1:{server.port}/api/v1/timelines/public",
                               params={"remote": "true", "limit": 1}, timeout=30).json()
            if not stored:
                raise SystemExit("no remote post visible after the run")
    finally:
        actor.close()
        if dbname is not None:
            pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "backend": args.backend,
        "activities": args.activities,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "actor_fetches": actor.fetches,
        "median_per_second": statistics.median(r["per_second"] for r in runs),
        "median_per_server_cpu_second": statistics.median(
            r["per_server_cpu_second"] or 0 for r in runs
        ),
        "runs": runs,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--activities", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    info = machine()
    result = run(args)
    out = {
        "benchmark": "federation_inbox",
        "command": "benchmarks/bench_federation_inbox.py " + " ".join(sys.argv[1:]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"federation-inbox-{args.backend}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"median {result['median_per_second']} activities/s wall, "
          f"{result['median_per_server_cpu_second']} per server CPU-second ({args.backend}, "
          f"concurrency {args.concurrency}); load before {info['load_before']:.2f}, "
          f"after {result['load_after']:.2f}; wrote {path}")


if __name__ == "__main__":
    main()
