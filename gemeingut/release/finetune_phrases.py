"""A fine-tune's phrases that the card of our own model, the card of a foreign base's fine-tune
and the technical report share: a chain's links and a fine-tuning's counts, each number with
its noun in its number ("1 Schritt", "4 Schritte"). Here, not in `card_phrases`, because the
counts build on the AI Act summary's (`example_kinds`), which itself imports `card_phrases`."""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import Message, _, plural, text
from gemeingut.model.finetune_said import as_sentence, cut_said
from gemeingut.release.layout import (
    FINETUNE_DATA,
    FINETUNE_EARLIER,
    TRAINING_DATA,
    earlier_finetunes,
)
from gemeingut.release.openness.ai_act_finetune import example_kinds


def chain_phrase(lineage: dict[str, Any], base: Message | str, language: str) -> str | None:
    """A chain's links from `base` to the released model, each with its steps, its data's
    folder and licence (None for a single fine-tune)."""
    earlier, tuned = earlier_finetunes(lineage), lineage["finetune"]
    if not earlier:
        return None
    links = [(meta, f"{TRAINING_DATA}/{FINETUNE_EARLIER}/{meta['id']}/") for meta in earlier]
    links.append((tuned, f"{TRAINING_DATA}/{FINETUNE_DATA}/"))
    said = [_chain_link(meta, folder) for meta, folder in links]
    return " → ".join([f"`{text(base, language)}`", *(text(link, language) for link in said)])


def own_chain_phrase(lineage: dict[str, Any], language: str) -> str | None:
    """A chain on our own pretrained model, from it to the released fine-tune (None for any
    other release)."""
    if lineage.get("finetune") is None:
        return None
    return chain_phrase(lineage, str(lineage["model"]["id"]), language)


def _chain_link(meta: dict[str, Any], folder: str) -> Message:
    """One link of a chain: its id, steps (in their number), data folder and licence."""
    steps = int((meta.get("stats") or {}).get("steps") or 0)
    licence = meta["params"].get("data_license")
    named = {
        "model": meta["id"],
        "steps": str(steps),
        "folder": folder,
        "licence": f"`{licence}`" if licence else _("the licences of its documents (see NOTICE)"),
    }
    return plural(
        steps,
        _("`{model}` ({steps} step on `{folder}` under {licence})", **named),
        _("`{model}` ({steps} steps on `{folder}` under {licence})", **named),
    )


def trained_on(train: dict[str, Any], stats: dict[str, Any]) -> dict[str, Message]:
    """The card's counts of steps and examples, each noun in its number ("1 chat", not
    "1 chats")."""
    steps, examples = int(stats.get("steps") or 0), int(train.get("examples") or 0)
    return {
        "steps": plural(
            steps, _("for {count} step", count=steps), _("for {count} steps", count=steps)
        ),
        "examples": plural(
            examples,
            _("on {count} example", count=examples),
            _("on {count} examples", count=examples),
        ),
        "kinds": example_kinds(train),
    }


def cut_sentence(record: dict[str, Any], language: str) -> str | None:
    """How many training examples were cut to the window, as the fine-tuning said it (None:
    none was)."""
    cut = cut_said(record)
    return None if cut is None else as_sentence(text(cut, language))
