"""The data statement rendered again from the records it was written from, line by line.

`publish` writes DATA_STATEMENT.md from the dataset's stats.json and record and the recipe's
`[data.publication]` prose, and lineage.json keeps both records (`dataset`, `publication`):
every line of the statement is computed, its prose quoted from the recipe, a section the recipe
left empty said to be missing. So `verify` renders it again and names each line that differs,
with what it says and what the records give: a number changed, a licence, a source's
documentation, or missing prose filled in after the release (never invented by `publish`, so
never accepted by `verify`). stats.json is itself counted again from the shards
(`verify_stats_counts`), the licence table from the shards' `license` column
(`verify_data_statement`, whose lines are named once, there).
"""

from __future__ import annotations

import json
from difflib import SequenceMatcher
from pathlib import Path

from gemeingut.i18n import Message, _, other_catalogue, plural
from gemeingut.release.differences import ABSENT, SHOWN, shown, shown_pair
from gemeingut.release.layout import TRAINING_DATA, TRAINING_METADATA
from gemeingut.release.verify_data_statement import DATA_STATEMENT
from gemeingut.release.verify_wording import OlderWording, writer_wording

LINEAGE = f"{TRAINING_METADATA}/lineage.json"
STATS = f"{TRAINING_DATA}/stats.json"
PUBLICATION = "publication"  # the lineage's role of the publication the statement is from
RECORDS = f"{STATS}, {LINEAGE} (dataset, {PUBLICATION})"


def rendered_statement(bundle: Path) -> str | None:
    """The statement as the bundle's records give it; None where the lineage records no
    publication (a statement no release wrote)."""
    from gemeingut.data.publish import PublicationInfo
    from gemeingut.data.publish.data_statement import render_data_statement
    from gemeingut.data.publish.facts import DatasetFacts

    lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    published = lineage.get(PUBLICATION)
    if published is None:
        return None
    info = PublicationInfo.model_validate(published["params"])
    stats = json.loads((bundle / STATS).read_text(encoding="utf-8"))
    facts = DatasetFacts(bundle / TRAINING_DATA, stats, lineage["dataset"], (), {}, None)
    return render_data_statement(facts, info)


def rendered_problems(bundle: Path, listed: dict[str, str], named: set[int]) -> list[Message]:
    """Each line of the bundle's data statement that differs from the one its records give,
    but the lines in `named` (said already, against the shards); one problem where no record
    gives it."""
    if DATA_STATEMENT not in listed:
        return []
    again = rendered_statement(bundle)
    if again is None:
        return [
            _(
                "{path} is written from no record of the bundle: {lineage} records no "
                "publication (the recipe's [data.publication]) that a release renders it "
                "from, so none of its sentences can be checked",
                path=DATA_STATEMENT,
                lineage=LINEAGE,
            )
        ]
    shipped = (bundle / DATA_STATEMENT).read_text(encoding="utf-8")
    differing = [line for line in differing_lines(shipped, again) if line[0] not in named]
    if not differing:
        return []
    said = [_line_said(*line) for line in differing[:SHOWN]]
    more = len(differing) - SHOWN
    if more > 0:
        values = {"path": DATA_STATEMENT, "count": str(more)}
        said.append(
            plural(
                more,
                _("{path}: one more line differs from the one its records give", **values),
                _("{path}: {count} more lines differ from the one its records give", **values),
            )
        )
    wording = writer_wording(bundle)
    if wording is not None:
        with other_catalogue(wording.german):
            worded = rendered_statement(bundle)
        if worded == shipped:  # the writer's words: a problem, unless a signer vouches
            return [OlderWording(DATA_STATEMENT, wording.writer, said[0])]
    return said


def differing_lines(shipped: str, again: str) -> list[tuple[int, str | None, str | None]]:
    """Each line of `shipped` that `again` does not have, by its number, with the line
    `again` has in its place (None for none), and each line of `again` that `shipped` lacks
    (None for the line stated, numbered where it belongs)."""
    ours, theirs = shipped.splitlines(), again.splitlines()
    found: list[tuple[int, str | None, str | None]] = []
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    for tag, start, end, other, other_end in matcher.get_opcodes():
        for offset in range(max(end - start, other_end - other) if tag != "equal" else 0):
            stated = ours[start + offset] if start + offset < end else None
            given = theirs[other + offset] if other + offset < other_end else None
            found.append((min(start + offset, end) + 1, stated, given))
    if not found and shipped != again:  # the same lines, other line ends
        found.append((1, None, None))
    return found


def _line_said(number: int, stated: str | None, given: str | None) -> Message:
    if stated is None and given is None:
        return _(
            "{file} differs from the one the files give: {differences}",
            file=DATA_STATEMENT,
            differences=_("only the line ends differ"),
        )
    if stated is not None and given is not None:
        stated, given = shown_pair(stated, given)
    else:
        stated = ABSENT if stated is None else shown(stated)
        given = ABSENT if given is None else shown(given)
    return _(
        "{path}, line {line}: it says {stated}; rendered again from {records}, the line reads "
        "{given}",
        path=DATA_STATEMENT,
        line=str(number),
        stated=stated,
        records=RECORDS,
        given=given,
    )


RENDERED_LINE = _line_said(1, "-", "+").msgid  # its problems' msgid, for `--json`'s line
