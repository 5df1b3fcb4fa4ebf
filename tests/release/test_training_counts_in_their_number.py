"""The card and the technical report said a pretraining's counts with a noun for every number:
"1 Schritte", "1 CPU-Thread(s)", "über 1 Schritte". Each count now has its noun in its number,
German by default and English where the release asks for it; the records of a copy of the tiny
build (30 steps, 3 warm-up steps, 1 thread) are set to other counts to render both numbers."""

import json
from pathlib import Path

from gemeingut.release.card import render_card
from gemeingut.release.layout import RELEASE_INFO
from gemeingut.release.openness.evidence import collect
from gemeingut.release.openness.rating import rate
from gemeingut.release.technical_report import render_technical_report

META = Path("training-metadata")


def _counted(bundle: Path, steps: int, warmup: int, threads: int) -> None:
    """The bundle's records as a run of these counts would have written them."""
    lineage_path = bundle / META / "lineage.json"
    lineage = json.loads(lineage_path.read_text(encoding="utf-8"))
    training = lineage["model"]["params"]["training"]
    training.update(steps=steps, threads=threads, warmup_steps=warmup)
    lineage_path.write_text(json.dumps(lineage), encoding="utf-8")
    record_path = bundle / META / "training.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["training"]["warmup_steps"] = warmup
    record_path.write_text(json.dumps(record), encoding="utf-8")


def _documents(bundle: Path) -> tuple[str, str]:
    return render_card(bundle, rate(collect(bundle))), render_technical_report(bundle)


def test_the_tiny_builds_card_and_report_say_its_counts_in_their_number(bundle: Path) -> None:
    card, report = _documents(bundle)
    assert "30 Schritte mit Batches von " in card
    assert ", 1 CPU-Thread. Der Validierungsverlust" in card
    assert "lineares Aufwärmen über 3 Schritte, dann Kosinus-Abfall" in report
    assert "(s)" not in card and "(s)" not in report


def test_one_step_and_one_warm_up_step_are_singular_and_two_threads_plural(bundle: Path) -> None:
    _counted(bundle, steps=1, warmup=1, threads=2)
    card, report = _documents(bundle)
    assert "1 Schritt mit Batches von " in card
    assert ", 2 CPU-Threads. Der Validierungsverlust" in card
    assert "lineares Aufwärmen über 1 Schritt, dann Kosinus-Abfall" in report
    assert "1 Schritte" not in card + report


def test_the_english_documents_say_the_counts_in_their_number(bundle: Path) -> None:
    info = json.loads((bundle / RELEASE_INFO).read_text(encoding="utf-8"))
    english = info | {"document_language": "en", "report_language": "en"}
    (bundle / RELEASE_INFO).write_text(json.dumps(english), encoding="utf-8")
    _counted(bundle, steps=1, warmup=1, threads=1)
    card, report = _documents(bundle)
    assert "1 step of batch " in card
    assert ", 1 CPU thread. Validation loss" in card
    assert "linear warm-up over 1 step, then cosine decay" in report
    _counted(bundle, steps=2, warmup=2, threads=2)
    card, report = _documents(bundle)
    assert "2 steps of batch " in card
    assert ", 2 CPU threads. Validation loss" in card
    assert "linear warm-up over 2 steps, then cosine decay" in report
