"""What the content log keeps of the personal data people write (data minimisation, Art. 5(1)(c)
DSGVO): before a request's content is stored, the detectors that community findings use
(`policy.redact_personal_data`) replace every kind they know by its placeholder, in what was
asked and in what was answered, whatever the deployment's safety policy redacts for the model.

Person names are replaced too, unless the deployment decided to keep them (`gemeingut admin
content names --keep`, e.g. where reviewing letters needs them). That choice belongs to the
deployment, as the content log's period does: stored once in the database, read by every
server with each request it keeps, and said at start, on `/v1/policy` and by the command.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from gemeingut.data.pii import PII_TYPES
from gemeingut.i18n import LANGUAGES, Message, _, text
from gemeingut.serve.gateway.policy import redact_personal_data
from gemeingut.serve.gateway.store import reading, writing
from gemeingut.serve.gateway.tables import settings

NAMES = "shared.content_log_names"  # `keep`; absent or `redact`: names are replaced
KEEP, REDACT = "keep", "redact"
NAME_KIND = "person_name"

log = logging.getLogger(__name__)


def names_kept(conn: Connection) -> bool:
    """Whether the deployment keeps person names in its content log."""
    found = conn.execute(select(settings.c.value).where(settings.c.name == NAMES)).scalar()
    return found == KEEP


def set_names_kept(engine: Engine, keep: bool) -> bool:
    """Store the deployment's choice; returns whether names were kept before."""
    with writing(engine) as conn:
        before = names_kept(conn)
        conn.execute(settings.delete().where(settings.c.name == NAMES))
        conn.execute(settings.insert().values(name=NAMES, value=KEEP if keep else REDACT))
    return before


def redacted_kinds(engine: Engine) -> tuple[str, ...]:
    """The kinds of personal data replaced in what the content log keeps, as stored now."""
    with reading(engine) as conn:
        return kinds_replaced(names_kept(conn))


def kinds_replaced(keep_names: bool) -> tuple[str, ...]:
    return tuple(kind for kind in PII_TYPES if not (keep_names and kind == NAME_KIND))


def minimised(texts: list[str], kinds: tuple[str, ...]) -> list[str]:
    """`texts` with the personal data of `kinds` replaced by their placeholders (<EMAIL> …)."""
    return [redact_personal_data(value, kinds)[0] for value in texts]


def kinds_named(kinds: tuple[str, ...]) -> Message:
    """The kinds as a reader names them (e-mail addresses, IBANs, …), in one message."""
    from gemeingut.apps.web.texts import TEXTS

    named: Message = TEXTS[f"pii_{kinds[0]}"]
    for kind in kinds[1:]:
        named = _("{names}, {name}", names=named, name=TEXTS[f"pii_{kind}"])
    return named


def content_kept_said(kinds: tuple[str, ...]) -> Message:
    """What the content log keeps of personal data: for the start and `/v1/policy`."""
    if NAME_KIND in kinds:
        return _(
            "logged content: personal data the server's detectors recognise ({types}) is "
            "replaced by placeholders before it is stored; other names are not recognised",
            types=kinds_named(kinds),
        )
    return _(
        "logged content: personal data the server's detectors recognise ({types}) is replaced "
        "by placeholders before it is stored; person names are kept, as this deployment "
        "decided (`gemeingut admin content names --redact` replaces them too)",
        types=kinds_named(kinds),
    )


def content_terms(engine: Engine) -> dict[str, object]:
    """`/v1/policy`'s account of what logged content keeps: the kinds replaced, whether
    names are kept, and the sentence in each language; read from the database each time, so
    that an administrator's change shows at once. `content_redaction_known` is false, and the
    three fields are left out, while the database cannot be read: the policy stays readable
    and claims no redaction nobody could read."""
    try:
        kinds = redacted_kinds(engine)
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        said = _("what logged content keeps could not be read for /v1/policy: {cause}", cause=cause)
        log.warning("%s", text(said))
        return {"content_redaction_known": False}
    said = content_kept_said(kinds)
    return {
        "content_redaction_known": True,
        "content_redacted": list(kinds),
        "content_names_kept": NAME_KIND not in kinds,
        "content_text": {language: text(said, language) for language in LANGUAGES},
    }


def names_said(kept: bool) -> Message:
    """Whether names are kept, as the command says it."""
    return _("kept as written") if kept else _("replaced by placeholders")
