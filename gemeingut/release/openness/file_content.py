"""Whether a file in a model folder holds what its name promises: an openness rating counts a
component from evidence with content, never from a file name alone (an empty `train.py` is no
training code, an empty `data/train.jsonl` no dataset).

Each file is read as far as its kind can be checked cheaply: Python code must parse and hold a
statement, data must hold a record (JSON Lines, JSON, Parquet, CSV/TSV, text), a PDF must be a
PDF, safetensors must have their header and be as long as it says, JSON must parse; any other
file must not be empty. A file that is listed but not here to read (a fine-tune bundle lists
its base's files by name) counts, and says it was found by name only.
"""

from __future__ import annotations

import ast
import csv
import json
from dataclasses import dataclass, replace
from pathlib import Path

from gemeingut.i18n import Message, _, plural, recorded
from gemeingut.model.safetensors_file import layout
from gemeingut.release.openness.licences import Openness
from gemeingut.release.openness.mof import Component, Found, found
from gemeingut.release.openness.sentences import joined

_TEXT_SAMPLE = 1 << 16  # bytes read to see that a text or data file holds something
_WHOLE_LIMIT = 256 << 20  # larger JSON data is counted by its size, not parsed
_SHOWN = 5  # files named in a component's detail
DATA = frozenset({"Datasets", "Evaluation data"})  # components whose files must hold records


@dataclass(frozen=True)
class Examined:
    path: str
    counts: bool
    note: Message
    by_name_only: bool = False


def evidenced(
    component: Component,
    folder: Path,
    paths: list[str],
    licence: str | None,
    verdict: Openness | None = None,
) -> Found:
    """The component from the files that stand for it and hold something; the detail says
    what each file holds, or why it does not count. `verdict`: the licence's, where the caller
    knows more than its name (terms the folder states in two ways)."""
    if not paths:
        return missing(component, licence)
    examined = [examine(folder, p, data=component.name in DATA) for p in paths]
    part = found(component, [e.path for e in examined if e.counts], licence, verdict)
    said = said_of(examined)
    return noted(part, said) if part.present else replace(part, detail=recorded(said))


def folder_files(folder: Path) -> list[Path]:
    """The files below `folder` that stand for it, in order: hidden ones (`.gitkeep`) hold
    nothing a component needs."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def missing(component: Component, licence: str | None) -> Found:
    return Found(component, (), licence, False, recorded(_("not in the folder")))


def noted(part: Found, said: Message) -> Found:
    """`part` with what was found said before its licence's verdict."""
    return replace(part, detail=recorded(joined([said, part.detail])))


def said_of(examined: list[Examined]) -> Message | str:
    """What the files hold, those that do not count first, the first few named."""
    ordered = sorted(examined, key=lambda e: (e.counts, not e.by_name_only, e.path))
    said: list[Message | str] = [
        _("{path}: {note}", path=e.path, note=e.note) for e in ordered[:_SHOWN]
    ]
    rest = len(ordered) - _SHOWN
    if rest > 0:
        said.append(plural(rest, _("1 more file"), _("{count} more files", count=rest)))
    return joined(said)


def examine(folder: Path, rel: str, data: bool = False) -> Examined:
    """What the file `rel` of `folder` holds; `data`: it stands for a dataset."""
    path = folder / rel
    if not path.is_file():
        return Examined(rel, True, _("present by file name only"), by_name_only=True)
    if path.stat().st_size == 0:
        return Examined(rel, False, _("empty"))
    suffix = path.suffix.lower()
    try:
        if data:
            return _data(path, rel, suffix)
        if suffix == ".py":
            return _python(path, rel)
        if suffix == ".pdf":
            return _pdf(path, rel)
        if suffix == ".safetensors":
            return _safetensors(path, rel)
        if suffix == ".json":
            return _json(path, rel)
        if suffix in (".md", ".txt", ".rst", ".tex", ".yml", ".yaml", ".toml", ".cfg", ".lock"):
            return _text(path, rel)
    except OSError as error:
        return Examined(rel, False, _("cannot be read: {error}", error=str(error)))
    return Examined(rel, True, _("not empty"))


def _python(path: Path, rel: str) -> Examined:
    try:
        tree = ast.parse(path.read_bytes(), filename=rel)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None) or 1
        return Examined(rel, False, _("not Python (line {line})", line=str(line)))
    if not tree.body:
        return Examined(rel, False, _("no Python statement, only comments or blank lines"))
    return Examined(rel, True, _("Python code"))


def _pdf(path: Path, rel: str) -> Examined:
    with path.open("rb") as handle:
        start = handle.read(1024)
    if b"%PDF-" not in start:
        return Examined(rel, False, _("not a PDF document (no %PDF header)"))
    return Examined(rel, True, _("a PDF document"))


def _safetensors(path: Path, rel: str) -> Examined:
    """Weights in the safetensors layout, whole: a header with tensors, and as many bytes as
    its offsets promise (a file cut short in a copy still has its header)."""
    found = layout(path)
    if not found.tensors:
        return Examined(rel, False, _("not a safetensors file with tensors"))
    if not found.whole:
        return Examined(
            rel,
            False,
            _(
                "not a whole safetensors file: {size} bytes where its header promises "
                "{expected}; copy or download it again",
                size=found.size,
                expected=found.expected,
            ),
        )
    return Examined(rel, True, _("safetensors weights"))


def _json(path: Path, rel: str) -> Examined:
    if path.stat().st_size > _WHOLE_LIMIT:
        return Examined(rel, True, _("not empty (too large to parse here)"))
    try:
        value = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return Examined(rel, False, _("not JSON: {error}", error=str(error)))
    if value in (None, "", [], {}):
        return Examined(rel, False, _("empty JSON"))
    return Examined(rel, True, _("JSON"))


def _text(path: Path, rel: str) -> Examined:
    if not _sample(path).strip():
        return Examined(rel, False, _("only blank space"))
    return Examined(rel, True, _("text"))


def _sample(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read(_TEXT_SAMPLE).decode("utf-8", errors="replace")


def _data(path: Path, rel: str, suffix: str) -> Examined:
    """A data file counts when it holds at least one record."""
    if suffix in (".jsonl", ".ndjson"):
        return _json_lines(path, rel)
    if suffix == ".json":
        return _json(path, rel)
    if suffix == ".parquet":
        return _parquet(path, rel)
    if suffix in (".csv", ".tsv"):
        return _table(path, rel, "\t" if suffix == ".tsv" else ",")
    if suffix in (".txt", ".md"):
        return _text(path, rel)
    return Examined(rel, True, _("not empty (its format is not read)"))


def _json_lines(path: Path, rel: str) -> Examined:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                json.loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                where = str(number)
                return Examined(
                    rel,
                    False,
                    _("not JSON Lines (line {line}: {error})", line=where, error=error.args[0]),
                )
            return Examined(rel, True, _("holds records"))
    return Examined(rel, False, _("no record"))


def _parquet(path: Path, rel: str) -> Examined:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as error:  # pyarrow raises several kinds for a file that is not Parquet
        return Examined(rel, False, _("not a Parquet file: {error}", error=str(error)))
    if rows == 0:
        return Examined(rel, False, _("no record"))
    return Examined(rel, True, _("holds records"))


def _table(path: Path, rel: str, delimiter: str) -> Examined:
    """A header row and at least one row of values."""
    rows = csv.reader(_sample(path).splitlines(), delimiter=delimiter)
    filled = [row for row in rows if any(cell.strip() for cell in row)][:2]
    if len(filled) < 2:
        return Examined(rel, False, _("no record"))
    return Examined(rel, True, _("holds records"))
