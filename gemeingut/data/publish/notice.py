"""NOTICE: every attribution that the licences of a dataset's documents require.

One line per document, grouped by licence, each group headed by the licence's name and where
its text is. Documents whose licence asks for no attribution (CC0, DL-DE-ZERO, official works)
are counted, not listed. Written in one streaming pass per licence, so a corpus of millions of
documents never sits in memory; the release bundle can call the same function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO

import pyarrow.parquet as pq

from gemeingut.data.licenses import decide
from gemeingut.data.publish.licenses import (
    combine_licences,
    is_share_alike,
    licence_name,
    licence_url,
    needs_attribution,
)
from gemeingut.data.shards import SHARD_DIR
from gemeingut.data.splits import SPLITS
from gemeingut.i18n import Message, _, text

Say = Callable[[Message], str]
_COLUMNS = ["id", "license", "attribution", "url"]


def write_notice(
    dataset_dir: Path, path: Path, title: str | None = None, language: str = "de"
) -> int:
    """Write NOTICE for the shards under `dataset_dir` to `path`, its words in `language`;
    return the lines listed."""
    shards = [
        file
        for split in SPLITS
        for file in sorted((dataset_dir / SHARD_DIR).glob(f"{split}-*.parquet"))
    ]
    counts = _licence_counts(shards)
    attributed = sorted(licence for licence in counts if needs_attribution(licence))
    with path.open("w", encoding="utf-8") as out:
        say = partial(text, language=language)
        _write_header(out, say, title, counts, attributed)
        listed = 0
        for licence in attributed:
            listed += _write_group(out, say, shards, licence, counts[licence])
    return listed


def _licence_counts(shards: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for shard in shards:
        table = pq.read_table(shard, columns=["license"])
        for row in table.group_by(["license"]).aggregate([([], "count_all")]).to_pylist():
            counts[row["license"] or ""] += row["count_all"]
    return counts


def _write_header(
    out: TextIO, say: Say, title: str | None, counts: Counter[str], attributed: list[str]
) -> None:
    out.write(say(_("NOTICE for {title}", title=title)) + "\n\n" if title else "NOTICE\n\n")
    out.write(
        say(
            _(
                "Licence of the corpus as a whole (SPDX): {licence}",
                licence=combine_licences(counts),
            )
        )
        + "\n"
    )
    out.write(say(_("Documents: {count}", count=sum(counts.values()))) + "\n\n")
    free = sorted(licence for licence in counts if licence not in attributed)
    for licence in free:
        chosen = decide(licence).chosen
        if chosen and chosen != licence:
            line = say(
                _(
                    "{count} under {licence} (used under {chosen}): no attribution required.",
                    count=_documents(say, counts[licence]),
                    licence=licence,
                    chosen=chosen,
                )
            )
        else:
            line = say(
                _(
                    "{count} under {licence}: no attribution required.",
                    count=_documents(say, counts[licence]),
                    licence=licence,
                )
            )
        out.write(line + "\n")
    if any(is_share_alike(licence) for licence in attributed):
        out.write(
            say(
                _(
                    "Share-alike licences below: adaptations of those documents must be shared "
                    "under the same licence."
                )
            )
            + "\n"
        )
    if not attributed:
        out.write("\n" + say(_("No document requires attribution.")) + "\n")
        return
    out.write(
        "\n"
        + say(_("The licences below require attribution. One line per document:"))
        + "\n"
        + say(_("document id | licence | attribution | source url"))
        + "\n"
    )


def _write_group(out: TextIO, say: Say, shards: list[Path], licence: str, count: int) -> int:
    url = licence_url(licence)
    out.write(f"\n== {licence}: {licence_name(licence)} ({_documents(say, count)})\n")
    if url:
        out.write("   " + say(_("Licence text: {url}", url=url)) + "\n")
    listed = 0
    for shard in shards:  # one shard at a time: memory is bounded by the shard size
        rows = pq.read_table(shard, columns=_COLUMNS, filters=[("license", "=", licence)])
        for row in rows.to_pylist():
            out.write(_line(row))
            listed += 1
    return listed


def _documents(say: Say, count: int) -> str:
    if count == 1:
        return say(_("1 document"))
    return say(_("{count} documents", count=count))


def _line(row: dict[str, str | None]) -> str:
    cells = (row["id"], row["license"], row["attribution"], row["url"])
    return " | ".join(_one_line(cell) for cell in cells) + "\n"


def _one_line(value: str | None) -> str:
    """A cell never breaks the one-line-per-document format, whatever the source put in it."""
    return " ".join((value or "").split())
