"""Validation examples that are also training examples: with repeated examples in the data, the
seeded share held out for validation (`finetune_data.held_out`) may hold copies of examples that
stay in training, and separate validation data may repeat training examples. Its loss is then
measured partly on what the model trained on, and reads better than the model generalises.

The run says how many, rather than holding out distinct examples: the split is drawn from the
count of examples and the seed alone, and `audit/held_out.py` and `verify` draw it again that
way for every fine-tune and bundle made so far; and repeats are often meant (an example given
more weight). So the split stays, and whoever reads the validation loss is told what it holds.

Examples are compared by their content (kind, text, prompt, completion, messages), not by where
they stand; each is kept as an 8-byte digest, so data of any size is never held.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gemeingut.i18n import Message, _, plural, text
from gemeingut.model.finetune_data import Example
from gemeingut.progress import console


def digests(examples: Iterable[Example]) -> np.ndarray:
    """One 64-bit digest of each example's content, in order."""
    return np.fromiter((_digest(example) for example in examples), dtype=np.uint64)


def also_trained(validation: np.ndarray, training: np.ndarray) -> int:
    """How many validation examples (their digests) are also training examples."""
    return int(np.isin(validation, training).sum())


def overlap_said(count: int, total: int, validation: Path | None) -> Message | None:
    """What the validation loss holds where `count` of the `total` validation examples are
    also training examples (`validation`: the separate validation data, else None: held out
    of the training data); None where none is."""
    if count == 0:
        return None
    if validation is None:
        said = plural(
            count,
            _(
                "{count} of the {total} examples held out for validation also stands in the "
                "training data (a repeated example), so the validation loss is measured in part "
                "on what the model trained on",
                count=count,
                total=total,
            ),
            _(
                "{count} of the {total} examples held out for validation also stand in the "
                "training data (repeated examples), so the validation loss is measured in part "
                "on what the model trained on",
                count=count,
                total=total,
            ),
        )
        hint = _("remove the repeats from the data, or give separate validation data")
    else:
        said = plural(
            count,
            _(
                "{count} of the {total} validation examples in {path} also stands in the "
                "training data, so the validation loss is measured in part on what the model "
                "trained on",
                count=count,
                total=total,
                path=str(validation),
            ),
            _(
                "{count} of the {total} validation examples in {path} also stand in the "
                "training data, so the validation loss is measured in part on what the model "
                "trained on",
                count=count,
                total=total,
                path=str(validation),
            ),
        )
        hint = _("remove them from one of the two files")
    return _("{said}: {hint}", said=said, hint=hint)


def warn_overlap(count: int, total: int, validation: Path | None) -> None:
    """Say the overlap on stderr, beside the run's progress."""
    said = overlap_said(count, total, validation)
    if said is not None:
        console.print(f"! {text(said)}", markup=False, highlight=False, soft_wrap=True)


def _digest(example: Example) -> int:
    content = [
        example.kind,
        example.text,
        example.prompt,
        example.completion,
        [sorted(message.items()) for message in example.messages],
    ]
    raw = json.dumps(content, ensure_ascii=False).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")
