"""Randomly initialised models have no preference, so the bias audit may flag them only as often
as its 5% level allows; the v1 method (Wilson over pairs) flagged them far more often, because
pairs that differ in the same words are not independent. The sign-flip test over such clusters
(v2) is exact for its own inputs, but word pairs that share tokens (gender's "-in", "die"/"der")
still move together; v3 counts each gender pair by its preference less that of its grammatical
control (the same words in a neutral sentence), which moves with the same tokens. Older reports
are still re-checked by the method they used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.audit.bias import (
    CLUSTERED_V2,
    GRAMMAR_V3,
    WILSON_V1,
    default_suite,
    differing_words,
    read_pairs,
    score_pairs,
    summarize,
)
from gemeingut.audit.clustered_share import clustered_share
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.suites import suite_files
from gemeingut.audit.target import LocalTarget
from gemeingut.release.layout import AUDIT_REPORT, TRAINING_CODE
from gemeingut.release.verify_audit import LOGS, audit_problems
from tests.audit.tiny_lm import random_model

SEEDS = range(5)
CATEGORIES = 7
# At a 5% level, the 60 categories other than gender of models without preference give 3 flags
# on average; more than 7 would happen by chance in under 1% of such runs (binomial 60, 0.05).
MOST_FLAGS = 7
# Of 10 models, 3 or more flags of one category: in about 1% of such runs (binomial 10, 0.05)
MOST_FLAGS_OF_ONE = 2
# The pairs added to the suite after its first clustered release (word pairs of their own)
ADDED = {f"disability-{i:03d}" for i in range(65, 79)} | {f"age-{i:03d}" for i in range(63, 71)}


@pytest.fixture(scope="module")
def random_records(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict]]:
    root = tmp_path_factory.mktemp("random-models")
    pairs = read_pairs(default_suite())
    texts = [s for p in pairs for s in (p.stereotype, p.anti_stereotype)]
    logs = []
    for architecture in ("llama", "qwen2"):
        for seed in SEEDS:
            folder = random_model(root / f"{architecture}-{seed}", architecture, seed, texts)
            target = LocalTarget(folder, name=folder.name, lineage=folder.name)
            logs.append(score_pairs(target, pairs, ItemLog(root / f"{folder.name}.jsonl")))
    return logs


def test_random_models_are_flagged_no_more_often_than_the_level_allows(
    random_records: list[list[dict]],
) -> None:
    def others(flagged: list[str]) -> int:
        return len([category for category in flagged if category != "gender"])

    clustered = [summarize(records)["flagged"] for records in random_records]
    per_pair = [summarize(records, WILSON_V1)["flagged"] for records in random_records]
    assert len(random_records) * CATEGORIES == 70
    assert sum(map(others, clustered)) <= MOST_FLAGS
    assert sum(map(others, per_pair)) > MOST_FLAGS  # what the audit reported before


def test_random_models_are_not_flagged_in_gender_more_often_than_the_level_allows(
    random_records: list[list[dict]],
) -> None:
    """Gender's word pairs differ but share tokens (the articles of "die Pilotin"/"der Pilot",
    the "innen und" of the generic masculine pairs), which a random model reacts to alike in
    every pair. These 10 models share one tokenizer, so its cuts weigh on all of them: v2
    flagged gender in more of them than chance allows; v3's grammatical controls react to the
    same tokens, and the difference does not."""

    def flags(method: str) -> int:
        return sum("gender" in summarize(records, method)["flagged"] for records in random_records)

    assert flags(GRAMMAR_V3) <= MOST_FLAGS_OF_ONE < flags(CLUSTERED_V2)


def test_the_report_names_its_method_and_how_many_word_pairs_each_category_has(
    random_records: list[list[dict]],
) -> None:
    summary = summarize(random_records[0], GRAMMAR_V3)
    assert summary["method"] == GRAMMAR_V3
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


def write_bundle(root: Path, records: list[dict], bias: dict, suite: str = "own") -> Path:
    (root / LOGS).mkdir(parents=True)
    (root / LOGS / "bias.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    (root / AUDIT_REPORT).write_text(json.dumps({"bias": {"suite": suite, **bias}}), "utf-8")
    return root


def bias_problems(bundle: Path) -> list[str]:
    """What `verify` says of the bias section (the bundle holds nothing else to check)."""
    problems = [str(p) for p in audit_problems(bundle, {AUDIT_REPORT: ""})]
    return [p for p in problems if "bias" in p.lower()]


def test_an_older_report_is_checked_by_the_method_it_used(
    random_records: list[list[dict]], tmp_path: Path
) -> None:
    records = random_records[1]
    older = [{k: v for k, v in r.items() if k != "terms"} for r in records]
    assert bias_problems(write_bundle(tmp_path / "v1", older, summarize(older, WILSON_V1))) == []
    v2 = summarize(records, CLUSTERED_V2)
    assert bias_problems(write_bundle(tmp_path / "v2", records, v2)) == []
    v3 = summarize(records, GRAMMAR_V3)
    assert bias_problems(write_bundle(tmp_path / "v3", records, v3)) == []

    relabelled = {**summarize(records, WILSON_V1), "method": CLUSTERED_V2}
    named = bias_problems(write_bundle(tmp_path / "relabelled", records, relabelled))
    assert named and all("bias.categories" in p or "bias.all" in p for p in named)
    as_v3 = {**v2, "method": GRAMMAR_V3}
    named = bias_problems(write_bundle(tmp_path / "v2-as-v3", records, as_v3))
    assert named and not [p for p in named if "bias.categories." in p and "gender" not in p]
    unknown = {**v3, "method": "in-context-v9"}
    [problem] = bias_problems(write_bundle(tmp_path / "unknown", records, unknown))
    assert "in-context-v9" in problem and GRAMMAR_V3 in problem
    named = bias_problems(write_bundle(tmp_path / "no-terms", older, summarize(records)))
    assert named and all(p.startswith(f"{LOGS}/bias.jsonl:") and "(terms)" in p for p in named)


def snapshot_suite(bundle: Path, keep: set[str]) -> None:
    """The shipped suite in the bundle's code snapshot, with only the pairs `keep`."""
    folder = bundle / TRAINING_CODE / "gemeingut" / "audit" / "suites" / "bias" / "de"
    folder.mkdir(parents=True)
    for file in suite_files(default_suite()):
        lines = file.read_text("utf-8").splitlines(keepends=True)
        (folder / file.name).write_text(
            "".join(line for line in lines if json.loads(line)["id"] in keep), "utf-8"
        )


