"""Benchmark: what the gateway's own work costs one stream, without HTTP, engine or model.

    .venv/bin/python bench/gateway_overhead.py                   # SQLite file in a temp folder
    .venv/bin/python bench/gateway_overhead.py --limits --streams 4000
    .venv/bin/python bench/gateway_overhead.py --db postgresql://user@/db?host=/run/postgresql

`bench/serve.py --parts b` measures the whole gateway process (HTTP on both sides, the engine
client, JSON); this measures only what `--db` adds to a stream, as the server runs it: from one
event loop, `--concurrency` streams at a time, each the gateway's three database calls in its
own threads (`gate.Gateway`): the key (`identify`), the quota reservation with the stream's
audit record opened in its transaction (`quotas.reserve_uncounted`), and, once the stream has
ended, the settlement with the record completed (`Admission.settle`). Reported: CPU time of
this process per stream (the loop and the gateway's threads; other processes do not change
it), wall time per stream, and the SQL statements and transactions per stream (counted in a
separate pass: counting hooks cost time of their own). `--limits` gives the user limits that
never refuse (requests per minute, concurrent streams), so that each stream also takes from
and gives back to quota counters and holds a lease.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUTE, MODEL = "/v1/chat/completions", "bench-model"


def main() -> None:
    args = parse_args()
    from sqlalchemy import event

    from bench.serve import machine
    from gemeingut.serve.gateway.gate import Gateway
    from gemeingut.serve.gateway.identity import add_user, create_key
    from gemeingut.serve.gateway.quotas import set_limits
    from gemeingut.serve.gateway.store import open_store

    with tempfile.TemporaryDirectory(prefix="bench-gateway-", ignore_cleanup_errors=True) as tmp:
        db = args.db or str(Path(tmp) / "gateway.db")
        engine = open_store(db)
        user = f"bench-{uuid.uuid4().hex[:8]}"  # a PostgreSQL database may hold earlier runs'
        add_user(engine, user)
        _, key = create_key(engine, user)
        if args.limits:  # counted, never reached
            set_limits(engine, "user", user, requests_per_minute=10**6, concurrent_streams=10**4)
        gateway = Gateway(engine)
        try:
            asyncio.run(streams(gateway, key, args.streams // 10, args.concurrency))  # warm-up
            rounds = []
            for _ in range(args.rounds):
                cpu, wall = time.process_time(), time.perf_counter()
                asyncio.run(streams(gateway, key, args.streams, args.concurrency))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                rounds.append((1e6 * cpu / args.streams, 1e6 * wall / args.streams))
            statements: list[str] = []
            event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
            event.listen(engine, "begin", lambda *_: statements.append("BEGIN"))
            asyncio.run(streams(gateway, key, 100, 1))
        finally:
            gateway.close()
    begins = statements.count("BEGIN")
    print(machine().removesuffix("; precision fp32"))
    print(
        f"gateway database work per stream, {args.streams} streams at concurrency "
        f"{args.concurrency}, {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}"
        + (", the user with limits that never refuse" if args.limits else ", no limits")
    )
    print(f"    CPU of this process per stream, each round: {_each(r[0] for r in rounds)}")
    print(f"    wall time per stream, each round:          {_each(r[1] for r in rounds)}")
    print(
        f"    median CPU {statistics.median(r[0] for r in rounds):.0f} µs; "
        f"{(len(statements) - begins) / 100:g} SQL statements in {begins / 100:g} "
        "transactions per stream"
    )


async def streams(gateway: object, key: str, n: int, concurrency: int) -> None:
    """`n` streams' database calls, `concurrency` at a time, as `gemeingut serve` makes them."""
    left = iter(range(n))

    async def worker() -> None:
        for _ in left:
            await one_stream(gateway, key)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def one_stream(gateway, key: str) -> None:
    from gemeingut.serve.gateway.gate import Admission, opening_record
    from gemeingut.serve.gateway.identity import utcnow
    from gemeingut.serve.gateway.quotas import reserve_uncounted

    principal = await gateway.identify(key)
    owner = await gateway.owner()
    request_id = uuid.uuid4().hex
    record = opening_record(gateway, principal, ROUTE, MODEL, request_id, "allowed")
    reservation = await gateway.call(
        reserve_uncounted, gateway.engine, principal, True, utcnow(), True, record, owner
    )
    admission = Admission(gateway, principal, ROUTE, MODEL, reservation, request_id)
    admission.record_open = True
    await asyncio.sleep(0)  # the stream runs
    await admission.settle(200, 12, 8)


def _each(values) -> str:
    return " / ".join(f"{v:5.0f} µs" for v in values)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="gateway database (default: a temp SQLite file)")
    parser.add_argument("--streams", type=int, default=2000, help="streams per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--limits", action="store_true", help="give the user limits that never refuse"
    )
    args = parser.parse_args()
    if args.streams < 1 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--streams, --rounds and --concurrency must be at least 1")
    return args


if __name__ == "__main__":
    main()
