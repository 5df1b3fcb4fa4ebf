"""The stages of `gemeingut build` as a person reads them: one word each, in the reader's
language, in aligned columns. `reproduce` reads the word after the ✓ back as the stage, also
the English ids that a gemeingut before the names printed."""

from __future__ import annotations

from pathlib import Path

from gemeingut.i18n import LANGUAGES, Message, _, text

# Each stage's name as `gemeingut build` shows it, one word (`reproduce` reads the word after
# the ✓ back as the stage); its id (the key) stays in --json.
STAGE_NAMES: dict[str, Message | str] = {
    "dataset": _("dataset"),
    "publication": _("publication"),
    "tokenizer": _("tokenizer"),
    "model": _("model"),
    "finetune": _("fine-tuning"),
    "evaluation": _("evaluation"),
    "audit": _("audit"),
    "gguf": "GGUF",
    "release": _("release"),
}


def stage_line(kind: str, reused: bool, path: Path, language: str | None = None) -> str:
    """'Datensatz   gebaut   PATH': columns as wide as the longest stage name and state in
    the reader's language, so the paths line up."""
    width = max(len(text(name, language)) for name in STAGE_NAMES.values())
    states = [text(_("reused"), language), text(_("built"), language)]
    state = states[0] if reused else states[1]
    return f"{stage_name(kind, language):<{width}}  {state:<{max(map(len, states))}}  {path}"


# Artifacts a command makes that are no stage of `gemeingut build` (a fine-tune's LoRA adapter).
_OTHER_ARTIFACTS: dict[str, Message] = {"adapter": _("LoRA adapter")}


def stage_name(kind: str, language: str | None = None) -> str:
    return text(STAGE_NAMES[kind], language) if kind in STAGE_NAMES else kind


def artifact_name(kind: str, language: str | None = None) -> str:
    """An artifact's kind as the "✓ … built" line of a command names it, in the reader's
    language: its stage's name, else its own."""
    if kind in _OTHER_ARTIFACTS:
        return text(_OTHER_ARTIFACTS[kind], language)
    return stage_name(kind, language)


def stage_named(word: str) -> str | None:
    """The stage id that a build line's word names: its name in either language, or the id
    itself (the lines of a gemeingut before the names)."""
    if word in STAGE_NAMES:
        return word
    return next(
        (
            kind
            for kind, name in STAGE_NAMES.items()
            for language in LANGUAGES
            if text(name, language) == word
        ),
        None,
    )
