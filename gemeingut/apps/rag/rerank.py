"""Reranking the first retrieved chunks with a cross-encoder: a model that reads the question and
a passage together and scores how well the passage answers it (BGE's rerankers, the mMARCO
cross-encoders, any `AutoModelForSequenceClassification` folder on this machine).

BM25, dense or hybrid search finds `RERANK_DEPTH` candidates cheaply; the cross-encoder, too
slow for a whole collection, orders those. A model with one output scores by that logit; one
with two (not relevant, relevant) by the second.
"""

from __future__ import annotations

from pathlib import Path

from gemeingut.errors import InputError
from gemeingut.i18n import _

RERANK_DEPTH = 20  # candidates the first stage hands to the cross-encoder
BATCH = 16
MAX_LENGTH = 512


class Reranker:
    def __init__(self, folder: Path, max_length: int = MAX_LENGTH) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if not (folder / "config.json").is_file():
            raise InputError(
                _("{path}: no config.json of a cross-encoder", path=str(folder)),
                _("pass the folder of a reranker model (e.g. a BGE reranker)"),
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
        except (OSError, ValueError) as error:
            raise InputError(
                _(
                    "{path}: transformers cannot load it as a reranker ({error})",
                    path=str(folder),
                    error=str(error),
                ),
                _("pass the folder of a sequence-classification (cross-encoder) model"),
            ) from None
        if self.tokenizer.pad_token is None:  # decoder-based rerankers pad with their end token
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model.config.pad_token_id = self.tokenizer.pad_token_id
        self.max_length = max_length
        self.name = folder.name

    def scores(self, question: str, passages: list[str]) -> list[float]:
        """How well each passage answers the question (higher is better)."""
        import torch

        found: list[float] = []
        for start in range(0, len(passages), BATCH):
            batch = passages[start : start + BATCH]
            encoded = self.tokenizer(
                [question] * len(batch),
                batch,
                padding=True,
                truncation="longest_first",  # a long question is cut too, never refused
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.no_grad():
                logits = self.model(**encoded).logits
            found += logits[:, -1].float().tolist()
        return found
