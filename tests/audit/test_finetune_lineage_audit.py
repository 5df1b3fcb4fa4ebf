"""A fine-tune of a fine-tune learnt from every fine-tune before it: its audit reads the
pretraining shards at the lineage's root, each earlier fine-tune's data (named by its id) and
its own, each drawn apart; `verify` names a source the bundle does not hold by that id. An
ancestor whose data cannot be read is named in the report with why, never skipped in silence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.audit.report_markdown import markdown
from gemeingut.audit.run import training_data
from gemeingut.audit.subject import (
    ANCESTRY,
    FINETUNING,
    NO_DATA,
    NOT_FOUND,
    PRETRAINING,
    Unavailable,
    model_folder,
)
from gemeingut.release.manifest import read_manifest
from gemeingut.release.verify_training_data import training_data_problems
from gemeingut.workspace import load_artifact
from tests.finetune_chain import fine_tune_chain, finetune
from tests.test_cli import invoke

SMALL_MEMORISATION = ("--samples", "3", "--prefix-tokens", "4", "--continuation-tokens", "4")


@pytest.fixture(scope="module")
def chain(tiny_build: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """base → ft1 (the build's fine-tune, on chat.jsonl) → ft2 (on second.jsonl)."""
    return fine_tune_chain(tiny_build, tmp_path_factory.mktemp("lineage"))


def test_the_audit_of_a_fine_tune_of_a_fine_tune_reads_every_source(
    chain: dict, tiny_build: dict, tmp_path: Path
) -> None:
    ft1 = load_artifact(chain["ft1"])
    audit = tmp_path / "audit"
    result = invoke("audit", "memorisation", chain["ft2"], "--out", audit, *SMALL_MEMORISATION)
    assert result.exit_code == 0, result.output
    report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    said = report["training_data"]
    pretraining, earlier, own = said["sources"]
    assert (pretraining["kind"], "model" in pretraining, len(pretraining["files"]) > 0) == (
        PRETRAINING,
        False,
        True,
    )
    assert (earlier["kind"], earlier["model"], list(earlier["files"])) == (
        FINETUNING,
        ft1.id,
        ["chat.jsonl"],
    )
    assert (own["kind"], "model" in own, list(own["files"])) == (
        FINETUNING,
        False,
        ["second.jsonl"],
    )
    assert "unavailable" not in said  # every ancestor's data was found
    parts = report["memorisation"]["sources"]
    assert list(parts) == [PRETRAINING, f"{FINETUNING}:{ft1.id}", FINETUNING]
    assert all(part["samples"] > 0 for part in parts.values())
    inputs = load_artifact(audit).meta["inputs"]
    assert {"training", f"finetuning_data:{ft1.id}", "finetuning_data"} <= set(inputs)

    german = (audit / "report.de.md").read_text(encoding="utf-8")
    assert f"die Daten der früheren Feinabstimmung {ft1.id} (1 Datei, " in german
    assert f"| frühere Feinabstimmung {ft1.id} | " in german
    english = (audit / "report.en.md").read_text(encoding="utf-8")
    assert f"the data of the earlier fine-tune {ft1.id} (1 file, " in english

    # verify of a bundle that lacks the earlier fine-tune's data names it by its id
    bundle = Path(tiny_build["release"]["path"]) / "bundle"
    problems = training_data_problems(bundle, report, read_manifest(bundle))
    words = " ".join(str(p) for p in problems)
    assert f"die Feinabstimmungsdaten von {ft1.id} gelesen, einer früheren Feinabstimmung" in words


def test_an_ancestor_whose_data_is_gone_is_named_in_the_report(chain: dict, tmp_path: Path) -> None:
    """ft1 copied elsewhere, ft2 made from the copy: without the copy's data/ the walk goes on
    to the base's pretraining shards; without the copy, nothing above it can be known."""
    copy = tmp_path / "ft1-copy"
    shutil.copytree(chain["ft1"], copy)
    tuned = finetune(copy, chain["data"], tmp_path / "ft2-of-copy")
    ft1 = load_artifact(copy).id

    shutil.rmtree(copy / "data")
    subject = model_folder(tuned, None, None)
    assert [(s.kind, s.model) for s in subject.documents] == [
        (PRETRAINING, None),
        (FINETUNING, None),
    ]
    assert subject.unavailable == (Unavailable(FINETUNING, ft1, NO_DATA),)
    report = {
        "model": _model(),
        "suites": ["memorisation"],
        "training_data": training_data(subject),
    }
    assert (
        f"; nicht geprüft: die Daten der Feinabstimmung {ft1} (ihr Ordner hält keine)\n"
    ) in markdown(report, "de")

    shutil.rmtree(copy)
    subject = model_folder(tuned, None, None)
    assert [(s.kind, s.model) for s in subject.documents] == [(FINETUNING, None)]
    assert subject.unavailable == (Unavailable(ANCESTRY, ft1, NOT_FOUND),)
    report["training_data"] = training_data(subject)
    assert (
        "without the chat template); not checked: the training data of "
        f"{ft1} and its base models (its folder is not found)\n"
    ) in markdown(report, "en")


def _model() -> dict:
    return {"name": "m", "path": "../model", "kind": "folder", "lineage": "mdl-x"}
