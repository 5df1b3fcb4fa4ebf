"""A base model's card and licence are read one way by `model finetune` and `openness rate`, and
its fingerprint counts the model's files, not the bookkeeping of the tool that downloaded it."""

import json
import shutil
from pathlib import Path

import pytest
from transformers import LlamaConfig, LlamaForCausalLM

from gemeingut.errors import InputError
from gemeingut.hashing import files_with_hashes, sha256_json
from gemeingut.model.base_model import (
    file_listing,
    inspect_base_model,
    listing_fingerprint,
    release_refusal,
)
from gemeingut.recipe import FinetuneSection
from gemeingut.release.finetune_bundle import write_base_evidence
from gemeingut.release.openness.foreign import rate_folder
from gemeingut.release.reproduce_finetune import reproduce_finetune
from gemeingut.stages import finetune_stage
from gemeingut.workspace import at

EUPL = "EUROPEAN UNION PUBLIC LICENCE v. 1.2\nEUPL © the European Union 2007, 2016\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder `inspect_base_model` accepts: config, weights and tokenizer files."""
    folder = tmp_path_factory.mktemp("base") / "tiny"
    sizes = {"vocab_size": 64, "hidden_size": 16, "intermediate_size": 32}
    sizes |= {"num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    LlamaForCausalLM(LlamaConfig(**sizes)).save_pretrained(folder)
    (folder / "tokenizer_config.json").write_text("{}", "utf-8")
    return folder


def _copy(model: Path, target: Path, card: str | bytes | None = None) -> Path:
    shutil.copytree(model, target)
    if isinstance(card, str):
        (target / "README.md").write_text(card, "utf-8")
    elif card is not None:
        (target / "README.md").write_bytes(card)
    return target


def test_a_list_of_licences_means_every_one_of_them_for_finetune_and_rating(
    model: Path, tmp_path: Path
) -> None:
    base = _copy(model, tmp_path / "m", "---\nlicense: [mit, cc-by-nc-4.0]\n---\n# m\n")
    facts = inspect_base_model(base)
    assert facts.license == "MIT AND CC-BY-NC-4.0"
    assert rate_folder(base)["licenses"]["weights"] == facts.license
    refusal = release_refusal(facts, "MIT")  # MIT alone would drop the NC terms
    assert refusal is not None and "CC-BY-NC-4.0" in str(refusal[0])
    with pytest.raises(InputError, match="verbietet die kommerzielle Nutzung"):
        finetune_stage(at(tmp_path / "out"), base, tmp_path, FinetuneSection(), "MIT")
    assert not (tmp_path / "out").exists()


def test_a_card_and_a_licence_file_that_disagree_are_refused_until_the_user_says(
    model: Path, tmp_path: Path
) -> None:
    base = _copy(model, tmp_path / "m", "---\nlicense: mit\n---\n# m\n")
    (base / "LICENSE").write_text(EUPL, "utf-8")
    with pytest.raises(InputError) as refused:
        inspect_base_model(base)
    said = str(refused.value)
    assert "nennt die Lizenz MIT" in said and "LICENSE enthält aber EUPL-1.2" in said
    assert "--base-license" in said
    stated = inspect_base_model(base, "EUPL-1.2")
    assert (stated.license, stated.license_source) == ("EUPL-1.2", "stated")
    (base / "LICENSE").write_text("Permission is hereby granted, free of charge, ...", "utf-8")
    assert inspect_base_model(base).license == "MIT"  # the same licence twice: no doubt


@pytest.mark.parametrize(
    ("card", "said"),
    [
        ("---\nlicense: apache-2.0\n---\n# Ü\n".encode("utf-16"), "sieht nach UTF-16 aus"),
        ("---\nlicense: mit\nmodel_name: Müller\n---\n".encode("latin-1"), "Zeile 3: Byte 0xfc"),
    ],
)
def test_a_card_that_is_not_utf8_is_said_by_finetune_and_rating_alike(
    model: Path, tmp_path: Path, card: bytes, said: str
) -> None:
    base = _copy(model, tmp_path / "m", card)
    with pytest.raises(InputError, match="ist nicht UTF-8") as finetuning:
        inspect_base_model(base)
    with pytest.raises(InputError, match="ist nicht UTF-8") as rating:
        rate_folder(base)
    assert str(finetuning.value) == str(rating.value)
    assert said in str(rating.value) and "als UTF-8" in str(rating.value)


def test_download_bookkeeping_is_no_part_of_the_fingerprint(model: Path, tmp_path: Path) -> None:
    plain = _copy(model, tmp_path / "plain", "---\nlicense: mit\n---\n")
    downloaded = _copy(plain, tmp_path / "downloaded")
    metadata = downloaded / ".cache" / "huggingface" / "download" / "model.safetensors.metadata"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("abc\n1765000000.1\n", "utf-8")
    (downloaded / ".cache" / "huggingface" / ".gitignore").write_text("*\n", "utf-8")
    (downloaded / ".gitattributes").write_text("*.safetensors filter=lfs\n", "utf-8")
    (downloaded / ".git").mkdir()
    (downloaded / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    assert sorted(file_listing(downloaded)) == sorted(file_listing(plain))
    assert inspect_base_model(downloaded).fingerprint == inspect_base_model(plain).fingerprint
    (downloaded / "tokenizer_config.json").write_text('{"changed": 1}', "utf-8")
    assert inspect_base_model(downloaded).fingerprint != inspect_base_model(plain).fingerprint


def test_a_bundle_listed_with_bookkeeping_files_is_still_checked_clearly(
    model: Path, tmp_path: Path
) -> None:
    """A fine-tune recorded before bookkeeping was left out: its own folder still matches; a
    fresh download (other bookkeeping) is refused with the reason, not as another model."""
    original = _copy(model, tmp_path / "original", "---\nlicense: mit\n---\n")
    metadata = original / ".cache" / "huggingface" / "download" / "model.safetensors.metadata"
    metadata.parent.mkdir(parents=True)
    metadata.write_text("first download\n", "utf-8")
    old = files_with_hashes(original, exclude=frozenset({".cache", ".git"}))  # as it listed
    assert any(rel.startswith(".cache/") for rel in old)
    fingerprint = "sha256:" + sha256_json(old)
    bundle = tmp_path / "bundle"
    write_base_evidence(original, bundle / "base-model", fingerprint)  # as it was recorded
    assert json.loads((bundle / "base-model" / "files.json").read_text()) == old
    (bundle / "training-metadata").mkdir()
    record = {"base_model": {"name": "tiny", "fingerprint": fingerprint}}
    (bundle / "training-metadata" / "finetune.json").write_text(json.dumps(record), "utf-8")
    fresh = _copy(original, tmp_path / "fresh")
    (fresh / metadata.relative_to(original)).write_text("second download\n", "utf-8")
    with pytest.raises(InputError, match="älteren gemeingut-Version") as refused:
        reproduce_finetune(bundle, {}, tmp_path / "again", fresh)
    assert ".cache/huggingface/download/model.safetensors.metadata" in str(refused.value)
    assert listing_fingerprint(file_listing(fresh)) != fingerprint


def test_a_card_saying_other_named_apache_binds_a_derivative_to_its_own_terms(
    model: Path, tmp_path: Path
) -> None:
    """`license: other` is not the Hub's apache-2.0, whatever its `license_name`: a fine-tune
    may not be released under Apache-2.0 as if it were."""
    card = "---\nlicense: other\nlicense_name: apache-2.0\n---\n# m\n"
    facts = inspect_base_model(_copy(model, tmp_path / "m", card))
    assert (facts.license, facts.license_source) == ("LicenseRef-apache-2.0", "card")
    refusal = release_refusal(facts, "Apache-2.0")
    assert refusal is not None and "keine uns bekannte offene Lizenz" in str(refusal[0])
    assert release_refusal(facts, "LicenseRef-apache-2.0") is None  # its own terms


def test_a_gemeingut_model_whose_files_changed_is_no_base_to_fine_tune(
    model: Path, tmp_path: Path
) -> None:
    """Its fingerprint, the artifact id, does not hash its weights: a fine-tune of a folder
    whose weights were swapped would record a model it was not made from."""
    from gemeingut.workspace import materialize

    def build(out: Path) -> dict:
        shutil.copytree(model, out, dirs_exist_ok=True)
        return {}

    own = materialize(tmp_path / "own", "model", {}, {"test": "own"}, build)[0]
    assert inspect_base_model(own.path).fingerprint == own.id
    (own.path / "model.safetensors").write_bytes(b"{}")
    (own.path / "notes.txt").write_text("neu", "utf-8")
    with pytest.raises(InputError) as refused:
        inspect_base_model(own.path)
    said = str(refused.value)
    assert "sind nicht die, die seine artifact.json festhält" in said
    assert "model.safetensors, notes.txt" in said and refused.value.hint
