import json
import os
from pathlib import Path

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from gemeingut.errors import InputError, VerifyError
from gemeingut.recipe import EvaluateSection, FinetuneSection, FinetuneTraining, ReleaseSection
from gemeingut.release.manifest import MANIFEST
from gemeingut.release.verify import verify_bundle
from gemeingut.stages import evaluate_stage, finetune_stage, release_stage
from gemeingut.workspace import at, load_artifact

FIVE_ARTIFACTS = ["model", "test-data", "training-code", "training-data", "training-metadata"]


def test_bundle_holds_the_five_artifacts_and_verifies(bundle: Path) -> None:
    for folder in FIVE_ARTIFACTS:
        assert any((bundle / folder).iterdir()), folder
    assert (bundle / "training-code" / "gemeingut" / "cli" / "__init__.py").is_file()
    assert (bundle / "training-code" / "recipe.toml").is_file()
    assert list((bundle / "test-data").glob("test-*.parquet"))
    assert verify_bundle(bundle).files == len((bundle / MANIFEST).read_text().splitlines())


def test_released_model_loads_with_transformers_alone(bundle: Path) -> None:
    model = AutoModelForCausalLM.from_pretrained(bundle / "model")
    tokenizer = AutoTokenizer.from_pretrained(bundle / "model")
    assert model.config.vocab_size == len(tokenizer)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hallo"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt.endswith("<|im_start|>assistant\n")


def test_model_card_header_carries_licence_languages_and_results(tiny_build, bundle: Path) -> None:
    card = (bundle / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "apache-2.0"
    assert header["language"] == ["de", "en"]
    assert "datasets" not in header  # a local artifact id is no Hub dataset reference
    results = json.loads((bundle / "training-metadata" / "evaluation.json").read_text())
    metrics = {m["type"]: m["value"] for m in header["model-index"][0]["results"][0]["metrics"]}
    assert metrics["perplexity"] == pytest.approx(results["perplexity"], rel=1e-5)
    assert metrics["bits_per_byte"] == pytest.approx(results["bits_per_byte"], rel=1e-5)
    assert "CC-BY-4.0" in card and "licence-non-commercial" in card


def test_notice_lists_every_attribution_the_data_requires(bundle: Path) -> None:
    notice = (bundle / "NOTICE").read_text(encoding="utf-8")
    assert "notes/a.md | CC-BY-4.0 | Notes team | https://example.org/notes" in notice
    assert "notes/b.txt" in notice and "doc-001" not in notice


def test_lineage_names_every_input_id(tiny_build, bundle: Path) -> None:
    lineage = json.loads((bundle / "training-metadata" / "lineage.json").read_text())
    assert lineage["model"]["inputs"] == {
        "dataset": tiny_build["dataset"]["id"],
        "tokenizer": tiny_build["tokenizer"]["id"],
    }
    assert lineage["finetune"]["inputs"]["base"] == tiny_build["model"]["id"]
    assert lineage["evaluation"]["inputs"]["model"] == tiny_build["finetune"]["id"]
    assert lineage["dataset"]["stats"]["kept_by_license"]["CC-BY-4.0"] == 2


def test_a_fine_tuned_release_carries_its_data_run_and_attribution(tiny_build, bundle: Path):
    tuned = Path(tiny_build["finetune"]["path"])
    assert (bundle / "training-data" / "finetuning" / "chat.jsonl").read_bytes() == (
        tuned / "data" / "chat.jsonl"
    ).read_bytes()
    for name in ("finetune.json", "finetune_log.jsonl", "training.json", "training_log.jsonl"):
        assert (bundle / "training-metadata" / name).is_file(), name
    released = AutoModelForCausalLM.from_pretrained(bundle / "model").state_dict()
    merged = AutoModelForCausalLM.from_pretrained(tuned).state_dict()
    assert all(torch.equal(released[k], merged[k]) for k in merged)
    notice = (bundle / "NOTICE").read_text(encoding="utf-8")
    assert "Feinabstimmungsdaten (training-data/finetuning/)" in notice
    assert "Chat team | https://example.org/chats" in notice
    card = (bundle / "README.md").read_text(encoding="utf-8")
    assert "## Feinabstimmung" in card
    assert f"feinabgestimmt aus `{tiny_build['model']['id']}`" in card


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"data_license": None}, "keine Lizenz angegeben"),
        ({"data_license": "CC-BY-NC-4.0"}, "verbietet die kommerzielle Nutzung"),
        ({"data_attribution": None}, "verlangt eine Namensnennung"),
    ],
)
def test_fine_tuning_data_without_an_open_licence_is_not_released(
    tiny_build, tmp_path: Path, change: dict, message: str
) -> None:
    artifacts = {
        k: load_artifact(Path(tiny_build[k]["path"]))
        for k in ("dataset", "tokenizer", "model", "evaluation", "finetune")
    }
    artifacts["finetune"].meta["params"].update(change)
    with pytest.raises(InputError, match=message):
        release_stage(at(tmp_path / "r"), ReleaseSection(model_name="x"), None, artifacts)


def test_tampered_file_fails_verify_naming_it(bundle: Path) -> None:
    with (bundle / "model" / "config.json").open("a") as handle:
        handle.write(" ")
    with pytest.raises(VerifyError, match=r"geändert: model/config\.json"):
        verify_bundle(bundle)


