"""The technical report of a chain on a foreign base (base → ft1 → ft2) describes every link,
not only the last: its data, method, hyper-parameters, steps and compute, each read from that
link's own record in the bundle (`training-metadata/finetuning-earlier/<id>/finetune.json` for
the earlier ones), in German and in English; `verify` renders it again, so a link's figure
edited is named. The report of a chain on our own model names every link's method and counts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gemeingut.i18n import as_written, numeral
from gemeingut.release.technical_report import render_finetune_report
from gemeingut.release.verify import verify_bundle
from tests.finetune_chain import finetune, second_data
from tests.release.report_edited import verify_names_the_edited_report
from tests.release.test_finetune_release import base_folder, fine_tune, release

REPORT = "TECHNICAL_REPORT.md"


@pytest.fixture(scope="module")
def chain_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny foreign Llama → ft1 (merged LoRA, 4 steps) → ft2 (full, 1 step), ft2 released:
    two links whose method, data and hyper-parameters differ."""
    root = tmp_path_factory.mktemp("foreign-chain-links")
    ft1 = fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")
    ft2 = finetune(ft1, second_data(root), root / "ft2", "--data-license", "CC0-1.0")
    return release(root, ft2)


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _links(bundle: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """Each link's id, data folder and record, oldest first, as the bundle holds them."""
    lineage = _json(bundle / "training-metadata" / "lineage.json")
    assert list(lineage) == ["finetune_earlier_1", "finetune"]
    earlier = lineage["finetune_earlier_1"]["id"]
    return [
        (
            earlier,
            f"training-data/finetuning-earlier/{earlier}",
            _json(bundle / "training-metadata" / "finetuning-earlier" / earlier / "finetune.json"),
        ),
        (
            lineage["finetune"]["id"],
            "training-data/finetuning",
            _json(bundle / "training-metadata" / "finetune.json"),
        ),
    ]


def _sections(report: str) -> dict[str, dict[str, str]]:
    """The report's `## ` sections by their number, each split by its `### ` headings."""
    sections: dict[str, dict[str, str]] = {}
    for part in report.split("\n## ")[1:]:
        number = part.split(".", 1)[0]
        pieces = part.split("\n### ")
        sections[number] = {piece.split("\n", 1)[0]: piece for piece in pieces[1:]}
    return sections


def _said_for_each_link(bundle: Path, report: str, words: dict[str, Any], language: str) -> None:
    """Sections 2, 3 and 4 hold one part per link, under its heading, with that link's own
    figures (`words`: the report's labels in `language`)."""
    sections = _sections(report)
    links = _links(bundle)
    assert links[0][2]["training"] != links[1][2]["training"]  # the links differ
    for number, (model, folder, record) in enumerate(links, start=1):
        heading = words["heading"].format(number=number, count=len(links), model=model)
        data, method, run = (sections[n][heading] for n in ("2", "3", "4"))
        train = record["data"]["train"]
        assert f"| {words['examples']} | {train['examples']} |" in data
        assert f"| {words['validation']} | {record['data']['validation']['examples']} |" in data
        assert words["folder"].format(folder=folder) in data
        assert f"| {words['method']} | {words['methods'][record['output']]} |" in method
        for key, value in record["training"].items():  # every hyper-parameter of the link
            assert f"| {key} | {_setting(key, value, language)} |" in method
        trainable = numeral(record["stats"]["trainable_parameters"], language)
        assert f"| {words['trainable']} | {trainable} |" in method
        stats = record["stats"]
        tokens = numeral(stats["tokens_seen"], language)
        assert (
            f"{words['steps'][stats['steps'] == 1].format(count=stats['steps'])}, {tokens} " in run
        )
        flops = as_written(f"{6 * stats['parameters'] * stats['tokens_seen']:.3e}", language)
        assert f"| {words['compute']} | {flops} FLOPs (6·N·D, " in run
    last = sections["4"][words["heading"].format(number=2, count=2, model=links[1][0])]
    assert words["totals"] not in last  # the chain's totals: under their own heading
    assert words["totals"] in sections["4"][words["totals_heading"]]
    assert list(sections["4"])[-1] == words["totals_heading"]  # closing section 4


def _setting(key: str, value: Any, language: str) -> str:
    """A hyper-parameter as the report writes it in `language`: a number as the language writes
    one (0,0002), a truth in words, the seed as a name."""
    if isinstance(value, bool):
        return {"de": ("nein", "ja"), "en": ("no", "yes")}[language][value]
    if isinstance(value, int | float) and key != "seed":
        return numeral(value, language)
    return "-" if value is None else str(value)


GERMAN = {
    "heading": "Feinabstimmung {number} von {count}: `{model}`",
    "examples": "Beispiele (Training)",
    "validation": "Validierungsbeispiele",
    "folder": "Die Daten liegen in `{folder}/`.",
    "method": "Methode",
    "methods": {
        "merged": "LoRA (zusammengeführt)",
        "lora-adapter": "LoRA (Adapter)",
        "full": "vollständige Feinabstimmung",
    },
    "trainable": "trainierbare Parameter",
    "steps": {False: "{count} Schritte", True: "{count} Schritt"},
    "compute": "Rechenaufwand der Feinabstimmung",
    "totals": "| Rechenaufwand der 2 Feinabstimmungen der Kette | ",
    "totals_heading": "Alle 2 Feinabstimmungen der Kette",
}
ENGLISH = {
    "heading": "Fine-tuning {number} of {count}: `{model}`",
    "examples": "examples (train)",
    "validation": "validation examples",
    "folder": "The data is in `{folder}/`.",
    "method": "method",
    "methods": {
        "merged": "LoRA (merged)",
        "lora-adapter": "LoRA (adapter)",
        "full": "full fine-tuning",
    },
    "trainable": "trainable parameters",
    "steps": {False: "{count} steps", True: "{count} step"},
    "compute": "training compute of the fine-tuning",
    "totals": "| training compute of the chain's 2 fine-tunings | ",
    "totals_heading": "All 2 fine-tunings of the chain",
}


def test_the_report_describes_every_link_from_its_own_record(chain_bundle: Path) -> None:
    verify_bundle(chain_bundle)
    assert _json(chain_bundle / "release.json")["report_language"] == "de"
    report = (chain_bundle / REPORT).read_text(encoding="utf-8")
    _said_for_each_link(chain_bundle, report, GERMAN, "de")
    assert "die folgenden Angaben sind die der letzten Feinabstimmung" not in report
    assert "Glied für Glied" in report  # the rebuild goes through every link


def test_the_english_report_describes_every_link(chain_bundle: Path, tmp_path: Path) -> None:
    bundle = shutil.copytree(chain_bundle, tmp_path / "bundle")
    info = _json(bundle / "release.json")
    (bundle / "release.json").write_text(json.dumps({**info, "report_language": "en"}), "utf-8")
    report = render_finetune_report(bundle)
    _said_for_each_link(bundle, report, ENGLISH, "en")
    assert "link by link" in report


def test_an_earlier_links_figure_edited_in_the_report_is_named_by_verify(
    chain_bundle: Path, tmp_path: Path
) -> None:
    """The earlier link's learning rate, changed in the report alone: its record says another."""
    bundle = shutil.copytree(chain_bundle, tmp_path / "bundle")
    rate = _links(bundle)[0][2]["training"]["learning_rate"]
    # one row: the last link's rate differs
    verify_names_the_edited_report(
        bundle, f"| learning_rate | {numeral(rate, 'de')} |", "| learning_rate | 0,5 |"
    )


def test_the_report_of_a_chain_on_our_own_model_names_every_link(released_chain: dict) -> None:
    """base → ft1 → ft2 of our own pretraining: section 6 names each fine-tuning's method and
    counts, and where its record lies, not the last one's alone."""
    bundle = released_chain["bundle"]
    verify_bundle(bundle)
    lineage = _json(bundle / "training-metadata" / "lineage.json")
    report = " ".join((bundle / REPORT).read_text(encoding="utf-8").split())
    earlier = lineage["finetune_earlier_1"]["id"]
    records = {
        "finetune_earlier_1": f"training-metadata/finetuning-earlier/{earlier}/finetune.json",
        "finetune": "training-metadata/finetune.json",
    }
    for number, (role, record) in enumerate(records.items(), start=1):
        stats = lineage[role]["stats"]
        steps = GERMAN["steps"][stats["steps"] == 1].format(count=stats["steps"])
        trainable = numeral(stats["trainable_parameters"], "de")
        assert (
            f"- Feinabstimmung {number} von 2, `{lineage[role]['id']}`: Methode {stats['method']}; "
            f"{trainable} trainierbare Parameter, {steps}, "
        ) in report, role
        assert f"; ihre Aufzeichnung: `{record}`." in report
        assert _json(bundle / record)["stats"]["steps"] == stats["steps"]  # the link's own
