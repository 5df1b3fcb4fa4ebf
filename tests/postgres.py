"""A throwaway PostgreSQL cluster from Debian's `postgresql` package, in a temp dir.

It listens only on a Unix socket in its own folder (no TCP port to collide with), runs as the
`postgres` user when the tests run as root (initdb refuses root), and is stopped and deleted at
the end. Without PostgreSQL's binaries the tests that need it are skipped with that reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    found = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    return Path(found).resolve().parent if found else None


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yields a psycopg URL of a fresh database. The cluster lives in a new folder right under
    the system's temp dir: pytest's own temp folders are closed to the `postgres` user."""
    folder = Path(tempfile.mkdtemp(prefix="gemeingut-pg-"))
    bin_dir = postgres_bin()
    assert bin_dir is not None, "no PostgreSQL binaries (Debian: apt install postgresql)"
    data, sockets = folder / "data", folder / "sockets"
    for path in (folder, data, sockets):
        path.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for path in (data, sockets):
            shutil.chown(path, "postgres")
    _run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    _pg_ctl(folder, "start")
    try:
        _run(str(bin_dir / "createdb"), "-h", str(sockets), "-U", "postgres", "gemeingut")
        yield f"postgresql+psycopg://postgres@/gemeingut?host={sockets}"
    finally:
        _run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def restart(url: str, mode: str = "fast") -> None:
    """Restart the throwaway cluster of `url` (`pg_ctl restart -m mode`): every session ends,
    as at a real server's restart. `smart` would wait for the clients' pools to close."""
    sockets = Path(url.rsplit("host=", 1)[1])
    _pg_ctl(sockets.parent, "restart", "-m", mode)


def _pg_ctl(folder: Path, *action: str) -> None:
    """`pg_ctl` on the cluster in `folder`, listening only on its own Unix socket folder."""
    bin_dir = postgres_bin()
    assert bin_dir is not None
    options = f"-c listen_addresses='' -k {folder / 'sockets'} -c fsync=off -c max_connections=200"
    data, log = str(folder / "data"), str(folder / "log")
    _run(str(bin_dir / "pg_ctl"), "-D", data, "-o", options, "-w", "-l", log, *action)


def _run(*args: str) -> None:
    """As the `postgres` user where the tests run as root (initdb and postgres refuse root)."""
    command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
    subprocess.run(command, check=True, capture_output=True, timeout=120)
