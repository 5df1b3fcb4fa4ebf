"""The technical report of a chain on a foreign base (base → ft1 → ft2) states the compute and
energy of every fine-tuning of the chain, as the Model Documentation Form sums them, and says
each count with its noun in its number ("1 Schritt", "1 Thread"); `verify` renders it again,
so a total edited back to the last link's alone is named. The report of a chain on our own
model says its last link's one step alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gemeingut.i18n import as_written
from gemeingut.release.technical_report import render_finetune_report
from gemeingut.release.verify import verify_bundle
from gemeingut.workspace import load_artifact
from tests.finetune_chain import finetune, second_data
from tests.release.report_edited import verify_names_the_edited_report
from tests.release.test_finetune_release import base_folder, fine_tune, release

REPORT = "TECHNICAL_REPORT.md"


@pytest.fixture(scope="module")
def foreign_chain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny foreign Llama → ft1 (merged LoRA, 4 steps) → ft2 (full, 1 step), ft2 released."""
    root = tmp_path_factory.mktemp("foreign-chain-report")
    ft1 = fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")
    ft2 = finetune(ft1, second_data(root), root / "ft2", "--data-license", "CC0-1.0")
    return {
        "bundle": release(root, ft2),
        "ft1": load_artifact(ft1).id,
        "ft2": load_artifact(ft2).id,
    }


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _form_totals(bundle: Path, language: str) -> tuple[str, str]:
    """The form's FLOPs and kWh totals as the report writes numbers in `language`."""
    form = _json(bundle / "model_documentation.json")
    flops = form["computational_resources"]["training_compute_flops"]
    return as_written(f"{flops:.3e}", language), as_written(
        f"{form['energy_consumption']['kwh']:.3g}", language
    )


def test_the_report_sums_every_fine_tuning_of_the_chain(foreign_chain: dict) -> None:
    bundle = foreign_chain["bundle"]
    verify_bundle(bundle)
    assert _json(bundle / "release.json")["report_language"] == "de"
    report = (bundle / REPORT).read_text(encoding="utf-8")
    lines = report.splitlines()
    flops, kwh = _form_totals(bundle, "de")
    summed = "die Summe der Aufzeichnungen ihrer Läufe"
    assert (
        f"| Rechenaufwand der 2 Feinabstimmungen der Kette | {flops} FLOPs (6·N·D, N alle "
        f"Parameter: für LoRA eine obere Schranke), {summed} |"
    ) in lines
    assert f"| Energie der 2 Feinabstimmungen der Kette | {kwh} kWh, {summed} |" in lines
    last = _json(bundle / "training-metadata" / "finetune.json")["energy"]["kwh_this_run"]
    assert kwh != as_written(f"{last:.3g}", "de")  # the total is not the last link's alone
    assert any(line.startswith("| Energie der letzten Feinabstimmung | ") for line in lines)
    chain = next(line for line in lines if "Kette von Feinabstimmungen" in line)
    assert f"`Winzige Basis` → `{foreign_chain['ft1']}` (4 Schritte mit " in chain
    assert f"→ `{foreign_chain['ft2']}` (1 Schritt mit `training-data/finetuning/`" in chain


def test_the_report_says_one_step_and_one_thread(foreign_chain: dict) -> None:
    """ft2 ran one step on one thread: the noun in its number, in the sentence and in the
    energy estimate's formula."""
    bundle = foreign_chain["bundle"]
    record = _json(bundle / "training-metadata" / "finetune.json")
    assert record["stats"]["steps"] == 1 and record["hardware"]["torch_threads"] == 1
    assert record["energy"]["assumptions"]["cpu_threads"] == 1
    report = (bundle / REPORT).read_text(encoding="utf-8")
    assert "\n1 Schritt, " in report and ", 1 Thread.\n" in report
    assert "× 1 Thread × Laufzeit" in report
    for wrong in ("1 Schritte", "1 Threads", "Thread(s)", "GPU(s)"):
        assert wrong not in report, wrong


def test_the_english_report_says_them_in_english(foreign_chain: dict, tmp_path: Path) -> None:
    bundle = shutil.copytree(foreign_chain["bundle"], tmp_path / "bundle")
    info = _json(bundle / "release.json")
    (bundle / "release.json").write_text(json.dumps({**info, "report_language": "en"}), "utf-8")
    lines = render_finetune_report(bundle).splitlines()
    flops, kwh = _form_totals(bundle, "en")
    summed = "the sum of its runs' records"
    assert (
        f"| training compute of the chain's 2 fine-tunings | {flops} FLOPs (6·N·D, N all "
        f"parameters: for LoRA an upper bound), {summed} |"
    ) in lines
    assert f"| energy of the chain's 2 fine-tunings | {kwh} kWh, {summed} |" in lines
    said = next(line for line in lines if line.startswith("1 step, "))
    assert said.endswith(", 1 thread.")
    assert any("× 1 thread × wall time" in line for line in lines)


def test_a_total_of_the_last_fine_tuning_alone_is_named_by_verify(
    foreign_chain: dict, tmp_path: Path
) -> None:
    """The chain's energy row edited to state the last link's kWh, as the report did before."""
    bundle = shutil.copytree(foreign_chain["bundle"], tmp_path / "bundle")
    _, kwh = _form_totals(bundle, "de")
    last = _json(bundle / "training-metadata" / "finetune.json")["energy"]["kwh_this_run"]
    total = f"| Energie der 2 Feinabstimmungen der Kette | {kwh} kWh,"
    edited = f"| Energie der 2 Feinabstimmungen der Kette | {as_written(f'{last:.3g}', 'de')} kWh,"
    verify_names_the_edited_report(bundle, total, edited)


def test_the_report_of_a_chain_on_our_own_model_says_one_step(released_chain: dict) -> None:
    """ft2 of the chain on our own model trained one step: its sentence says "1 Schritt"."""
    bundle, ft2 = released_chain["bundle"], load_artifact(released_chain["ft2"])
    assert ft2.meta["stats"]["steps"] == 1
    report = " ".join((bundle / REPORT).read_text(encoding="utf-8").split())
    assert "trainierbare Parameter, 1 Schritt, " in report
    assert f"→ `{ft2.id}` (1 Schritt mit `training-data/finetuning/`" in report
    assert "1 Schritte" not in report and "Thread(s)" not in report
