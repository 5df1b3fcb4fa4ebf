"""The embedding model's prompts as a collection records them, so that a question is embedded
the way its chunks were: E5 reads "query: …" against "passage: …", and a question embedded
without its prompt (or a chunk with the question's) lands elsewhere in the model's space.

A collection made with an encoder folder records the prompts sentence-transformers would use
(`encoder_layout.Prompts`: `encode_query`'s and `encode_document`'s); every later embedding of
it, by the folder, by the server's own copy of the model or by an endpoint that serves it,
puts the recorded prompt before the text. A collection made through an endpoint records the
prompts the endpoint names for its model on `/v1/models` (`gemeingut serve` names an encoder's,
`EndpointEmbedder.prompts`), and whether it named any (`prompts_told`: vLLM, Ollama and TEI do
not; such a collection embeds texts as they are, as one of a causal LM does). Where it names
none, the person who ingests may state them (`rag ingest --query-prompt … --document-prompt
…`): the collection records them (`prompts_stated`) and keeps them at later ingests until
others are stated; stated prompts count over an endpoint's. A collection of an endpoint that
named none, whose prompts nobody stated, is said to embed without prompts at every ingest and
query (`prompts_unsaid`): E5 without its prompts finds worse, and nothing else shows it. A
model whose name looks like a known family's (E5, BGE) gets that family's prompts suggested,
never put in silently: a name is no proof.

With the prompts the record says how the encoder pools (`encoder`, `pooling`), read from its
folder at every ingest: a collection whose record says otherwise (made before gemeingut read
encoder folders as sentence-transformers does, when it mean-pooled them as a causal LM, or
with the folder's pooling or prompts since changed) has vectors the model no longer makes,
and its ingest embeds every chunk again (`vectors_made_otherwise`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from gemeingut.apps.rag.embedders import Embedder, EndpointEmbedder
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _, quoted
from gemeingut.model.encoder_layout import encoder_layout

MADE_BY = ("encoder", "pooling", "prompts")  # the record's keys of how its vectors are made
TOLD = "prompts_told"  # an endpoint's record: whether it named its model's prompts
STATED = "prompts_stated"  # an endpoint's record: prompts the person who ingested stated
# Families whose prompts a model's name suggests (suggested, never used unstated): E5 (not its
# instruction-tuned kind, whose prompt is an instruction) and BGE's English v1.5 models.
FAMILIES = (
    ("E5", re.compile(r"(?<![a-z0-9])(multilingual-)?e5-(?!.*instruct)", re.IGNORECASE),
     {"query": "query: ", "document": "passage: "}),
    ("BGE", re.compile(r"(?<![a-z0-9])bge-(small|base|large)-en", re.IGNORECASE),
     {"query": "Represent this sentence for searching relevant passages: ", "document": ""}),
)  # fmt: skip


def vectors_made_otherwise(
    before: dict[str, Any],
    meta: dict[str, Any],
    embedder: Embedder | None = None,
    stated: dict[str, str] | None = None,
) -> bool:
    """Record in `meta`'s embedder how its model makes vectors now (`made_by`; `embedder`,
    the collection's opened, says an endpoint's prompts, `stated` those the person states);
    True where the record `before` this ingest said otherwise: the collection's vectors are
    not those its model makes, and every chunk is embedded again."""
    recorded = meta["embedder"]
    now = made_by(recorded["source"], embedder, stated, before)
    if now is None:  # nobody here to say (see `made_by`): the record stays
        return False
    kept = {k: v for k, v in recorded.items() if k not in (*MADE_BY, TOLD, STATED)}
    meta["embedder"] = kept | now
    return _how(before) != _how(now)


def made_by(
    source: str,
    embedder: Embedder | None = None,
    stated: dict[str, str] | None = None,
    before: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """How the encoder folder `source` makes vectors, as its files say: its kind, a
    transformer's pooling, its prompts; {} for a causal LM's folder; for an endpoint, the
    prompts stated now (`stated`), else those stated before (the record `before`), else those
    it names (`embedder`, opened on it), and whether it named any. None where nothing here
    can say: no folder at the recorded path (a server that embeds with the model it serves,
    started elsewhere), an endpoint not asked here (a server's upload, through the embedder
    it shares) or whose `/models` could not be read, and nothing stated."""
    if source.startswith(("http://", "https://")):
        return _endpoint_made_by(embedder, stated, before or {})
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


def _endpoint_made_by(
    embedder: Embedder | None, stated: dict[str, str] | None, before: dict[str, Any]
) -> dict[str, Any] | None:
    asked = embedder if isinstance(embedder, EndpointEmbedder) and embedder.listed else None
    told = {TOLD: asked.prompts is not None} if asked is not None else {}
    if asked is None and TOLD in before:  # not asked here: what it said before stands
        told = {TOLD: before[TOLD]}
    if stated is None and before.get(STATED):
        stated = before.get("prompts") or {}
    if stated is None and asked is None:
        return None
    said = stated if stated is not None else (asked.prompts if asked is not None else None)
    prompts = {side: text for side, text in (said or {}).items() if text}
    return (
        told
        | ({STATED: True} if stated is not None else {})
        | ({"prompts": prompts} if prompts else {})
    )


def refuse_stated_for_a_folder(meta: dict[str, Any], stated: dict[str, str] | None) -> None:
    """An `InputError` where prompts are stated for a collection whose vectors no endpoint
    makes: a model folder names its own (`config_sentence_transformers.json`), and a
    collection without vectors embeds nothing."""
    if stated is None:
        return
    source = (meta.get("embedder") or {}).get("source", "")
    if source.startswith(("http://", "https://")):
        return
    hint = (
        _("a model folder names its own prompts (config_sentence_transformers.json); "
          "leave the options out")
        if source
        else _("the collection is searched by words only: give --embed with the endpoint's "
               "address as well, or leave the options out")
    )  # fmt: skip
    raise InputError(
        _("--query-prompt and --document-prompt are for an embedding endpoint "
          "(--embed http://…/v1) that does not say its model's prompts"),
        hint,
    )  # fmt: skip


def prompts_unsaid(meta: dict[str, Any]) -> Message | None:
    """That the collection's endpoint named no prompts for its model and nobody stated any,
    with what to do (a known family's prompts suggested); None where its prompts are known
    (a folder's, an endpoint's, stated ones) or it has no vectors."""
    record = meta.get("embedder") or {}
    source = record.get("source", "")
    if not source.startswith(("http://", "https://")):
        return None
    if record.get(TOLD) or record.get(STATED) or record.get("prompts"):
        return None
    model = str(record.get("model", ""))
    said = _(
        "{url} does not say which prompts the model {model} expects, and none were stated: "
        "questions and chunks are embedded without prompts",
        url=source,
        model=quoted([model]),
    )
    family = next(((n, p) for n, pattern, p in FAMILIES if pattern.search(model)), None)
    if family is None:
        return _(
            "{said}; if the model expects prompts (as E5 does), state them at the next "
            "ingest: --query-prompt TEXT --document-prompt TEXT (empty for none)",
            said=said,
        )
    name, prompts = family
    return _(
        "{said}; its name suggests the {family} family, whose models expect {options}: if "
        "it is one of them, ingest again with these options",
        said=said,
        family=name,
        options=f'--query-prompt "{prompts["query"]}" --document-prompt "{prompts["document"]}"',
    )


def question_text(meta: dict[str, Any], question: str) -> str:
    """A question as the collection's embedder reads it: after the recorded query prompt."""
    return _prompt(meta, "query") + question


def document_text(meta: dict[str, Any], text: str) -> str:
    """A chunk's text as the collection's embedder reads it: after the recorded document
    prompt (as `document_side` puts it)."""
    return _prompt(meta, "document") + text


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
