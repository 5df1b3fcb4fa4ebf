"""The fine-tuning data's licence, checked before training. A licence that asks for
attribution (CC BY, DL-DE BY …) binds whoever passes the data or a model of it on, and the
release names whom to credit and where the data comes from in its NOTICE and card. A fine-tune
without them would train for minutes and then be refused at release (or, released, print
nothing where the credit belongs), so it is refused before the first step. So is a licence given
for the whole data that its own lines or documents contradict: each keeps the licence it states
(as `data curate` keeps it), and the record of the run must not claim another."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from gemeingut.audit.finetuning_data import is_jsonl_file
from gemeingut.data.licence_families import same_licence
from gemeingut.data.licence_field import LICENCE_FIELD, VALID_LICENCE
from gemeingut.data.licenses import decide
from gemeingut.data.publish.licenses import needs_attribution
from gemeingut.data.shards import SHARD_DIR
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, listed, plural, quoted
from gemeingut.model.finetune_line_licences import (
    invalid_licences,
    invalid_said,
    line_licences,
)
from gemeingut.parquet_records import parquet_table
from gemeingut.recipe import FinetuneSection
from gemeingut.release.openness.licences import content_licence

# The gate's reasons for data no open model may be made from (`data.licenses.decide`).
_NOT_FOR_OPEN = frozenset(
    {"licence-non-commercial", "licence-no-derivatives", "licence-proprietary"}
)


def check_data_attribution(section: FinetuneSection) -> None:
    """Refuse an open `data_license` that asks for attribution without both the attribution
    and the data's origin (the options that give them are named)."""
    licence = section.data_license
    if licence is None or not decide(licence).admitted or not needs_attribution(licence):
        return  # data that cannot be published (NC …) is refused by the release, not here
    given = {"--data-attribution": section.data_attribution, "--data-url": section.data_url}
    missing = [option for option, value in given.items() if not (value and value.strip())]
    if not missing:
        return
    values = {"licence": licence, "missing": quoted(missing)}
    said = plural(
        len(missing),
        _("the fine-tuning data's licence {licence} asks for attribution, but {missing} is "
          "missing: the release must name whom to credit and where the data comes from", **values),
        _("the fine-tuning data's licence {licence} asks for attribution, but {missing} are "
          "missing: the release must name whom to credit and where the data comes from", **values),
    )  # fmt: skip
    raise InputError(
        said,
        _(
            'name them: --data-attribution "AUTHOR, TITLE" --data-url URL '
            "(finetune.data_attribution and finetune.data_url in a recipe)"
        ),
    )


_SHOWN_LINES = 3  # contradicting lines named in a refusal; the rest are counted


def refuse_contradicted_licence(section: FinetuneSection) -> None:
    """Refuse a `data_license` that lines of the JSONL data contradict: a line that states a
    licence of its own (or, with an empty field, none) keeps it, as `data curate` keeps it, so
    a licence given for the whole file would record terms the line does not grant. A line
    whose field holds no licence is refused with or without one: its licence is unknown, and
    the rating of what the fine-tune wrote could name none."""
    given = section.data_license
    for path, split in ((section.data, "train"), (section.validation, "validation")):
        if path is not None and path.is_file() and is_jsonl_file(path):
            _refuse_invalid(path)
            if given is not None:
                _refuse_lines(path, given)
        elif given is not None and path is not None and (path / SHARD_DIR).is_dir():
            _refuse_documents(path, split, given)


def _refuse_invalid(path: Path) -> None:
    invalid = invalid_licences(path)
    if invalid:
        raise InputError(
            invalid_said(path.name, invalid),
            _(
                "{valid}; or leave the field {field!r} out where the licence given with the file "
                "(--data-license) covers the line",
                valid=VALID_LICENCE,
                field=LICENCE_FIELD,
            ),
        )


def _refuse_documents(dataset: Path, split: str, given: str) -> None:
    """A curated dataset's documents carry the licences `data curate` kept for them."""
    counts: Counter[str] = Counter()
    for shard in sorted((dataset / SHARD_DIR).glob(f"{split}-*.parquet")):
        named = shard.relative_to(dataset.parent).as_posix()  # damaged: named, in words
        counts.update(parquet_table(shard, named, ["license"])["license"].to_pylist())
    differ = {own or "": n for own, n in counts.items() if not same_licence(own or "", given)}
    if not differ:
        return
    said = [
        _("{count} under {licence}", count=n, licence=own or _("no licence"))
        for own, n in sorted(differ.items())
    ]
    raise InputError(
        _(
            "{dataset}: documents of the curated dataset carry licences of their own that "
            "--data-license {given} contradicts: {said}",
            dataset=dataset.name,
            given=given,
            said=listed(said),
        ),
        _(
            "leave out --data-license: the documents of a curated dataset count under the "
            "licences they carry"
        ),
    )


def _refuse_lines(path: Path, given: str) -> None:
    stated = ((n, own) for n, own in line_licences(path) if own is not None)
    differ = [(n, own) for n, own in stated if not same_licence(own, given)]
    if not differ:
        return
    lines = [
        _("line {line} says {licence}", line=str(n), licence=own or _("no licence (empty)"))
        for n, own in differ[:_SHOWN_LINES]
    ]
    values = {
        "path": path.name,
        "field": LICENCE_FIELD,
        "given": given,
        "lines": listed([*lines, *(["…"] if len(differ) > _SHOWN_LINES else [])]),
    }
    raise InputError(
        plural(
            len(differ),
            _("{path}: a line states a licence of its own in its field {field!r} that "
              "--data-license {given} contradicts: {lines}", **values),
            _("{path}: {count} lines state a licence of their own in their field {field!r} that "
              "--data-license {given} contradicts: {lines}", count=len(differ), **values),
        ),
        _(
            "leave out --data-license, so that each line counts under its own licence, and give "
            "the lines without one a {field!r} field; or correct the lines that say otherwise; "
            "or curate the data first (gemeingut data curate keeps each line's licence) and "
            "fine-tune on the curated dataset",
            field=LICENCE_FIELD,
        ),
    )  # fmt: skip


def refuse_closed_data(
    data_license: str | None,
    release_license: str | None,
    named: str = "--data-license",
    hint: Message | None = None,
) -> None:
    """Refuse an open `--license` for a model trained on data that forbids commercial use or
    derivatives, or is proprietary: no licence of the model lifts the data's terms, so such a
    release would pass on rights nobody has (the base model is held to the same by
    `base_model.release_refusal`). `named`: where the data's licence was given (the option, or
    a recipe's file, line and key); `hint`: what to do there (default: the command's)."""
    if data_license is None or release_license is None:
        return
    decision = decide(data_license)
    if decision.reason not in _NOT_FOR_OPEN or not content_licence(release_license).open:
        return
    raise InputError(
        _(
            "{named} {data}: {detail}, so a model trained on it cannot be released under an "
            "open licence such as {licence}",
            named=named,
            data=data_license,
            detail=decision.detail,
            licence=release_license,
        ),
        hint
        or _(
            "fine-tune on data under an open licence, or leave out --license to fine-tune "
            "without releasing"
        ),
    )
