"""NOTICE: every attribution that the licences of a dataset's documents require.

One line per document, grouped by licence, each group headed by the licence's name and where
its text is. Documents whose licence asks for no attribution (CC0, DL-DE-ZERO, official works)
are counted, not listed. Written in one streaming pass per licence, so a corpus of millions of
documents never sits in memory; a release bundle's NOTICE is written, and checked by `verify`,
with the same functions (`release/notice.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

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
from gemeingut.i18n import Message, _, plural, text

Say = Callable[[Message], str]
_COLUMNS = ["id", "license", "attribution", "url"]


def write_notice(
    dataset_dir: Path, path: Path, title: str | None = None, language: str = "de"
) -> int:
    """Write NOTICE for the shards under `dataset_dir` to `path`, its words in `language`;
    return the lines listed."""
    shards = split_shards(lambda split: dataset_dir / SHARD_DIR)
    with path.open("w", encoding="utf-8") as out:
        for chunk in notice_chunks(shards, title, language):
            out.write(chunk)
    return listed_documents(shards)


def split_shards(folder: Callable[[str], Path]) -> list[Path]:
    """The shards of every split in NOTICE's order (train, validation, test), each split's
    from `folder(split)`: a dataset keeps them in one folder, a release bundle in two."""
    return [file for split in SPLITS for file in sorted(folder(split).glob(f"{split}-*.parquet"))]


def notice_chunks(shards: list[Path], title: str | None, language: str) -> Iterator[str]:
    """NOTICE's text piece by piece, so a release writes it and `verify` compares it without
    holding a corpus's attributions in memory."""
    counts = _licence_counts(shards)
    attributed = sorted(licence for licence in counts if needs_attribution(licence))
    say = partial(text, language=language)
    yield from _header(say, title, counts, attributed)
    for licence in attributed:
        yield from _group(say, shards, licence, counts[licence], language)


def listed_documents(shards: list[Path]) -> int:
    """How many documents NOTICE lists: those whose licence asks for attribution."""
    counts = _licence_counts(shards)
    return sum(count for licence, count in counts.items() if needs_attribution(licence))


def _licence_counts(shards: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for shard in shards:
        table = pq.read_table(shard, columns=["license"])
        for row in table.group_by(["license"]).aggregate([([], "count_all")]).to_pylist():
            counts[row["license"] or ""] += row["count_all"]
    return counts


def _header(
    say: Say, title: str | None, counts: Counter[str], attributed: list[str]
) -> Iterator[str]:
    yield say(_("NOTICE for {title}", title=title)) + "\n\n" if title else "NOTICE\n\n"
    yield (
        say(
            _(
                "Licence of the corpus as a whole (SPDX): {licence}",
                licence=combine_licences(counts),
            )
        )
        + "\n"
    )
    yield say(_("Documents: {count}", count=sum(counts.values()))) + "\n\n"
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
        yield line + "\n"
    if any(is_share_alike(licence) for licence in attributed):
        yield (
            say(
                _(
                    "Share-alike licences below: adaptations of those documents must be shared "
                    "under the same licence."
                )
            )
            + "\n"
        )
    if not attributed:
        yield "\n" + say(_("No document requires attribution.")) + "\n"
        return
    yield (
        "\n"
        + say(_("The licences below require attribution. One line per document:"))
        + "\n"
        + say(_("document id | licence | attribution | source url"))
        + "\n"
    )


def _group(say: Say, shards: list[Path], licence: str, count: int, language: str) -> Iterator[str]:
    url = licence_url(licence)
    yield f"\n== {licence}: {licence_name(licence, language)} ({_documents(say, count)})\n"
    if url:
        yield "   " + say(_("Licence text: {url}", url=url)) + "\n"
    for shard in shards:  # one shard at a time: memory is bounded by the shard size
        rows = pq.read_table(shard, columns=_COLUMNS, filters=[("license", "=", licence)])
        for row in rows.to_pylist():
            yield _line(row)


def _documents(say: Say, count: int) -> str:
    return say(plural(count, _("1 document"), _("{count} documents", count=count)))


def _line(row: dict[str, str | None]) -> str:
    cells = (row["id"], row["license"], row["attribution"], row["url"])
    return " | ".join(_one_line(cell) for cell in cells) + "\n"


def _one_line(value: str | None) -> str:
    """A cell never breaks the one-line-per-document format, whatever the source put in it."""
    return " ".join((value or "").split())
