"""Scoring a batch's prompt tokens a few rows at a time gives what scoring it whole gives."""

import pytest
import torch

from gemeingut.serve.backends import sampling


def test_rows_scored_in_blocks_equal_the_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    logits = torch.randn(5, 7, 11, dtype=torch.bfloat16)
    rows = [[1, 2, 3, 4], [5, 6], [7, 8, 9, 10, 1, 2, 3], [4, 4, 4], [0, 1]]
    starts = [0, 0, 0, 2, 5]
    whole = sampling.chosen_logprobs(logits, rows, starts)
    monkeypatch.setattr(sampling, "SCORING_FLOATS", 7 * 11 * 2)  # two rows per block
    blocks = sampling.chosen_logprobs(logits, rows, starts)
    assert blocks == whole
    full = torch.log_softmax(logits.float(), dim=-1)
    assert blocks[3][1].logprob == pytest.approx(float(full[3, 2, 4]))  # row 3, its first token
