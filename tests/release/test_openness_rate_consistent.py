"""`gemeingut openness rate` says one thing everywhere: a GPT-2 (`GPT2LMHeadModel`) is a causal
language model as transformers defines it, licence terms a folder states two ways count as open
in no rating, and a folder without a card is said to have none. German output quotes „…“."""

import json
from pathlib import Path

import pytest
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from gemeingut.release.openness.foreign import rate_folder
from tests.test_cli import invoke

pytestmark = pytest.mark.usefixtures("hub_offline")

APACHE_TEXT = (
    "                                 Apache License\n"
    "                           Version 2.0, January 2004\n"
    "                        http://www.apache.org/licenses/\n\n"
    "   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n"
)
DISAGREE = "README.md names MIT, but LICENSE holds Apache-2.0: they disagree"


def _gpt2(root: Path) -> Path:
    config = GPT2Config(n_embd=16, n_layer=1, n_head=2, vocab_size=64, n_positions=32)
    config.bos_token_id = config.eos_token_id = 0
    GPT2LMHeadModel(config).save_pretrained(root)
    return root


def _llama(root: Path) -> Path:
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(root)
    return root


def _card(folder: Path, licence: str) -> Path:
    (folder / "README.md").write_text(f"---\nlicense: {licence}\n---\n# tiny\n", "utf-8")
    return folder


def _fmti(result: dict) -> dict:
    return {row["indicator"]: row for row in result["fmti"]["indicators"]}


@pytest.mark.parametrize("make", [_gpt2, _llama], ids=["GPT2LMHeadModel", "LlamaForCausalLM"])
def test_a_causal_lm_of_transformers_has_text_in_and_out(tmp_path: Path, make) -> None:
    folder = _card(make(tmp_path / "m"), "apache-2.0")
    rows = _fmti(rate_folder(folder))
    for indicator in ("Input modality", "Output modality"):
        assert rows[indicator]["met"], rows[indicator]
        assert rows[indicator]["evidence"] == "config.json"
    said = " ".join(invoke("openness", "rate", str(folder)).output.split())
    assert "kausales Sprachmodell" not in said


@pytest.mark.parametrize("architecture", ["BertForMaskedLM", "MadeUpForCausalLM"])
def test_a_class_transformers_does_not_load_as_causal_lm_is_not_one(
    tmp_path: Path, architecture: str
) -> None:
    """Decided by transformers' table, not by the name's ending."""
    (tmp_path / "m").mkdir()
    folder = _card(tmp_path / "m", "apache-2.0")
    (folder / "config.json").write_text(f'{{"architectures": ["{architecture}"]}}', "utf-8")
    rows = _fmti(rate_folder(folder))
    assert not rows["Input modality"]["met"] and not rows["Output modality"]["met"]
    assert rows["Input modality"]["detail"] == "config.json names no causal language model"


def _disagreeing(tmp_path: Path) -> Path:
    folder = _card(_llama(tmp_path / "m"), "mit")
    (folder / "LICENSE").write_text(APACHE_TEXT, "utf-8")
    return folder


def test_terms_stated_two_ways_count_as_open_in_no_rating(tmp_path: Path) -> None:
    """MIT and Apache-2.0 are each open, but which one the publisher grants is unclear."""
    result = rate_folder(_disagreeing(tmp_path))
    weights = next(c for c in result["checks"] if c["id"] == "licence.weights")
    assert not weights["passed"] and weights["detail"].startswith(DISAGREE)
    assert result["mof"]["class"] == 0 and not result["mof"]["conditional"]
    rows = {c["name"]: c for c in result["mof"]["components"]}
    for name in ("Model parameters (Final)", "Model card"):
        assert rows[name]["present"] and not rows[name]["license_open"], rows[name]
        assert DISAGREE in rows[name]["detail"] and "approved" not in rows[name]["detail"]
    assert not result["osaid"]["requirements"]["parameters"]["passed"]
    index = result["osai_index"]
    for key in ("weights_endmodel", "weights_basemodel", "modelcard", "licenses"):
        assert index[key]["class"] != "open" and DISAGREE in index[key]["notes"], index[key]
    fmti = _fmti(result)
    for indicator in ("Full external model access", "Model License"):
        assert not fmti[indicator]["met"] and DISAGREE in fmti[indicator]["detail"]


def test_the_cli_says_the_unclear_terms_in_every_rating(tmp_path: Path) -> None:
    shown = invoke("openness", "rate", str(_disagreeing(tmp_path)))
    said = " ".join(shown.output.split())
    assert shown.exit_code == 0, shown.output
    assert "Model Openness Framework: nicht eingestuft" in said  # lower case after the colon
    assert "Klasse III – Open Model (bedingt" not in said
    assert "ist offen)" not in said and "von der OSI anerkannt)" not in said
    assert "nicht erfüllt: Modelllizenz: README.md nennt MIT, LICENSE enthält aber" in said


def test_a_folder_without_a_card_is_said_to_have_none(tmp_path: Path) -> None:
    folder = _llama(tmp_path / "m")
    rows = _fmti(rate_folder(folder))
    hardware = rows["Compute hardware"]
    assert not hardware["met"]
    assert hardware["detail"].startswith("there is no README.md in the folder")
    said = " ".join(invoke("openness", "rate", str(folder)).output.split())
    assert "README.md hat keinen Abschnitt" not in said
    assert "Rechenhardware: im Ordner liegt keine Datei README.md" in said


def test_german_output_quotes_the_german_way(tmp_path: Path) -> None:
    folder = _card(_llama(tmp_path / "m"), "apache-2.0")
    with (folder / "README.md").open("a", encoding="utf-8") as card:
        card.write("\n## Training data\n\nThe data is proprietary.\n")
    said = " ".join(invoke("openness", "rate", str(folder)).output.split())
    assert "der MOF-Beschreibung lautet „undisclosed“" in said
    assert "Abschnitt „Training data“ von README.md" in said
    assert "'" not in said.replace("'s", "")  # no English quotes left in German text
    english = rate_folder(folder)["mof"]["fields_missing"][0]["detail"]
    assert english.endswith("the MOF's producer is written as 'undisclosed'")


@pytest.mark.parametrize(
    ("task_type", "met", "detail"),
    [
        ("CAUSAL_LM", True, ""),
        ("SEQ_CLS", False, "adapter_config.json names no causal language model (task_type)"),
    ],
)
def test_a_peft_adapter_names_its_modality_in_its_adapter_config(
    tmp_path: Path, task_type: str, met: bool, detail: str
) -> None:
    """An adapter folder has no config.json: before, its text modalities were said missing
    because „config.json names no causal language model“, a file it does not have."""
    (tmp_path / "adapter").mkdir()
    folder = _card(tmp_path / "adapter", "apache-2.0")
    config = {"peft_type": "LORA", "task_type": task_type, "base_model_name_or_path": "org/base"}
    (folder / "adapter_config.json").write_text(json.dumps(config), "utf-8")
    rows = _fmti(rate_folder(folder))
    for indicator in ("Input modality", "Output modality"):
        assert rows[indicator]["met"] is met, rows[indicator]
        assert rows[indicator]["detail"] == detail
    assert rows["Input modality"]["evidence"] == ("adapter_config.json" if met else "")


def test_a_folder_without_config_json_is_said_to_have_none(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    rows = _fmti(rate_folder(_card(tmp_path / "m", "apache-2.0")))
    assert (
        rows["Input modality"]["detail"]
        == "no config.json in the folder that names the model's kind"
    )
