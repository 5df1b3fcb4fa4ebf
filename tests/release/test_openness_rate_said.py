"""What `gemeingut openness rate` tells a person (a procurement officer choosing a model): why
each missing component counts for nothing, what "conditional" means, a failed check said as a
failure, and that a folder without a model is no model to rate."""

from pathlib import Path

from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.release.openness.foreign import rate_folder
from tests.test_cli import invoke

WITHHELD = "## Training data\n\nThe training data is proprietary and not publicly available.\n"


def _folder(root: Path, header: str, body: str = "") -> Path:
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(root)
    (root / "README.md").write_text(f"---\n{header}---\n# tiny\n\nA tiny model.\n{body}", "utf-8")
    return root


def _said(*args: str) -> str:
    shown = invoke("openness", "rate", *args)
    assert shown.exit_code == 0, shown.output
    return " ".join(shown.output.split())  # rich wraps long lines


def test_each_missing_component_is_said_with_its_reason(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "license: apache-2.0\ndatasets:\n- allenai/dolma\n", WITHHELD)
    said = _said(str(folder))
    assert "warum sie nicht zählen:" in said
    assert (
        "Datenkarte: Abschnitt „Training data“ von README.md sagt, dass die Daten "
        "zurückgehalten werden („proprietary“)" in said
    )
    # public data named by the card but not in the folder: named, not said to be lacking
    assert "Datensätze: nicht im Ordner (genannt in README.md: allenai/dolma; nicht geprüft)" in (
        said
    )
    assert "Trainingscode, Inferenzcode, Evaluationscode, Evaluationsdaten" in said
    rows = {c["name"]: c for c in rate_folder(folder)["mof"]["components"]}
    assert rows["Datasets"]["detail"] == (
        "not in the folder (named in README.md: allenai/dolma; not checked)"
    )
    assert not rows["Datasets"]["present"]


def test_a_conditional_class_says_its_condition_and_the_gate_its_requirements(
    tmp_path: Path,
) -> None:
    said = _said(str(_folder(tmp_path / "m", "license: mit\n")))
    assert (
        "Model Openness Framework: keine Klasse erreicht (Klasse III – Open Model nur bedingt: "
        "nur die finalen Gewichte sind offen lizenziert; andere erforderliche Bestandteile der "
        "Klasse III fehlen oder sind nicht offen lizenziert)" in said
    )
    gate = "✗ Open Source AI Definition (osaid.gate): nicht bestanden (Dateninformation, Code)"
    assert gate in said
    assert "data_information" not in said and "(conditional" not in said


def test_a_card_and_licence_file_that_disagree_fail_without_saying_open(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", "license: mit\n")
    (folder / "LICENSE").write_text("Apache License\nVersion 2.0, January 2004\n", "utf-8")
    weights = next(c for c in rate_folder(folder)["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"]
    assert weights["detail"] == (
        "README.md names MIT, but LICENSE holds Apache-2.0: they disagree, so it is unclear "
        "under which terms the publisher grants the weights; ask the publisher which licence "
        "is meant"
    )
    said = _said(str(folder))
    weights = "✗ Lizenz der Gewichte (licence.weights):"
    assert f"{weights} README.md nennt MIT, LICENSE enthält aber Apache-2.0" in said
    assert "ist offen" not in said.split(weights)[1].split("✓")[0]


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "leer"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing here\n", "utf-8")
    shown = invoke("openness", "rate", str(empty))
    assert shown.exit_code == 2, shown.output
    said = " ".join(shown.output.split())
    assert "enthält kein Modell: keine config.json, keine Gewichte" in said
    assert "README.md" in said and "Traceback" not in said
    (empty / "README.md").write_text("---\nlicense: mit\n---\n# Nur eine Karte\n", "utf-8")
    assert invoke("openness", "rate", str(empty)).exit_code == 0  # a card alone is rated