def test_missing_file_fails_verify_naming_it(bundle: Path) -> None:
    (bundle / "NOTICE").unlink()
    with pytest.raises(VerifyError, match="fehlt: NOTICE"):
        verify_bundle(bundle)


def test_extra_file_fails_verify_naming_it(bundle: Path) -> None:
    (bundle / "model" / "backdoor.bin").write_bytes(b"\x00")
    with pytest.raises(VerifyError, match=r"zusätzlich: model/backdoor\.bin"):
        verify_bundle(bundle)


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/hostname", "model/../../x"])
def test_manifest_path_escaping_the_bundle_fails_verify(bundle: Path, path: str) -> None:
    with (bundle / MANIFEST).open("a") as handle:
        handle.write(f"{'0' * 64}  {path}\n")
    with pytest.raises(VerifyError, match="unsicherer Pfad"):
        verify_bundle(bundle)


def test_symlink_out_of_the_bundle_fails_verify(bundle: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", bundle / "link.txt")
    with pytest.raises(VerifyError, match=r"unsichere Verknüpfung: link\.txt"):
        verify_bundle(bundle)


def test_release_refuses_artifacts_of_different_builds(tiny_build, tmp_path: Path) -> None:
    artifacts = {
        k: load_artifact(Path(tiny_build[k]["path"]), k)
        for k in ("dataset", "tokenizer", "model", "evaluation")
    }
    artifacts["evaluation"] = load_artifact(Path(tiny_build["dataset"]["path"]))
    artifacts["evaluation"].meta["inputs"] = {"model": "mdl-other"}
    with pytest.raises(InputError, match="gehören nicht zusammen"):
        release_stage(at(tmp_path / "r"), ReleaseSection(model_name="x"), None, artifacts)


def test_a_model_fine_tuned_on_a_curated_dataset_is_released_with_its_attributions(
    tiny_build, tmp_path: Path
) -> None:
    artifacts = {
        k: load_artifact(Path(tiny_build[k]["path"])) for k in ("dataset", "tokenizer", "model")
    }
    dataset, model = artifacts["dataset"], artifacts["model"]
    training = FinetuneTraining(steps=2, batch_size=2, seq_len=32, device="cpu")
    section = FinetuneSection(merge=True, training=training)  # no data_license: curated
    tuned, _ = finetune_stage(at(tmp_path / "ft"), model.path, dataset.path, section)
    evaluation, _ = evaluate_stage(at(tmp_path / "ev"), tuned, dataset, EvaluateSection())
    artifacts |= {"finetune": tuned, "evaluation": evaluation}
    release, _ = release_stage(at(tmp_path / "r"), ReleaseSection(model_name="x"), None, artifacts)
    bundle = release.path / "bundle"
    shards = bundle / "training-data" / "finetuning" / "curated-dataset" / "shards"
    assert sorted(p.name for p in shards.iterdir()) == sorted(
        p.name for p in (dataset.path / "shards").glob("[tv][ra]*.parquet")
    )
    notice = (bundle / "NOTICE").read_text(encoding="utf-8")
    title = "NOTICE für die Feinabstimmungsdaten"
    assert f"{title} (training-data/finetuning/curated-dataset/)" in notice
    fine_tuning_part = notice.split(title)[1]
    assert "| CC-BY-4.0 | Notes team | https://example.org/notes" in fine_tuning_part
    assert "den Lizenzen ihrer Dokumente (siehe NOTICE)" in (bundle / "README.md").read_text()
    assert verify_bundle(bundle).files > 0
    tuned.meta["params"]["data_license"] = "CC-BY-4.0"  # stated for curated data: checked too
    with pytest.raises(InputError, match="verlangt eine Namensnennung"):
        release_stage(at(tmp_path / "r3"), ReleaseSection(model_name="z"), None, artifacts)
    tuned.meta["params"]["data_license"] = None
    stats = tuned.path / "data" / "curated-dataset" / "stats.json"
    record = json.loads(stats.read_text())
    stats.write_text(json.dumps({**record, "use_conditions": {"notes": ["non-commercial"]}}))
    with pytest.raises(InputError, match="Nutzungsbedingungen der Feinabstimmungsdaten"):
        release_stage(at(tmp_path / "r2"), ReleaseSection(model_name="y"), None, artifacts)


def test_the_training_data_loads_with_datasets_and_the_gguf_names_its_licence(bundle: Path):
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(
        "parquet", data_files=str(bundle / "training-data" / "*.parquet"), split="train"
    )
    assert {"id", "text", "license", "source"} <= set(loaded.column_names)
    assert "reason" not in loaded.column_names  # exclusion records lie in excluded/
    assert (bundle / "training-data" / "excluded" / "exclusions.parquet").is_file()
    import gguf

    reader = gguf.GGUFReader(bundle / "model" / "model.gguf")
    assert reader.fields["general.license"].contents() == "Apache-2.0"
    assert reader.fields["general.name"].contents() == "tiny-test-model"


def test_the_published_finetune_record_names_the_base_without_a_local_path(
    tiny_build, bundle: Path
) -> None:
    record = json.loads((bundle / "training-metadata" / "finetune.json").read_text())
    assert record["base_model"]["path"] == tiny_build["model"]["id"]
    assert str(Path(tiny_build["workspace"]).resolve()) not in json.dumps(record)
