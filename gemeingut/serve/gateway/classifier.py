"""A text-classification model that a policy rule consults (`kind: classifier`).

Keywords and patterns catch what can be spelled out; a classifier trained for it (offensive
language, a topic the deployment keeps out) catches what is said in other words. The model is
a local Hugging Face folder of a sequence classifier (`AutoModelForSequenceClassification`):
nothing is fetched at run time. A text longer than the model's window is read in overlapping
windows and a label's score is its highest in any window, so nothing hides behind a long
preamble. Which model decided is published with the policy: its labels and the SHA-256 of its
files.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gemeingut.errors import InputError
from gemeingut.hashing import files_with_hashes, sha256_json
from gemeingut.i18n import _

MAX_WINDOW = 512  # tokens per window, at most (BERT-style models' own limit)
OVERLAP = 64  # tokens two windows share, so that a phrase across their border is read whole
WINDOWS_PER_BATCH = 16


class TextClassifier:
    def __init__(self, folder: Path, rule_id: str) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if not (folder / "config.json").is_file():
            raise InputError(
                _("rule {rule}: {path} holds no model (config.json)", rule=rule_id, path=folder),
                _("`model` names the folder of a text-classification model on this machine"),
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
            model = AutoModelForSequenceClassification.from_pretrained(
                str(folder), dtype=torch.float32, use_kernels=False
            )
        except (OSError, ValueError, KeyError) as error:
            raise _unusable(rule_id, folder, error) from None
        if not getattr(self.tokenizer, "is_fast", False):  # only these split into windows
            raise InputError(
                _(
                    "rule {rule}: the tokenizer at {path} cannot split a long text into windows",
                    rule=rule_id,
                    path=folder,
                ),
                _("save the model with a fast tokenizer (tokenizer.json)"),
            )
        self.model = model.eval()
        self.multi_label = model.config.problem_type == "multi_label_classification"
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        self.fingerprint = "sha256:" + sha256_json(files_with_hashes(folder))
        limits = [MAX_WINDOW, getattr(model.config, "max_position_embeddings", MAX_WINDOW)]
        if isinstance(self.tokenizer.model_max_length, int):
            limits.append(self.tokenizer.model_max_length)
        self.window = min(limits)
        if self.tokenizer.pad_token is None:  # a decoder's classifier may have none
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        if model.config.pad_token_id is None:  # a decoder finds each row's end by it
            model.config.pad_token_id = self.tokenizer.pad_token_id
        self._lock = threading.Lock()  # one forward at a time: requests screen in threads
        try:  # windows of different lengths in one batch, as a long text gives them
            self.scores("probe " * (2 * self.window))
        except (ValueError, TypeError, RuntimeError, IndexError) as error:
            raise _unusable(rule_id, folder, error) from None

    def scores(self, text: str) -> dict[str, float]:
        """Each label's probability, the highest over the text's windows."""
        import torch

        windows = self._windows(text)
        best = torch.zeros(len(self.labels))
        for start in range(0, len(windows["input_ids"]), WINDOWS_PER_BATCH):
            batch = {
                name: rows[start : start + WINDOWS_PER_BATCH] for name, rows in windows.items()
            }
            # the lock per batch of windows: a very long text does not make others wait for all
            # of its windows, their forwards take turns with its batches
            with self._lock, torch.inference_mode():
                logits = self.model(**batch).logits.float()
            probabilities = logits.sigmoid() if self.multi_label else logits.softmax(-1)
            best = torch.maximum(best, probabilities.max(dim=0).values)
        return dict(zip(self.labels, best.tolist(), strict=True))

    def _windows(self, text: str) -> dict[str, Any]:
        """The text's tokens in overlapping windows, each with the model's special tokens."""
        encoded = self.tokenizer(
            text,
            truncation=True,
            max_length=self.window,
            stride=min(OVERLAP, self.window // 4),
            return_overflowing_tokens=True,
            padding=True,
            return_tensors="pt",
        )
        return {name: encoded[name] for name in ("input_ids", "attention_mask")}


def _unusable(rule_id: str, folder: Path, error: Exception) -> InputError:
    """The rule's model cannot be loaded, or cannot score a text: said at start."""
    return InputError(
        _(
            "rule {rule}: {path} is not a text-classification model: {error}",
            rule=rule_id,
            path=folder,
            error=str(error).splitlines()[0] if str(error) else type(error).__name__,
        ),
        _("`model` names the folder of a text-classification model on this machine"),
    )
