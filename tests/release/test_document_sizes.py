"""Numbers the release's documents state that come from the artifacts themselves: the training
corpus's size in the AI Act summary, the energy in the ML-BOM, the test split the card's
model-index names; each checked by `verify`. And the rebuild names each stage as it starts."""

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import MANIFEST, write_manifest
from gemeingut.release.verify import verify_bundle


def _german(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _manifest(bundle: Path) -> dict[str, str]:
    lines = (bundle / MANIFEST).read_text().splitlines()
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in lines)}


def _packed_tokens(bundle: Path) -> tuple[int, int, int]:
    """Documents, UTF-8 bytes and tokens of the training split, packed as pretraining packs
    them: with the model's tokenizer through transformers and `token_stream`."""
    from transformers import PreTrainedTokenizerFast

    from gemeingut.model.packing import token_stream

    texts = [
        text
        for shard in sorted((bundle / "training-data").glob("train-*.parquet"))
        for text in pq.read_table(shard, columns=["text"]).column(0).to_pylist()
    ]
    tokenizer = PreTrainedTokenizerFast.from_pretrained(bundle / "model")
    size = sum(len(t.encode("utf-8")) for t in texts)
    return len(texts), size, len(token_stream(tokenizer, texts))


def test_the_ai_act_summary_states_the_size_of_the_training_corpus(bundle: Path) -> None:
    documents, size, tokens = _packed_tokens(bundle)
    training = json.loads((bundle / "training-metadata" / "training.json").read_text())
    # the corpus the windows were cut from: (tokens − 1) // seq_len windows
    assert (tokens - 1) // training["training"]["seq_len"] == training["stats"]["train_windows"]
    summary = (bundle / "AI_ACT_SUMMARY.md").read_text(encoding="utf-8")
    assert (
        f"- Größe der Trainingsdaten (Text): weniger als 1 Milliarde Tokens: {_german(tokens)} "
        f"Tokens in {documents} Dokumenten, {_german(size)} Bytes UTF-8-Text (der "
        "Trainingsanteil `training-data/train-*.parquet`, gezählt mit dem Tokenizer des Modells "
        "`model/tokenizer.json`, jedes Dokument gefolgt von EOS)"
    ) in summary
    seen = training["stats"]["tokens_seen"]
    assert f"- Im Vortraining gesehene Tokens: {_german(seen)}; " in summary
    form = json.loads((bundle / "model_documentation.json").read_text())["training_data"]
    assert (form["size"]["tokens"], form["size"]["documents"], form["size"]["bytes"]) == (
        tokens,
        documents,
        size,
    )
    assert form["tokens_seen_in_pretraining"] == seen


def test_an_edited_corpus_size_in_the_ai_act_summary_is_named(bundle: Path) -> None:
    _documents, _size, tokens = _packed_tokens(bundle)
    path = bundle / "AI_ACT_SUMMARY.md"
    said = f"Milliarde Tokens: {_german(tokens)} Tokens"
    summary = path.read_text(encoding="utf-8")
    assert said in summary
    path.write_text(summary.replace(said, f"Milliarde Tokens: {_german(tokens * 1000)} Tokens"))
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"AI_ACT_SUMMARY\.md weicht von dem ab"):
        verify_bundle(bundle)


def test_train_windows_the_training_shards_do_not_give_are_named(bundle: Path) -> None:
    """The record and the lineage's copy edited alike: only the shards can tell."""
    metadata = bundle / "training-metadata"
    record = json.loads((metadata / "training.json").read_text())
    windows = record["stats"]["train_windows"]
    record["stats"]["train_windows"] = record["data_order"]["train_windows"] = windows * 2
    (metadata / "training.json").write_text(json.dumps(record, indent=2))
    lineage = json.loads((metadata / "lineage.json").read_text())
    lineage["model"]["stats"]["train_windows"] = windows * 2
    (metadata / "lineage.json").write_text(json.dumps(lineage, indent=2))
    write_manifest(bundle)
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    said = str(failed.value)
    for key in ("stats.train_windows", "data_order.train_windows"):
        assert (
            f"training-metadata/training.json: {key} ist {windows * 2}, die Dateien ergeben "
            f"{windows} (" in said
        )
    assert "gezählt mit model/tokenizer.json, in Fenstern zu 32" in said


