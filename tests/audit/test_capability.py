"""Capability tasks: lm-evaluation-harness scores our endpoint exactly as the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gemeingut.audit.capability import contamination, endpoint_model, folder_model, run_tasks
from gemeingut.audit.task_suite import default_suite, prepare
from gemeingut.errors import InputError
from tests.audit.conftest import SERVED_NAME

LIMIT = 30  # items per task: enough to tell scorers apart, quick on a tiny model


def test_lm_eval_scores_our_endpoint_exactly_as_the_model_folder(
    german_model: Path, german_endpoint: str, tmp_path: Path
) -> None:
    tasks = prepare(["gg_buergerkunde", "gg_verwaltung", "gg_kurzantwort"], default_suite())
    local = run_tasks(folder_model(german_model), tasks, tmp_path / "hf", 8, LIMIT)
    how = endpoint_model(f"{german_endpoint}/v1", SERVED_NAME, 256, True, None)
    remote = run_tasks(how, tasks, tmp_path / "endpoint", 8, LIMIT)
    for task in tasks:
        ours, theirs = remote["tasks"][task.name], local["tasks"][task.name]
        assert ours["items"] == theirs["items"] == LIMIT
        values = {metric: m["value"] for metric, m in ours["metrics"].items()}
        assert values == {metric: m["value"] for metric, m in theirs["metrics"].items()}
    accuracies = {local["tasks"][t.name]["metrics"]["acc"]["value"] for t in tasks[:2]}
    assert accuracies - {0.0, 1.0}, "a tiny model should get some, not all or none, right"
    assert remote["lm_eval"]["command"].startswith(
        "PYTHONDONTWRITEBYTECODE=1 lm_eval --model local-completions"
    )
    assert "--include_path tasks" in local["lm_eval"]["command"]


def test_missing_task_data_and_a_malformed_item_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"buergerkunde\.jsonl fehlen"):
        prepare(["gg_buergerkunde"], tmp_path)
    (tmp_path / "buergerkunde.jsonl").write_text(
        '{"id": "x", "question": "Wer?", "choices": ["a", "b"], "answer": 5}\n', "utf-8"
    )
    with pytest.raises(InputError, match=r"buergerkunde\.jsonl:1: die Antwort 5"):
        prepare(["gg_buergerkunde"], tmp_path)


def test_task_items_found_in_the_training_data_are_reported_per_task(tmp_path: Path) -> None:
    tasks = prepare(["gg_buergerkunde", "gg_lesen"], default_suite())
    first = tasks[1].items[0]
    leaked = tmp_path / "train.jsonl"
    text = f"{first['query']} {first['choices'][first['gold']].strip()}"
    leaked.write_text(json.dumps({"text": text}) + "\n", "utf-8")
    report = contamination(tasks, (leaked,))
    assert report["tasks"]["gg_lesen"]["any_overlap"] >= 1
    assert report["tasks"]["gg_buergerkunde"]["any_overlap"] == 0
    assert contamination(tasks, ())["checked"] is False


def test_lm_eval_scores_a_governed_endpoint_with_its_key_kept_out_of_the_command(
    german_model: Path, tmp_path: Path
) -> None:
    from gemeingut.serve.gateway.audit_log import export
    from gemeingut.serve.gateway.identity import add_user, create_key
    from gemeingut.serve.gateway.store import open_store
    from tests.http_server import serving_process

    db = tmp_path / "gateway.db"
    add_user(open_store(str(db)), "auditor")
    _, key = create_key(open_store(str(db)), "auditor")
    tasks = prepare(["gg_buergerkunde"], default_suite())
    with serving_process(str(german_model), SERVED_NAME, "--db", str(db)) as url:
        how = endpoint_model(f"{url}/v1", SERVED_NAME, 256, True, None, api_key=key)
        scored = run_tasks(how, tasks, tmp_path / "endpoint", 8, 10)
    assert scored["tasks"]["gg_buergerkunde"]["items"] == 10
    assert key not in scored["lm_eval"]["command"]  # the published command holds no secret
    assert any(r["status"] == 200 for r in export(open_store(str(db))))


def test_an_engine_scores_through_the_gateway_as_it_does_directly(
    german_endpoint: str, tmp_path: Path
) -> None:
    """`gemeingut serve --upstream ENGINE --db` passes log-probabilities, echo and the tokenizer
    routes on: lm-eval and the audit's bias scoring get the engine's own numbers, with a key."""
    from gemeingut.audit.bias import default_suite as default_pairs
    from gemeingut.audit.bias import read_pairs, score_pairs
    from gemeingut.audit.endpoint import EndpointTarget
    from gemeingut.audit.item_log import ItemLog
    from gemeingut.audit.run import lm_eval_model
    from gemeingut.audit.subject import Subject
    from gemeingut.serve.gateway.audit_log import export
    from gemeingut.serve.gateway.identity import add_user, create_key
    from gemeingut.serve.gateway.store import open_store
    from tests.http_server import serving_process

    db = tmp_path / "gateway.db"
    add_user(open_store(str(db)), "auditor")
    _, key = create_key(open_store(str(db)), "auditor")
    tasks = prepare(["gg_buergerkunde"], default_suite())
    pairs = read_pairs(default_pairs())[:12]
    gateway = ("--upstream", german_endpoint, "--db", str(db))
    with serving_process(None, SERVED_NAME, *gateway) as url:  # type: ignore[arg-type]
        # as `gemeingut audit tasks --endpoint` reaches it: the subject's key, lm-eval's model
        subject = Subject(SERVED_NAME, "gateway", endpoint=f"{url}/v1", api_key=key)
        target = subject.target()
        via = run_tasks(lm_eval_model(subject, target), tasks, tmp_path / "via", 8, LIMIT)
        via_pairs = score_pairs(target, pairs, ItemLog(tmp_path / "via.jsonl"))
    how = endpoint_model(f"{german_endpoint}/v1", SERVED_NAME, 256, True, None)
    direct = run_tasks(how, tasks, tmp_path / "direct", 8, LIMIT)
    target = EndpointTarget(f"{german_endpoint}/v1", SERVED_NAME)
    direct_pairs = score_pairs(target, pairs, ItemLog(tmp_path / "direct.jsonl"))
    name = tasks[0].name
    assert via["tasks"][name]["items"] == direct["tasks"][name]["items"] == LIMIT
    assert via["tasks"][name]["metrics"] == direct["tasks"][name]["metrics"]
    # The gateway sends the audit's batch of prompts to the engine one by one: the engine pads
    # them in other batches, which moves a float's last digits, never more.
    deltas = [p["delta"] for p in direct_pairs]
    assert [p["delta"] for p in via_pairs] == pytest.approx(deltas, abs=1e-5)
    records = list(export(open_store(str(db))))
    assert {r["route"] for r in records} >= {"/v1/completions"}
    assert all(r["status"] == 200 for r in records)
