"""Answering a question from a collection: retrieve, ask a chat endpoint, check citations.

The model sees the top chunks numbered [1]…[k] with document, page and section, and is told to
cite them; its answer is checked by `cite.check_citations`. When retrieval finds nothing the
model is not asked at all: the answer says that the collection holds no evidence. Where the
user's daily token allowance does not hold the answer's `max_tokens`, it is asked again for
the shorter answer the allowance holds (`assistants.allowance.shorter_answer`, read from the
server's own refusal, as the server's answer route does), and again after each refusal that
leaves a shorter one (another limit, a group's, refuses the first shorter answer), until it is
taken or not even `LEAST_ANSWER_TOKENS` are left; the answer says that it is shorter, the
last refusal what is left of the allowance and when it renews.
"""

from __future__ import annotations

from dataclasses import dataclass

from gemeingut.apps.assistants.allowance import LEAST_ANSWER_TOKENS, shorter_answer
from gemeingut.apps.rag.cite import Verdict, check_citations
from gemeingut.apps.rag.collection import Collection
from gemeingut.apps.rag.endpoint import Endpoint, Refused, clock_in
from gemeingut.apps.rag.fitting import Count, Fitted, fit_sources
from gemeingut.apps.rag.rerank import Reranker
from gemeingut.apps.rag.retrieve import Mode, search
from gemeingut.apps.rag.storage import StoredChunk
from gemeingut.i18n import Message, _, text

INSTRUCTIONS = {
    "de": (
        "Beantworte die Frage nur mit den nummerierten Quellen. Belege jede Aussage mit der "
        "Nummer ihrer Quelle in eckigen Klammern, z. B. [2], bei Seiten mit [2, S. 4]; "
        "zitiere wörtlich in „…“ direkt vor der Klammer. Steht die Antwort in keiner Quelle, "
        "sage das, statt zu raten."
    ),
    "en": (
        "Answer the question only from the numbered sources. Support every statement with "
        "its source's number in square brackets, e.g. [2], with pages as [2, p. 4]; quote "
        "verbatim in “…” right before the bracket. If no source holds the answer, say so "
        "instead of guessing."
    ),
}
NO_EVIDENCE = {
    "de": "Die Sammlung enthält keine Quelle zu dieser Frage; ohne Beleg gibt es keine Antwort.",
    "en": "The collection holds no source for this question; without evidence, no answer.",
}
PAGE = {"de": "S.", "en": "p."}
LINE = {"de": ("Zeile", "Zeilen"), "en": ("line", "lines")}  # one, several


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str  # ending in /v1
    model: str | None = None
    api_key: str | None = None
    max_tokens: int = 400


@dataclass(frozen=True)
class Said:
    """The model's text; `allowance`: the answer tokens the daily allowance held for it, where
    fewer than asked for (it may end early), else None."""

    text: str
    allowance: int | None = None


@dataclass(frozen=True)
class Answer:
    text: str
    sources: list[StoredChunk]  # [1] is sources[0]
    verdict: Verdict
    asked_model: bool
    allowance_tokens: int | None = None  # as the server's answer route says it
    note: str | None = None  # that the answer is shorter, and why


def answer_question(
    collection: Collection,
    question: str,
    endpoint: ChatEndpoint,
    k: int = 5,
    mode: Mode = "hybrid",
    language: str = "de",
    reranker: Reranker | None = None,
) -> Answer:
    hits = search(collection, question, k=k, mode=mode, reranker=reranker)
    sources = [collection.chunks[h.row] for h in hits]
    if not sources:
        nothing = NO_EVIDENCE.get(language, NO_EVIDENCE["de"])
        return Answer(nothing, [], check_citations("", [], language), asked_model=False)
    with Chat(endpoint) as chat:
        fitted = fit_question(question, sources, language, chat.max_tokens, chat.count)
        said = chat.ask(messages_for(question, fitted.shown, language), fitted.room)
    sources = fitted.sources
    verdict = check_citations(said.text, sources, language)
    held = said.allowance
    note = None if held is None else text(answer_shortened(held), language)
    return Answer(said.text, sources, verdict, True, held, note)


def answer_shortened(tokens: int) -> Message:
    """Under an answer the daily allowance shortened: why it may end early (the server's
    answer route says it in the same words)."""
    return _(
        "Shorter than asked: the daily token allowance held {count} tokens for this answer.",
        count=tokens,
    )


def fit_question(
    question: str, sources: list[StoredChunk], language: str, wanted: int, count: Count
) -> Fitted:
    """The sources, whole or shortened, that the context holds beside the question with room
    for an answer of up to `wanted` tokens."""
    build = lambda chunks: messages_for(question, chunks, language)  # noqa: E731
    return fit_sources(question, sources, language, [(build, wanted)], count)


def source_label(chunk: StoredChunk, language: str = "de") -> str:
    """Where a chunk stands: its document, page and section, and a text file's lines, which
    tell apart the chunks of one section (or of a file without headings). Every section is
    named alike, its headings in quotes: „§ 4 Zuständigkeiten“ is no "Abschnitt", and a label
    that said "Abschnitt" only before headings without a kind's word read as two kinds."""
    parts = [chunk.document]
    if chunk.page is not None:
        parts.append(f"{PAGE.get(language, 'S.')} {chunk.page}")
    if chunk.section:  # in quotes, without a word: "Abschnitt" would call a § a larger part
        parts.append(f"„{chunk.section}“")
    if chunk.lines is not None:
        one, several = LINE.get(language, LINE["de"])
        first, last = chunk.lines
        parts.append(f"{one} {first}" if first == last else f"{several} {first}–{last}")
    return ", ".join(parts)