def test_the_ml_bom_states_the_energy_each_training_run_recorded(bundle: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = (bundle / "bom.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    card = json.loads(text)["metadata"]["component"]["modelCard"]
    said = card["considerations"]["environmentalConsiderations"]["energyConsumptions"]
    metadata = bundle / "training-metadata"
    for activity, record in (("training", "training.json"), ("fine-tuning", "finetune.json")):
        energy = json.loads((metadata / record).read_text())["energy"]
        (consumption,) = [c for c in said if c["activity"] == activity]
        assert consumption["activityEnergyCost"] == {"value": energy["kwh_this_run"], "unit": "kWh"}
        assert consumption["co2CostEquivalent"]["value"] == pytest.approx(
            energy["co2_kg_this_run"] / 1000
        )
        properties = {p["name"]: p["value"] for p in consumption["properties"]}
        assert properties["gemeingut:energy-method"] == energy["method"]
        assert properties["gemeingut:energy-record"] == f"training-metadata/{record}"


def test_a_run_that_recorded_no_energy_is_said_not_recorded_in_the_ml_bom(
    bundle: Path, tmp_path: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from gemeingut.release.openness.cyclonedx import bom_text, cyclonedx_bom
    from gemeingut.release.openness.evidence import collect

    copy = tmp_path / "before"
    shutil.copytree(bundle, copy)
    path = copy / "training-metadata" / "finetune.json"
    record = json.loads(path.read_text())
    del record["energy"]
    path.write_text(json.dumps(record))
    bom = cyclonedx_bom(copy, collect(copy), json.loads((copy / "openness.json").read_text()))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_text(bom)) is None
    environment = bom["metadata"]["component"]["modelCard"]["considerations"][
        "environmentalConsiderations"
    ]
    assert [c["activity"] for c in environment["energyConsumptions"]] == ["training"]
    assert environment["properties"] == [
        {
            "name": "gemeingut:energy-not-recorded",
            "value": "fine-tuning: training-metadata/finetune.json has no energy",
        }
    ]


def test_the_model_index_names_the_test_split_by_the_releases_own_shards(
    bundle: Path, tmp_path: Path
) -> None:
    """A reference `datasets` resolves in the bundle (as in its Hub repository), to the very
    shards the MANIFEST lists; huggingface_hub reads the results back."""
    from datasets import load_dataset
    from huggingface_hub import ModelCard

    card = ModelCard.load(bundle / "README.md")
    (result, *_audit) = card.data.eval_results
    assert result.dataset_type == "parquet" and result.dataset_split == "test"
    args = result.dataset_args
    assert args["data_files"] == {"test": "test-data/test-*.parquet"}
    manifest = _manifest(bundle)
    assert args["sha256"] == {
        rel: digest for rel, digest in manifest.items() if rel.startswith("test-data/test-")
    }
    header = yaml.safe_load((bundle / "README.md").read_text().split("---")[1])
    assert "ds-" not in header["model-index"][0]["results"][0]["dataset"]["type"]
    test = load_dataset(
        result.dataset_type,
        data_files={k: str(bundle / v) for k, v in args["data_files"].items()},
        split=result.dataset_split,
        cache_dir=str(tmp_path / "cache"),
    )
    evaluation = json.loads((bundle / "training-metadata" / "evaluation.json").read_text())
    assert len(test) == evaluation["documents"]


def test_a_test_shard_the_model_index_does_not_name_is_named(bundle: Path) -> None:
    shutil.copy(
        bundle / "test-data" / "test-00000.parquet", bundle / "test-data/test-00001.parquet"
    )
    write_manifest(bundle)
    with pytest.raises(
        VerifyError,
        match=r"README\.md: model-index nennt den Test-Shard test-data/test-00001\.parquet nicht",
    ):
        verify_bundle(bundle)


def test_the_rebuild_names_each_stage_as_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gemeingut.release.reproduce import Stages, run_own_code

    code = tmp_path / "code"
    code.mkdir()
    (code / "stages.py").write_text(
        "import json, sys\n"
        "print('✓ dataset    wiederverwendet /w/dataset', file=sys.stderr, flush=True)\n"
        "print('✓ tokenizer  gebaut /w/tokenizer', file=sys.stderr, flush=True)\n"
        "print('✓ model      gebaut /w/model', file=sys.stderr, flush=True)\n"
        "print(json.dumps({}))\n",
        encoding="utf-8",
    )
    stages = Stages(["dataset", "tokenizer", "model"])
    stages.start()
    run_own_code(["-m", "stages"], code, tmp_path, stages)
    said = [line.strip() for line in capsys.readouterr().err.splitlines()]
    assert [line.split(" (")[0] for line in said] == [
        "▸ Stufe 1 von 3: Datensatz beginnt",
        "✓ dataset    wiederverwendet /w/dataset",
        "▸ Stufe 2 von 3: Tokenizer beginnt",
        "✓ tokenizer  gebaut /w/tokenizer",
        "▸ Stufe 3 von 3: Modell beginnt",
        "✓ model      gebaut /w/model",
    ]


def test_the_corpus_is_tokenized_in_runs_that_take_every_document_once() -> None:
    """`verify` encodes the training split a few MiB at a time (its encodings are large)."""
    from gemeingut.release.openness.corpus_size import _RUN_BYTES, _runs

    lengths = [_RUN_BYTES // 2] * 4 + [_RUN_BYTES * 2, 5, 0]
    runs = list(_runs(lengths))
    assert [i for start, end in runs for i in range(start, end)] == list(range(len(lengths)))
    assert all(sum(lengths[start:end]) >= _RUN_BYTES for start, end in runs[:-1])
    assert runs == [(0, 2), (2, 4), (4, 5), (5, 7)]
    assert list(_runs([])) == []
