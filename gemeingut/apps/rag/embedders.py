"""Dense vectors for chunks and questions: from a local model folder or an endpoint.

`--embed DIR` loads a model folder in-process and embeds as `gemeingut serve DIR` answers
`/v1/embeddings`: an encoder (sentence-transformers, plain BERT/XLM-R, model2vec) by its
pooling, a causal LM by the mean of its last hidden states; `--embed http://host/v1` asks any
OpenAI-compatible `/v1/embeddings`, e.g. `gemeingut serve` in the building's network, with a
key; texts longer than the context such an endpoint names are cut to it (`remote_fit.py`).
The collection records which embedder made its vectors, and its prompts (`prompted.py`); a
question must be embedded by the same one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from gemeingut.apps.rag.cuts import Cut, note_cut
from gemeingut.apps.rag.endpoint import Endpoint
from gemeingut.apps.rag.remote_fit import Fitting, longest_start
from gemeingut.errors import InputError
from gemeingut.i18n import Message, _

if TYPE_CHECKING:
    from gemeingut.serve.backends.encoder import EncoderBackend
    from gemeingut.serve.backends.transformers import TransformersBackend

BATCH = 64


class Embedder(Protocol):
    name: str  # recorded with the vectors: the model folder's name or the endpoint's model id

    def embed(self, texts: list[str]) -> np.ndarray:
        """Rows of unit length, float32, one per text."""
        ...


@dataclass(frozen=True)
class EmbedderSpec:
    """What `--embed` names; `source` is a folder or an http(s) URL ending in /v1."""

    source: str
    model: str | None = None  # the endpoint's model id (default: its first)
    api_key: str | None = None

    @property
    def is_endpoint(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    @property
    def holds_no_model(self) -> bool:
        """A folder that holds no model (no config.json): moved, deleted, another machine's."""
        return not self.is_endpoint and not (Path(self.source) / "config.json").is_file()


def open_embedder(spec: EmbedderSpec) -> Embedder:
    if spec.is_endpoint:
        return EndpointEmbedder(spec.source.rstrip("/"), spec.model, spec.api_key)
    if spec.holds_no_model:
        raise InputError(
            _(
                "--embed {source}: neither a model folder (no config.json) nor an http(s) URL",
                source=spec.source,
            ),
            _("name a local model folder or an endpoint such as http://localhost:8000/v1"),
        )
    from gemeingut.serve.backends.encoder import local_backend

    folder = Path(spec.source)
    name = folder.resolve().name
    return LocalEmbedder(local_backend(folder, name), name)


