"""What a fine-tuning did with its examples, said from its record (`finetune.json`): how many
were cut to the window, and what became of those held out for validation.

The command's last lines, the card and the technical report say it in these same sentences,
each computed from the record's counts (`finetune_windows.pack`), so that they tell one story:
an example held out but cut before its answer is said as such, not as nothing held out.
"""

from __future__ import annotations

import re
from typing import Any

from gemeingut.i18n import Message, _, plural

# How `finetune.json` records where the validation examples came from and what the loss counts
# (English, as a record keeps them; `validation_source` and `loss_said` say them in words).
DATASET_SPLIT = "the dataset's validation split"
LOSS_ON = "answers only (assistant turns, completions); all of plain text"
_SHARE = re.compile(r"(\d+)% of the examples, seed (\d+)")


def share_recorded(fraction: float, seed: int) -> str:
    """The record's words for a seeded share of the examples held out (`_SHARE` reads them)."""
    return f"{fraction:.0%} of the examples, seed {seed}"


def validation_source(recorded: str) -> Message | str:
    """Where the record says the validation examples came from, in the reader's words; a file
    name as recorded."""
    if recorded == DATASET_SPLIT:
        return _("the dataset's validation split")
    share = _SHARE.fullmatch(recorded)
    if share:
        return _("{percent} % of the examples, seed {seed}", percent=share[1], seed=share[2])
    return recorded


def loss_said(recorded: str) -> Message | str:
    """What the record says the loss counts, in the reader's words (other words as recorded)."""
    if recorded == LOSS_ON:
        return _("the answers only (assistant turns, completions); all of a plain text")
    return recorded


def cut_said(record: dict[str, Any]) -> Message | None:
    """How many training examples were longer than a window and cut (None: none was)."""
    train, seq_len = record["data"]["train"], record["training"]["seq_len"]
    cut, examples = int(train.get("truncated") or 0), int(train.get("examples") or 0)
    if not cut:
        return None
    values = {"cut": cut, "examples": examples, "seq_len": seq_len}
    return plural(
        cut,
        _(
            "{cut} of {examples} training examples was longer than seq_len = {seq_len} tokens "
            "and was cut: the rest of its answer was not trained",
            **values,
        ),
        _(
            "{cut} of {examples} training examples were longer than seq_len = {seq_len} tokens "
            "and were cut: the rest of their answers was not trained",
            **values,
        ),
    )


def mostly_cut(record: dict[str, Any]) -> Message | None:
    """A warning where most training examples were cut, with what to do (None: most fit)."""
    train = record["data"]["train"]
    if 2 * int(train.get("truncated") or 0) <= int(train.get("examples") or 0):
        return None
    return _(
        "most of the training examples did not fit into seq_len = {seq_len} tokens: pass a "
        "larger --seq-len (finetune.training.seq_len in a recipe), up to the base model's "
        "context length",
        seq_len=record["training"]["seq_len"],
    )


def unvalidated_said(record: dict[str, Any]) -> tuple[Message, Message | None]:
    """Why a fine-tuning has no validation loss, from what it held out, and how to get one
    (for whoever fine-tunes: a document says the why alone)."""
    data = record["data"]
    held = data.get("validation") or {}
    examples = int(held.get("examples") or 0)
    source = data.get("validation_from", "")
    if examples:  # held out, but no window with an answer token to score was left
        counts = {
            "examples": examples,
            "source": validation_source(source),
            "cut": int(held.get("truncated") or 0),
            "seq_len": record["training"]["seq_len"],
        }
        if counts["cut"]:
            return _(
                "no validation loss: examples held out for validation: {examples} ({source}), "
                "of them cut at seq_len = {seq_len} tokens: {cut}; none kept an answer token to "
                "score",
                **counts,
            ), _("pass a larger --seq-len")
        return _(
            "no validation loss: examples held out for validation: {examples} ({source}); "
            "none has an answer token to score",
            **counts,
        ), _("pass validation examples with answers")
    if source == DATASET_SPLIT:
        return _(
            "no validation loss: the dataset's validation split is too small for one window, so "
            "nothing was held out for validation"
        ), _("pass held-out examples with --validation FILE")
    if _SHARE.fullmatch(source):
        return _(
            "no validation loss: nothing was held out for validation (held out are {source}: "
            "at least one, once there are two or more examples)",
            source=validation_source(source),
        ), _("give more examples, or pass held-out examples with --validation FILE")
    return _(
        "no validation loss: the validation data {source} gave no examples", source=source
    ), None


def as_sentence(said: str) -> str:
    """A line of the command's output as a document's sentence: capital first, full stop."""
    return said[:1].upper() + said[1:] + ("" if said.endswith(".") else ".")
