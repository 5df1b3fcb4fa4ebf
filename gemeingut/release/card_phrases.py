"""The card's phrases that `verify` looks for, each written by one function here: the card's
template and the check call the same function in the card's language, so they cannot drift.
Every number is written as the card's language writes it (`numeral`, `decimal`): 2.048 Tokens
and 1.290,99 in German, 2,048 tokens and 1,290.99 in English."""

from __future__ import annotations

from typing import Any

from gemeingut.i18n import LANGUAGES, _, decimal, text
from gemeingut.model.finetune_base_reference import is_revision


def bundle_language(release_info: dict[str, Any]) -> str:
    """The language a bundle's card, NOTICE and data statement were written in
    (`release.json`; English before the setting existed): `verify` reads them in it."""
    language = release_info.get("document_language")
    return language if language in LANGUAGES else "en"


def report_language(release_info: dict[str, Any]) -> str:
    """The language of the technical report and the AI Act summary, which followed the
    document language only later: a bundle from before says nothing and is English."""
    language = release_info.get("report_language")
    return language if language in LANGUAGES else "en"


def provider_phrase(release_info: dict[str, Any], language: str) -> str:
    """Who provides the model and whom to ask about it, as `release.json` names them (the
    release's authors and contact); what it does not name is said to be not given."""
    authors = ", ".join(release_info.get("authors") or [])
    contact = str(release_info.get("contact") or "")
    said = _(
        "Provided by {provider}; contact: {contact}.",
        provider=authors or _("not given"),
        contact=contact or _("not given"),
    )
    return text(said, language)


def licence_phrase(licence: str, language: str) -> str:
    return text(_("Licence of the model: `{licence}`", licence=licence), language)


def parameters_phrase(count: int, language: str) -> str:
    return text(_("{count} parameters", count=count), language)


def context_phrase(positions: Any, language: str) -> str:
    return text(_("context length {tokens} tokens", tokens=positions), language)


def base_phrase(reference: Any, language: str, revision: Any = None) -> str:
    """The base a model was fine-tuned from, with the revision of the Hub it was made from
    where its record names one (a commit: the weights, whatever `main` names later)."""
    if is_revision(revision):
        said = _(
            "fine-tuned from `{base}` at revision `{revision}`", base=reference, revision=revision
        )
        return text(said, language)
    return text(_("fine-tuned from `{base}`", base=reference), language)


def validation_loss(value: float | None, language: str) -> str:
    if value is None:
        return text(_("n/a (no validation data)"), language)
    return decimal(value, 4, language)


def evaluation_rows(results: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """The card's evaluation table as (label, value) rows."""
    return [
        (text(_("loss (nats/token)"), language), decimal(results["loss"], 4, language)),
        (text(_("perplexity"), language), decimal(results["perplexity"], 2, language)),
        (text(_("bits per byte"), language), decimal(results["bits_per_byte"], 4, language)),
    ]


def losses_phrase(first: float, last: float, language: str) -> str:
    """A fine-tune's validation loss before and after, as its card states it."""
    return text(
        _(
            "from {first} before fine-tuning to {last} after",
            first=decimal(first, 4, language),
            last=decimal(last, 4, language),
        ),
        language,
    )
