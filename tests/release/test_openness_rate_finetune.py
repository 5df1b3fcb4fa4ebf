"""`openness rate` on a folder `model finetune` wrote: its licence, lineage and architecture come
from the fine-tune's own records, and its base's withheld parts are carried."""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gemeingut.release.openness.foreign import rate_folder
from tests.model.tiny_models import make_model
from tests.test_cli import invoke

DATA_SECTION = (
    "## Training data\n\nDas Modell lernte aus offenen Texten der Verwaltung: 1,2 Millionen "
    "Gesetze und Verordnungen von https://www.gesetze-im-internet.de (gemeinfrei, § 5 UrhG), "
    "Stand März 2024, dedupliziert.\n"
)


def base_folder(root: Path, licence: str = "apache-2.0", open_data: bool = False) -> Path:
    """A tiny foreign base with a card; `open_data`: it publishes its data and data card too."""
    base = make_model(root / "base")
    card = f"---\nlicense: {licence}\nmodel_name: Winzige Basis\n---\n# Winzige Basis\n\n"
    (base / "README.md").write_text(card + (DATA_SECTION if open_data else ""), "utf-8")
    if open_data:
        (base / "data").mkdir()
        (base / "data" / "train.jsonl").write_text('{"text": "offen"}\n', "utf-8")
    return base


def fine_tune(root: Path, base: Path, *extra: str) -> Path:
    """`model finetune` on 20 questions and answers under CC0, as a user runs it."""
    data = root / "antworten.jsonl"
    pairs = [{"prompt": f"Frage {i}?", "completion": f" Antwort {i}."} for i in range(20)]
    data.write_text("".join(json.dumps(pair) + "\n" for pair in pairs), "utf-8")
    tuned = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", tuned, "--steps", "2",
        "--data-license", "CC0-1.0", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return tuned


def _rows(result: dict) -> dict[str, dict]:
    return {c["name"]: c for c in result["mof"]["components"]}


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


def test_a_merged_fine_tune_is_rated_with_its_bases_licence_and_what_it_withholds(
    tmp_path: Path,
) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path), "--merge")
    shown = invoke("openness", "rate", tuned, "--json")
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    weights = _check(result, "licence.weights")
    assert weights["passed"] and weights["evidence"] == "finetune.json"
    assert weights["detail"].startswith(
        "finetune.json records the licence Apache-2.0 of the base model Winzige Basis"
    )
    rows = _rows(result)
    assert not rows["Datasets"]["present"]  # the fine-tune's data is there, the base's is not
    assert rows["Datasets"]["detail"] == (  # what was looked at, not what the base publishes
        f"not found from this folder: not in the folder of the base model Winzige Basis "
        f"({tmp_path / 'base'})"
    )
    assert not rows["Model metadata"]["present"]
    release = result["mof_document"]["release"]
    assert release["treatment"] == "instruct fine-tuned"  # prompt/completion examples
    assert release["origin"] == "Winzige Basis"
    assert release["license"]["distribution"] == {"name": "Apache-2.0", "path": "finetune.json"}


def test_a_fine_tune_of_a_non_commercial_base_is_not_open(tmp_path: Path) -> None:
    tuned = fine_tune(tmp_path, base_folder(tmp_path, "cc-by-nc-4.0"), "--merge")
    result = rate_folder(tuned)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and "CC-BY-NC-4.0 forbids commercial use" in weights["detail"]
    assert result["mof"]["class"] == 0


