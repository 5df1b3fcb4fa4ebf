"""`python replaced_at_start.py ARGS…`: `gemeingut ARGS…`, in which a new pseudonym key is made
after every server process read its key and before it registers, as `gemeingut admin audit
new-pseudonym-key` run at that moment would (not a test module: run by
`test_key_replaced_at_start.py`).

Each process that registers (`Leases.start`) waits there until `PROCESSES` of them arrived (in
the folder `MEETING`), so that all read the old key; the first then moves the key file of the
SQLite database `DB` away (lost) and runs the real command; then all go on registering. The
workers of `--workers`, spawned, run this file too (as `__mp_main__`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from gemeingut.serve.gateway.leases import Leases
from gemeingut.serve.gateway.pseudonym_key import SUFFIX

MEETING = Path(os.environ["MEETING"])
registering = Leases.start


def replaced_first(self: Leases) -> str:
    (MEETING / f"arrived-{os.getpid()}").touch()
    while len(list(MEETING.glob("arrived-*"))) < int(os.environ["PROCESSES"]):
        time.sleep(0.05)
    try:
        os.close(os.open(MEETING / "replacing", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        while not (MEETING / "replaced").exists():
            time.sleep(0.05)
    else:
        db = os.environ["DB"]
        Path(db + SUFFIX).rename(MEETING / "lost-key")
        command = [sys.executable, "-m", "gemeingut.cli", "admin", "audit"]
        subprocess.run([*command, "new-pseudonym-key", "--db", db, "--yes"], check=True)
        (MEETING / "replaced").touch()
    return registering(self)


Leases.start = replaced_first  # type: ignore[method-assign]

if __name__ == "__main__":
    from gemeingut.cli import main

    main()
