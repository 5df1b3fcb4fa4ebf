"""What was asked and answered, kept only where the deployment opts in (`gemeingut serve
--content-log-days N`) and for N days: a data-protection officer can then approve it as a
documented processing (it shows in `/v1/policy` and the Art. 30 record).

A row carries the same pseudonym as the audit record, never a name or address. Reading a
person's rows (`gemeingut admin content export`) is itself written to the audit log, and
`gemeingut admin content delete` erases them (Art. 17 DSGVO).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, func, select

from gemeingut.serve.backends.protocol import ChatPrompt, Prompt
from gemeingut.serve.gateway.identity import Principal, person_named, person_still_there
from gemeingut.serve.gateway.store import reading, writing
from gemeingut.serve.gateway.tables import content_log

COLUMNS = ("at", "request_id", "route", "model", "prompt", "answer")
ROUTE_CHARS = 40  # the column's width (a collection's name can make a path longer)
_KEPT = ("at", "request_id", "user_pseudonym", "route", "model", "prompt", "answer")
# Built once (as `audit_log`'s): a row of content, inserted only where its person still exists.
_KEEP = content_log.insert().from_select(
    _KEPT,
    select(*(bindparam(f"kept_{name}", type_=content_log.c[name].type) for name in _KEPT)).where(
        person_still_there(locked=True)
    ),
)


def prompt_text(prompt: Prompt) -> str:
    """The prompt as the model got it (after the policy's redactions)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, ChatPrompt):
        return "\n\n".join(f"{role}: {content}" for role, content in prompt.messages)
    return json.dumps(list(prompt))  # token ids


def keep(
    engine: Engine,
    at: datetime,
    request_id: str,
    pseudonym: str,
    principal: Principal,
    route: str,
    model: str,
    prompts: tuple[str, ...],
    answers: list[str],
) -> None:
    """Keep one request's content under `pseudonym`, the person of `principal`'s, unless
    that person was removed while the request ran: `users remove` erased what was kept of
    them, and nothing may come after it. Checked by the INSERT itself, which on PostgreSQL
    waits for a removal under way (its row lock) and then finds the person gone."""
    row = {
        "at": at,
        "request_id": request_id,
        "user_pseudonym": pseudonym,
        "route": route[:ROUTE_CHARS],
        "model": model,
        # PostgreSQL's text cannot hold NUL; a prompt may (JSON allows \u0000)
        "prompt": "\n\n".join(prompts).replace("\x00", "\ufffd"),
        "answer": "\n\n".join(answers).replace("\x00", "\ufffd"),
    }
    kept = {f"kept_{name}": value for name, value in row.items()}
    with writing(engine) as conn:
        conn.execute(_KEEP, kept | person_named(principal))


def stored_requests(engine: Engine, before: datetime | None = None) -> int:
    """How many requests' content is kept now (also from an earlier start that logged it);
    with `before`, only those kept before then (a new pseudonym key parts them from people)."""
    query = select(func.count()).select_from(content_log)
    if before is not None:
        query = query.where(content_log.c.at < before)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def of_person(engine: Engine, pseudonym: str) -> Iterator[dict[str, object]]:
    query = (
        select(*(content_log.c[name] for name in COLUMNS))
        .where(content_log.c.user_pseudonym == pseudonym)
        .order_by(content_log.c.id)
    )
    with reading(engine) as conn:  # holds no write lock while the caller writes its export
        for row in conn.execute(query).mappings():
            yield dict(row)


def erase_person(engine: Engine, pseudonym: str) -> int:
    with writing(engine) as conn:
        query = delete(content_log).where(content_log.c.user_pseudonym == pseudonym)
        return conn.execute(query).rowcount


def purge_content(engine: Engine, before: datetime) -> int:
    with writing(engine) as conn:
        return conn.execute(delete(content_log).where(content_log.c.at < before)).rowcount