def test_an_adapter_has_its_bases_architecture_and_weights_while_the_base_is_there(
    tmp_path: Path,
) -> None:
    base = base_folder(tmp_path, open_data=True)
    tuned = fine_tune(tmp_path, base)
    result = rate_folder(tuned)
    rows = _rows(result)
    architecture = rows["Model architecture"]
    assert architecture["present"] and architecture["evidence"] == ["adapter_config.json"]
    assert architecture["license"] == "Apache-2.0"
    assert "LoRA adapter on Winzige Basis" in architecture["detail"]
    weights = rows["Model parameters (Final)"]
    assert weights["present"] and weights["evidence"] == ["adapter_model.safetensors"]
    assert "Winzige Basis publishes its own: model.safetensors" in weights["detail"]
    datasets = rows["Datasets"]  # the fine-tuning data, and the base's own
    assert datasets["present"] and datasets["license"] == "CC0-1.0"
    assert "publishes its own: data/train.jsonl" in datasets["detail"]
    assert rows["Data card"]["evidence"] == ["Winzige Basis: README.md"]
    assert result["osaid"]["requirements"]["data_information"]["passed"]
    shutil.move(base, tmp_path / "moved")
    gone = _rows(rate_folder(tuned))
    for name in ("Model architecture", "Model parameters (Final)", "Datasets", "Data card"):
        assert not gone[name]["present"], name
        assert f"is not at {base}" in gone[name]["detail"]


