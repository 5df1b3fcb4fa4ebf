"""Answering a question from a collection: retrieve, ask a chat endpoint, check citations.

The model sees the top chunks numbered [1]…[k] with document, page and section, and is told to
cite them; its answer is checked by `cite.check_citations`. When retrieval finds nothing the
model is not asked at all: the answer says that the collection holds no evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from gemeingut.apps.rag.cite import Verdict, check_citations
from gemeingut.apps.rag.collection import Collection
from gemeingut.apps.rag.endpoint import Endpoint
from gemeingut.apps.rag.fitting import Count, Fitted, fit_sources
from gemeingut.apps.rag.rerank import Reranker
from gemeingut.apps.rag.retrieve import Mode, search
from gemeingut.apps.rag.storage import StoredChunk

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
class Answer:
    text: str
    sources: list[StoredChunk]  # [1] is sources[0]
    verdict: Verdict
    asked_model: bool


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
        text = NO_EVIDENCE.get(language, NO_EVIDENCE["de"])
        return Answer(text, [], check_citations("", [], language), asked_model=False)
    with Chat(endpoint) as chat:
        fitted = fit_question(question, sources, language, chat.max_tokens, chat.count)
        text = chat.ask(messages_for(question, fitted.shown, language), fitted.room)
    sources = fitted.sources
    return Answer(text, sources, check_citations(text, sources, language), asked_model=True)


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
    """One endpoint, its model id, and how many tokens its context holds."""

    def __init__(self, endpoint: ChatEndpoint) -> None:
        self.endpoint = Endpoint(endpoint.base_url, endpoint.api_key, "chat")
        self.max_tokens = endpoint.max_tokens
        self.model = endpoint.model or self.endpoint.first_model("--model")

    def __enter__(self) -> Chat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.endpoint.close()

    def ask(self, messages: list[dict], max_tokens: int) -> str:
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
