"""A fine-tune card's validation losses against its fine-tuning log, said as both give them.

The card states the first and the last validation loss of the log (`losses_phrase`). Where
they differ, the reader is told what the card says and what the log records, each number as
the reader's language writes it: naming only the log's figures would read as if the log were
wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

from gemeingut.i18n import Message, _, as_written, current_language, decimal
from gemeingut.release.card_phrases import losses_phrase
from gemeingut.release.layout import CARD, FINETUNE_LOG
from gemeingut.release.openness.evidence import validation_curve

DIGITS = 4  # as the card writes a loss
# stand-ins for the two losses while the phrase becomes a pattern (any two distinct numbers)
_FIRST, _LAST = 111.0, 222.0
_NUMBER = r"(-?\d[\d.,]*)"


def loss_problems(bundle: Path, card: str, language: str) -> list[Message]:
    """The card's validation losses are the first and the last of the fine-tuning log;
    `card`: its text, `language`: the one it is written in."""
    path = bundle / FINETUNE_LOG
    if not path.is_file():
        return [_("missing: {file}", file=FINETUNE_LOG)]
    losses = [loss for _step, loss in validation_curve(path)]
    if not losses:
        return []
    flat = " ".join(card.split())
    if losses_phrase(losses[0], losses[-1], language) in flat:
        return []
    recorded = {"first": _Loss(losses[0]), "last": _Loss(losses[-1])}
    stated = card_losses(flat, language)
    if stated is None:
        return [
            _(
                "{file} does not state the validation losses {log} records ({first} → {last})",
                file=CARD,
                log=FINETUNE_LOG,
                **recorded,
            )
        ]
    return [
        _(
            "{file} gives the validation losses as {card_first} → {card_last}, but {log} "
            "records {first} → {last}",
            file=CARD,
            card_first=_Loss(stated[0]),
            card_last=_Loss(stated[1]),
            log=FINETUNE_LOG,
            **recorded,
        )
    ]


class _Loss(Message):
    """A loss as the card writes it (`DIGITS` decimals, 6,0420 not 6,042), in the language of
    the message it is part of."""

    def __init__(self, value: float) -> None:
        super().__init__("{value}", {"value": value})

    def render(self, language: str | None = None) -> str:
        return decimal(self.values["value"], DIGITS, language or current_language())


def card_losses(card: str, language: str) -> tuple[float, float] | None:
    """The two losses the card's phrase states, whatever their figures; None without it."""
    pattern = re.escape(losses_phrase(_FIRST, _LAST, language))
    for stand_in in (_FIRST, _LAST):  # written as the phrase writes a loss
        pattern = pattern.replace(re.escape(decimal(stand_in, DIGITS, language)), _NUMBER, 1)
    found = re.search(pattern, card)
    if found is None:
        return None
    first, last = (_number(value, language) for value in found.groups())
    return None if first is None or last is None else (first, last)


def _number(written: str, language: str) -> float | None:
    """A number as `language` writes it (1.234,5678 in German) as a float."""
    try:
        return float(as_written(written.rstrip(".,"), language).replace(",", ""))
    except ValueError:
        return None
