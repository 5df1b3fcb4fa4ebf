"""`gemeingut openness rate` on foreign folders whose licence evidence is more than a card: a
fine-tune's base, LICENSE texts of weights licences, GGUF metadata, `license: other`."""

import json
from pathlib import Path

import gguf
import numpy as np
import pytest
from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.data.licence_texts import likeliest_licence
from gemeingut.release.openness.foreign import rate_folder
from tests.test_cli import invoke

pytestmark = pytest.mark.usefixtures("hub_offline")

BASE = "meta-llama/Meta-Llama-3-8B"
LLAMA3_TEXT = "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date\n"
APACHE_TEXT = "                                 Apache License\n   Version 2.0, January 2004\n"
CC_BY_NC_TEXT = (
    "Attribution-NonCommercial 4.0 International\n\n"
    "=======================================================================\n\n"
    'Creative Commons Corporation ("Creative Commons") is not a law firm and does not provide\n'
    "legal services or legal advice.\n"
)


def _model(
    root: Path, header: str, licence_text: str | None = APACHE_TEXT, hidden: int = 16
) -> Path:
    root.mkdir(parents=True)
    sizes = {"vocab_size": 64, "hidden_size": hidden, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(root)
    (root / "README.md").write_text(f"---\n{header}---\n# tiny\n", "utf-8")
    if licence_text is not None:
        (root / "LICENSE").write_text(licence_text, "utf-8")
    return root


def _adapter(root: Path, base: str) -> Path:
    root.mkdir(parents=True)
    config = {"base_model_name_or_path": base, "peft_type": "LORA", "r": 8}
    (root / "adapter_config.json").write_text(json.dumps(config), "utf-8")
    weights = _model(root.parent / f"{root.name}-w", "license: apache-2.0\n")
    (root / "adapter_model.safetensors").write_bytes((weights / "model.safetensors").read_bytes())
    (root / "README.md").write_text(f"---\nlicense: apache-2.0\nbase_model: {base}\n---\n", "utf-8")
    return root


def _check(result: dict, check_id: str) -> dict:
    return next(c for c in result["checks"] if c["id"] == check_id)


def test_a_fine_tune_whose_base_is_not_here_does_not_count_its_weights_as_open(
    tmp_path: Path,
) -> None:
    folder = _model(tmp_path / "ft", f"license: apache-2.0\nbase_model: {BASE}\n")
    shown = invoke("openness", "rate", str(folder))
    assert shown.exit_code == 0, shown.output
    assert f"README.md nennt das Basismodell {BASE}, seine Lizenz nicht geprüft" in " ".join(
        shown.output.split()
    )
    assert "✓ Lizenz der Gewichte (licence.weights)" not in shown.output
    result = rate_folder(folder)
    assert not _check(result, "licence.weights")["passed"] and result["mof"]["class"] == 0
    assert result["base_model"] == {
        "name": BASE,
        "named_in": "README.md",
        "path": None,
        "license": None,
        "license_checked": False,
    }


def test_an_adapter_is_rated_with_the_licence_of_the_base_given_with_base(
    tmp_path: Path,
) -> None:
    base = _model(tmp_path / "llama", "license: llama3\n", LLAMA3_TEXT)
    adapter = _adapter(tmp_path / "adapter", BASE)
    unchecked = rate_folder(adapter)
    assert not _check(unchecked, "licence.weights")["passed"]
    assert (
        "adapter_config.json names the base model" in _check(unchecked, "licence.weights")["detail"]
    )
    shown = invoke("openness", "rate", str(adapter), "--base", str(base), "--json")
    assert shown.exit_code == 0, shown.output
    result = json.loads(shown.output)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and "llama3" in weights["detail"], weights
    assert result["licenses"]["weights"] == "Apache-2.0 AND llama3"
    assert result["base_model"]["license_checked"] and result["mof"]["class"] == 0
    assert result["mof_document"]["release"]["origin"] == BASE


def test_a_fine_tune_of_a_base_in_the_hugging_face_cache_is_rated_with_its_licence(
    tmp_path: Path,
) -> None:
    """The cache as `huggingface_hub` lays it out: refs/main names the snapshot."""
    repository = tmp_path / "hub" / "models--org--base"
    _model(repository / "snapshots" / "abc", "license: apache-2.0\n")
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text("abc", "utf-8")
    folder = _model(tmp_path / "ft", "license: apache-2.0\nbase_model: org/base\n")
    result = rate_folder(folder)
    weights = _check(result, "licence.weights")
    assert weights["passed"], weights
    assert "its licence Apache-2.0" in weights["detail"]
    assert result["base_model"]["path"] == str(repository / "snapshots" / "abc")


def test_a_licence_text_that_contradicts_the_card_is_a_disagreement(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", "license: apache-2.0\n", CC_BY_NC_TEXT)
    result = rate_folder(folder)
    weights = _check(result, "licence.weights")
    assert not weights["passed"] and "LICENSE holds CC-BY-NC-4.0" in weights["detail"]
    assert result["mof"]["class"] == 0


@pytest.mark.parametrize(
    ("opening", "licence"),
    [
        ("Attribution-ShareAlike 4.0 International\n\n=====", "CC-BY-SA-4.0"),
        ("Attribution-NonCommercial-ShareAlike 4.0 International", "CC-BY-NC-SA-4.0"),
        ("Attribution-NonCommercial-NoDerivatives 4.0 International", "CC-BY-NC-ND-4.0"),
        ("Attribution-NoDerivatives 4.0 International", "CC-BY-ND-4.0"),
        ("Attribution 4.0 International\n\n=====", "CC-BY-4.0"),
        ("Creative Commons Legal Code\n\nAttribution-NonCommercial 3.0 Unported", "CC-BY-NC-3.0"),
        ("Creative Commons Legal Code\n\nAttribution 3.0 Unported", "CC-BY-3.0"),
        ("Creative Commons Legal Code\n\nCC0 1.0 Universal", "CC0-1.0"),
        ("LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date", "llama2"),
        ("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date", "llama3.1"),
        ("LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date", "llama3.2"),
        ("Gemma Terms of Use\n\nLast modified: April 1, 2024", "gemma"),
        ("CreativeML Open RAIL-M\ndated August 22, 2022", "creativeml-openrail-m"),
        ("BigScience Open RAIL-M License\ndated August 18, 2022", "bigscience-openrail-m"),
        ("Open RAIL License\nResponsible AI License", "openrail"),
    ],
)
def test_weights_licences_are_known_by_their_title(opening: str, licence: str) -> None:
    assert likeliest_licence(opening + "\n\nSection 1 - Definitions.\n") == licence


def test_an_apache_text_that_cites_a_creative_commons_licence_later_stays_apache() -> None:
    text = APACHE_TEXT + "x " * 400 + "\nsee Attribution-NonCommercial 4.0 International\n"
    assert likeliest_licence(text) == "Apache-2.0"


def test_a_licence_file_that_is_not_recognised_is_said(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", "license: apache-2.0\n", "Our own terms. Use it kindly.\n")
    shown = invoke("openness", "rate", str(folder))
    assert (
        "✗ Lizenztext der Gewichte (licence.text): LICENSE nicht erkannt: prüfen Sie selbst"
    ) in shown.output
    result = rate_folder(folder)
    assert not _check(result, "licence.text")["passed"] and not result["open"]


def test_a_licence_that_asks_for_its_text_without_a_licence_file_is_flagged(
    tmp_path: Path,
) -> None:
    result = rate_folder(_model(tmp_path / "a", "license: apache-2.0\n", None))
    text = _check(result, "licence.text")
    assert not text["passed"] and "Apache-2.0" in text["detail"] and not result["open"]
    linked = rate_folder(_model(tmp_path / "c", "license: cc-by-4.0\n", None))
    assert "licence.text" not in {c["id"] for c in linked["checks"]}  # a link suffices


def test_license_other_is_said_as_no_standard_licence(tmp_path: Path) -> None:
    shown = invoke("openness", "rate", str(_model(tmp_path / "m", "license: other\n", None)))
    said = " ".join(shown.output.split())
    assert "README.md nennt keine Standardlizenz (license: other)" in said
    assert "LicenseRef" not in said


def _gguf(path: Path, licence: str) -> None:
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_license(licence)
    writer.add_tensor("token_embd.weight", np.ones((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_gguf_metadata_names_licence_and_architecture(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    folder.mkdir()
    _gguf(folder / "model.gguf", "CC-BY-SA-4.0")
    result = rate_folder(folder)
    assert result["licenses"]["weights"] == "CC-BY-SA-4.0"
    assert _check(result, "licence.weights")["evidence"] == "model.gguf"
    arch = next(c for c in result["mof"]["components"] if c["name"] == "Model architecture")
    assert arch["present"] and arch["evidence"] == ["model.gguf"] and "llama" in arch["detail"]


def test_a_card_and_gguf_metadata_that_disagree_fail(tmp_path: Path) -> None:
    folder = tmp_path / "g"
    folder.mkdir()
    _gguf(folder / "model.gguf", "CC-BY-NC-4.0")
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# x\n", "utf-8")
    weights = _check(rate_folder(folder), "licence.weights")
    assert not weights["passed"] and "model.gguf holds CC-BY-NC-4.0" in weights["detail"]


def test_the_osaid_gate_of_a_foreign_folder_cites_its_own_files(tmp_path: Path) -> None:
    result = rate_folder(_model(tmp_path / "m", "license: apache-2.0\n"))
    gate = _check(result, "osaid.gate")
    assert gate["evidence"] == "config.json, model.safetensors"


def test_an_adapter_whose_base_is_a_folder_beside_it_is_rated_with_that_base(
    tmp_path: Path,
) -> None:
    """PEFT writes a base loaded from a relative path as that path."""
    _model(tmp_path / "basis", "license: llama3\n", LLAMA3_TEXT)
    adapter = _adapter(tmp_path / "adapter", "basis")
    result = rate_folder(adapter)
    assert result["base_model"]["license_checked"], result["base_model"]
    assert result["licenses"]["weights"] == "Apache-2.0 AND llama3"


def test_a_base_given_that_is_another_model_is_refused(tmp_path: Path) -> None:
    """`--base` lends its licence: a folder of another architecture must not."""
    other = _model(tmp_path / "andere", "license: apache-2.0\n", hidden=32)
    folder = _model(tmp_path / "ft", f"license: apache-2.0\nbase_model: {BASE}\n")
    shown = invoke("openness", "rate", str(folder), "--base", str(other))
    assert shown.exit_code == 2, shown.output
    said = " ".join(shown.output.split())
    assert f"--base {other} ist ein anderes Modell" in said and "hidden_size 32 ≠ 16" in said