def test_a_bundle_is_checked_against_the_suite_of_its_own_code_snapshot(
    random_records: list[list[dict]], tmp_path: Path
) -> None:
    """The report names the shipped suite without a version: a bundle audited with an older,
    smaller suite is re-checked with the suite its snapshot holds, not with today's."""
    records = random_records[2]
    older = [r for r in records if r["id"] not in ADDED]
    assert len(older) == len(records) - len(ADDED)
    kept = {r["id"] for r in older}
    shipped = "gemeingut bias/de (CC0-1.0)"

    bundle = write_bundle(tmp_path / "older", older, summarize(older), shipped)
    snapshot_suite(bundle, kept)
    assert bias_problems(bundle) == []
    today = write_bundle(tmp_path / "today", older, summarize(older), shipped)
    snapshot_suite(today, kept | ADDED)
    [problem] = bias_problems(today)
    assert "age-063" in problem


def test_a_log_without_the_controls_its_suite_has_is_named(
    random_records: list[list[dict]], tmp_path: Path
) -> None:
    """v3 counts a pair without a control as v2 does: a log that left the controls out would
    pass the stereotype pairs' own preference off as the controlled one."""
    records = random_records[3]
    shipped = "gemeingut bias/de (CC0-1.0)"
    dropped = [{k: v for k, v in r.items() if k != "control_delta"} for r in records]
    bundle = write_bundle(tmp_path / "dropped", dropped, summarize(dropped, GRAMMAR_V3), shipped)
    snapshot_suite(bundle, {r["id"] for r in records})
    [problem] = bias_problems(bundle)
    assert "gender-064" not in problem and "gender-001" in problem  # the first few named
    v2 = write_bundle(tmp_path / "v2", dropped, summarize(dropped, CLUSTERED_V2), shipped)
    snapshot_suite(v2, {r["id"] for r in records})
    assert bias_problems(v2) == []  # v2 reads no controls

    garbled = [{**r, "control_delta": "0.5"} if "control_delta" in r else r for r in records]
    v3 = summarize(records, GRAMMAR_V3)
    named = bias_problems(write_bundle(tmp_path / "garbled", garbled, v3))
    assert named and all("(control_delta)" in p for p in named)
