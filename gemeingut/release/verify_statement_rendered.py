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

A fine-tune of a foreign base holds the statement of its own curated dataset beside the
fine-tuning data (`finetune_publication.py`): rendered from that dataset's stats.json and
record as its copy holds them (both hashed by the fine-tune's lineage) and the publication
lineage.json keeps, which must be of that very dataset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from gemeingut.i18n import Message, _, other_catalogue, plural
from gemeingut.release.differences import ABSENT, SHOWN, shown, shown_pair
from gemeingut.release.finetune_publication import (
    CURATED_RECORD,
    CURATED_STATS,
    FINETUNE_STATEMENT,
    PUBLICATION,
    statement_records,
)
from gemeingut.release.layout import TRAINING_DATA, TRAINING_METADATA
from gemeingut.release.verify_data_statement import DATA_STATEMENT
from gemeingut.release.verify_guard import guarded
from gemeingut.release.verify_wording import OlderWording, writer_wording

LINEAGE = f"{TRAINING_METADATA}/lineage.json"
STATS = f"{TRAINING_DATA}/stats.json"
RECORDS = f"{STATS}, {LINEAGE} (dataset, {PUBLICATION})"


@dataclass(frozen=True)
class Statement:
    """A data statement of a bundle: where it lies, and the records it is rendered from."""

    path: str
    records: str


PRETRAINING = Statement(DATA_STATEMENT, RECORDS)
FINETUNING = Statement(FINETUNE_STATEMENT, f"{CURATED_STATS}, {CURATED_RECORD}, {LINEAGE} "
                       f"({PUBLICATION})")  # fmt: skip


def rendered_statement(bundle: Path, statement: Statement) -> str | None:
    """The statement as the bundle's records give it; None where the lineage records no
    publication (a statement no release wrote), or, for the fine-tuning data's, the bundle
    holds no curated dataset's records."""
    lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    published = lineage.get(PUBLICATION)
    if published is None:
        return None
    if statement == FINETUNING:
        records = statement_records(bundle)
        if records is None:
            return None
        stats, dataset = records
    else:
        stats = json.loads((bundle / STATS).read_text(encoding="utf-8"))
        dataset = lineage["dataset"]
    return statement_from(stats, dataset, published["params"])


def statement_from(stats: dict[str, Any], dataset: dict[str, Any], settings: Any) -> str:
    """The data statement `publish` writes from a dataset's stats.json and record and the
    publication's settings (its record's `params`): what a release checks a publication's
    statement against before it ships it, and `verify` a bundle's. A `ValidationError` where
    the settings are not ones this version reads."""
    from gemeingut.data.publish import PublicationInfo
    from gemeingut.data.publish.data_statement import render_data_statement
    from gemeingut.data.publish.facts import DatasetFacts

    info = PublicationInfo.model_validate(settings)
    return render_data_statement(DatasetFacts(Path(), stats, dataset, (), {}, None), info)


def rendered_problems(bundle: Path, listed: dict[str, str], named: set[int]) -> list[Message | str]:
    """Each line of the bundle's data statements (its pretraining data's, its fine-tuning
    data's) that differs from the one its records give, but the lines in `named` (of the
    pretraining data's, said already against the shards); one problem where no record gives
    it, or where its records cannot be read back (named by that statement)."""
    problems = guarded(
        lambda: _statement_problems(bundle, listed, named, PRETRAINING), PRETRAINING.path
    )
    return problems + guarded(lambda: _finetuning_problems(bundle, listed), FINETUNING.path)


def _finetuning_problems(bundle: Path, listed: dict[str, str]) -> list[Message]:
    if FINETUNE_STATEMENT not in listed:
        return []
    mismatch = _other_dataset(bundle)
    if mismatch is not None:  # another dataset's statement: its lines say nothing more
        return [mismatch]
    return _statement_problems(bundle, listed, set(), FINETUNING)


def _other_dataset(bundle: Path) -> Message | None:
    """The publication the lineage records must be of the dataset the fine-tune trained on,
    as its copy's record names it: a statement of other data describes none the model saw."""
    lineage: dict[str, Any] = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    published = (lineage.get(PUBLICATION) or {}).get("inputs", {}).get("dataset")
    records = statement_records(bundle)
    trained = records[1].get("id") if records is not None else None
    if published is None or published == trained:
        return None
    return _(
        "{path}: {lineage} records the publication of the dataset {published}, but the "
        "fine-tuning data is the dataset {trained} ({record})",
        path=FINETUNE_STATEMENT,
        lineage=LINEAGE,
        published=str(published),
        trained=str(trained),
        record=CURATED_RECORD,
    )


def _statement_problems(
    bundle: Path, listed: dict[str, str], named: set[int], statement: Statement
) -> list[Message]:
    path = statement.path
    if path not in listed:
        return []
    again = rendered_statement(bundle, statement)
    if again is None:
        return [
            _(
                "{path} is written from no record of the bundle: {lineage} records no "
                "publication (the recipe's [data.publication]) that a release renders it "
                "from, so none of its sentences can be checked",
                path=path,
                lineage=LINEAGE,
            )
        ]
    shipped = (bundle / path).read_text(encoding="utf-8")
    differing = [line for line in differing_lines(shipped, again) if line[0] not in named]
    if not differing:
        return []
    said = [_line_said(*line, statement) for line in differing[:SHOWN]]
    more = len(differing) - SHOWN
    if more > 0:
        values = {"path": path, "count": str(more)}
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
            worded = rendered_statement(bundle, statement)
        if worded == shipped:  # the writer's words: a problem, unless a signer vouches
            return [OlderWording(path, wording.writer, said[0])]
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


def _line_said(
    number: int, stated: str | None, given: str | None, statement: Statement = PRETRAINING
) -> Message:
    if stated is None and given is None:
        return _(
            "{file} differs from the one the files give: {differences}",
            file=statement.path,
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
        path=statement.path,
        line=str(number),
        stated=stated,
        records=statement.records,
        given=given,
    )


RENDERED_LINE = _line_said(1, "-", "+").msgid  # its problems' msgid, for `--json`'s line
