"""The embedding model's prompts as a collection records them, so that a question is embedded
the way its chunks were: E5 reads "query: …" against "passage: …", and a question embedded
without its prompt (or a chunk with the question's) lands elsewhere in the model's space.

A collection made with an encoder folder records the prompts sentence-transformers would use
(`encoder_layout.Prompts`: `encode_query`'s and `encode_document`'s); every later embedding of
it, by the folder, by the server's own copy of the model or by an endpoint that serves it,
puts the recorded prompt before the text. A collection made through an endpoint records the
prompts the endpoint names for its model on `/v1/models` (`gemeingut serve` names an encoder's,
`EndpointEmbedder.prompts`), and whether it named any (`prompts_told`: vLLM, Ollama and TEI do
not; such a collection embeds texts as they are, as one of a causal LM does).

With the prompts the record says how the encoder pools (`encoder`, `pooling`), read from its
folder at every ingest: a collection whose record says otherwise (made before gemeingut read
encoder folders as sentence-transformers does, when it mean-pooled them as a causal LM, or
with the folder's pooling or prompts since changed) has vectors the model no longer makes,
and its ingest embeds every chunk again (`vectors_made_otherwise`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.embedders import Embedder, EndpointEmbedder
from gemeingut.model.encoder_layout import encoder_layout

MADE_BY = ("encoder", "pooling", "prompts")  # the record's keys of how its vectors are made
TOLD = "prompts_told"  # an endpoint's record: whether it named its model's prompts


def vectors_made_otherwise(
    before: dict[str, Any], meta: dict[str, Any], embedder: Embedder | None = None
) -> bool:
    """Record in `meta`'s embedder how its model makes vectors now (`made_by`; `embedder`,
    the collection's opened, says an endpoint's prompts); True where the record `before`
    this ingest said otherwise: the collection's vectors are not those its model makes, and
    every chunk is embedded again."""
    recorded = meta["embedder"]
    now = made_by(recorded["source"], embedder)
    if now is None:  # nobody here to say (see `made_by`): the record stays
        return False
    meta["embedder"] = {k: v for k, v in recorded.items() if k not in (*MADE_BY, TOLD)} | now
    return _how(before) != _how(now)


def made_by(source: str, embedder: Embedder | None = None) -> dict[str, Any] | None:
    """How the encoder folder `source` makes vectors, as its files say: its kind, a
    transformer's pooling, its prompts; {} for a causal LM's folder; for an endpoint, the
    prompts it names (`embedder`, opened on it) and whether it named any. None where nothing
    here can say: no folder at the recorded path (a server that embeds with the model it
    serves, started elsewhere), an endpoint not asked here (a server's upload, through the
    embedder it shares) or whose `/models` could not be read."""
    if source.startswith(("http://", "https://")):
        if not isinstance(embedder, EndpointEmbedder) or not embedder.listed:
            return None
        prompts = {side: text for side, text in (embedder.prompts or {}).items() if text}
        return {TOLD: embedder.prompts is not None} | ({"prompts": prompts} if prompts else {})
    folder = Path(source)
    if not (folder / "config.json").is_file():
        return None
    layout = encoder_layout(folder)
    if layout is None:
        return {}
    made: dict[str, Any] = {"encoder": layout.kind}
    if layout.kind == "transformer":
        made["pooling"] = list(layout.pooling)
    prompts = layout.prompts.recorded()
    return made | ({"prompts": prompts} if prompts else {})


def question_text(meta: dict[str, Any], question: str) -> str:
    """A question as the collection's embedder reads it: after the recorded query prompt."""
    return _prompt(meta, "query") + question


def document_side(embedder: Embedder | None, meta: dict[str, Any]) -> Embedder | None:
    """The embedder as chunks of the collection are embedded: after the document prompt."""
    prompt = _prompt(meta, "document")
    return DocumentSide(embedder, prompt) if embedder is not None and prompt else embedder


class DocumentSide:
    """An embedder whose texts are chunks: each after the model's document prompt."""

    def __init__(self, inner: Embedder, prompt: str) -> None:
        self.inner = inner
        self.name = inner.name
        self.prompt = prompt

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed([self.prompt + text for text in texts])


def _how(record: dict[str, Any]) -> dict[str, Any]:
    """What of a record says how its vectors are made (not whether an endpoint told)."""
    return {k: record[k] for k in MADE_BY if k in record}


def _prompt(meta: dict[str, Any], side: str) -> str:
    prompts = (meta.get("embedder") or {}).get("prompts") or {}
    found = prompts.get(side, "") if isinstance(prompts, dict) else ""
    return found if isinstance(found, str) else ""
