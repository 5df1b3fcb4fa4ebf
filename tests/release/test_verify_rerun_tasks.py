"""The audit's task accuracies (report.json, which the card prints) are the means of the items
lm-eval scored, each logged in `audit/logs/tasks.jsonl`: plain `verify` recomputes them from the
log, and `verify --rerun` scores a sample of the items again with lm-eval (the recorded
command's tasks and batch size, the bundle's model and task files) and compares each with its
line. An accuracy forged in the report alone, every document rendered again and the MANIFEST
re-hashed, is named by plain `verify`; one forged together with an item of the log passes it
and is named, item by item, by the re-run. A bundle of an older audit, without the log, passes
and says that its accuracies cannot be recomputed."""

from __future__ import annotations

import json
from pathlib import Path

from gemeingut.audit.report_markdown import markdown, report_file
from gemeingut.audit.report_text import LANGUAGES
from gemeingut.release.manifest import SIGNATURE, write_manifest
from tests.release.documents_again import documents_rendered_again
from tests.test_cli import invoke

LOG = "audit/logs/tasks.jsonl"
REPORT = "audit/report.json"
LINEAGE = "training-metadata/lineage.json"


def _log(bundle: Path) -> list[dict]:
    return [json.loads(line) for line in (bundle / LOG).read_text("utf-8").splitlines()]


def _write_log(bundle: Path, records: list[dict]) -> None:
    (bundle / LOG).write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")


def _said(result) -> str:
    return " ".join(result.output.split())


def test_the_audit_logs_every_task_item_lm_eval_scored(bundle: Path) -> None:
    tasks = json.loads((bundle / REPORT).read_text("utf-8"))["tasks"]["tasks"]
    records = _log(bundle)
    for name, result in tasks.items():
        items = [r for r in records if r["task"] == name]
        assert [r["doc_id"] for r in items] == list(range(result["items"]))
        for metric, value in result["metrics"].items():
            assert sum(r["metrics"][metric] for r in items) / len(items) == value["value"]
    choices = next(r for r in records if r["task"] == "gg_buergerkunde")
    assert len(choices["loglikelihoods"]) == 4 and choices["id"] == "buergerkunde-001"
    assert isinstance(next(r for r in records if r["task"] == "gg_kurzantwort")["answer"], str)


