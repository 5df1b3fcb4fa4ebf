"""What a fine-tune's release documents say, as a researcher releasing fine-tunes of foreign bases
reads them: an adapter's card is a peft card, the German card has no English in it, the audit's
numbers are in the card's `model-index`, a tag claims no more than the rating, and a base that
is not the one fine-tuned from is named by its files. `verify` renders each again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from tests.release.test_finetune_release import HUB_ID, base_folder, fine_tune, release
from tests.test_cli import invoke


def _header(bundle: Path) -> dict:
    return yaml.safe_load((bundle / "README.md").read_text(encoding="utf-8").split("---")[1])


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A merged fine-tune of a base that publishes its weights only, released with its audit."""
    root = tmp_path_factory.mktemp("audited")
    tuned = fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0")
    audit = invoke("audit", "run", tuned, "--out", root / "audit", "--suite", "bias")
    assert audit.exit_code == 0, audit.output
    return release(root, tuned, "--audit", root / "audit")


def test_an_adapters_card_is_a_peft_card_in_one_language(tmp_path: Path) -> None:
    """The Hub's convention for an adapter: `library_name: peft` and the base's Hub id; the
    German card's usage snippet comments in German."""
    adapter = fine_tune(tmp_path, base_folder(tmp_path), "--license", "Apache-2.0")
    bundle = release(tmp_path, adapter, "--base-hub-id", HUB_ID)
    header = _header(bundle)
    assert header["library_name"] == "peft" and header["base_model"] == HUB_ID
    card = (bundle / "README.md").read_text(encoding="utf-8")
    snippet = card.split("```python")[1].split("```")[0]
    assert "# lädt das Basismodell, das adapter_config.json nennt" in snippet
    assert "with the base" not in card
    english = invoke(
        "release", "--finetuned", adapter, "--name", "winzig", "--out", tmp_path / "en",
        "--license", "Apache-2.0", "--base-hub-id", HUB_ID, "--document-language", "en",
    )  # fmt: skip
    assert english.exit_code == 0, english.output
    card = (tmp_path / "en" / "bundle" / "README.md").read_text(encoding="utf-8")
    assert "# loads the base model that adapter_config.json names" in card
    verify_bundle(bundle)


def test_a_merged_fine_tunes_card_is_a_transformers_card(audited: Path) -> None:
    assert _header(audited)["library_name"] == "transformers"


def test_the_audits_bias_numbers_are_the_cards_model_index(audited: Path, tmp_path: Path) -> None:
    report = json.loads((audited / "audit" / "report.json").read_text(encoding="utf-8"))
    [index] = _header(audited)["model-index"]
    by_category = {r["dataset"]["config"]: r for r in index["results"]}
    assert set(by_category) == set(report["bias"]["categories"])
    for name, category in report["bias"]["categories"].items():
        share = category["prefers_stereotype"]
        [metric] = by_category[name]["metrics"]
        assert metric["type"] == "prefers_stereotype"
        assert metric["value"] == round(share["value"], 6)
        assert (metric["args"]["low"], metric["args"]["high"]) == (share["low"], share["high"])
        assert metric["args"]["flagged"] is category["flagged"]
        data = by_category[name]["dataset"]["args"]["data_files"]["test"]
        assert (audited / data).is_file()  # the pairs as scored, in the bundle
    verify_bundle(audited)
    bundle = shutil.copytree(audited, tmp_path / "bundle")
    card = bundle / "README.md"
    value = str(index["results"][0]["metrics"][0]["value"])
    card.write_text(card.read_text(encoding="utf-8").replace(value, "0.5", 1), encoding="utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"README\.md weicht von dem ab, das die Dateien ergeben"):
        verify_bundle(bundle)


def test_a_conditional_class_is_no_class_tag_and_said_after_a_colon(audited: Path) -> None:
    rated = json.loads((audited / "openness.json").read_text(encoding="utf-8"))
    assert rated["mof"]["conditional"]  # open final weights, the rest of Class III missing
    tags = _header(audited)["tags"]
    assert not [tag for tag in tags if tag.startswith("mof-class")], tags
    card = " ".join((audited / "README.md").read_text(encoding="utf-8").split())
    assert (
        "Model Openness Framework: keine Klasse erreicht (Klasse III – Open Model nur bedingt"
        in card
    )
    assert "Model Openness Framework Klasse" not in card


def test_a_changed_base_is_named_by_its_changed_file(audited: Path, tmp_path: Path) -> None:
    """`release --base` with a folder one of whose files was edited: the file is named, from
    the list the fine-tuning kept; that list is in the published record and verify holds it
    to base-model/files.json."""
    root = audited.parent.parent
    tuned, moved = root / "tuned", tmp_path / "basis"
    shutil.copytree(root / "base", moved)
    config = moved / "config.json"
    config.write_text(config.read_text(encoding="utf-8").replace("}", ', "x": 1}', 1), "utf-8")
    refused = invoke(
        "release", "--finetuned", tuned, "--name", "x", "--out", tmp_path / "r",
        "--license", "Apache-2.0", "--base", moved,
    )  # fmt: skip
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert f"{moved} ist nicht das Basismodell" in said
    assert "config.json weicht von der Datei ab, die finetune.json der Feinabstimmung" in said
    assert not (tmp_path / "r" / "bundle").exists()
    bundle = shutil.copytree(audited, tmp_path / "bundle")
    record_file = bundle / "training-metadata" / "finetune.json"
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["base_model"]["files"] == json.loads(
        (bundle / "base-model" / "files.json").read_text(encoding="utf-8")
    )
    record["base_model"]["files"]["config.json"] = "sha256:" + "0" * 64
    record_file.write_text(json.dumps(record, indent=2), encoding="utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    assert (
        "training-metadata/finetune.json: die dort aufgelisteten Dateien des Basismodells sind "
        "nicht die von base-model/files.json"
    ) in str(failed.value)
