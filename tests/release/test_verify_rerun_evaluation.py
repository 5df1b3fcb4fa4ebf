"""`verify --rerun` computes the evaluation's numbers (loss, perplexity, bits per byte on the
test split, which the card and its model-index state) again with the bundle's model, on all the
test documents the evaluation scored: a bundle released without an audit has them re-run too
instead of exiting 2, a changed number that a forger carried into every document, re-hashed and
signed is named, and a bundle with neither an audit nor evaluation results says so."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from tests.release.documents_again import documents_rendered_again
from tests.test_cli import invoke

EVALUATION = "training-metadata/evaluation.json"
LINEAGE = "training-metadata/lineage.json"


@pytest.fixture(scope="module")
def released_without_audit(tiny_build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny build's fine-tune released without an audit, as a user would (`release …
    --finetuned … --license CC-BY-SA-4.0`): evaluation results, no bias log."""
    out = tmp_path_factory.mktemp("unaudited") / "r"
    paths = {k: tiny_build[k]["path"] for k in ("dataset", "tokenizer", "model", "evaluation")}
    result = invoke(
        "release", "--dataset", paths["dataset"], "--tokenizer", paths["tokenizer"],
        "--model", paths["model"], "--evaluation", paths["evaluation"],
        "--finetuned", tiny_build["finetune"]["path"], "--name", "ohne-audit",
        "--license", "CC-BY-SA-4.0", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (out / "bundle" / "audit").exists()
    return out / "bundle"


@pytest.fixture
def unaudited(released_without_audit: Path, tmp_path: Path) -> Path:
    """A private copy, free to damage."""
    return Path(shutil.copytree(released_without_audit, tmp_path / "bundle"))


def _recorded(bundle: Path) -> dict:
    return json.loads((bundle / EVALUATION).read_text(encoding="utf-8"))


def test_a_bundle_without_an_audit_has_its_evaluation_re_run(unaudited: Path) -> None:
    recorded = _recorded(unaudited)
    result = invoke("verify", unaudited, "--rerun", "3")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "keine Verzerrungsprüfung im Paket: keine Bias-Paare wiederholt" in said
    assert (
        f"alle {recorded['documents']} Testdokumente neu bewertet ("
        f"{recorded['tokens']:,} Tokens".replace(",", ".")
    ) in said
    assert f"innerhalb von 0,00001 Nats von {EVALUATION}" in said


def test_the_json_record_names_the_evaluation_re_run(unaudited: Path) -> None:
    recorded = _recorded(unaudited)
    result = invoke("verify", unaudited, "--rerun", "3", "--seed", "4", "--json")
    assert result.exit_code == 0, result.output
    rerun = json.loads(result.stdout)["rerun"]
    assert rerun["seed"] == 4 and rerun["checked"] is None and rerun["device"] is None
    assert rerun["evaluation"] == {
        "file": EVALUATION,
        "documents": recorded["documents"],
        "tokens": recorded["tokens"],
        "batch_size": 4,  # the tiny recipe's [evaluate] batch_size, from the lineage
        "tolerance": 1e-5,
        "largest_difference": rerun["evaluation"]["largest_difference"],  # a measurement
        "device": "cpu",
        "precision": "fp32",
    }


def test_an_audited_bundle_re_runs_both(bundle: Path) -> None:
    result = invoke("verify", bundle, "--rerun", "2", "--seed", "5", "--json")
    assert result.exit_code == 0, result.output
    rerun = json.loads(result.stdout)["rerun"]
    assert rerun["checked"] == 2 and rerun["device"]["rerun"] == "cpu"
    assert rerun["evaluation"]["tokens"] == _recorded(bundle)["tokens"]


def _forged(bundle: Path, keys: Path, shift: float) -> None:
    """The loss moved by `shift` nats, perplexity and bits per byte with it, in
    evaluation.json and the lineage, every document that states them rendered again as
    `release` renders them, re-hashed and signed: only the model can tell."""
    recorded = _recorded(bundle)
    loss = recorded["loss"] + shift
    forged = {
        "loss": loss,
        "perplexity": math.exp(loss),
        "bits_per_byte": loss * recorded["tokens"] / (recorded["bytes"] * math.log(2)),
    }
    (bundle / EVALUATION).write_text(json.dumps({**recorded, **forged}, indent=2) + "\n", "utf-8")
    lineage = json.loads((bundle / LINEAGE).read_text(encoding="utf-8"))
    lineage["evaluation"]["stats"].update(forged)
    (bundle / LINEAGE).write_text(json.dumps(lineage, indent=2) + "\n", "utf-8")
    documents_rendered_again(bundle)
    assert invoke("keys", "create", "amt", "--dir", keys).exit_code == 0
    signed = invoke("sign", bundle, "--key", keys / "amt.key")
    assert signed.exit_code == 0, signed.output


def test_a_forged_evaluation_number_is_named_only_by_the_re_run(
    unaudited: Path, tmp_path: Path
) -> None:
    true_loss = _recorded(unaudited)["loss"]
    _forged(unaudited, tmp_path / "keys", -0.05)
    checked = invoke("verify", unaudited, "--key", tmp_path / "keys" / "amt.pub")
    assert checked.exit_code == 0, checked.output  # every document agrees with the forgery
    result = invoke("verify", unaudited, "--key", tmp_path / "keys" / "amt.pub", "--rerun", "1")
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "die Neubewertung der Testdaten widerspricht dem Paket" in said
    assert (
        f"{EVALUATION}: loss ist {true_loss - 0.05:.6g}, das Modell des Pakets ergibt "
        f"{true_loss:.6g}" in said
    )
    assert "die Evaluationsergebnisse wurden verändert" in said
    record = json.loads(
        invoke("verify", unaudited, "--rerun", "1", "--json").stdout
    )  # the failure as a script reads it
    assert record["ok"] is False
    assert record["problems"][0]["detail"].startswith("re-scoring the test data disagrees")


def test_the_re_run_says_the_difference_it_measured(unaudited: Path, tmp_path: Path) -> None:
    """Not only "within the tolerance": the loss moved by 4e-6 nats (inside 1e-5) is said as
    the difference the re-run found, in the text and in --json."""
    _forged(unaudited, tmp_path / "keys", 4e-6)
    result = invoke("verify", unaudited, "--rerun", "1")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    measured = "(der Verlust weicht um 0,000004 Nats ab)"  # the forged 4e-6, found again
    assert f"innerhalb von 0,00001 Nats von {EVALUATION} {measured}" in said
    record = json.loads(invoke("verify", unaudited, "--rerun", "1", "--json").stdout)
    assert record["rerun"]["evaluation"]["largest_difference"] == pytest.approx(4e-6, abs=1e-8)


def test_a_bundle_with_neither_audit_nor_evaluation_says_so(unaudited: Path) -> None:
    (unaudited / EVALUATION).unlink()  # said before any hashing
    result = invoke("verify", unaudited, "--rerun", "2")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert (
        f"{unaudited} enthält nichts zum Wiederholen: weder eine Verzerrungsprüfung "
        f"(audit/logs/bias.jsonl) noch Evaluationsergebnisse ({EVALUATION})"
    ) in said
    assert "Traceback" not in result.output


def test_a_foreign_fine_tune_without_an_audit_has_nothing_to_re_run(tmp_path: Path) -> None:
    """Its bundle holds no evaluation results (the base's test data is not ours): --rerun
    says so before hashing, instead of naming only the missing bias audit."""
    from tests.release.test_finetune_release import base_folder, fine_tune, release

    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge", "--license", "Apache-2.0")
    bundle = release(tmp_path, tuned)
    result = invoke("verify", bundle, "--rerun", "2")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "enthält nichts zum Wiederholen: weder eine Verzerrungsprüfung" in said
    assert "Hinweis: prüfen Sie ohne --rerun" in said
