"""What the server does with a reported answer, said from what it was started with: the
report form on the page, the page's policy view and `/v1/policy` (`findings`) say it.

A report is stored (`serve --findings FILE`) with the personal data the safety policy's
detectors find replaced (`audit.findings`), under the reporter's pseudonym where the server
knows people (a database) and under no name otherwise, and it is published with the model's
audit once the triage group confirms it (`audit run --findings` copies the confirmed ones).
"""

from __future__ import annotations

from typing import Any

from gemeingut.audit.findings import ANONYMOUS
from gemeingut.data.pii import PII_TYPES
from gemeingut.i18n import LANGUAGES, Message, _, text

PSEUDONYM = "pseudonym"


def findings_terms(state: Any) -> dict[str, object]:
    """`/v1/policy`'s `findings` for an app's `state`: whether reports are collected, which
    kinds of personal data are replaced in them, how the reporter is named, which reports are
    published, and the sentence the page shows, in each language."""
    notice = findings_notice(state)
    if notice is None:
        return {"collected": False}
    return {
        "collected": True,
        "redacted": list(PII_TYPES),
        "reporter": PSEUDONYM if state.gateway is not None else ANONYMOUS,
        "published": "confirmed",
        "text": {language: text(notice, language) for language in LANGUAGES},
    }


def findings_notice(state: Any) -> Message | None:
    """The sentence for a reporter (None: this server collects no reports)."""
    if state.findings is None:
        return None
    from gemeingut.serve.gateway.content_privacy import kinds_named

    types = kinds_named(PII_TYPES)
    if state.gateway is None:
        return _(
            "A report is stored without your name or a pseudonym; personal data the server's "
            "detectors recognise ({types}) is replaced by placeholders first. Other names are "
            "not recognised: leave them out. Once the people who audit the model confirm a "
            "report, it is published with the model's audit.",
            types=types,
        )
    return _(
        "A report is stored under your pseudonym, not your name; personal data the server's "
        "detectors recognise ({types}) is replaced by placeholders first. Other names are "
        "not recognised: leave them out. Once the people who audit the model confirm a report, it "
        "is published with the model's audit.",
        types=types,
    )