def messages_for(question: str, sources: list[StoredChunk], language: str) -> list[dict]:
    numbered = "\n\n".join(
        f"[{i}] {source_label(chunk, language)}\n{chunk.text}" for i, chunk in enumerate(sources, 1)
    )
    return [
        {"role": "system", "content": INSTRUCTIONS.get(language, INSTRUCTIONS["de"])},
        {"role": "user", "content": f"{numbered}\n\n{question}"},
    ]


class Chat:
    """One endpoint, its model id, how many tokens its context holds, and, once its daily
    token allowance refused an answer, how many each later one can have."""

    def __init__(self, endpoint: ChatEndpoint) -> None:
        self.endpoint = Endpoint(endpoint.base_url, endpoint.api_key, "chat")
        self.max_tokens = endpoint.max_tokens
        self.model = endpoint.model or self.endpoint.first_model("--model", "completion")
        self.most: int | None = None  # answer tokens the allowance held for each part left

    def __enter__(self) -> Chat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.endpoint.close()

    def ask(self, messages: list[dict], max_tokens: int, parts: int = 1) -> Said:
        """The model's answer of up to `max_tokens` tokens, one of `parts` still to ask for.
        Where the daily token allowance refuses it (`tokens_per_day`, its facts in the
        refusal), asked again for what it holds for each of the `parts`, as often as a
        refusal leaves a shorter answer: each is shorter than the last (`shorter_answer`)
        and reserves fewer tokens, so the asking ends. The refusal stands, saying what is
        left and when it renews, where not even `LEAST_ANSWER_TOKENS` are left, where a
        shorter answer reserves no fewer tokens (an engine that cannot count them), or where
        the server names no facts. Later answers are asked no longer than the last (`most`)."""
        asked = max_tokens if self.most is None else min(max_tokens, self.most)
        needed: int | None = None  # the tokens the last refusal said the request needs
        while True:
            try:
                said = self.completion(messages, asked)
            except Refused as refused:
                shorter = _shorter(refused, asked, parts)
                requested = (refused.quota or {}).get("requested")
                if shorter is None or requested == needed:
                    raise _allowance_said(refused, asked) from None
                asked = self.most = shorter
                needed = requested
                continue
            return Said(said, asked if asked < max_tokens else None)

    def completion(self, messages: list[dict], max_tokens: int) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0}
        data = self.endpoint.call("POST", "/chat/completions", {**body, "max_tokens": max_tokens})
        return str(data["choices"][0]["message"]["content"] or "")

    def count(self, messages: list[dict]) -> tuple[int, int] | None:
        """(tokens, context) from `/tokenize` beside /v1, or None where there is none."""
        counted = self.endpoint.count({"model": self.model, "messages": messages})
        if counted is None or counted[1] is None:
            return None
        return counted[0], counted[1]


def _shorter(refused: Refused, asked: int, parts: int) -> int | None:
    """The answer tokens a `tokens_per_day` refusal's facts leave each of `parts`, or None
    (another limit; facts that are no numbers: the refusal stands)."""
    if refused.limit != "tokens_per_day" or refused.quota is None:
        return None
    try:
        return shorter_answer(refused.quota, asked, parts)
    except (KeyError, TypeError, ValueError):
        return None


def _allowance_said(refused: Refused, asked: int) -> Refused:
    """A refusal by the daily token allowance that no shorter answer escapes, its hint saying
    what is left of the allowance and when it renews, so that a person knows whether to wait
    or to ask for more; any other refusal as it is. When it renews is the server's word: its
    Retry-After where waiting helps; where the server says it does not (no day's allowance
    holds the answer asked for) but one holds the prompt and a shorter answer, the renewal of
    its `x-ratelimit-reset-tokens`."""
    quota = refused.quota
    if refused.limit != "tokens_per_day" or quota is None:
        return refused
    try:
        limit, requested = int(quota["limit"]), int(quota["requested"])
        left = max(0, limit - int(quota["used"]) - int(quota["reserved"]))
    except (KeyError, TypeError, ValueError):
        return refused
    prompt = max(0, requested - asked)
    if prompt + LEAST_ANSWER_TOKENS > limit:
        hint: Message = _(
            "the daily allowance of {limit} tokens is too small for this request's prompt "
            "({prompt} tokens) and an answer of at least {least} tokens, on any day: ask the "
            "server's administrator for a larger allowance",
            limit=limit,
            prompt=prompt,
            least=LEAST_ANSWER_TOKENS,
        )
        return Refused(refused.message, hint, refused.limit, quota)
    then: Message | str = refused.hint
    renew = refused.tokens_renew_in
    if quota.get("waiting_helps") is False:
        if renew is None:  # a server that does not say when: its own words
            return refused
        then = _(
            "try again at {time} (the server's x-ratelimit-reset-tokens: {seconds} s)",
            time=clock_in(renew),
            seconds=renew,
        )
    hint = _(
        "{left} tokens of the daily allowance are left, too few for this request's prompt "
        "({prompt} tokens) and an answer of at least {least} tokens; it renews when the "
        "server's day ends: {then}",
        left=left,
        prompt=prompt,
        least=LEAST_ANSWER_TOKENS,
        then=then,
    )
    return Refused(refused.message, hint, refused.limit, quota, renew)
