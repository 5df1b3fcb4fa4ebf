"""A source of training documents none of the memorisation sample came from (the fine-tuning
data, whose examples are shorter than prefix + continuation) was not checked: report.json says
so with the reason and no rate, the reports say „nicht geprüft (kein Beispiel ≥ 100 Tokens)“,
never a measured 0 % over 0 samples (a new user's trial)."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gemeingut.audit.memorisation import pii_counts
from gemeingut.audit.memorisation_sources import Drawn, by_source
from gemeingut.audit.memorisation_summary import summarize_memorisation
from gemeingut.audit.report_markdown import markdown
from gemeingut.audit.stats import wilson
from gemeingut.build import build
from gemeingut.cli import app
from gemeingut.release.manifest import write_manifest
from tests.audit.test_audit_stage import bundle_of, write_one_pair


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"doc-{i}",
            "document": f"doc-{i}",
            "license": "CC0-1.0",
            "offset": 0,
            "similarity": 0.1,
            "exact": False,
            "near_verbatim": False,
        }
        for i in range(n)
    ]


def _report(drawn: dict[str, Drawn]) -> dict[str, Any]:
    records = _records(3)
    memo = summarize_memorisation(records, 50, 50, 3)
    memo["sources"] = by_source(records, drawn)
    memo["personal_data"] = {
        "continuations": pii_counts(["eine Fortsetzung"] * 3),
        "baiting_prompts": {**pii_counts(["keine Angaben"]), "prompts": 1},
    }
    model = {"name": "m", "kind": "model folder", "path": "m", "lineage": "m"}
    return {"model": model, "suites": ["memorisation"], "memorisation": memo}


def test_a_source_without_a_long_example_is_not_checked_and_has_no_rate() -> None:
    drawn = {
        "pretraining": Drawn(3, ("doc-0", "doc-1", "doc-2")),
        "finetuning": Drawn(0, ()),
    }
    report = _report(drawn)
    tuned = report["memorisation"]["sources"]["finetuning"]
    assert tuned == {
        "eligible_documents": 0,
        "samples": 0,
        "exact": None,
        "near_verbatim": None,
        "not_checked": "no_long_sample",
    }
    assert report["memorisation"]["sources"]["pretraining"]["exact"]["n"] == 3
    german, english = markdown(report, "de"), markdown(report, "en")
    said = "nicht geprüft (kein Beispiel ≥ 100 Tokens)"
    assert f"| Feinabstimmung | 0 / 0 | {said} | {said} |" in german
    assert "0,0 % [0,0–100,0]" not in german
    assert "| not checked (no example ≥ 100 tokens) |" in english
    assert "0.0% [0.0–100.0]" not in english and "0.0 % [0.0–100.0]" not in english


def test_each_rate_of_a_source_is_rendered_on_its_own() -> None:
    """A report.json with one rate of an unchecked source rewritten (`verify` renders it again
    to name what differs) is rendered, not a crash that hides every other audit problem."""
    drawn = {"pretraining": Drawn(3, ("doc-0", "doc-1", "doc-2")), "finetuning": Drawn(0, ())}
    report = _report(drawn)
    report["memorisation"]["sources"]["finetuning"]["exact"] = {
        "value": 0.0, "low": 0.0, "high": 1.0, "n": 0
    }  # fmt: skip
    english = markdown(report, "en")
    said = "| fine-tuning | 0 / 0 | 0.0 % [0.0–100.0] | not checked (no example ≥ 100 tokens) |"
    assert said in english


def test_a_source_whose_examples_were_all_drawn_before_says_so() -> None:
    drawn = {
        "pretraining": Drawn(3, ("doc-0", "doc-1", "doc-2")),
        "finetuning": Drawn(2, ()),  # the same documents, checked once, under pretraining
    }
    report = _report(drawn)
    assert report["memorisation"]["sources"]["finetuning"]["not_checked"] == "drawn_before"
    assert "nicht geprüft (jedes Beispiel schon unter einer Quelle davor gezogen)" in markdown(
        report, "de"
    )


def test_a_bundle_s_short_fine_tuning_data_is_reported_unchecked(
    tiny_build: dict, tmp_path: Path
) -> None:
    """The trial's command: the tiny fine-tune's chat examples are all shorter than the default
    50 + 50 tokens."""
    done = CliRunner().invoke(
        app, ["audit", "memorisation", str(bundle_of(tiny_build)), "--out", str(tmp_path)]
    )
    assert done.exit_code == 0, done.output
    sources = json.loads((tmp_path / "report.json").read_text())["memorisation"]["sources"]
    assert sources["finetuning"]["not_checked"] == "no_long_sample"
    assert sources["pretraining"]["exact"]["n"] > 0
    assert (
        "| Feinabstimmung | 0 / 0 | nicht geprüft (kein Beispiel ≥ 100 Tokens) |"
        in (tmp_path / "report.de.md").read_text()
    )


def test_a_build_with_an_unchecked_source_verifies_and_a_made_up_rate_does_not(
    tiny_build: dict, tmp_path: Path
) -> None:
    """The tiny build again at the default 50 + 50 tokens (its stages before the audit
    reused), with a bias suite of its own, from a recipe whose name has a space: `verify`
    recomputes the source as not checked, and a 0 % over no sample written in its place is
    named. The recorded command (an own suite: run in the recipe's folder) is one a shell
    reads as written."""
    project = shutil.copytree(Path(tiny_build["recipe"]).parent, tmp_path / "mein projekt")
    workspace = shutil.copytree(tiny_build["workspace"], tmp_path / "workspace")
    write_one_pair(project / "paare.jsonl")
    recipe = Path(tiny_build["recipe"]).read_text(encoding="utf-8")
    recipe = recipe.replace("prefix_tokens = 4\n", "").replace("continuation_tokens = 4\n", "")
    recipe += '\n[audit.bias]\nsuite = "paare.jsonl"\n'
    (project / "mein rezept.toml").write_text(recipe, encoding="utf-8")
    bundle = Path(build(project / "mein rezept.toml", workspace)["release"]["path"]) / "bundle"
    report = json.loads((bundle / "audit" / "report.json").read_text(encoding="utf-8"))
    assert shlex.split(report["command"]) == ["gemeingut", "build", "mein rezept.toml"]
    tuned = report["memorisation"]["sources"]["finetuning"]
    assert (tuned["exact"], tuned["not_checked"]) == (None, "no_long_sample")
    assert CliRunner().invoke(app, ["verify", str(bundle)]).exit_code == 0
    measured = wilson(0, 0).to_json()  # what a source without a sample once said: 0 %
    said = {"eligible_documents": 0, "samples": 0, "exact": measured, "near_verbatim": measured}
    report["memorisation"]["sources"]["finetuning"] = said
    (bundle / "audit" / "report.json").write_text(json.dumps(report), encoding="utf-8")
    write_manifest(bundle)  # re-hashed: only the recomputation can tell
    done = CliRunner().invoke(app, ["verify", str(bundle)])
    assert done.exit_code != 0
    assert "memorisation.sources.finetuning.exact" in done.output
    assert "memorisation.sources.finetuning.not_checked" in done.output
