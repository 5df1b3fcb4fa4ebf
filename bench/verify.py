"""Benchmark: `gemeingut verify` (hashes + signature + openness checks) vs `sha256sum -c`, one run.

    .venv/bin/python bench/verify.py --bundle workspace/release/rel-…/bundle --key K.key
    .venv/bin/python bench/verify.py --bundle B --key K.key --weights-mb 2000

The bundle (a release bundle, e.g. the demo's after `make demo`) is copied to a temp folder
and given one more weights-sized file (`--weights-mb` of random bytes, in training-metadata/,
where no derived document lists it) so that hashing, not start-up, dominates; the MANIFEST is
rewritten and the copy signed with the given private key. Then, alternating, `--repeat`
times each (fastest run counts; the files are in the page cache for both after the first read):

- `sha256sum -c --quiet MANIFEST` in the bundle (coreutils, one process, one core);
- `gemeingut verify BUNDLE` (MANIFEST hashes on all cores, paths, the five artifacts, every
  openness check and card claim re-computed);
- `gemeingut verify BUNDLE --key K.pub` (the same plus the signature, which model-signing
  checks against the digests the MANIFEST check computed: every file is hashed once).

Each is a fresh process; the printed ratio is MB/s ours / MB/s sha256sum (target ≥ 0.9).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    args = parse_args()
    from gemeingut.release.layout import locate_bundle
    from gemeingut.release.manifest import write_manifest
    from gemeingut.release.signing import sign_bundle

    gemeingut = str(Path(sys.executable).with_name("gemeingut"))
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        bundle = Path(tmp) / "bundle"
        shutil.copytree(locate_bundle(args.bundle), bundle)
        (bundle / "bundle.sig").unlink(missing_ok=True)
        with (bundle / "training-metadata" / "bench.bin").open("wb") as handle:
            for _ in range(args.weights_mb):
                handle.write(os.urandom(1 << 20))
        write_manifest(bundle)
        sign_bundle(bundle, args.key)
        public = args.key.with_suffix(".pub")
        size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
        commands = {
            "sha256sum -c": (["sha256sum", "-c", "--quiet", "MANIFEST"], bundle),
            "gemeingut verify": ([gemeingut, "verify", str(bundle)], None),
            "gemeingut verify --key": (
                [gemeingut, "verify", str(bundle), "--key", str(public)],
                None,
            ),
        }
        best = {name: float("inf") for name in commands}
        for _ in range(args.repeat):
            for name, (command, cwd) in commands.items():
                started = time.perf_counter()
                subprocess.run(
                    command,
                    cwd=cwd,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                best[name] = min(best[name], time.perf_counter() - started)
    megabytes = size / 1e6
    print(f"bundle: {megabytes:,.1f} MB, {args.repeat} runs each (fastest)")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, SHA extensions: {sha_extensions()}, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"command: {' '.join(sys.argv)}\n")
    print("| command | seconds | MB/s | ratio to sha256sum |")
    print("|---|---:|---:|---:|")
    base = megabytes / best["sha256sum -c"]
    for name, seconds in best.items():
        rate = megabytes / seconds
        print(f"| `{name}` | {seconds:.2f} | {rate:,.0f} | {rate / base:.2f}× |")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def sha_extensions() -> bool:
    """x86 SHA-NI: OpenSSL (hashlib) and coreutils may both use it; it sets the pace of both."""
    return " sha_ni " in Path("/proc/cpuinfo").read_text().replace("\n", " ")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, required=True, help="a release bundle to copy")
    parser.add_argument("--key", type=Path, required=True, help="private key to sign the copy")
    parser.add_argument("--weights-mb", type=int, default=1000, help="extra weights-sized file")
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


if __name__ == "__main__":
    main()
