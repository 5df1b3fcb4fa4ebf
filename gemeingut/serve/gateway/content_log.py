"""What was asked and answered, kept only where the deployment opts in (`gemeingut serve
--content-log-days N`) and for N days: a data-protection officer can then approve it as a
documented processing (it shows in `/v1/policy` and the Art. 30 record).

A row carries the same pseudonym as the audit record, never a name or address. It keeps what
the person sent, not what the model got: a chat's messages (role, content) and a completion's
prompt, never the chat template's markers (`<|im_start|>`, `[INST]`) around them, and the
answer; the personal data in both is replaced first (`content_privacy.py`). Reading a
person's rows (`gemeingut admin content export`, Art. 15 DSGVO) is itself written to the audit
log, and `gemeingut admin content delete` erases them (Art. 17 DSGVO).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, select

from gemeingut.serve.backends.protocol import ChatPrompt, Prompt
from gemeingut.serve.gateway.content_privacy import minimised, redacted_kinds
from gemeingut.serve.gateway.identity import Principal, person_named, person_still_there
from gemeingut.serve.gateway.store import reading, writing
from gemeingut.serve.gateway.tables import content_log

# An exported row: a chat's `messages`, or a completion's `prompt` (text, or token ids as sent).
COLUMNS = ("at", "request_id", "route", "model", "messages", "prompt", "answer")
SAID = ("messages", "prompt")  # the keys of what a person sent, as `prompt` stores it
Sent = dict[str, Any]  # {"messages": [{"role", "content"}, …]} or {"prompt": text, ids or a list}
ROUTE_CHARS = 40  # the column's width (a collection's name can make a path longer)
_KEPT = ("at", "request_id", "user_pseudonym", "route", "model", "prompt", "answer")
# Built once (as `audit_log`'s): a row of content, inserted only where its person still exists.
_KEEP = content_log.insert().from_select(
    _KEPT,
    select(*(bindparam(f"kept_{name}", type_=content_log.c[name].type) for name in _KEPT)).where(
        person_still_there(locked=True)
    ),
)


def as_sent(prompts: Sequence[Prompt], messages: Sequence[Mapping[str, str]] | None = None) -> Sent:
    """What the person sent: `messages` (a chat's, as screened by the policy: the model got
    them inside its chat template), else a conversation an engine templates, else the prompts
    as sent (a list where there are several)."""
    if messages is None and len(prompts) == 1 and isinstance(prompts[0], ChatPrompt):
        messages = [{"role": role, "content": content} for role, content in prompts[0].messages]
    if messages is not None:
        return {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    sent = [p if isinstance(p, str) else list(p) for p in prompts]  # token ids stay ids
    return {"prompt": sent[0] if len(sent) == 1 else sent}


def _minimised_said(sent: Sent, kinds: tuple[str, ...]) -> Sent:
    """`sent` with the personal data of `kinds` replaced in every text the person wrote."""
    if "messages" in sent:
        contents = minimised([m["content"] for m in sent["messages"]], kinds)
        return {
            "messages": [
                m | {"content": c} for m, c in zip(sent["messages"], contents, strict=True)
            ]
        }
    prompts = sent["prompt"] if isinstance(sent["prompt"], list) else [sent["prompt"]]
    texts = iter(minimised([p for p in prompts if isinstance(p, str)], kinds))
    kept = [next(texts) if isinstance(p, str) else p for p in prompts]
    return {"prompt": kept if isinstance(sent["prompt"], list) else kept[0]}


def keep(
    engine: Engine,
    at: datetime,
    request_id: str,
    pseudonym: str,
    principal: Principal,
    route: str,
    model: str,
    sent: Sent,
    answers: list[str],
) -> None:
    """Keep one request's content (`sent`, from `as_sent`) under `pseudonym`, the person of
    `principal`'s, with its personal data replaced as the deployment decided now, unless
    that person was removed while the request ran: `users remove` erased what was kept of
    them, and nothing may come after it. Checked by the INSERT itself, which on PostgreSQL
    waits for a removal under way (its row lock) and then finds the person gone."""
    kinds = redacted_kinds(engine)  # read, and applied, outside the write transaction
    sent = _minimised_said(sent, kinds)
    row = {
        "at": at,
        "request_id": request_id,
        "user_pseudonym": pseudonym,
        "route": route[:ROUTE_CHARS],
        "model": model,
        # PostgreSQL's text cannot hold NUL, neither database a lone surrogate; a request's JSON
        # may carry both (\u0000, \ud800): JSON escapes the one, the other becomes `?`
        "prompt": json.dumps(sent, ensure_ascii=False).encode("utf-8", "replace").decode(),
        "answer": "\n\n".join(minimised(answers, kinds)).replace("\x00", "\ufffd"),
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
    """The person's rows, oldest first, each with what they sent as they sent it."""
    stored = ("at", "request_id", "route", "model", "prompt", "answer")
    query = (
        select(*(content_log.c[name] for name in stored))
        .where(content_log.c.user_pseudonym == pseudonym)
        .order_by(content_log.c.id)
    )
    with reading(engine) as conn:  # holds no write lock while the caller writes its export
        for row in conn.execute(query).mappings():
            found = dict(row)
            found |= _sent(found.pop("prompt"))
            yield {name: found[name] for name in COLUMNS if name in found}


def _sent(stored: str) -> Sent:
    """What a row's `prompt` column says the person sent; a row kept before it held that
    (the prompt as the model got it, in its template) is its text as `prompt`. Only the
    exact form `keep` writes is read as JSON: an earlier row whose text merely looks like it
    (`{"prompt":"…"}`, typed so) stays that text."""
    if stored.startswith(tuple(f'{{"{key}":' for key in SAID)):
        try:
            sent = json.loads(stored)
        except ValueError:
            sent = None
        if (
            isinstance(sent, dict)
            and len(sent) == 1
            and next(iter(sent)) in SAID
            and json.dumps(sent, ensure_ascii=False) == stored
        ):
            return sent
    return {"prompt": stored}


def erase_person(engine: Engine, pseudonym: str) -> int:
    with writing(engine) as conn:
        query = delete(content_log).where(content_log.c.user_pseudonym == pseudonym)
        return conn.execute(query).rowcount


def purge_content(engine: Engine, before: datetime) -> int:
    with writing(engine) as conn:
        return conn.execute(delete(content_log).where(content_log.c.at < before)).rowcount
