"""Benchmark: `gemeingut serve` under load, one run, loopback only.

    .venv/bin/python bench/serve.py --model workspace/release/rel-…/bundle
    .venv/bin/python bench/serve.py --model M --requests 10000 --concurrency 64 \
        --db postgresql://user@/db?host=/run/postgresql

(a) Throughput of the in-process backend: the same chat requests (greedy, `--max-tokens`
    each) through `gemeingut serve` at concurrency 1, 8 and 32, against plain sequential
    `TransformersBackend.generate` in this process; the ratio is completion tokens/s through
    the server / sequential (target ≥ 3× at 32 once concurrent requests are batched).
(c) Governed load: `--requests` chat requests at `--concurrency` against `gemeingut serve --db`
    with a key, a group quota of `tokens_per_day` set to about half of what the load asks for,
    and the audit log on. Reported: 5xx count (target 0), audit rows vs requests sent (target:
    equal: every request, answered or refused, has its record), tokens counted by the quota vs
    the sum of `usage.total_tokens` of the answers (target: equal, and ≤ the limit).
(b) Gateway overhead: `--stream-requests` streamed chats at concurrency 64 straight to an
    engine (a second `gemeingut serve` process standing in for vLLM), then the same through
    `gemeingut serve --upstream ENGINE` without a database (the proxy alone), then through
    `gemeingut serve --upstream ENGINE --db` (key, quota and audit log on); p50/p99 latency of
    whole streams for each, and the difference (target: p50 overhead ≤ 1 ms); and the gateway
    processes' CPU time per stream, which other processes on the machine do not change, with
    what `--db` adds to the proxy's (the gateway's own work: `bench/gateway_overhead.py`
    measures that part alone, without HTTP). With
    `--gateway-workers 1,4` the gateway runs once with each number of worker processes; with
    `--stream-limits` the key's user has limits that never refuse (requests per minute,
    concurrent streams), so that each stream also takes from and gives back to quota counters.
    With `--instructions` the gateway (one worker; proxy only, then with `--db`) runs under
    valgrind's callgrind instead, instrumented only while `--stream-requests` streams run after
    64 to warm up: its instructions per stream, a count that other work on the machine does not
    change.

The server runs as its own process (`--threads` torch threads); the client is asyncio + httpx
in this process. Prints CPU model and flags, precision (fp32) and thread counts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = "Was regelt das Verwaltungsverfahrensgesetz?"


def main() -> None:
    args = parse_args()
    print(machine())
    from gemeingut.serve.runner import default_model_name, resolve_model_dir

    model_dir = resolve_model_dir(args.model)
    name = default_model_name(args.model)
    if "a" in args.parts:
        throughput(model_dir, name, args)
    if "b" in args.parts:
        gateway_overhead(name, args)
    if "c" in args.parts:
        governed_load(model_dir, name, args)


def throughput(model_dir: Path, name: str, args: argparse.Namespace) -> None:
    import torch

    from gemeingut.serve.backends import SamplingParams, TransformersBackend

    torch.set_num_threads(args.threads)
    backend = TransformersBackend(model_dir, model_name=name)
    prompt = backend.apply_chat_template([{"role": "user", "content": PROMPT}])
    params = SamplingParams(max_tokens=args.max_tokens, temperature=0.0)
    backend.generate(prompt, params)  # warm-up
    n = args.throughput_requests
    start = time.perf_counter()
    tokens = sum(backend.generate(prompt, params).completion_tokens for _ in range(n))
    sequential = tokens / (time.perf_counter() - start)
    print(f"\n(a) throughput, {n} requests of {args.max_tokens} tokens each, greedy")
    print(f"    sequential generate in-process: {sequential:8.1f} tokens/s")
    with server(args.model, name, args.threads) as (url, _):
        for concurrency in (1, 8, 32):
            done, seconds, _ = asyncio.run(load(url, None, name, n, concurrency, args.max_tokens))
            rate = sum(r[2] for r in done if r[0] == 200) / seconds
            print(
                f"    gemeingut serve, concurrency {concurrency:2d}: {rate:8.1f} tokens/s "
                f"= {rate / sequential:4.2f}× sequential"
            )
        short: list[float] = []
        done, seconds, _ = asyncio.run(
            load(url, None, name, n, 32, args.max_tokens, long_every=4, short_latencies=short)
        )
        rate = sum(r[2] for r in done if r[0] == 200) / seconds
        print(
            f"    mixed lengths (every 4th asks {8 * args.max_tokens} tokens), concurrency 32: "
            f"{rate:8.1f} tokens/s; the short ones' latency p50 {_ms(short, 50):.0f} ms, "
            f"p99 {_ms(short, 99):.0f} ms"
        )


def _bench_database(folder: Path, limits: bool) -> tuple[str, str]:
    """A gateway database in `folder` with the bench's user and a key of theirs; with `limits`,
    limits that are counted per stream and never reached."""
    from gemeingut.serve.gateway.identity import add_user, create_key
    from gemeingut.serve.gateway.quotas import set_limits
    from gemeingut.serve.gateway.store import open_store

    db = str(folder / "gateway.db")
    add_user(open_store(db), "bench")
    _, key = create_key(open_store(db), "bench")
    if limits:
        set_limits(
            open_store(db), "user", "bench", requests_per_minute=10**6, concurrent_streams=10**4
        )
    return db, key


def gateway_overhead(name: str, args: argparse.Namespace) -> None:
    n, concurrency = args.stream_requests, 64
    if args.instructions:
        instructions(name, args)
        return
    runs = []  # (label, seconds, latencies, gateway CPU seconds or None)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        db, key = _bench_database(Path(tmp), args.stream_limits)
        with server(args.model, name, args.threads) as (engine, _):
            asyncio.run(load(engine, None, name, 64, concurrency, args.max_tokens, stream=True))
            _, seconds, times = asyncio.run(
                load(engine, None, name, n, concurrency, args.max_tokens, stream=True)
            )
            runs.append(("engine directly", seconds, times, None))
            for workers in args.gateway_workers:
                for governed in (False, True):  # the same process without and with --db
                    extra = ("--upstream", engine, "--workers", str(workers))
                    extra += ("--db", db) if governed else ()
                    with server(None, name, 1, *extra) as (url, process):
                        asyncio.run(
                            load(url, key, name, 64, concurrency, args.max_tokens, stream=True)
                        )
                        before = _cpu_seconds(process.pid)
                        _, seconds, times = asyncio.run(
                            load(url, key, name, n, concurrency, args.max_tokens, stream=True)
                        )
                        cpu = _cpu_seconds(process.pid) - before
                    label = "gateway" if governed else "proxy only (no --db)"
                    runs.append((f"{label}, {workers} worker(s)", seconds, times, cpu))
    print(
        f"\n(b) gateway overhead, {n} streams of {args.max_tokens} tokens at concurrency "
        f"{concurrency}, engine = a second gemeingut serve process"
        + (", the key's user with limits that never refuse" if args.stream_limits else "")
    )
    direct, proxy_cpu = runs[0][2], None
    for label, seconds, times, cpu in runs:
        line = (
            f"    {label:34s} p50 {_ms(times, 50):7.1f} ms  p99 {_ms(times, 99):7.1f} ms  "
            f"{len(times) / seconds:6.1f} streams/s"
        )
        if cpu is not None:
            line += (
                f"  overhead p50 {_ms(times, 50) - _ms(direct, 50):+.1f} ms, "
                f"p99 {_ms(times, 99) - _ms(direct, 99):+.1f} ms; "
                f"CPU {1000 * cpu / n:.2f} ms/stream"
            )
            if label.startswith("proxy only"):
                proxy_cpu = cpu
            elif proxy_cpu is not None:  # what --db adds: key, quota, leases, audit record
                line += f" (--db: {1000 * (cpu - proxy_cpu) / n:+.2f} ms)"
        print(line)


def instructions(name: str, args: argparse.Namespace) -> None:
    """The instructions of the gateway process per stream: it runs under callgrind with
    instrumentation off (start-up, warm-up) and on only while the measured streams run."""
    n, concurrency = args.stream_requests, 64
    counts = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        db, key = _bench_database(Path(tmp), args.stream_limits)
        with server(args.model, name, args.threads) as (engine, _):
            for governed in (False, True):
                out = Path(tmp) / f"callgrind-{governed}.out"
                extra = ("--upstream", engine, *(("--db", db) if governed else ()))
                with server(None, name, 1, *extra, callgrind=out) as (url, process):
                    asyncio.run(load(url, key, name, 64, concurrency, args.max_tokens, stream=True))
                    _callgrind_switch("on", process.pid)
                    asyncio.run(load(url, key, name, n, concurrency, args.max_tokens, stream=True))
                    _callgrind_switch("off", process.pid)
                totals = [
                    line for line in out.read_text().splitlines() if line.startswith("totals:")
                ]
                counts.append(int(totals[0].split()[1]) / n)
    print(
        f"\n(b) gateway instructions (callgrind), {n} streams of {args.max_tokens} tokens at "
        f"concurrency {concurrency} after 64 to warm up"
        + (", the key's user with limits that never refuse" if args.stream_limits else "")
    )
    print(f"    proxy only (no --db): {counts[0] / 1e6:.3f} M instructions per stream")
    print(
        f"    gateway (--db):       {counts[1] / 1e6:.3f} M instructions per stream "
        f"(--db: {(counts[1] - counts[0]) / 1e6:+.3f} M)"
    )


def _callgrind_switch(switch: str, pid: int) -> None:
    """Callgrind's instrumentation of process `pid` on or off; returns once it is so."""
    command = ["callgrind_control", "-i", switch, str(pid)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its workers: what the gateway's work costs,
    however busy the machine's other processes keep the cores."""
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:  # a worker that ended meanwhile
            continue
        total += times.user + times.system
    return total


def _ms(times: list[float], percentile: int) -> float:
    if percentile == 50:
        return statistics.median(times) * 1000
    return statistics.quantiles(times, n=100)[percentile - 1] * 1000


def governed_load(model_dir: Path, name: str, args: argparse.Namespace) -> None:
    from gemeingut.serve.gateway.audit_log import export
    from gemeingut.serve.gateway.identity import add_group, add_user, create_key, utcnow
    from gemeingut.serve.gateway.quotas import set_limits, usage
    from gemeingut.serve.gateway.store import open_store

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        db = args.db or str(Path(tmp) / "gateway.db")
        engine = open_store(db)
        group = f"bench-{os.getpid()}-{int(time.time())}"
        add_group(engine, group)
        add_user(engine, group, (group,))
        _, key = create_key(engine, group)
        # Less than the load asks for (prompts count too), so the quota really refuses.
        limit = args.requests * args.max_tokens
        set_limits(engine, "group", group, tokens_per_day=limit)
        with server(args.model, name, args.threads, "--db", db) as (url, _):
            done, seconds, latencies = asyncio.run(
                load(url, key, name, args.requests, args.concurrency, args.max_tokens)
            )
        statuses = [r[0] for r in done]
        answered = [r for r in done if r[0] == 200]
        ids = {r[1] for r in done if r[1]}
        logged = {row["request_id"] for row in export(engine)} if ids else set()
        records = sum(1 for _ in export(engine))
        today = usage(engine, "group", group, utcnow())
    print(
        f"\n(c) governed load: {args.requests} requests at concurrency {args.concurrency}, "
        f"{'PostgreSQL' if db.startswith('postgres') else 'SQLite'}, quota {limit:,} tokens/day"
    )
    print(
        f"    {len(statuses) / seconds:7.1f} requests/s; latency p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
        f"{statistics.quantiles(latencies, n=100)[98] * 1000:.0f} ms"
    )
    by_status = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"    statuses: {by_status}; 5xx: {sum(v for s, v in by_status.items() if s >= 500)}")
    print(
        f"    audit records: {records} for {len(statuses)} requests sent; answered but not "
        f"logged: {len({r[1] for r in answered} - logged)}"
    )
    spent = sum(r[2] + r[3] for r in answered)
    print(
        f"    quota: {today['tokens_today']:,} tokens counted, {spent:,} in the answers' usage "
        f"({'equal' if today['tokens_today'] == spent else 'DIFFERENT'}), limit {limit:,}, "
        f"reserved after the load: {today['tokens_reserved']}"
    )


