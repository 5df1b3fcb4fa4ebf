"""`verify` computes again what a bundle's records and GGUF state, so a tampering that is
re-hashed into the MANIFEST (unsigned) is named: the file, the value, what the files give."""

import json
import math
from pathlib import Path
from typing import Any

import gguf
import pytest

from gemeingut.errors import VerifyError
from gemeingut.release.manifest import MANIFEST, write_manifest
from gemeingut.release.openness.check_names import check_said
from gemeingut.release.verify import verify_bundle

GGUF = "model/model.gguf"


def _failure(bundle: Path) -> str:
    """verify's message after the MANIFEST is re-hashed (an unsigned tampering)."""
    write_manifest(bundle)
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    return str(caught.value)


def _edit_json(path: Path, edit: Any) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    edit(value)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def test_an_untouched_bundle_passes_every_recomputation(bundle: Path) -> None:
    assert verify_bundle(bundle).rating is not None


def test_a_licence_changed_inside_the_gguf_is_named_with_the_release_s(bundle: Path) -> None:
    data = (bundle / GGUF).read_bytes()
    assert data.count(b"Apache-2.0") == 1
    (bundle / GGUF).write_bytes(data.replace(b"Apache-2.0", b"CC-BY-NC-4"))
    message = _failure(bundle)
    assert (
        "model/model.gguf: der Schlüssel general.license ist „CC-BY-NC-4“; die "
        "Veröffentlichung ergibt „Apache-2.0“" in message
    )


def test_one_flipped_bit_in_a_gguf_tensor_is_named_with_its_source(bundle: Path) -> None:
    reader = gguf.GGUFReader(bundle / GGUF)
    last = reader.tensors[-1]
    data = bytearray((bundle / GGUF).read_bytes())
    data[last.data_offset] ^= 0x01  # the lowest bit of one number
    (bundle / GGUF).write_bytes(bytes(data))
    message = _failure(bundle)
    assert f"model/model.gguf: der Tensor {last.name} weicht von " in message
    assert "in model/*.safetensors ab" in message


def test_tokens_seen_edited_in_every_record_is_recomputed_from_the_data_order(
    bundle: Path,
) -> None:
    training = json.loads((bundle / "training-metadata/training.json").read_text())
    seen = training["stats"]["tokens_seen"]

    def tenfold(stats: dict[str, Any]) -> None:
        stats["tokens_seen"] = seen * 10

    _edit_json(bundle / "training-metadata/training.json", lambda r: tenfold(r["stats"]))
    _edit_json(bundle / "training-metadata/lineage.json", lambda r: tenfold(r["model"]["stats"]))
    message = _failure(bundle)
    assert (
        f"training-metadata/training.json: stats.tokens_seen ist {seen * 10}, die Dateien "
        f"ergeben {seen} ({training['training']['steps']} Schritte in "
        "training-metadata/data_order/steps.jsonl" in message
    )


def test_test_tokens_edited_are_recounted_with_the_bundle_s_tokenizer(bundle: Path) -> None:
    evaluation = json.loads((bundle / "training-metadata/evaluation.json").read_text())

    def edit(results: dict[str, Any]) -> None:
        results["tokens"] = 9999

    _edit_json(bundle / "training-metadata/evaluation.json", edit)
    _edit_json(bundle / "training-metadata/lineage.json", lambda r: edit(r["evaluation"]["stats"]))
    message = _failure(bundle)
    assert (
        f"training-metadata/evaluation.json: tokens ist 9999, die Dateien ergeben "
        f"{evaluation['tokens']} (die Test-Shards, tokenisiert mit model/tokenizer.json)" in message
    )


def test_perplexity_and_loss_edited_together_leave_bits_per_byte_inconsistent(
    bundle: Path,
) -> None:
    def edit(results: dict[str, Any]) -> None:
        results["loss"] = 2.5
        results["perplexity"] = math.exp(2.5)

    _edit_json(bundle / "training-metadata/evaluation.json", edit)
    _edit_json(bundle / "training-metadata/lineage.json", lambda r: edit(r["evaluation"]["stats"]))
    message = _failure(bundle)
    assert "training-metadata/evaluation.json: bits_per_byte ist " in message
    assert "(loss × tokens / (bytes × ln 2))" in message
    assert "perplexity ist" not in message  # that one is exp(loss), as it should be


def test_a_perplexity_that_is_not_exp_of_the_loss_is_named(bundle: Path) -> None:
    _edit_json(bundle / "training-metadata/evaluation.json", lambda r: r.update(perplexity=12.5))
    message = _failure(bundle)
    assert "training-metadata/evaluation.json: perplexity ist 12.5, die Dateien ergeben" in message
    assert "(exp(loss))" in message


def test_a_checkpoint_deleted_with_its_manifest_line_is_named(bundle: Path) -> None:
    folder = bundle / "training-metadata" / "checkpoints"
    first = sorted(folder.glob("*.safetensors"))[0]
    first.unlink()
    lines = (bundle / MANIFEST).read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.rstrip("\n").endswith(first.name)]
    (bundle / MANIFEST).write_text("".join(kept), encoding="utf-8")
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    assert (
        f"training-metadata/training.json verzeichnet den Checkpoint {first.name}, aber er fehlt "
        "in training-metadata/checkpoints/" in str(caught.value)
    )


def test_a_check_removed_from_openness_json_is_named(bundle: Path) -> None:
    rating = json.loads((bundle / "openness.json").read_text())
    removed = rating["checks"][-1]["id"]
    _edit_json(bundle / "openness.json", lambda r: r["checks"].pop())
    message = _failure(bundle)
    assert f"openness.json: die Prüfung {check_said(removed)} fehlt; die Dateien ergeben" in message


def test_unknown_keys_added_to_openness_json_are_named(bundle: Path) -> None:
    def add(rating: dict[str, Any]) -> None:
        rating["verified_by"] = "ACME"
        rating["checks"][0]["note"] = "geprüft"

    _edit_json(bundle / "openness.json", add)
    message = _failure(bundle)
    assert "openness.json: den Schlüssel „verified_by“ hat die Bewertung der Dateien nicht" in (
        message
    )
    assert "hat den Schlüssel „note“, den die Dateien nicht ergeben" in message