def test_an_untouched_bundle_passes_the_task_re_run(bundle: Path) -> None:
    result = invoke("verify", bundle, "--rerun", "3", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    tasks = json.loads(result.stdout)["rerun"]["tasks"]
    assert tasks["checked"] == 3 and tasks["total"] == len(_log(bundle))
    assert tasks["tolerance"] == 1e-3 and tasks["note"] is None
    said = _said(invoke("verify", bundle, "--rerun", "2"))
    assert f"2 von {len(_log(bundle))} Aufgabenelementen mit lm-eval neu berechnet" in said
    assert not list(bundle.rglob("__pycache__"))  # lm-eval imported the loader elsewhere


def test_a_changed_loglikelihood_is_named_with_its_item(bundle: Path) -> None:
    records = _log(bundle)
    changed = next(r for r in records if r["task"] == "gg_buergerkunde" and r["doc_id"] == 1)
    true = changed["loglikelihoods"][2]
    changed["loglikelihoods"][2] = true + 0.01
    _write_log(bundle, records)
    write_manifest(bundle)
    assert invoke("verify", bundle).exit_code == 0  # the log's hash was rewritten
    result = invoke("verify", bundle, "--rerun", str(len(records)), "--seed", "1")
    assert result.exit_code == 1, result.output
    assert (
        "Aufgabenelement gg_buergerkunde #1 (buergerkunde-002): laut Protokoll hat Antwort 2 die "
        f"Log-Likelihood {true + 0.01:.4f}, das Modell ergibt {true:.4f}"
    ) in _said(result)


def _publish(bundle: Path, report: dict) -> None:
    """`report` written as the audit's and into the lineage's record of it, every document
    rendered from it again as `release` renders them, the MANIFEST re-hashed."""
    (bundle / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
    lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    lineage["audit"]["stats"]["tasks"] = report["tasks"]  # the audit's summary, as recorded
    (bundle / LINEAGE).write_text(json.dumps(lineage, indent=2) + "\n", "utf-8")
    for language in LANGUAGES:
        (bundle / "audit" / report_file(language)).write_text(markdown(report, language), "utf-8")
    documents_rendered_again(bundle)


def _forge_accuracy(bundle: Path) -> str:
    """One wrong item of gg_buergerkunde made right in the log (its gold choice the likeliest)
    and the task's accuracy raised to match in report.json, every document rendered from it
    again and the MANIFEST re-hashed: only the model can tell. The item's name is returned."""
    report = json.loads((bundle / REPORT).read_text("utf-8"))
    records = _log(bundle)
    wrong = next(r for r in records if r["task"] == "gg_buergerkunde" and r["metrics"]["acc"] == 0)
    gold = json.loads(
        (bundle / "audit/tasks/gg_buergerkunde.jsonl")
        .read_text("utf-8")
        .splitlines()[wrong["doc_id"]]
    )["gold"]
    wrong["loglikelihoods"][gold] = max(wrong["loglikelihoods"]) + 1.0
    wrong["metrics"] = {metric: 1.0 for metric in wrong["metrics"]}
    _write_log(bundle, records)
    task = report["tasks"]["tasks"]["gg_buergerkunde"]
    items = [r for r in records if r["task"] == "gg_buergerkunde"]
    for metric, value in task["metrics"].items():
        value["value"] = sum(r["metrics"][metric] for r in items) / len(items)
    _publish(bundle, report)
    return f"gg_buergerkunde #{wrong['doc_id']} ({wrong['id']})"


def test_a_forged_accuracy_is_named_only_by_the_re_run(bundle: Path) -> None:
    item = _forge_accuracy(bundle)
    checked = invoke("verify", bundle)
    assert checked.exit_code == 0, checked.output  # every document agrees with the forgery
    result = invoke("verify", bundle, "--rerun", str(len(_log(bundle))), "--seed", "2")
    assert result.exit_code == 1, result.output
    said = _said(result)
    assert "die Wiederholung von 12 Aufgabenelementen (--seed 2) widerspricht dem Paket" in said
    assert f"Aufgabenelement {item}: laut Protokoll ist acc 1, das Modell ergibt 0" in said
    record = json.loads(invoke("verify", bundle, "--rerun", "12", "--json").stdout)
    assert record["ok"] is False
    detail = record["problems"][0]["detail"]
    assert detail.startswith("re-running 12 task items") and item in detail, detail


def test_an_accuracy_changed_in_the_report_alone_is_named_by_plain_verify(bundle: Path) -> None:
    """The report edited and every document rendered from it again, the log left as the audit
    wrote it: the log's items no longer give the report's number, and no model is needed to
    see it."""
    report = json.loads((bundle / REPORT).read_text("utf-8"))
    report["tasks"]["tasks"]["gg_kurzantwort"]["metrics"]["exact_match"]["value"] = 0.5
    _publish(bundle, report)
    result = invoke("verify", bundle)
    assert result.exit_code == 1, result.output
    assert (
        f"{REPORT} sagt tasks.tasks.gg_kurzantwort.metrics.exact_match.value = 0.5, {LOG} "
        "ergibt 0.0"
    ) in _said(result)


def test_an_item_moved_out_of_the_sample_s_reach_is_named_by_plain_verify(bundle: Path) -> None:
    """A wrong item made right in the log and renumbered past the task's items, where the
    re-run would never draw it, the accuracy raised to match: the count and the mean agree,
    the item's place does not."""
    report = json.loads((bundle / REPORT).read_text("utf-8"))
    records = _log(bundle)
    wrong = next(r for r in records if r["task"] == "gg_buergerkunde" and r["metrics"]["acc"] == 0)
    wrong["metrics"]["acc"], wrong["doc_id"] = 1.0, 99
    _write_log(bundle, records)
    items = [r for r in records if r["task"] == "gg_buergerkunde"]
    value = sum(r["metrics"]["acc"] for r in items) / len(items)
    report["tasks"]["tasks"]["gg_buergerkunde"]["metrics"]["acc"]["value"] = value
    _publish(bundle, report)
    result = invoke("verify", bundle)
    assert result.exit_code == 1, result.output
    assert (
        f"{LOG}: gg_buergerkunde #99 gehört nicht zu den ersten {len(items)} Dokumenten seiner "
        "Aufgabe, die lm-eval bewertet hat"
    ) in _said(result)


def test_an_audit_without_the_item_log_passes_and_says_its_accuracies_are_not_recomputed(
    bundle: Path,
) -> None:
    """A bundle whose audit an older gemeingut wrote (no `tasks.jsonl`) stays valid."""
    (bundle / LOG).unlink()
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)
    result = invoke("verify", bundle)
    assert result.exit_code == 0, result.output
    assert (
        f"die Aufgabengenauigkeiten von {REPORT} lassen sich nicht neu berechnen: das Paket "
        f"enthält kein {LOG}"
    ) in _said(result)
    record = json.loads(invoke("verify", bundle, "--json").stdout)
    assert any(note.startswith("the task accuracies of") for note in record["notes"]), record