class LocalEmbedder:
    """A model in this process (a folder loaded for it, or the server's own); texts longer
    than its context are cut to it (the start of a chunk carries its topic, and neither a
    chunk nor a question may be refused)."""

    def __init__(self, backend: TransformersBackend | EncoderBackend, name: str) -> None:
        self.backend = backend
        self.name = name
        # A text's own tokens: an encoder's context also counts the tokens it frames a text
        # with (CLS, SEP), a causal LM's is the text's.
        self.context = getattr(backend, "text_limit", backend.context_length)

    def token_rows(self, texts: list[str]) -> list[list[int]]:
        """The token ids of each text, without the model's own (what a server reserves of a
        quota: the backend adds those it frames a text with)."""
        return self._within_context([self._ids(t) for t in texts])

    def _ids(self, text: str) -> list[int]:
        return self.backend.tokenizer.encode(text, add_special_tokens=False) or [0]

    def _read(self, text: str) -> tuple[list[int], list[int] | None]:
        """`text`'s token ids (as `_ids`), and where in it each token ends, in characters; None
        for a tokenizer that does not say (a slow one: Python's, not Rust's)."""
        tokenizer = self.backend.tokenizer
        if not getattr(tokenizer, "is_fast", False):
            return self._ids(text), None
        read = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return read["input_ids"] or [0], [end for _start, end in read["offset_mapping"]]

    def _kept(self, text: str, ends: list[int] | None, limit: int) -> int:
        """The characters of `text` the model reads in `limit` tokens: where its last token
        read ends; for a tokenizer without offsets, the longest start of whole words it reads
        (shorter by at most a word)."""
        if ends is not None:
            return ends[limit - 1]
        return len(longest_start(text, limit, lambda part: len(self._ids(part))) or "")

    def _within_context(self, rows: list[list[int]]) -> list[list[int]]:
        return [row[: self.context] for row in rows] if self.context is not None else rows

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_counted(texts)[0]

    def embed_counted(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """The rows and the tokens the model read, as it counts them for `/v1/embeddings`
        (an encoder's CLS and SEP included): what an upload spends of a quota. A text cut to
        the context is noted (`cuts.py`) with the characters the model read: up to where its
        last token read ends (the tokenizer's offsets)."""
        whole = [self._read(t) for t in texts]
        for text, (row, ends) in zip(texts, whole, strict=True):
            if self.context is not None and len(row) > self.context:
                # said as the model's context, as `/v1/models` names it (CLS, SEP included)
                context = self.backend.context_length or self.context
                note_cut(Cut(text, self._kept(text, ends, self.context), context))
        ids = self._within_context([row for row, _ends in whole])
        rows = []
        tokens = 0
        for start in range(0, len(ids), BATCH):
            for vector, count in self.backend.embed(ids[start : start + BATCH]):
                rows.append(vector)
                tokens += count
        return _unit_rows(rows, len(texts)), tokens


class EndpointEmbedder:
    """`POST {base}/embeddings` in OpenAI's shape, in batches. `prompts` are those the
    endpoint's `/models` names for the model (gemeingut's `prompts`: "query: " for E5); None
    where it names none (vLLM, Ollama, TEI do not say): the texts go as they are. `listed`:
    whether `/models` could be read at all (if not, nobody here knows what it would say).
    Texts longer than the context it names (`max_model_len`) are cut to it (`fitting`)."""

    def __init__(self, base_url: str, model: str | None, api_key: str | None) -> None:
        self.endpoint = Endpoint(base_url, api_key, "embedding")
        self.name = model or self.endpoint.first_model("--embed-model", "embedding")
        card = _card(self.endpoint, self.name)
        self.listed = card is not None
        self.prompts = _prompts_said(card or {})
        self.fitting = Fitting(self.endpoint, self.name, _context_said(card or {}))

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embed_counted(texts)[0]

    def embed_counted(self, texts: list[str]) -> tuple[np.ndarray, int | None]:
        """The rows and the tokens the endpoint says it read (its answers' `usage`), None
        where one of its answers did not say."""
        rows: list[np.ndarray] = []
        tokens: int | None = 0
        url = self.endpoint.base_url + "/embeddings"
        for start in range(0, len(texts), BATCH):
            batch = self.fitting.fitted(texts[start : start + BATCH])
            data = self.endpoint.call("POST", "/embeddings", {"model": self.name, "input": batch})
            rows.append(_embeddings(data, len(batch), url))
            if rows[-1].shape[1] != rows[0].shape[1]:
                raise _unexpected(url, _("embeddings of different lengths"))
            said = _tokens_said(data.get("usage"))
            tokens = None if tokens is None or said is None else tokens + said
        matrix = np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
        return _unit_rows(matrix, len(texts)), tokens


def _card(endpoint: Endpoint, model: str) -> dict[str, Any] | None:
    """What the endpoint's `/models` says of `model` ({} where it lists no such card: an
    endpoint that serves models it does not list); None where `/models` cannot be read."""
    try:
        answer = endpoint.call("GET", "/models")
    except InputError:  # not read now: the embeddings themselves will say what is wrong
        return None
    if not isinstance(answer, dict):  # not OpenAI's list: nothing it says can be read
        return None
    cards = answer.get("data")
    listed = cards if isinstance(cards, list) else []
    return next((c for c in listed if isinstance(c, dict) and c.get("id") == model), {})


def _prompts_said(card: dict[str, Any]) -> dict[str, str] | None:
    """The `query` and `document` prompts a card lists; None where it lists none."""
    said = card.get("prompts")
    if not isinstance(said, dict):
        return None
    return {side: said[side] for side in ("query", "document") if isinstance(said.get(side), str)}


def _context_said(card: dict[str, Any]) -> int | None:
    """The tokens the model reads, as a card names them (vLLM's and gemeingut's
    `max_model_len`); None where it does not."""
    said = card.get("max_model_len")
    return said if isinstance(said, int) and not isinstance(said, bool) and said > 0 else None


def _embeddings(data: Any, asked: int, url: str) -> np.ndarray:
    """The vectors of one answer of `/embeddings`, in the order of the `asked` texts; an
    `InputError` naming the endpoint where the answer is not in OpenAI's shape (another API,
    a proxy's error as JSON, a vector missing or not numbers): the engine failed, and says
    where, not a traceback."""
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise _unexpected(url, _("no list of embeddings (`data`)"))
    if len(entries) != asked:
        raise _unexpected(
            url, _("{got} embeddings for {asked} texts", got=len(entries), asked=asked)
        )
    try:
        ordered = sorted(entries, key=lambda entry: entry["index"])
        if [entry["index"] for entry in ordered] != list(range(asked)):
            raise ValueError("indices")
        matrix = np.asarray([entry["embedding"] for entry in ordered], dtype=np.float32)
    except (KeyError, TypeError, ValueError):
        matrix = None
    if matrix is None or matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
        raise _unexpected(url, _("not each text's `index` with its `embedding`, a list of numbers"))
    return matrix


def _unexpected(url: str, problem: Message) -> InputError:
    return InputError(
        _("{url} answered, but not with embeddings as OpenAI's API gives them: {problem}",
          url=url, problem=problem),
        _("check that the URL is an OpenAI-compatible endpoint ending in /v1"),
    )  # fmt: skip


def _tokens_said(usage: object) -> int | None:
    """The tokens an answer's `usage` counts; a count of 0 for texts that are never empty is
    a placeholder (some proxies send one), not a count."""
    if not isinstance(usage, dict):
        return None
    said = [usage.get(field) for field in ("prompt_tokens", "total_tokens")]
    counts = [v for v in said if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    return max(counts) if counts else None


def _unit_rows(rows: list[list[float]] | np.ndarray, expected: int) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32).reshape(expected, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class EmbedderFailed(InputError):
    """The embedding model failed where it was opened or asked (refused, answered in another
    shape or width, was not there): `error` is what it said, an `endpoint.Refused` where it was
    busy or at a limit. Its own type, so that a server tells it apart from the collection's
    and the request's errors: its engine's failure (502, 503), not the caller's."""

    def __init__(self, error: InputError) -> None:
        super().__init__(error.message, error.hint)
        self.error = error

    def __reduce__(self) -> tuple:
        return (type(self), (self.error,))


@contextmanager
def embedder_failures() -> Iterator[None]:
    """Within it, an `InputError` (of an embedding model opened or asked) is an
    `EmbedderFailed`."""
    try:
        yield
    except EmbedderFailed:
        raise
    except InputError as error:
        raise EmbedderFailed(error) from error


def other_width(name: str, got: int, collection: str, want: int) -> EmbedderFailed:
    """Vectors of another length than the collection's: another model answers where the
    vectors' was."""
    return EmbedderFailed(
        InputError(
            _("the embedding model {name} gives vectors of {got} numbers, the collection "
              "{collection} holds vectors of {want}", name=name, got=got,
              collection=collection, want=want),
            _("serve the model the collection's vectors came from at its address, or ingest "
              "the collection again"),
        )
    )  # fmt: skip


class OpenedOnFirstUse:
    """The embedder `spec` names, opened at its first text and kept: a server shares one for
    all collections whose vectors it made, and for each new version of a collection after an
    ingest or upload (loading a model folder again each time would cost seconds and memory)."""

    def __init__(self, spec: EmbedderSpec, name: str) -> None:
        self.spec = spec
        self.name = name
        self._opened: Embedder | None = None
        self._lock = threading.Lock()

    def opened(self) -> Embedder:
        with self._lock:
            if self._opened is None:
                self._opened = open_embedder(self.spec)
        return self._opened

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.opened().embed(texts)
