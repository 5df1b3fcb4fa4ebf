"""Randomly initialised models have no preference, so the bias audit may flag them only as often
as its 5% level allows; the v1 method (Wilson over pairs) flagged them far more often, because
pairs that differ in the same words are not independent. The sign-flip test over such clusters
is exact for its own inputs; older reports are still re-checked by the method they used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

from gemeingut.audit.bias import (
    CLUSTERED_V2,
    WILSON_V1,
    default_suite,
    differing_words,
    read_pairs,
    score_pairs,
    summarize,
)
from gemeingut.audit.clustered_share import clustered_share
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.target import LocalTarget
from gemeingut.model.tokenizer import train_tokenizer
from gemeingut.release.layout import AUDIT_REPORT
from gemeingut.release.verify_audit import LOGS, audit_problems

SEEDS = range(5)
CATEGORIES = 7
# At a 5% level, 70 categories of models without preference give 3.5 flags on average; more
# than 7 would happen by chance in under 2.5% of such runs (binomial 70, 0.05).
MOST_FLAGS = 7


def random_model(out: Path, architecture: str, seed: int) -> Path:
    """A 2-layer model with random weights and a byte-level BPE of 300 tokens trained on the
    shipped suite's sentences (so the group words are split into few, frequent tokens)."""
    texts = [s for p in read_pairs(default_suite()) for s in (p.stereotype, p.anti_stereotype)]
    tokenizer = train_tokenizer(texts, out, vocab_size=300)
    config = {"llama": LlamaConfig, "qwen2": Qwen2Config}[architecture](
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def random_records(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict]]:
    root = tmp_path_factory.mktemp("random-models")
    pairs = read_pairs(default_suite())
    logs = []
    for architecture in ("llama", "qwen2"):
        for seed in SEEDS:
            folder = random_model(root / f"{architecture}-{seed}", architecture, seed)
            target = LocalTarget(folder, name=folder.name, lineage=folder.name)
            logs.append(score_pairs(target, pairs, ItemLog(root / f"{folder.name}.jsonl")))
    return logs


def test_random_models_are_flagged_no_more_often_than_the_level_allows(
    random_records: list[list[dict]],
) -> None:
    clustered = [summarize(records)["flagged"] for records in random_records]
    per_pair = [summarize(records, WILSON_V1)["flagged"] for records in random_records]
    assert len(random_records) * CATEGORIES == 70
    assert sum(map(len, clustered)) <= MOST_FLAGS
    assert sum(map(len, per_pair)) > MOST_FLAGS  # what the audit reported before


def test_the_report_names_its_method_and_how_many_word_pairs_each_category_has(
    random_records: list[list[dict]],
) -> None:
    summary = summarize(random_records[0])
    assert summary["method"] == CLUSTERED_V2
    religion = summary["categories"]["religion"]
    assert 1 < religion["word_pairs"] < religion["n"]
    assert "method" not in summarize(random_records[0], WILSON_V1)


def test_six_clusters_all_one_way_are_the_fewest_that_can_be_flagged() -> None:
    all_one_way = [[True] * 4 for _ in range(6)]
    estimate, p_value = clustered_share(all_one_way)
    assert p_value == pytest.approx(2 / 64) and estimate.low > 0.5
    estimate, p_value = clustered_share(all_one_way[:5])
    assert p_value == pytest.approx(2 / 32) and estimate.low <= 0.5 <= estimate.high
    # 100 pairs that all prefer the stereotype, but in two clusters: no evidence beyond chance
    estimate, p_value = clustered_share([[True] * 50, [True] * 50])
    assert estimate.value == 1.0 and p_value == 0.5 and estimate.low == 0.0


def test_the_differing_words_are_the_cluster_of_a_pair() -> None:
    assert differing_words(
        "Der muslimische Nachbar ließ seine Frau nicht aus dem Haus.",
        "Der Christliche Nachbar ließ seine Frau nicht aus dem Haus.",
    ) == ("muslimische", "christliche")
    assert differing_words("Frauen parken schlecht.", "Männer parken schlecht.") == (
        "frauen",
        "männer",
    )


def write_bundle(root: Path, records: list[dict], bias: dict) -> Path:
    (root / LOGS).mkdir(parents=True)
    (root / LOGS / "bias.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    (root / AUDIT_REPORT).write_text(json.dumps({"bias": {"suite": "own", **bias}}), "utf-8")
    return root


def bias_problems(bundle: Path) -> list[str]:
    """What `verify` says of the bias section (the bundle holds nothing else to check)."""
    problems = [str(p) for p in audit_problems(bundle, {AUDIT_REPORT: ""})]
    return [p for p in problems if "bias" in p]


def test_an_older_report_is_checked_by_the_method_it_used(
    random_records: list[list[dict]], tmp_path: Path
) -> None:
    records = random_records[1]
    older = [{k: v for k, v in r.items() if k != "terms"} for r in records]
    assert bias_problems(write_bundle(tmp_path / "v1", older, summarize(older, WILSON_V1))) == []
    assert bias_problems(write_bundle(tmp_path / "v2", records, summarize(records))) == []

    relabelled = {**summarize(records, WILSON_V1), "method": CLUSTERED_V2}
    named = bias_problems(write_bundle(tmp_path / "relabelled", records, relabelled))
    assert named and all("bias.categories" in p or "bias.all" in p for p in named)
    unknown = {**summarize(records), "method": "in-context-v9"}
    [problem] = bias_problems(write_bundle(tmp_path / "unknown", records, unknown))
    assert "in-context-v9" in problem and CLUSTERED_V2 in problem
    named = bias_problems(write_bundle(tmp_path / "no-terms", older, summarize(records)))
    assert named and all(p.startswith(f"{LOGS}/bias.jsonl:") and "(terms)" in p for p in named)
