"""Throwaway databases and ports for tests and benchmarks: run admin SQL on a PostgreSQL
server (CREATE/DROP DATABASE need autocommit), and find a free loopback port."""

from __future__ import annotations

import socket


def pg_admin(admin_url: str, sql: str) -> None:
    """Run one statement outside a transaction on the server at `admin_url` (libpq URL)."""
    import psycopg2  # a test/benchmark dependency only

    conn = psycopg2.connect(admin_url, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
