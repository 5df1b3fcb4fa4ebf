"""An embedding model in this process: a sentence-transformers or plain encoder folder (BERT,
XLM-R, E5, BGE-M3 …) run by transformers, or a model2vec static table (`encoder_layout.py`).

It makes vectors as sentence-transformers (or model2vec) would for the same folder: the
model's own tokens around each text (CLS … SEP), its pooling, its normalisation, texts cut to
its length where the caller asks for that (retrieval) and refused where it does not (the
server: a text that does not fit is the caller's mistake, as for a causal LM). It generates
nothing: a chat or completion asked of it is refused with a 400 that says so (`/v1/models`
lists it without `completion`). Its tokenizer is lent as a language model's is (`/tokenize`,
`/detokenize`, `/tokenizer_info`), counting the model's own tokens as its embeddings do.

Its context (`/v1/models`' `max_model_len`) counts the model's own tokens, as `/tokenize` and
the usage of `/v1/embeddings` do: a text whose `/tokenize` count is at most that fits.

Prompts ("query: ", "passage: ") are text: whoever embeds puts the model's prompt before the
text (`Prompts`; rag does, as a collection records). `/v1/models` names them (`prompts`), so
that a client embedding through the server (rag's `--embed http://…`) can. A model whose
pooling leaves the prompt out (`include_prompt: false`) leaves out the tokens of a prompt a
text begins with.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gemeingut.i18n import _
from gemeingut.model.encoder_layout import (
    STATIC_TOKENIZER,
    STATIC_WEIGHTS,
    EncoderLayout,
    encoder_layout,
)
from gemeingut.serve.backends.protocol import (
    GenerationResult,
    Prompt,
    RequestRejected,
    SamplingParams,
    TextStream,
    only_embeds,
)
from gemeingut.serve.backends.vocabulary import check_ids

if TYPE_CHECKING:
    from gemeingut.serve.backends.protocol import Backend

BATCH_ROWS = 32  # texts run through the transformer together


def local_backend(model_dir: Path, model_name: str, **options: Any) -> Backend:
    """The backend for a model folder in this process: an encoder's or a static table's here,
    a causal LM's (or an adapter's) by `TransformersBackend`."""
    layout = encoder_layout(model_dir)
    if layout is None:
        from gemeingut.serve.backends.transformers import TransformersBackend

        return TransformersBackend(model_dir, model_name=model_name, **options)
    return EncoderBackend(layout, model_name, **options)


class EncoderBackend:
    """`embed` as `/v1/embeddings` and rag's `LocalEmbedder` use it; generation refused."""

    def __init__(
        self,
        layout: EncoderLayout,
        model_name: str,
        precision: str = "fp32",
        device: str = "auto",
        device_setting: str = "--device",
    ) -> None:
        from gemeingut.model.machine import resolve_device, resolve_precision

        self.model_name = model_name
        self.layout = layout
        self.device = resolve_device(device, setting=device_setting)
        self.precision = resolve_precision(precision, self.device)
        self._lock = threading.Lock()  # one batch through the transformer at a time
        if layout.kind == "static":
            self.tokenizer, self._static = _static_model(layout.folder)
            self._frame: tuple[list[int], list[int]] = ([], [])
            self.vocab_limit = self._static.vocabulary
            self.context_length: int | None = layout.max_length
        else:
            from gemeingut.model.loading import load_tokenizer, pretrained_encoder

            self.tokenizer = load_tokenizer(layout.folder)
            self.model = pretrained_encoder(layout.folder).to(self.device)
            self._frame = _special_frame(self.tokenizer)
            self.vocab_limit = self.model.get_input_embeddings().num_embeddings
            self.context_length = layout.max_length or _model_limit(
                self.model.config, self.tokenizer
            )
        # What a caller may send counts as `/tokenize` counts (the model's own tokens
        # included: `context_length`, `/v1/models`' `max_model_len`); a text's own tokens
        # may be this many (`text_limit`, what retrieval cuts a text to).
        self._framed = len(self._frame[0]) + len(self._frame[1])
        self.text_limit = (
            None if self.context_length is None else self.context_length - self._framed
        )
        self.prompts = layout.prompts.recorded()  # for `/v1/models`: a client puts them first
        self._prompt_ids = [
            ids
            for prompt in (layout.prompts.query, layout.prompts.document)
            if prompt and (ids := self.tokenizer.encode(prompt, add_special_tokens=False))
        ]

    # --- embeddings ---------------------------------------------------------------------------

    def embed(self, prompts: list[Prompt]) -> list[tuple[list[float], int]]:
        """One vector per prompt, with the tokens the model read. A token-id prompt is the
        text's tokens; the model's own tokens (CLS, SEP) frame it as they frame a text."""
        rows = [self._row(p) for p in prompts]
        if self.layout.kind == "static":
            vectors = [self._static.vector(row, self.layout.normalize) for row in rows]
            return [(v.tolist(), len(row)) for v, row in zip(vectors, rows, strict=True)]
        framed = [self._frame[0] + row + self._frame[1] for row in rows]
        vectors = self._pooled(framed, rows)
        return [(v, len(row)) for v, row in zip(vectors, framed, strict=True)]

    def max_tokens_needed(self, prompts: list[Prompt], params: SamplingParams, n: int = 1) -> int:
        """The tokens embedding `prompts` reads (what a quota reserves); generation refused."""
        if params.max_tokens != 0:
            only_embeds(self.model_name)
        return sum(len(self._row(p)) + self._framed for p in prompts)

    def _row(self, prompt: Prompt) -> list[int]:
        if isinstance(prompt, str):
            ids: list[int] = self.tokenizer.encode(prompt, add_special_tokens=False)
        elif isinstance(prompt, list):
            ids = list(prompt)
            check_ids(ids, self.vocab_limit, param=None)
        else:
            only_embeds(self.model_name)
        if self.text_limit is not None and len(ids) > self.text_limit:
            raise RequestRejected(
                _(
                    "this model's maximum context length is {context} tokens, but the prompt "
                    "has {count}; shorten it",
                    context=self.context_length,
                    count=len(ids) + self._framed,  # as `/tokenize` counts it
                ),
                code="context_length_exceeded",
            )
        if not ids and not any(self._frame):
            raise RequestRejected(_("the prompt is empty"), code="empty_prompt")
        return ids

    def _pooled(self, framed: list[list[int]], rows: list[list[int]]) -> list[list[float]]:
        """The transformer's last hidden states pooled as the model's Pooling says. Rows run
        in batches of similar length (little padding), right-padded and masked, so a text's
        vector does not depend on its batch."""
        import torch

        from gemeingut.model.machine import autocast

        pad = self.tokenizer.pad_token_id or 0
        order = sorted(range(len(framed)), key=lambda i: len(framed[i]))
        vectors: list[list[float]] = [[] for _ in framed]
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), BATCH_ROWS):
                batch = [framed[i] for i in order[start : start + BATCH_ROWS]]
                width = max(len(r) for r in batch)
                ids = torch.tensor([r + [pad] * (width - len(r)) for r in batch])
                mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in batch])
                with autocast(self.device, self.precision):
                    out = self.model(
                        input_ids=ids.to(self.device), attention_mask=mask.to(self.device)
                    )
                hidden = out.last_hidden_state.float().cpu()
                skipped = [self._prompt_length(rows[i]) for i in order[start : start + BATCH_ROWS]]
                pooled = pool(hidden, mask, self.layout.pooling, skipped)
                if self.layout.normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                for i, vector in zip(order[start : start + BATCH_ROWS], pooled, strict=True):
                    vectors[i] = vector.tolist()
        return vectors

    def _prompt_length(self, row: list[int]) -> int:
        """The tokens pooling leaves out at the start of a framed row: with `include_prompt:
        false`, the model's leading tokens and those of a prompt the text begins with."""
        if self.layout.include_prompt:
            return 0
        for ids in self._prompt_ids:
            if row[: len(ids)] == ids:
                return len(self._frame[0]) + len(ids)
        return 0

    # --- the tokenizer, lent to clients (/tokenize, /detokenize, /tokenizer_info) -------------

    def tokenize(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """The text's tokens; with special tokens, framed as the model reads it (CLS … SEP; a
        static table reads none), so that the count is the one an embedding of it counts."""
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False)
        return self._frame[0] + ids + self._frame[1] if add_special_tokens else ids

    def detokenize(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        check_ids(ids, self.vocab_limit, param="tokens")
        return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)

    def tokenizer_info(self) -> dict[str, Any]:
        """As a language model's (`TransformersBackend`), without a chat template; the context
        counts the model's own tokens, as `/tokenize` does."""
        tok = self.tokenizer
        return {
            "tokenizer_class": type(tok).__name__,
            "bos_token": tok.bos_token,
            "eos_token": tok.eos_token,
            "pad_token": tok.pad_token,
            "unk_token": tok.unk_token,
            "chat_template": None,
            "model_max_length": self.context_length,
            "vocab_size": self.vocab_limit,
        }

    # --- what it does not do ------------------------------------------------------------------

    def generate(self, prompt: Prompt, params: SamplingParams) -> GenerationResult:
        only_embeds(self.model_name)

    def generate_batch(
        self,
        prompts: list[Prompt],
        params: SamplingParams,
        n: int = 1,
        cancel: threading.Event | None = None,
    ) -> list[GenerationResult]:
        only_embeds(self.model_name)

    def stream(self, prompt: Prompt, params: SamplingParams) -> TextStream:
        only_embeds(self.model_name)

    def apply_chat_template(
        self, messages: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        only_embeds(self.model_name)


def pool(hidden: Any, mask: Any, modes: tuple[str, ...], skipped: list[int]) -> Any:
    """sentence-transformers' Pooling of `hidden` (rows × tokens × width) under `mask`, its
    modes concatenated in its order; `skipped[i]` leading tokens of row i left out (a prompt
    the pooling excludes; CLS and last-token pooling read their token all the same)."""
    import torch

    lengths = mask.sum(dim=1)
    kept = mask.clone()
    for i, count in enumerate(skipped):
        kept[i, :count] = 0
    weights = kept.unsqueeze(-1).float()
    summed = (hidden * weights).sum(dim=1)
    counts = weights.sum(dim=1).clamp(min=1e-9)
    parts = []
    for mode in modes:
        if mode == "cls_token":
            parts.append(hidden[:, 0])
        elif mode == "max_tokens":
            parts.append(hidden.masked_fill(weights == 0, -1e9).max(dim=1).values)
        elif mode == "mean_tokens":
            parts.append(summed / counts)
        elif mode == "mean_sqrt_len_tokens":
            parts.append(summed / counts.sqrt())
        elif mode == "weightedmean_tokens":
            positions = torch.arange(1, hidden.shape[1] + 1).float()[None, :, None] * weights
            parts.append((hidden * positions).sum(dim=1) / positions.sum(dim=1).clamp(min=1e-9))
        else:  # lasttoken: rows are right-padded
            parts.append(hidden[torch.arange(hidden.shape[0]), lengths - 1])
    return torch.cat(parts, dim=-1)


class StaticTable:
    """model2vec's model: a row per token (through `mapping` where the vocabulary is
    quantised), weighted per token where it has `weights`; a text's vector is the mean of its
    tokens' rows, the unknown token left out (as model2vec does)."""

    def __init__(self, rows: np.ndarray, weights: Any, mapping: Any, unknown: int | None):
        self.rows = rows
        self.weights = weights
        self.mapping = mapping
        self.unknown = unknown
        self.vocabulary = len(mapping) if mapping is not None else len(rows)

    def vector(self, ids: list[int], normalize: bool) -> np.ndarray:
        known = [i for i in ids if i != self.unknown]
        if not known:
            return np.zeros(self.rows.shape[1], dtype=np.float32)
        index = np.asarray(known)
        rows = self.rows[self.mapping[index] if self.mapping is not None else index]
        if self.weights is not None:
            rows = rows * self.weights[index][:, None]
        mean = rows.mean(axis=0)
        return mean / (np.linalg.norm(mean) + 1e-32) if normalize else mean


def _static_model(folder: Path) -> tuple[Any, StaticTable]:
    """The tokenizer and table of a model2vec folder; a table without `embeddings` (another
    kind of safetensors file) is an error naming it."""
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    from gemeingut.errors import InputError

    weights_file = folder / STATIC_WEIGHTS
    try:
        with safe_open(str(weights_file), framework="numpy") as tensors:
            names = set(tensors.keys())
            if "embeddings" not in names:
                raise InputError(
                    _("{path} holds no tensor called embeddings (a model2vec table)",
                      path=str(weights_file)),
                    _("copy the model folder again from its source; it must be whole"),
                )  # fmt: skip
            table = tensors.get_tensor("embeddings").astype(np.float32)
            weights = (
                tensors.get_tensor("weights").astype(np.float32) if "weights" in names else None
            )
            mapping = tensors.get_tensor("mapping").astype(np.int64) if "mapping" in names else None
        raw = Tokenizer.from_file(str(folder / STATIC_TOKENIZER))
    except InputError:
        raise
    except Exception as error:  # safetensors' and tokenizers' own errors, and OSError
        raise InputError(
            _("{path} cannot be read: {error}", path=str(folder), error=str(error)),
            _("copy the model folder again from its source; it must be whole"),
        ) from None
    unknown = _unknown_id(raw)
    named = raw.id_to_token(unknown) if unknown is not None else None  # for /tokenizer_info
    return PreTrainedTokenizerFast(tokenizer_object=raw, unk_token=named), StaticTable(
        table, weights, mapping, unknown
    )


def _unknown_id(tokenizer: Any) -> int | None:
    """The unknown token's id as model2vec finds it (WordPiece, BPE, WordLevel; Unigram)."""
    import json

    model = tokenizer.model
    if hasattr(model, "unk_token"):
        return tokenizer.token_to_id(model.unk_token) if model.unk_token is not None else None
    return json.loads(tokenizer.to_str())["model"].get("unk_id")


def _special_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The tokens the tokenizer puts before and after a text's own (CLS and SEP for BERT,
    <s> and </s> for XLM-R, none for some)."""
    core = tokenizer.encode("a", add_special_tokens=False)
    full = tokenizer.encode("a", add_special_tokens=True)
    for start in range(len(full) - len(core) + 1):
        if full[start : start + len(core)] == core:
            return full[:start], full[start + len(core) :]
    return [], []


def _model_limit(config: Any, tokenizer: Any) -> int | None:
    """As sentence-transformers without `max_seq_length`: the smaller of the model's positions
    and the tokenizer's `model_max_length`; None (no limit) where neither names one (relative
    positions, as XLNet's)."""
    limits = [getattr(config, "max_position_embeddings", None), tokenizer.model_max_length]
    return min((x for x in limits if isinstance(x, int) and 0 < x < 10**8), default=None)
