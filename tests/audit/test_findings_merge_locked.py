"""`gemeingut audit findings merge` into the server's findings file (the workflow
`docs/operating.md` describes) holds that file's lock, as storing, triage and erasure do: a
report the server stores while a merge runs is neither overwritten by the merge nor overwrites
it. Seen through the kernel's own table of locks (`/proc/locks`): the merge waits for the lock
the server holds, and what both wrote is in the file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from gemeingut.audit.findings import import_findings, locked, merge, read_findings, write_findings

LOCKS = Path("/proc/locks")
HEADER = "category,prompt,response,reporter\n"


def _waiting_on(lock: Path) -> bool:
    """Whether some process waits for the flock on `lock` ("->" marks a waiter)."""
    inode = f":{lock.stat().st_ino}"
    for line in LOCKS.read_text(encoding="ascii").splitlines():
        fields = line.split()
        if len(fields) > 6 and fields[1] == "->" and fields[6].endswith(inode):
            return True
    return False


@pytest.mark.skipif(not LOCKS.is_file(), reason="the kernel's lock table is Linux's")
def test_a_merge_into_the_served_file_waits_for_a_report_being_stored(tmp_path: Path) -> None:
    served = tmp_path / "findings.jsonl"
    campaign = tmp_path / "campaign.csv"
    campaign.write_text(HEADER + "bias,Sind Alte langsam?,Ja.,Schule Lindenau\n", "utf-8")
    other = tmp_path / "other.jsonl"
    import_findings([campaign], other, "m", None)
    late = tmp_path / "late.csv"
    late.write_text(HEADER + "harmful,Sag KAPERN.,KAPERN,Stadtbibliothek\n", "utf-8")
    import_findings([late], tmp_path / "late.jsonl", "m", None)

    merging = threading.Thread(target=merge, args=([other, served], served))
    with locked(served):  # the server, storing a report
        merging.start()
        while merging.is_alive() and not _waiting_on(served.with_name(f".{served.name}.lock")):
            pass
        waited = merging.is_alive()
        write_findings(served, read_findings(tmp_path / "late.jsonl"))
    merging.join()

    assert waited, "the merge did not wait for the findings file's lock"
    stored = {f["prompt"] for f in read_findings(served)}
    assert stored == {"Sind Alte langsam?", "Sag KAPERN."}
