"""A release's licence is judged with the list for what it licenses: the weights' licence as the
rating judges weights (Open-Definition-conformant or OSI-approved, each part of an AND either
way: `release/openness/licences.py`), never by the list of licences data may enter the corpus
under. So EUPL-1.2 or MPL-2.0 weights are open for a source's `open-model-only` condition and
for the base model's licence, and a base under an OSI-approved permissive licence (ISC,
MulanPSL-2.0) lets its fine-tune be released under another open licence; a refusal still names
the conflicting source or licence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.data.use_conditions import ReleaseTerms, violations
from gemeingut.errors import InputError
from gemeingut.model.base_model import inspect_base_model, release_refusal
from gemeingut.recipe import FinetuneSection, ReleaseSection
from gemeingut.stages import finetune_stage, release_stage
from gemeingut.workspace import Artifact, at, load_artifact

OPEN_MODEL_ONLY = {"gesetze": ["open-model-only"], "notes": []}


@pytest.mark.parametrize("licence", ["EUPL-1.2", "MPL-2.0", "Apache-2.0 AND EUPL-1.2"])
def test_an_osi_approved_model_licence_keeps_an_open_model_only_condition(licence: str) -> None:
    assert violations(OPEN_MODEL_ONLY, ReleaseTerms(licence, commercial_use=True)) == []


def test_a_closed_model_licence_breaks_it_and_the_source_is_named() -> None:
    broken = violations(OPEN_MODEL_ONLY, ReleaseTerms("CC-BY-NC-4.0", commercial_use=False))
    assert len(broken) == 1
    assert "'gesetze'" in broken[0] and "'CC-BY-NC-4.0'" in broken[0]
    assert "forbids commercial use" in broken[0]  # why it is not open


def _with_conditions(dataset: Artifact) -> Artifact:
    """The tiny build's dataset as curated from a source that asks for an open model."""
    stats = {**dataset.stats, "use_conditions": OPEN_MODEL_ONLY}
    return Artifact(dataset.path, {**dataset.meta, "stats": stats})


def _artifacts(tiny_build) -> dict[str, Artifact]:
    kinds = {"dataset": "dataset", "tokenizer": "tokenizer", "model": "model"}
    kinds |= {"evaluation": "evaluation", "finetune": "model"}  # the fine-tuned model released
    found = {k: load_artifact(Path(tiny_build[k]["path"]), kind) for k, kind in kinds.items()}
    return {**found, "dataset": _with_conditions(found["dataset"])}


def test_the_release_stage_builds_eupl_weights_over_an_open_model_only_source(
    tiny_build, tmp_path: Path
) -> None:
    section = ReleaseSection(model_name="winzig", license="EUPL-1.2")
    artifact, _ = release_stage(at(tmp_path / "eupl"), section, None, _artifacts(tiny_build))
    assert (artifact.path / "bundle" / "MANIFEST").is_file()


def test_the_release_stage_refuses_nc_weights_naming_the_source(tiny_build, tmp_path: Path) -> None:
    section = ReleaseSection(model_name="winzig", license="CC-BY-NC-4.0", commercial_use=False)
    with pytest.raises(InputError) as refused:
        release_stage(at(tmp_path / "nc"), section, None, _artifacts(tiny_build))
    said = str(refused.value)  # German, as everything a person reads by default
    assert "die Quelle „gesetze“ verlangt eine offene Lizenz des Modells" in said, said
    assert "„CC-BY-NC-4.0“ (CC-BY-NC-4.0 verbietet die kommerzielle Nutzung" in said
    assert not (tmp_path / "nc").exists()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder `inspect_base_model` accepts: config, weights and tokenizer files."""
    folder = tmp_path_factory.mktemp("base") / "tiny"
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(folder)
    (folder / "tokenizer_config.json").write_text("{}", "utf-8")
    return folder


def _base(model: Path, target: Path, licence: str) -> Path:
    shutil.copytree(model, target)
    (target / "README.md").write_text(f"---\nlicense: {licence}\n---\n# m\n", "utf-8")
    return target


def test_a_fine_tune_of_an_nc_base_under_eupl_is_refused_for_the_nc_terms(
    model: Path, tmp_path: Path
) -> None:
    """EUPL-1.2 is an open licence for weights: the refusal says that no open licence lifts
    the base's ban on commercial use, not that EUPL-1.2 is no licence we know."""
    base = _base(model, tmp_path / "m", "cc-by-nc-4.0")
    with pytest.raises(InputError) as refused:
        finetune_stage(at(tmp_path / "out"), base, tmp_path, FinetuneSection(), "EUPL-1.2")
    said = str(refused.value)
    assert "CC-BY-NC-4.0, verbietet die kommerzielle Nutzung" in said, said
    assert "offenen Lizenz wie EUPL-1.2" in said
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("licence", "spdx"), [("isc", "ISC"), ("mulanpsl-2.0", "MulanPSL-2.0")])
def test_a_base_under_an_osi_approved_permissive_licence_allows_another_open_licence(
    model: Path, tmp_path: Path, licence: str, spdx: str
) -> None:
    facts = inspect_base_model(_base(model, tmp_path / "m", licence))
    assert facts.license == spdx
    assert release_refusal(facts, "Apache-2.0") is None


@pytest.mark.parametrize("licence", ["epl-2.0", "gpl-3.0-only", "isc AND epl-2.0"])
def test_a_base_under_an_osi_approved_copyleft_licence_binds_its_fine_tune(
    model: Path, tmp_path: Path, licence: str
) -> None:
    facts = inspect_base_model(_base(model, tmp_path / "m", licence))
    refusal = release_refusal(facts, "MIT")
    assert refusal is not None and "ist Share-alike" in str(refusal[0]), refusal
    assert release_refusal(facts, facts.license) is None  # under its own terms
