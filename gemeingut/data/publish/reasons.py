"""What the curate stage's exclusion reasons mean, for the documents a person reads.

The codes (`licence-missing`, `gopher-quality:bullet-lines` …) stay in the records
(`exclusions.parquet`, `stats.json`), where a tool matches them; the documents show each by its
meaning in the reader's language, the code beside it.
"""

from __future__ import annotations

from gemeingut.i18n import Message, _, text

# The curate stage's own reasons, by code.
REASONS = {
    "invalid-record": _("the record could not be read as a document"),
    "too-large": _("larger than `max_chars` allows"),
    "not-a-source-file": _("not read: a link out of the source folder, a linked folder or no file"),
    "licence-missing": _("no licence given"),
    "licence-unparseable": _("the licence is not a valid SPDX expression"),
    "licence-unknown": _("the licence is not on gemeingut's list of open licences"),
    "licence-proprietary": _("proprietary licence"),
    "licence-non-commercial": _("the licence forbids commercial use"),
    "licence-no-derivatives": _("the licence forbids derivatives"),
    "licence-attribution-missing": _("attribution licence without attribution text or source url"),
    "empty": _("no text"),
    "too-short": _("shorter than the minimum length"),
    "duplicate": _("same normalised text as an earlier document"),
    "duplicate-id": _("an earlier document has the same id"),
    "near-duplicate": _("near copy of an earlier document (MinHash LSH)"),
    "test-contamination": _("test document whose n-grams occur in the training split"),
}

# The text filters' reasons: `FILTER:CHECK`, each check a limit of the filter
# (gemeingut/data/filters/gopher.py, fineweb.py).
_FILTERS = {
    "gopher-quality": _("Gopher quality filter"),
    "gopher-repetition": _("Gopher repetition filter"),
    "fineweb-quality": _("FineWeb quality filter"),
}
_CHECKS = {
    "too-few-words": _("too few words"),
    "too-many-words": _("too many words"),
    "mean-word-length": _("mean word length outside the limits"),
    "hash-ratio": _("too many # signs per word"),
    "ellipsis-ratio": _("too many ellipses per word"),
    "bullet-lines": _("too many lines start with a bullet point"),
    "ellipsis-lines": _("too many lines end with an ellipsis"),
    "alpha-words": _("too few words contain a letter"),
    "stop-words": _("too few common function words"),
    "duplicate-lines": _("too many repeated lines"),
    "duplicate-line-chars": _("too many characters in repeated lines"),
    "duplicate-paragraphs": _("too many repeated paragraphs"),
    "duplicate-paragraph-chars": _("too many characters in repeated paragraphs"),
    "line-punctuation": _("too few lines end with punctuation"),
    "short-lines": _("too many short lines"),
    "newline-ratio": _("too many line breaks per word"),
}


def reason_meaning(code: str) -> Message | None:
    """What the exclusion reason `code` means; None for a code unknown here (a newer filter's)."""
    if code in REASONS:
        return REASONS[code]
    if code == "language-uncertain":
        return _("the language could not be identified with enough confidence")
    if code.startswith("language-"):
        return _(
            "in a language the recipe does not keep ({language})",
            language=code.removeprefix("language-"),
        )
    name, _sep, check = code.partition(":")
    if name not in _FILTERS:
        return None
    return _("{filter}: {check}", filter=_FILTERS[name], check=_check(check))


def _check(check: str) -> Message | str:
    if check in _CHECKS:
        return _CHECKS[check]
    if check.startswith("top-") and check.endswith("-gram"):
        return _("the most frequent {n}-gram covers too much of the text", n=check[4:-5])
    if check.startswith("duplicate-") and check.endswith("-grams"):
        return _("too much of the text in repeated {n}-grams", n=check[10:-6])
    return f"`{check}`"


def filter_said(block: str, language: str) -> str:
    """'Gopher-Qualitätsfilter (`gopher_quality`)': a text filter of the curate stage by its
    name in the reader's language, its block name (`stats.json`'s `blocks`) beside it."""
    meaning = _FILTERS.get(block.replace("_", "-"))
    if block == "language_filter":
        meaning = _("language filter")
    return f"`{block}`" if meaning is None else f"{text(meaning, language)} (`{block}`)"


def reason_said(code: str, language: str) -> str:
    """'keine Lizenz angegeben (`licence-missing`)': the meaning, the code beside it."""
    meaning = reason_meaning(code)
    return f"`{code}`" if meaning is None else f"{text(meaning, language)} (`{code}`)"
