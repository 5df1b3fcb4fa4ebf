"""Re-reading a collection with a scanned PDF after the reader format rose: with the kept OCR
readings (`<collection>/ocr/`, reused where the file's bytes and the OCR engine are the same)
against without them (the folder removed first: what every re-read did before they were kept).

Both ways in one run, alternating, on the same collection; the scan is made by the tests'
own maker (pages rendered at 300 dpi, no text layer), so nothing is downloaded.

    .venv/bin/python bench/rag_ocr_reread.py --pages 6 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' document maker

from serve import machine  # noqa: E402  the same CPU line as the serve benchmark

from gemeingut.apps.rag.index import ingest  # noqa: E402
from gemeingut.apps.rag.storage import COLLECTION_FILE, READER_FORMAT  # noqa: E402
from tests.apps.rag.documents import PAGES, write_scanned_pdf  # noqa: E402

NAME = "akten"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=6, help="scanned pages in the PDF")
    parser.add_argument("--rounds", type=int, default=3, help="re-reads each way")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        docs = tmp / "docs"
        docs.mkdir()
        write_scanned_pdf(docs / "scan.pdf", (PAGES * args.pages)[: args.pages])
        root = tmp / "collections"
        first = ingest(root, NAME, [docs])
        print(f"{machine()}; first ingest: {first.ocr_pages_read} pages OCR'd")
        times: dict[str, list[float]] = {"without kept readings": [], "with kept readings": []}
        for _ in range(args.rounds):
            for way in times:
                _one_format_older(root / NAME / COLLECTION_FILE)
                if way == "without kept readings":
                    shutil.rmtree(root / NAME / "ocr")
                started = time.perf_counter()
                report = ingest(root, NAME, [docs])
                times[way].append(time.perf_counter() - started)
                assert report.reread, "the format change did not make it read the PDF again"
                pages = f"OCR'd {report.ocr_pages_read}, reused {report.ocr_pages_reused}"
                print(f"  {way}: {times[way][-1]:.2f} s ({pages})")
    print("\n| re-read after a format change | median | runs |\n|---|---:|---|")
    for way, runs in times.items():
        shown = " / ".join(f"{t:.2f}" for t in runs)
        print(f"| {way} | {statistics.median(runs):.2f} s | {shown} s |")
    without, kept = (statistics.median(runs) for runs in times.values())
    print(f"\nratio: {without / kept:.0f}x")


def _one_format_older(path: Path) -> None:
    """Every document recorded as read by the reader format before this one."""
    meta = json.loads(path.read_text(encoding="utf-8"))
    for record in meta["documents"].values():
        record["reader"] = READER_FORMAT - 1
    path.write_text(json.dumps(meta), encoding="utf-8")


if __name__ == "__main__":
    main()
