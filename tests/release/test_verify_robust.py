"""A tampered bundle, however malformed, is a problem named with its file (exit 1), never a
traceback nor a mistake in the call (exit 2); verify reads only the files its MANIFEST lists."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gemeingut.errors import InputError, VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import MANIFEST, SIGNATURE, read_manifest, write_manifest
from gemeingut.release.signing import create_key, fingerprint, sign_bundle
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_numbers import training_problems
from tests.release.test_finetune_release import base_folder, fine_tune, release
from tests.test_cli import invoke


def _failure(bundle: Path) -> str:
    """verify's message after the MANIFEST is re-hashed (an unsigned tampering)."""
    write_manifest(bundle)
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    return text(caught.value.message)


def _edit_json(path: Path, edit: Any) -> None:
    value = json.loads(path.read_text(encoding="utf-8"))
    edit(value)
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tuned_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tuned")
    return release(root, fine_tune(root, base_folder(root), "--merge", "--license", "Apache-2.0"))


@pytest.fixture
def finetune(tuned_bundle: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(tuned_bundle, copy)
    return copy


def test_a_base_card_that_is_not_utf8_fails_the_bundle_not_the_call(finetune: Path) -> None:
    (finetune / "base-model" / "README.md").write_bytes(b"---\nlicense: \xff\xfe\n---\n")
    write_manifest(finetune)
    result = invoke("verify", finetune, "--json")
    assert result.exit_code == 1, result.output
    record = json.loads(result.stdout)
    assert record["ok"] is False and record["bundle"] == str(finetune)
    assert any("README.md" in p["detail"] for p in record["problems"]), record["problems"]
    assert "Traceback" not in result.output


def test_a_base_config_that_is_not_an_object_is_named(finetune: Path) -> None:
    (finetune / "base-model" / "config.json").write_text("[1, 2]\n", encoding="utf-8")
    assert "base-model/config.json enthält kein JSON-Objekt" in _failure(finetune)


def test_an_absolute_base_path_in_a_bundle_s_record_is_a_name_only(finetune: Path) -> None:
    """A path of the building machine in finetune.json: the GGUF check neither reads that
    folder nor imports torch to describe it."""
    record = finetune / "training-metadata" / "finetune.json"
    _edit_json(record, lambda r: r["base_model"].update(path=str(finetune / "model")))
    code = (
        "import sys; from pathlib import Path\n"
        "from gemeingut.model.export import plan_export\n"
        f"plan_export(Path({str(finetune / 'model')!r}), 'f32', 'x', 'MIT', "
        f"Path({str(record)!r}), names_only=True)\n"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_malformed_json_is_named_once_with_its_file_line_and_column(bundle: Path) -> None:
    (bundle / "training-metadata" / "evaluation.json").write_text("{\n  oops\n", encoding="utf-8")
    said = _failure(bundle)
    named = "training-metadata/evaluation.json lässt sich nicht lesen: kein gültiges JSON"
    assert said.count(named) == 1 and "(Zeile 2, Spalte 3)" in said, said
    assert "JSONDecodeError" not in said and "Expecting" not in said


def test_a_record_that_is_not_utf8_or_nested_too_deeply_is_named(bundle: Path) -> None:
    (bundle / "training-metadata" / "evaluation.json").write_bytes(b'{"split": "\xff"}')
    (bundle / "training-metadata" / "training.json").write_text("[" * 100_000, encoding="utf-8")
    said = _failure(bundle)
    assert (
        "training-metadata/evaluation.json lässt sich nicht lesen: kein UTF-8-Text (Byte 11)"
        in said
    )
    assert "training-metadata/training.json lässt sich nicht lesen: zu tief verschachtelt" in said


def test_a_loss_too_large_for_exp_is_named_not_a_traceback(bundle: Path) -> None:
    _edit_json(bundle / "training-metadata" / "evaluation.json", lambda r: r.update(loss=1000.0))
    said = _failure(bundle)
    assert "training-metadata/evaluation.json: perplexity ist" in said, said
    assert "OverflowError" not in said


def test_a_field_removed_is_named_in_german_with_its_file(bundle: Path) -> None:
    _edit_json(bundle / "training-metadata" / "evaluation.json", lambda r: r.pop("loss"))
    said = _failure(bundle)
    assert "das Feld 'loss' fehlt" in said, said
    assert "KeyError" not in said


def test_a_signature_that_is_not_utf8_is_not_called_a_bad_payload(bundle: Path) -> None:
    (bundle / SIGNATURE).write_bytes(b'{"dsseEnvelope": "\xff"}')
    with pytest.raises(VerifyError) as caught:
        verify_bundle(bundle)
    said = text(caught.value.message)
    assert "bundle.sig lässt sich nicht lesen: kein UTF-8-Text" in said, said
    assert "base64" not in said


def test_json_says_a_valid_signature_though_another_file_fails(
    bundle: Path, tmp_path: Path
) -> None:
    key = create_key("amt", tmp_path / "keys")
    sign_bundle(bundle, key.private)
    (bundle / "NOTICE").write_text("changed\n", encoding="utf-8")
    result = invoke("verify", bundle, "--key", key.public, "--json")
    assert result.exit_code == 1, result.output
    signature = json.loads(result.stdout)["signature"]
    assert signature["present"] is True and signature["checked"] is True
    assert signature["valid"] is True and signature["key"] == fingerprint(key.public)


def test_a_damaged_manifest_fails_with_exit_1_and_names_the_located_bundle(bundle: Path) -> None:
    (bundle / MANIFEST).write_bytes(b"\xff\xfe  README.md\n")
    result = invoke("verify", bundle / "..", "--json")
    assert result.exit_code in (1, 2)  # the parent is no bundle: a wrong call
    result = invoke("verify", bundle, "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["bundle"] == str(bundle)


def test_rerun_on_a_bundle_without_a_bias_audit_is_a_wrong_call(bundle: Path) -> None:
    (bundle / "audit" / "logs" / "bias.jsonl").unlink()
    (bundle / "training-metadata" / "evaluation.json").unlink()  # else --rerun re-scores it
    (bundle / "audit" / "logs" / "tasks.jsonl").unlink()  # and re-runs the task items
    result = invoke("verify", bundle, "--rerun", "2")
    assert result.exit_code == 2, result.output
    assert "keinen Bias-Audit" in result.stderr or "bias.jsonl" in result.stderr


def test_seed_without_rerun_is_a_wrong_call(bundle: Path) -> None:
    result = invoke("verify", bundle, "--seed", "3")
    assert result.exit_code == 2, result.output
    assert "--seed wählt die Stichprobe von --rerun" in result.stderr


def test_the_json_record_of_a_rerun_names_its_seed_and_count(bundle: Path) -> None:
    result = invoke("verify", bundle, "--rerun", "2", "--seed", "5", "--json")
    assert result.exit_code == 0, result.output
    rerun = json.loads(result.stdout)["rerun"]
    assert rerun["seed"] == 5 and rerun["checked"] == 2 and rerun["total"] > 2


def test_a_steps_file_outside_the_bundle_is_refused(bundle: Path) -> None:
    _edit_json(
        bundle / "training-metadata" / "training.json",
        lambda r: r["data_order"].update(steps_file="../../../../etc/hostname"),
    )
    said = _failure(bundle)
    assert (
        "training-metadata/training.json: data_order.steps_file nennt „../../../../etc/hostname“, "
        "das keine Datei im MANIFEST des Pakets ist"
    ) in said, said


def test_a_run_resumed_with_another_global_batch_passes(bundle: Path) -> None:
    """Steps 1–10 with the first batch, the rest (after resuming) with half of it: tokens seen
    are the windows taken × seq_len, and the recorded batch is the resumed run's."""
    meta = bundle / "training-metadata"
    training = json.loads((meta / "training.json").read_text(encoding="utf-8"))
    seq_len = training["training"]["seq_len"]
    order = meta / training["data_order"]["steps_file"]
    steps = [json.loads(line) for line in order.read_text(encoding="utf-8").splitlines()]
    half = training["batch"]["global_batch"] // 2
    for step in steps[10:]:
        step["windows"] = step["windows"][:half]
    order.write_text("".join(json.dumps(s) + "\n" for s in steps), encoding="utf-8")
    seen = sum(len(s["windows"]) for s in steps) * seq_len
    training["batch"].update(global_batch=half, tokens_per_step=half * seq_len)
    training["stats"].update(
        resumed_from_step=10, tokens_seen=seen, flops_6nd=6 * training["stats"]["parameters"] * seen
    )
    training["flops"]["flops_6nd"] = training["stats"]["flops_6nd"]
    (meta / "training.json").write_text(json.dumps(training), encoding="utf-8")
    log = meta / "training_log.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for record in records:
        if "tokens_seen" in record:
            record["tokens_seen"] = seen
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    lineage = json.loads((meta / "lineage.json").read_text(encoding="utf-8"))
    lineage["model"]["stats"] = training["stats"]
    (meta / "lineage.json").write_text(json.dumps(lineage), encoding="utf-8")
    write_manifest(bundle)
    listed = read_manifest(bundle)
    assert training_problems(bundle, listed) == []
    steps[-1]["windows"] = steps[-1]["windows"] * 2  # a step after resuming with another batch
    order.write_text("".join(json.dumps(s) + "\n" for s in steps), encoding="utf-8")
    said = [text(p) for p in training_problems(bundle, listed)]
    assert any("batch.global_batch" in p for p in said), said


def test_test_documents_and_bytes_are_recounted(bundle: Path) -> None:
    _edit_json(
        bundle / "training-metadata" / "evaluation.json",
        lambda r: r.update(bytes=r["bytes"] + 1),
    )
    said = _failure(bundle)
    assert "training-metadata/evaluation.json: bytes ist" in said, said


def test_a_gguf_release_without_a_name_names_the_field(bundle: Path) -> None:
    _edit_json(bundle / "release.json", lambda r: r.pop("name"))
    said = _failure(bundle)
    assert "model/model.gguf lässt sich nicht prüfen: release.json gibt kein name an" in said, said


def test_a_key_s_fingerprint_is_the_sha256_of_its_pub_file_as_the_readme_says(
    tmp_path: Path,
) -> None:
    import hashlib

    key = create_key("amt", tmp_path / "keys")
    digest = hashlib.sha256(key.public.read_bytes()).hexdigest()  # `sha256sum amt.pub`
    assert fingerprint(key.public) == f"SHA256:{digest}"
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`sha256sum release-2026.pub`" in readme and "`SHA256:`" in readme


def test_a_tokenizer_that_cannot_be_read_is_said_in_german(tmp_path: Path) -> None:
    """The test tokens are recounted with the bundle's tokenizer: a broken one is named in
    words, not as a parser's English exception."""
    from gemeingut.release.verify_numbers import _test_tokens

    broken = tmp_path / "b"
    (broken / "model").mkdir(parents=True)
    (broken / "model" / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"lässt sich nicht als Tokenizer lesen"):
        _test_tokens(broken, ["Hallo"])