@pytest.mark.parametrize(
    "record, artifact, said",
    [
        ({"base_model": "Qwen/Qwen2.5-3B"}, {}, "finetune.json: base_model ist kein JSON-Objekt"),
        ({"base_model": {}}, {"params": ["x"]}, "artifact.json: params ist kein JSON-Objekt"),
        ([], {}, "finetune.json enthält kein JSON-Objekt"),
    ],
)
def test_a_hand_edited_record_of_a_fine_tune_is_named_not_a_traceback(
    tmp_path: Path, record: object, artifact: dict, said: str
) -> None:
    from gemeingut.errors import InputError

    folder = make_model(tmp_path / "tuned")
    (folder / "finetune.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "artifact.json").write_text(json.dumps(artifact), encoding="utf-8")
    with pytest.raises(InputError, match=said) as caught:
        rate_folder(folder)
    assert caught.value.hint


def test_a_base_the_record_names_no_name_of_is_said_in_the_readers_language(
    tmp_path: Path,
) -> None:
    """No English stand-in inside German sentences, and no origin claimed for the MOF."""
    from gemeingut.i18n import text

    folder = make_model(tmp_path / "tuned")
    record = {"base_model": {"license": "Apache-2.0", "path": str(tmp_path / "fort")}}
    (folder / "finetune.json").write_text(json.dumps(record), encoding="utf-8")
    result = rate_folder(folder)
    said = [text(_check(result, "licence.weights")["detail"])]
    said += [text(row["detail"]) for row in _rows(result).values()]
    assert any("des Basismodells Basismodell" in line for line in said)
    assert not any("base model" in line for line in said)
    assert "origin" not in result["mof_document"]["release"]


@pytest.mark.parametrize(
    "sentence, withheld",
    [
        ("Die Daten wurden intern dedupliziert und gefiltert.", None),
        ("Die interne Prüfung las jede Quelle.", None),
        ("Die Daten sind nur intern zugänglich.", "nur intern"),
        ("Es wurden interne Daten der Behörde verwendet.", "interne Daten"),
        ("Die Korpora werden intern verwendet.", "intern verwendet"),
        ("Die Sammlung wurde intern genutzt.", "intern genutzt"),
        ("Die Texte werden nicht veröffentlicht.", "nicht veröffentlicht"),
    ],
)
def test_only_words_that_withhold_the_data_count_as_withholding(
    sentence: str, withheld: str | None
) -> None:
    from gemeingut.i18n import text
    from gemeingut.release.openness.foreign import _data_section

    body = sentence + " Die Sammlung: https://www.gesetze-im-internet.de (gemeinfrei), Stand 2024."
    _heading, _said, reason = _data_section(f"# Karte\n\n## Trainingsdaten\n\n{body}\n")
    if withheld is None:
        assert reason is None
    else:
        assert f"(„{withheld}“)" in text(reason)


BASE_PARTS = ("Model architecture", "Model parameters (Final)", "Datasets", "Data card")


@pytest.mark.parametrize(
    "swap",
    [
        lambda base: (base / "README.md").write_text(
            (base / "README.md").read_text("utf-8").replace("offenen", "offnen"), "utf-8"
        ),
        lambda base: (base / "data" / "mehr.jsonl").write_text('{"text": "neu"}\n', "utf-8"),
    ],
    ids=["changed-card", "added-file"],
)
def test_a_base_folder_whose_files_changed_is_not_rated_as_the_base(
    tmp_path: Path, swap: Callable[[Path], object]
) -> None:
    """Another model in the base's folder would rate another base: its parts count as
    withheld, and the detail says why."""
    from gemeingut.i18n import text

    base = base_folder(tmp_path, open_data=True)
    tuned = fine_tune(tmp_path, base)
    assert all(_rows(rate_folder(tuned))[name]["present"] for name in BASE_PARTS)
    swap(base)
    swapped = _rows(rate_folder(tuned))
    for name in BASE_PARTS:
        assert not swapped[name]["present"], name
        assert text(swapped[name]["detail"]) == (
            "was das Basismodell Winzige Basis veröffentlicht, lässt sich nicht prüfen: der "
            f"Ordner unter {base} ist nicht das Basismodell, aus dem diese Feinabstimmung "
            "entstand (seine Dateien passen nicht zum Fingerabdruck, den finetune.json "
            "festhält)"
        )


def test_a_relative_base_path_is_read_from_the_fine_tunes_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = base_folder(tmp_path, open_data=True)
    tuned = fine_tune(tmp_path, base)
    record = json.loads((tuned / "finetune.json").read_text("utf-8"))
    record["base_model"]["path"] = "../base"
    (tuned / "finetune.json").write_text(json.dumps(record), "utf-8")
    make_model(tmp_path / "anderswo" / "base")  # another model at ../base from the run's folder
    (tmp_path / "anderswo" / "hier").mkdir()
    monkeypatch.chdir(tmp_path / "anderswo" / "hier")
    rows = _rows(rate_folder(tuned))
    assert all(rows[name]["present"] for name in BASE_PARTS)
    assert "publishes its own: data/train.jsonl" in rows["Datasets"]["detail"]


def gemeingut_base(root: Path) -> Path:
    """A model folder as a gemeingut stage leaves it: its files and the artifact.json that
    records each one's sha256 (the fingerprint a fine-tune records is its artifact id)."""
    from gemeingut.workspace import materialize

    def build(out: Path) -> dict:
        make_model(out)
        (out / "README.md").write_text(
            "---\nlicense: apache-2.0\nmodel_name: Eigene Basis\n---\n# Eigene Basis\n\n"
            + DATA_SECTION,
            "utf-8",
        )
        return {}

    return materialize(root / "eigene-basis", "model", {}, {"test": "basis"}, build)[0].path


@pytest.mark.parametrize("swap", ["changed", "missing", "added"])
def test_a_gemeingut_base_whose_weights_changed_is_not_rated_as_the_base(
    tmp_path: Path, swap: str
) -> None:
    """The artifact id hashes what a model was made from, not its weights: a folder whose
    artifact.json stayed while its safetensors were swapped is another model."""
    from safetensors.torch import load_file, save_file

    from gemeingut.i18n import text

    base = gemeingut_base(tmp_path)
    tuned = fine_tune(tmp_path, base)
    assert _rows(rate_folder(tuned))["Data card"]["present"]
    weights = base / "model.safetensors"
    if swap == "changed":
        tensors = {name: t + 1 for name, t in load_file(weights).items()}
        save_file(tensors, weights, metadata={"format": "pt"})
    elif swap == "missing":
        weights.rename(base / "model.bin")
    else:
        save_file(load_file(weights), base / "model-00002.safetensors")
    rows = _rows(rate_folder(tuned))
    assert not rows["Data card"]["present"]
    assert text(rows["Data card"]["detail"]) == (
        "was das Basismodell Eigene Basis veröffentlicht, lässt sich nicht prüfen: der Ordner "
        f"unter {base} ist nicht das Basismodell, aus dem diese Feinabstimmung entstand (seine "
        "Dateien passen nicht zum Fingerabdruck, den finetune.json festhält)"
    )
