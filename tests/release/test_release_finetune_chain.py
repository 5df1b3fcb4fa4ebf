"""A fine-tune of a fine-tune of our own model is released with every fine-tune's data: the
released one's in `training-data/finetuning/`, each earlier one's in its own folder with its
licence and record, the card names the chain, and `verify` passes; a chain with a link that
is not one of our fine-tunes, or an earlier fine-tune on NC data, is refused by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gemeingut.release.layout import earlier_finetunes
from gemeingut.release.manifest import write_manifest
from gemeingut.release.openness.evidence import collect
from gemeingut.workspace import load_artifact
from tests.finetune_chain import SECOND, evaluate, finetune, release
from tests.test_cli import invoke


@pytest.fixture
def chain(released_chain: dict) -> dict:
    return released_chain


def test_the_bundle_holds_every_fine_tune_with_its_licence(chain: dict) -> None:
    bundle, ft1 = chain["bundle"], load_artifact(chain["ft1"])
    own = bundle / "training-data" / "finetuning"
    earlier = bundle / "training-data" / "finetuning-earlier" / ft1.id
    assert SECOND in "".join(p.read_text("utf-8") for p in own.rglob("*.jsonl"))
    assert "Antwort 3." in "".join(p.read_text("utf-8") for p in earlier.rglob("*.jsonl"))
    assert not any("Antwort 3." in p.read_text("utf-8") for p in own.rglob("*.jsonl"))
    records = bundle / "training-metadata" / "finetuning-earlier" / ft1.id
    assert (records / "finetune.json").is_file() and (records / "finetune_log.jsonl").is_file()
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text("utf-8"))
    assert [meta["id"] for meta in earlier_finetunes(lineage)] == [ft1.id]
    made = json.loads((bundle.parent / "artifact.json").read_text("utf-8"))
    assert made["inputs"]["earlier_finetunes"] == ft1.id
    sources = collect(bundle).training_data.sources
    assert f"fine-tuning data of {ft1.id}" in sources["CC-BY-4.0"]
    assert "fine-tuning data" in sources["CC0-1.0"]
    notice = " ".join((bundle / "NOTICE").read_text("utf-8").split())
    assert f"finetuning-earlier/{ft1.id}/" in notice and "Chat team" in notice


def test_the_card_names_the_chain_and_verify_passes(chain: dict, tiny_build: dict) -> None:
    bundle, ft1 = chain["bundle"], load_artifact(chain["ft1"])
    ft2 = load_artifact(chain["ft2"])
    card = (bundle / "README.md").read_text("utf-8")
    chain_line = next(line for line in card.splitlines() if ft1.id in line and ft2.id in line)
    assert tiny_build["model"]["id"] in chain_line and "CC-BY-4.0" in chain_line
    assert "CC0-1.0" in chain_line
    assert f"training-data/finetuning-earlier/{ft1.id}/" in chain_line
    report = (bundle / "TECHNICAL_REPORT.md").read_text("utf-8")
    assert any(ft1.id in line and ft2.id in line for line in report.splitlines())
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text("utf-8")
    earlier = next(line for line in summary.splitlines() if f"earlier/{ft1.id}/" in line)
    assert "CC-BY-4.0" in earlier
    dependencies = next(line for line in summary.splitlines() if f"`{ft1.id}`" in line)
    assert tiny_build["model"]["id"] in dependencies
    result = invoke("verify", bundle)
    assert result.exit_code == 0, result.output


def test_a_changed_earlier_data_file_is_named_by_verify(chain: dict, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(chain["bundle"], bundle)
    ft1 = load_artifact(chain["ft1"])
    data = sorted((bundle / "training-data" / "finetuning-earlier" / ft1.id).rglob("*.jsonl"))[0]
    data.write_text(data.read_text("utf-8") + '{"text": "eingeschmuggelt"}\n', "utf-8")
    result = invoke("verify", bundle)
    assert result.exit_code != 0
    assert f"finetuning-earlier/{ft1.id}" in " ".join(result.output.split())


def test_a_link_that_is_not_our_fine_tune_is_refused_by_name(
    chain: dict, tiny_build: dict, tmp_path: Path
) -> None:
    ft1 = load_artifact(chain["ft1"])
    gone = tmp_path / "ws" / "model" / "ft2"
    gone.parent.mkdir(parents=True)
    shutil.copytree(chain["ft2"], gone)  # ft1 is neither beside it nor where its record says
    record = json.loads((gone / "finetune.json").read_text("utf-8"))
    record["base_model"]["path"] = str(tmp_path / "nowhere")
    (gone / "finetune.json").write_text(json.dumps(record), "utf-8")
    evaluation = evaluate(tiny_build, gone, tmp_path / "eval")
    result = release(tiny_build, gone, evaluation, tmp_path / "release")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert ft1.id in said and "Traceback" not in result.output
    assert not (tmp_path / "release").exists() or not any((tmp_path / "release").iterdir())


def test_an_earlier_fine_tune_on_nc_data_is_refused(
    chain: dict, tiny_build: dict, tmp_path: Path
) -> None:
    nc = finetune(chain["ft1"], chain["data"], tmp_path / "nc", "--data-license", "CC-BY-NC-4.0")
    ft3 = finetune(nc, chain["data"], tmp_path / "ft3", "--data-license", "CC0-1.0")
    evaluation = evaluate(tiny_build, ft3, tmp_path / "eval3")
    result = release(tiny_build, ft3, evaluation, tmp_path / "release")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "CC-BY-NC-4.0" in said and "Traceback" not in result.output


def test_an_audit_of_the_chain_is_released_and_verified(
    chain: dict, tiny_build: dict, tmp_path: Path
) -> None:
    """The audit reads every fine-tune's data (an earlier one's keyed by its id); the release
    compares it with what the bundle publishes, and `verify` with what it holds."""
    audit = tmp_path / "audit"
    result = invoke(
        "audit", "memorisation", chain["ft2"], "--out", audit, "--samples", "3",
        "--prefix-tokens", "4", "--continuation-tokens", "4",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    evaluation = evaluate(tiny_build, chain["ft2"], tmp_path / "eval")
    result = release(tiny_build, chain["ft2"], evaluation, tmp_path / "release", "--audit", audit)
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "release" / "bundle"
    result = invoke("verify", bundle)
    assert result.exit_code == 0, result.output


def test_an_earlier_fine_tune_whose_licence_asks_for_its_text_ships_it(
    chain: dict, tiny_build: dict, tmp_path: Path
) -> None:
    mit = finetune(
        chain["ft1"], chain["data"], tmp_path / "mit", "--data-license", "MIT",
        "--data-attribution", "Bibliothek am Markt", "--data-url", "https://example.org/markt",
    )  # fmt: skip
    top = finetune(mit, chain["data"], tmp_path / "top", "--data-license", "CC0-1.0")
    evaluation = evaluate(tiny_build, top, tmp_path / "eval")
    result = release(tiny_build, top, evaluation, tmp_path / "release")
    assert result.exit_code == 0, result.output
    bundle = tmp_path / "release" / "bundle"
    assert "MIT License" in (bundle / "training-data" / "LICENSES" / "MIT.txt").read_text("utf-8")
    sources = collect(bundle).training_data.sources["MIT"]
    assert sources == {f"fine-tuning data of {load_artifact(mit).id}"}
    assert "Bibliothek am Markt" in (bundle / "NOTICE").read_text("utf-8")
    (bundle / "training-data" / "LICENSES" / "MIT.txt").unlink()
    write_manifest(bundle)
    result = invoke("verify", bundle)
    assert result.exit_code != 0
    assert "MIT.txt" in " ".join(result.output.split())