async def load(
    url: str,
    key: str | None,
    name: str,
    n: int,
    concurrency: int,
    max_tokens: int,
    stream: bool = False,
    long_every: int = 0,
    short_latencies: list[float] | None = None,
) -> tuple[list[tuple[int, str, int, int]], float, list[float]]:
    """n chat requests, `concurrency` at a time: (status, response id, completion tokens,
    prompt tokens) each, the wall time, and each request's latency. With `long_every` k,
    every k-th request asks for 8× `max_tokens`; the others' latencies also go to
    `short_latencies`."""
    import httpx

    headers = {"authorization": f"Bearer {key}"} if key else {}
    body = {
        "model": name,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": max_tokens,
        "temperature": 0,
    }
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    results: list[tuple[int, str, int, int]] = []
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, timeout=300, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                long = long_every > 0 and index % long_every == 0
                payload = body | {"max_tokens": max_tokens * 8 if long else max_tokens}
                began = time.perf_counter()
                if stream:
                    async with client.stream(
                        "POST", f"{url}/v1/chat/completions", json=payload
                    ) as r:
                        lines = [line async for line in r.aiter_lines()]
                    latencies.append(time.perf_counter() - began)
                    done = r.status_code == 200 and "data: [DONE]" in lines
                    results.append((r.status_code if done else 599, "", 0, 0))
                    continue
                response = await client.post(f"{url}/v1/chat/completions", json=payload)
                latencies.append(time.perf_counter() - began)
                if short_latencies is not None and not long:
                    short_latencies.append(latencies[-1])
                if response.status_code == 200:
                    data = response.json()
                    usage = data["usage"]
                    results.append(
                        (200, data["id"], usage["completion_tokens"], usage["prompt_tokens"])
                    )
                else:
                    results.append((response.status_code, "", 0, 0))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return results, time.perf_counter() - start, latencies


