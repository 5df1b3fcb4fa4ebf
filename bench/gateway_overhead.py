"""Benchmark: what the gateway's own work costs one stream, without HTTP, engine or model.

    .venv/bin/python bench/gateway_overhead.py                   # SQLite file in a temp folder
    .venv/bin/python bench/gateway_overhead.py --limits --streams 4000
    .venv/bin/python bench/gateway_overhead.py --db postgresql://user@/db?host=/run/postgresql
    .venv/bin/python bench/gateway_overhead.py --postgresql [--limits]   # a throwaway cluster
    .venv/bin/python bench/gateway_overhead.py --postgresql --instructions   # under callgrind

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
and gives back to quota counters and holds a lease. `--postgresql` starts a PostgreSQL
cluster of its own for the run (Debian's `postgresql` package, as the tests do:
`tests/postgres.py`), on a Unix socket, fsync off. `--instructions` counts the instructions of
this process per stream instead, with valgrind's callgrind switched on only while one round of
`--streams` runs after the warm-up: unlike CPU time, a count that other work on the machine
does not change (the PostgreSQL server's own work is not in it, as it is not in the CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
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

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="bench-gateway-", ignore_cleanup_errors=True)
        )
        db = args.db or str(Path(tmp) / "gateway.db")
        if args.postgresql:
            from tests.postgres import throwaway_cluster

            db = stack.enter_context(throwaway_cluster())
        if args.instructions:
            per_stream = instructions(args, db)
            print(machine().removesuffix("; precision fp32"))
            print(f"{_said(args, db)}: {per_stream / 1e6:.3f} M instructions per stream")
            return
        engine = open_store(db)
        user = f"bench-{uuid.uuid4().hex[:8]}"  # a PostgreSQL database may hold earlier runs'
        add_user(engine, user)
        _, key = create_key(engine, user)
        if args.limits:  # counted, never reached
            set_limits(engine, "user", user, requests_per_minute=10**6, concurrent_streams=10**4)
        gateway = Gateway(engine)
        try:
            # Warm-up: each thread started and holding its connection.
            warm = max(args.streams // 10, args.concurrency)
            asyncio.run(streams(gateway, key, warm, args.concurrency))
            if args.collect:  # run by `instructions`, under callgrind
                collect("on")
                asyncio.run(streams(gateway, key, args.streams, args.concurrency))
                collect("off")
                return
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
    print(_said(args, db))
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


def instructions(args: argparse.Namespace, db: str) -> float:
    """This benchmark once more under callgrind, instrumented only while one round of
    `--streams` runs (`collect`): its instructions per stream."""
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        command += [f"--callgrind-out-file={out}", sys.executable, __file__, "--collect"]
        command += ["--db", db, "--streams", str(args.streams)]
        command += ["--concurrency", str(args.concurrency)] + (["--limits"] if args.limits else [])
        subprocess.run(command, check=True, capture_output=True)
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
        return int(totals[0].split()[1]) / args.streams


def collect(switch: str) -> None:
    """Callgrind's instrumentation of this process on or off; returns once it is so."""
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True)


def _said(args: argparse.Namespace, db: str) -> str:
    return (
        f"gateway database work per stream, {args.streams} streams at concurrency "
        f"{args.concurrency}, {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}"
        + (", the user with limits that never refuse" if args.limits else ", no limits")
    )


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
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="a throwaway PostgreSQL cluster for the run (Debian's postgresql package)",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instructions per stream under valgrind's callgrind (one round of --streams)",
    )
    parser.add_argument("--collect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.postgresql and args.db:
        parser.error("--postgresql starts a database of its own: leave --db out")
    if args.instructions and not shutil.which("callgrind_control"):
        parser.error("--instructions needs valgrind (Debian: apt install valgrind)")
    if args.streams < 1 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--streams, --rounds and --concurrency must be at least 1")
    return args


if __name__ == "__main__":
    main()
