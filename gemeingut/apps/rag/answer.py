"""Answering a question from a collection: retrieve, ask a chat endpoint, check citations.

The model sees the top chunks numbered [1]…[k] with document, page and section, and is told to
cite them; its answer is checked by `cite.check_citations`. When retrieval finds nothing the
model is not asked at all: the answer says that the collection holds no evidence. Where the
user's daily token allowance does not hold the answer's `max_tokens`, it is asked once more
for the shorter answer the allowance holds (`assistants.allowance.shorter_answer`, read from
the server's own refusal, as the server's answer route does), and the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from gemeingut.apps.assistants.allowance import shorter_answer
from gemeingut.apps.rag.cite import Verdict, check_citations
from gemeingut.apps.rag.collection import Collection
from gemeingut.apps.rag.endpoint import Endpoint, Refused
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
SECTION = {"de": "Abschnitt", "en": "section"}


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
    parts = [chunk.document]
    if chunk.page is not None:
        parts.append(f"{PAGE.get(language, 'S.')} {chunk.page}")
    if chunk.section:
        parts.append(f"{SECTION.get(language, 'Abschnitt')} „{chunk.section}“")
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
        self.model = endpoint.model or self.endpoint.first_model("--model")
        self.most: int | None = None  # answer tokens the allowance held for each part left

    def __enter__(self) -> Chat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.endpoint.close()

    def ask(self, messages: list[dict], max_tokens: int, parts: int = 1) -> Said:
        """The model's answer of up to `max_tokens` tokens, one of `parts` still to ask for.
        Where the daily token allowance refuses it (`tokens_per_day`, its facts in the
        refusal), asked once more for what it holds for each of the `parts`; the refusal
        stands where that is not even `LEAST_ANSWER_TOKENS`, or where the server names no
        facts. Later answers are asked no longer than that (`most`)."""
        asked = max_tokens if self.most is None else min(max_tokens, self.most)
        try:
            said = self.completion(messages, asked)
        except Refused as refused:
            shorter = _shorter(refused, asked, parts)
            if shorter is None:
                raise
            asked = self.most = shorter
            said = self.completion(messages, asked)
        return Said(said, asked if asked < max_tokens else None)

    def completion(self, messages: list[dict], max_tokens: int) -> str:
        body = {"model": self.model, "messages": messages, "temperature": 0}
        data = self.endpoint.call("POST", "/chat/completions", {**body, "max_tokens": max_tokens})
        return str(data["choices"][0]["message"]["content"] or "")

    def count(self, messages: list[dict]) -> tuple[int, int] | None:
        """(tokens, context) from `/tokenize` beside /v1, or None where there is none."""
        import httpx

        root = self.endpoint.base_url.removesuffix("/v1")
        body = {"model": self.model, "messages": messages}
        try:
            response = self.endpoint.client.post(f"{root}/tokenize", json=body)
            data = response.json()
            if response.status_code == 200 and data.get("max_model_len"):
                return int(data["count"]), int(data["max_model_len"])
        except httpx.HTTPError as exc:
            raise self.endpoint.unreachable(exc) from exc
        except (ValueError, KeyError, TypeError):
            pass  # an answer that is no count: treated as no /tokenize
        return None


def _shorter(refused: Refused, asked: int, parts: int) -> int | None:
    """The answer tokens a `tokens_per_day` refusal's facts leave each of `parts`, or None
    (another limit; facts that are no numbers: the refusal stands)."""
    if refused.limit != "tokens_per_day" or refused.quota is None:
        return None
    try:
        return shorter_answer(refused.quota, asked, parts)
    except (KeyError, TypeError, ValueError):
        return None