class server:
    """`gemeingut serve` as its own process, as an operator runs it; with `callgrind`, under
    valgrind's callgrind, instrumentation off until `callgrind_control -i on`, its counts
    written to that file when the process ends."""

    def __init__(
        self,
        model: Path | None,
        name: str,
        threads: int,
        *extra: str,
        callgrind: Path | None = None,
    ) -> None:
        self.model, self.extra = model, ("--threads", str(threads), *extra)
        self.name, self.callgrind = name, callgrind

    def __enter__(self) -> tuple[str, subprocess.Popen]:
        from tests.http_server import start_serving

        if self.callgrind is None:
            self.process, url = start_serving(self.model, self.name, *self.extra)
        else:
            self.process, url = _start_under_callgrind(self.callgrind, self.name, *self.extra)
        return url, self.process

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=120 if self.callgrind else 30)


def _start_under_callgrind(out: Path, name: str, *extra: str) -> tuple[subprocess.Popen, str]:
    """`gemeingut serve --model-name NAME EXTRA…` under callgrind (`tests.http_server`'s
    `start_serving` runs the interpreter itself), once /health answers: valgrind makes the
    start several times slower."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
    command += [f"--callgrind-out-file={out}", sys.executable, "-m", "gemeingut.cli", "serve"]
    command += ["--port", str(port), "--model-name", name, *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(1)  # also after an answer other than 200: not asked again at once
    process.kill()
    raise SystemExit(
        "gemeingut serve did not start under callgrind within 600 s: run the same without "
        "--instructions to see why"
    )


def machine() -> str:
    flags = ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(
            line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line
        )
        wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
        present = next(line for line in info.splitlines() if line.startswith("flags")).split()
        flags = " ".join(f for f in wanted if f in present)
    except (OSError, StopIteration):
        model = platform.processor()
    return f"CPU: {model} ({os.cpu_count()} cores; {flags or 'no AVX2'}); precision fp32"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="model folder or release")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--throughput-requests", type=int, default=64)
    parser.add_argument("--stream-requests", type=int, default=640)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the server")
    parser.add_argument("--db", help="gateway database (default: a temp SQLite file)")
    parser.add_argument("--parts", default="abc", help="which of (a), (b), (c) to run, e.g. a")
    parser.add_argument(
        "--stream-limits",
        action="store_true",
        help="(b): give the key's user limits that never refuse, counted per stream",
    )
    parser.add_argument(
        "--gateway-workers",
        type=lambda value: [int(v) for v in value.split(",")],
        default=[1],
        help="gateway worker processes to measure (b) with, e.g. 1,4",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="(b): the gateway's instructions per stream under valgrind's callgrind instead",
    )
    args = parser.parse_args()
    if args.instructions and not shutil.which("callgrind_control"):
        parser.error("--instructions needs valgrind (Debian: apt install valgrind)")
    if not args.parts or set(args.parts) - set("abc"):
        parser.error(f"--parts {args.parts!r}: name one or more of a, b, c")
    return args


if __name__ == "__main__":
    main()
