"""The licence of the data a folder `model finetune` wrote was fine-tuned on, read from what the
folder holds: the licence given with data files (`--data-license`, recorded in artifact.json),
and the licences the documents of a curated dataset carry (the `license` column of the shards
the fine-tune copied beside its record), combined as a collection's licence is (`A AND B`).
Where neither says one, the licence stays unknown and the rating says why, so that no data
counts as openly licensed on a guess."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gemeingut.audit.finetuning_data import DATA_DIR, is_jsonl_file
from gemeingut.data.licence_field import LICENCE_FIELD, VALID_LICENCE
from gemeingut.i18n import Message, _, plural
from gemeingut.model.finetune_line_licences import invalid_licences, invalid_said, line_licences
from gemeingut.release.finetune_publication import trained_on
from gemeingut.release.openness.evidence import NO_LICENCE, data_licences
from gemeingut.release.openness.licences import collection_expression
from gemeingut.release.openness.sentences import joined
from gemeingut.workspace import ARTIFACT_FILE


@dataclass(frozen=True)
class DataLicence:
    """The fine-tuning data's licence (None: unknown), the files that say it, and where it
    comes from or why it is unknown (in the reader's language)."""

    licence: str | None
    evidence: str | None
    said: Message | str


def fine_tuning_data_licence(
    folder: Path,
    params: dict[str, Any],
    record: dict[str, Any],
    given_as: Message | None = None,
) -> DataLicence:
    """`params`: artifact.json's (the licence given with the data); `record`: finetune.json's
    `data` (the name of what was given); `given_as`: where the licence was given, as
    finetune.json records it (None: it does not, and no place is named). Read as the rating
    of its release bundle reads the same data (`evidence.py`): the shards' documents by their
    own licences, the files given under the licence given with them, so that the folder and
    its bundle say one licence."""
    given = str(params.get("data_license") or "") or None
    read = data_licences(folder, DATA_DIR, {".": (given or NO_LICENCE, "fine-tuning data")})
    shards = sorted(f for f in read.per_file if f.endswith(".parquet"))
    files = sorted(f for f in read.per_file if f not in shards)
    if invalid := _invalid(folder, files):
        return DataLicence(None, None, invalid)
    counts: Counter[str] = sum((read.per_file[f] for f in shards), Counter())
    unlicensed = counts.pop(NO_LICENCE, 0)
    where = ", ".join(dict.fromkeys(f"{f.rsplit('/', 1)[0]}/" for f in shards))
    if unlicensed:
        why = plural(
            unlicensed,
            _(
                "a document of the curated dataset in {folder} carries no licence: the "
                "fine-tuning data's licence is unknown",
                folder=where,
            ),
            _(
                "{count} documents of the curated dataset in {folder} carry no licence: the "
                "fine-tuning data's licence is unknown",
                count=unlicensed,
                folder=where,
            ),
        )
        return DataLicence(None, None, why)
    lines: Counter[str] = sum((read.per_file[f] for f in files), Counter())
    own = _own_licences(folder, files)
    if lines[NO_LICENCE] and own:
        return DataLicence(None, None, _lines_unlicensed(lines[NO_LICENCE], files))
    lines.pop(NO_LICENCE, None)
    # the licence given counts for the files given, or where the folder keeps no copy at all
    given = given if files or not shards else None
    if not counts and not given and not own:
        return DataLicence(None, None, _unknown(folder, record))
    said, evidence = [], []
    if own:
        said.append(_stating(own, files, collection_expression(list(lines))))
        evidence.append(_shown(files))
    if given and (not files or own < sum(lines.values())):
        said.append(_recorded(given, given_as))
        evidence.append(ARTIFACT_FILE)
    if counts:
        named = {
            "dataset": _dataset(folder, where),
            "folder": where,
            "licence": collection_expression(list(counts)),
        }
        total = sum(counts.values())
        said.append(
            plural(
                total,
                _(
                    "the one document of the curated dataset {dataset} it was fine-tuned on "
                    "({folder}) carries {licence}",
                    **named,
                ),
                _(
                    "the {count} documents of the curated dataset {dataset} it was fine-tuned "
                    "on ({folder}) carry {licence}",
                    count=total,
                    **named,
                ),
            )
        )
        evidence.append(where)
    licences = [*counts, *lines, *([given] if given and not files else [])]
    return DataLicence(collection_expression(licences), ", ".join(evidence), joined(said))


def _recorded(licence: str, given_as: Message | None) -> Message:
    """The licence artifact.json records for the data, with where it was given where
    finetune.json says (an option, or a recipe's key)."""
    if given_as is None:
        return _(
            "{file} records the licence {licence} given with the fine-tuning data",
            file=ARTIFACT_FILE,
            licence=licence,
        )
    return _(
        "{file} records the licence {licence} given with the fine-tuning data ({given})",
        file=ARTIFACT_FILE,
        licence=licence,
        given=given_as,
    )


def _invalid(folder: Path, files: list[str]) -> Message | None:
    """Why the licence is unknown where an example's field `license` holds no licence: the
    file, the line, what it holds and what a valid value looks like."""
    for name in files:
        path = folder / name
        if is_jsonl_file(path) and (invalid := invalid_licences(path)):
            return _(
                "{problem}, so the fine-tuning data's licence is unknown ({valid})",
                problem=invalid_said(name, invalid),
                valid=VALID_LICENCE,
            )
    return None


def _stating(count: int, files: list[str], licence: str) -> Message:
    """The examples that state a licence of their own, and the licence they make together."""
    stated = {"files": _shown(files), "field": LICENCE_FIELD, "licence": licence}
    return plural(
        count,
        _("an example of {files} states its own licence in its field {field!r}: {licence}",
          **stated),
        _("{count} examples of {files} state their own licence in their field {field!r}: "
          "{licence}", count=count, **stated),
    )  # fmt: skip


def _own_licences(folder: Path, files: list[str]) -> int:
    """How many examples of the files given state a licence of their own (an empty field
    states none: beside only such lines, no line states one)."""
    paths = (folder / f for f in files)
    return sum(bool(own) for p in paths if is_jsonl_file(p) for _n, own in line_licences(p))


def _lines_unlicensed(count: int, files: list[str]) -> Message:
    """Lines that state a licence beside lines that state none, with none given for them."""
    named = {"files": _shown(files), "file": ARTIFACT_FILE, "field": LICENCE_FIELD}
    return plural(
        count,
        _("an example of {files} states no licence in a field {field!r} while others do, and "
          "{file} records none given with the data: the fine-tuning data's licence is unknown "
          "(give that line its licence)", **named),
        _("{count} examples of {files} state no licence in a field {field!r} while others do, "
          "and {file} records none given with the data: the fine-tuning data's licence is "
          "unknown (give those lines their licence)", count=count, **named),
    )  # fmt: skip


def _shown(files: list[str]) -> str:
    return ", ".join(files[:3]) + (", …" if len(files) > 3 else "")


def _dataset(folder: Path, where: str) -> str:
    """The curated dataset's id from the record kept beside its shards; its folder where that
    record is missing or damaged (the rating reads what the folder holds, and goes on)."""
    try:
        return str(trained_on(folder) or where)
    except (ValueError, AttributeError):  # not JSON, or no object
        return where


def _unknown(folder: Path, record: dict[str, Any]) -> Message:
    """Why no licence is known: data files given without one, or no copy of the data."""
    data = folder / DATA_DIR
    files = sorted(p.relative_to(folder).as_posix() for p in data.rglob("*") if p.is_file())
    if files:
        return _(
            "the fine-tuning data ({files}) was given as files without a licence, and "
            "{file} records none (fine-tune with --data-license)",
            files=_shown(files),
            file=ARTIFACT_FILE,
        )
    return _(
        "the folder holds no copy of the fine-tuning data {name} and {file} records no "
        "licence of it",
        name=str(record.get("path_name") or "-"),
        file=ARTIFACT_FILE,
    )
