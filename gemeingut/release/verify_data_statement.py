"""Where the data statement's licences differ from the shards: the line, the value it states
and the one the shards give.

`data_metadata` finds that the statement's header or licence table is not what the shards'
`license` column gives; a reader (a journalist who changed 3 to 30) needs to see which line
says what, and what it should say. The licence table is rendered again in the statement's
language and compared row by row, by licence, so that the order of the rows does not matter.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from gemeingut.data.publish import DATA_STATEMENT_FILE
from gemeingut.i18n import LANGUAGES, Message, _
from gemeingut.release.layout import TRAINING_DATA

_CELLS = re.compile(r"(?<!\\)\|")  # a cell's own `|` is written `\|`
DATA_STATEMENT = f"{TRAINING_DATA}/{DATA_STATEMENT_FILE}"
VAGUE = "{path} states other licences than the shards hold: {found}"


def statement_lines(path: str, statement: str, counts: Counter[str]) -> list[Message]:
    """Each line of `statement` (the file `path`) whose licences differ from `counts`: the
    header's corpus licence and each row of the licence table, with both values."""
    from gemeingut.data.publish.data_statement import Words, licence_table
    from gemeingut.data.publish.licenses import combine_licences

    lines = statement.splitlines()
    found = []
    corpus = f"corpus_licence: {json.dumps(combine_licences(counts))}"
    for number, line in enumerate(lines, start=1):
        if line.startswith("corpus_licence:") and line != corpus:
            found.append(_said(path, number, line, corpus))
            break
    total = sum(counts.values())
    for lang in LANGUAGES:
        table = licence_table(Words(lang), dict(counts.most_common()), total).splitlines()
        if table[0] in lines:
            return found + _table_rows(path, lines, lines.index(table[0]), table)
    return found


def _table_rows(path: str, lines: list[str], start: int, table: list[str]) -> list[Message]:
    """The shipped table (from line `start`, 0-based) against the rendered one, by licence."""
    header = _cells(table[0])
    expected = {_cells(row)[0]: _cells(row) for row in table[2:]}
    found, seen = [], set()
    for index in range(start + 2, len(lines)):
        if not lines[index].startswith("|"):
            break
        cells = _cells(lines[index])
        seen.add(cells[0])
        rendered = expected.get(cells[0])
        if rendered is None or len(cells) != len(rendered):  # a row the shards do not give
            computed = "—" if rendered is None else _row(rendered)
            found.append(_said(path, index + 1, _row(cells), computed))
            continue
        for column, stated, computed in zip(header, cells, rendered, strict=True):
            if stated != computed:
                found.append(_said(path, index + 1, stated, computed, cells[0], column))
    found += [
        _said(path, start + 1, "—", _row(cells)) for licence, cells in expected.items()
        if licence not in seen
    ]  # fmt: skip
    return found


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in _CELLS.split(row.strip())[1:-1]]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _said(
    path: str, line: int, stated: str, computed: str, licence: str = "", column: str = ""
) -> Message:
    if column:
        return _(
            "{path}, line {line}: the licence table gives {licence} {stated} in the column "
            "{column}, the shards give {computed}",
            path=path,
            line=str(line),
            licence=licence.strip("`"),
            stated=stated,
            column=column,
            computed=computed,
        )
    return _(
        "{path}, line {line}: {stated} is stated, the shards give {computed}",
        path=path,
        line=str(line),
        stated=stated,
        computed=computed,
    )


def is_vague(problem: object, path: str) -> bool:
    """Whether `problem` is `data_metadata`'s sentence without lines, for `path`."""
    values = getattr(problem, "values", {})
    return getattr(problem, "msgid", None) == VAGUE and values.get("path") == path


def named_lines(problems: list[object], path: str) -> set[int]:
    """The lines of `path` that `problems` name already against the shards."""
    return {
        int(problem.values["line"])
        for problem in problems
        if isinstance(problem, Message)
        and problem.msgid in AT_LINE
        and problem.values.get("path") == path
    }


# The msgids of the problems `_said` makes, to find them again (`named_lines`, `--json`'s line)
AT_LINE = (_said("", 0, "", "").msgid, _said("", 0, "", "", "-", "-").msgid)
