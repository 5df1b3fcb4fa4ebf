"""What `verify` and the ratings of a fine-tune say is what the files show, said the way a reader
reads it: a card's changed loss names the card's figure and the log's; changed weights in an
unsigned bundle are named by the lineage's sha256 before the documents that then disagree; a
Hub id the publisher stated at release (`--base-hub-id`, not checked) is said to be unchecked
in the European Open Source AI Index and gives the GGUF no URL. One adapter, released once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import gguf
import pytest
import yaml

from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_losses import loss_problems
from tests.release.test_finetune_release import base_folder, fine_tune, release
from tests.test_cli import invoke

HUB_ID = "gemeingut-test/nirgends-geprueft"
WEIGHTS = "model/adapter_model.safetensors"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A LoRA adapter of a foreign base, released under a Hub id nobody checked."""
    root = tmp_path_factory.mktemp("stated")
    base = base_folder(root)
    tuned = fine_tune(root, base, "--license", "Apache-2.0")
    return {"base": base, "bundle": release(root, tuned, "--base-hub-id", HUB_ID)}


def _copy(bundle: Path, to: Path) -> Path:
    shutil.copytree(bundle, to)
    (to / "bundle.sig").unlink(missing_ok=True)
    return to


def _problems(bundle: Path) -> list[str]:
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    return [text(problem, "de") for problem in failed.value.failure.problems]


def test_the_fresh_release_passes(adapter: dict[str, Path]) -> None:
    verify_bundle(adapter["bundle"])


def test_a_changed_loss_names_what_the_card_says_and_what_the_log_says(
    adapter: dict[str, Path], tmp_path: Path
) -> None:
    bundle = _copy(adapter["bundle"], tmp_path / "b")
    card = (bundle / "README.md").read_text(encoding="utf-8")
    said = re.search(r"auf (\d+),(\d{4}) danach", card)
    assert said is not None, card
    logged = f"{said[1]},{said[2]}"
    changed = f"{int(said[1]) + 1},{said[2]}"
    card = card.replace(said[0], f"auf {changed} danach")
    (bundle / "README.md").write_text(card, encoding="utf-8")
    write_manifest(bundle)
    first = re.search(r"von (\d+,\d{4}) vor", card)[1]  # type: ignore[index]
    problems = loss_problems(bundle, card, "de")
    assert [text(p, "de") for p in problems] == [
        f"README.md gibt die Validierungsverluste mit {first} → {changed} an, doch "
        f"training-metadata/finetune_log.jsonl verzeichnet {first} → {logged}"
    ]
    english = text(problems[0], "en")
    assert f"as {first.replace(',', '.')} → {changed.replace(',', '.')}, but" in english


def test_changed_weights_are_named_first_by_the_lineages_sha256(
    adapter: dict[str, Path], tmp_path: Path
) -> None:
    bundle = _copy(adapter["bundle"], tmp_path / "b")
    weights = bytearray((bundle / WEIGHTS).read_bytes())
    weights[-1] ^= 0xFF  # a byte of the last tensor's data
    (bundle / WEIGHTS).write_bytes(bytes(weights))
    write_manifest(bundle)
    problems = _problems(bundle)
    assert problems[0].startswith(f"{WEIGHTS}: sha256 "), problems
    assert "doch training-metadata/lineage.json verzeichnet" in problems[0]
    assert "für die Gewichte der Feinabstimmung" in problems[0]
    assert any(p.startswith("bom.cdx.json weicht") for p in problems[1:]), problems


def test_an_unchecked_hub_id_is_said_so_in_the_index_and_gives_no_url(
    adapter: dict[str, Path], tmp_path: Path
) -> None:
    bundle = adapter["bundle"]
    grades = yaml.safe_load((bundle / "osai-index.yaml").read_text(encoding="utf-8"))
    said = " ".join(grades["weights_basemodel"]["notes_de"].split())
    assert f"die Hub-ID {HUB_ID}, unter der sein Anbieter sie veröffentlichen würde" in said
    assert "nicht geprüft" in said and "sein Anbieter veröffentlicht sie" not in said
    out = tmp_path / "model.gguf"
    exported = invoke("model", "export", bundle / "model", "--base", adapter["base"], "--out", out)
    assert exported.exit_code == 0, exported.output
    fields = gguf.GGUFReader(out).fields
    assert fields["general.base_model.0.organization"].contents() == "Gemeingut Test"
    assert "general.base_model.0.repo_url" not in fields
