"""A model fine-tuned from a foreign base is audited against the data it was fine-tuned on (in
its folder, and in its release bundle's training-data/finetuning/); `verify` draws the
memorisation sample again from the bundle. The base's pretraining data is unknown, and the
report says which data was checked."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from gemeingut.audit.bias import default_suite as default_pairs
from gemeingut.audit.finetuning_data import fine_tune_data, finetuning_files
from gemeingut.audit.subject import iter_documents, model_folder, training_files
from gemeingut.errors import VerifyError
from gemeingut.release.manifest import write_manifest
from gemeingut.release.verify import verify_bundle
from tests.model.tiny_models import make_model
from tests.release.test_finetune_release import release
from tests.test_cli import invoke

SMALL_MEMORISATION = ("--samples", "4", "--prefix-tokens", "4", "--continuation-tokens", "4")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Mistral-architecture base fine-tuned (merged) on chats, as `gemeingut finetune` does."""
    root = tmp_path_factory.mktemp("foreign")
    base = make_model(root / "base", model_type="mistral")
    card = "---\nlicense: apache-2.0\nmodel_name: Winzige Basis\n---\n# Winzige Basis\n"
    (base / "README.md").write_text(card, encoding="utf-8")
    data = root / "chats.jsonl"
    chats = (
        {
            "messages": [
                {"role": "user", "content": f"Wann hat das Bürgeramt am Tag {i} geöffnet?"},
                {"role": "assistant", "content": f"Am Tag {i} von 8 bis 12 Uhr."},
            ]
        }
        for i in range(20)
    )
    data.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in chats), "utf-8")
    out = root / "tuned"
    result = invoke(
        "model", "finetune", base, "--data", data, "--out", out, "--steps", "2",
        "--eval-every", "2", "--data-license", "CC0-1.0", "--merge", "--license", "Apache-2.0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _report(audit: Path) -> dict:
    return json.loads((audit / "report.json").read_text(encoding="utf-8"))


def _sources(report: dict) -> list[tuple[str, list[str], int]]:
    """Which training documents the report says the audit read: kind, files, documents."""
    said = report["training_data"]["sources"]
    return [(s["kind"], sorted(s["files"]), s["documents"]) for s in said]


def test_a_fine_tune_is_audited_against_its_own_data_and_verified_in_its_bundle(
    tuned: Path, tmp_path: Path
) -> None:
    audit = tmp_path / "audit"
    result = invoke("audit", "memorisation", tuned, "--out", audit, *SMALL_MEMORISATION)
    assert result.exit_code == 0, result.output
    report = _report(audit)
    assert _sources(report) == [("finetuning", ["chats.jsonl"], 18)]  # 2 of 20 held out
    assert report["memorisation"]["samples"] == 4
    log = (audit / "logs" / "memorisation.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["document"].split(":")[0] for line in log} == {"chats.jsonl"}
    german = (audit / "report.de.md").read_text(encoding="utf-8")
    assert "Trainingsdaten (Memorisierung, Überschneidung): die Daten der Feinabstimmung " in (
        german
    )
    assert "die Vortrainingsdaten des Basismodells sind nicht geprüft" in german
    english = (audit / "report.en.md").read_text(encoding="utf-8")
    assert "the fine-tuning data (1 file, 18 examples; chats and prompt/answer pairs" in english

    bundle = release(tmp_path, tuned, "--audit", audit)
    verify_bundle(bundle)  # the sample drawn again from training-data/finetuning/
    data = bundle / "training-data" / "finetuning" / "chats.jsonl"
    data.write_text(data.read_text("utf-8").replace("Wann hat", "Seit wann ist"), encoding="utf-8")
    write_manifest(bundle)
    with pytest.raises(VerifyError, match=r"audit/logs/memorisation\.jsonl:1: das Protokoll sagt"):
        verify_bundle(bundle)


def test_every_suite_runs_on_a_fine_tune_release_and_without_data_says_why(
    tuned: Path, tmp_path: Path
) -> None:
    bundle = release(tmp_path, tuned)
    pairs = tmp_path / "paare.jsonl"  # two shipped pairs: bias needs no training data
    shipped = (default_pairs() / "gender.jsonl").read_text(encoding="utf-8").splitlines()
    pairs.write_text("\n".join(shipped[:2]) + "\n", encoding="utf-8")
    config = tmp_path / "audit.toml"
    config.write_text(
        'suites = ["bias", "memorisation"]\n[bias]\nsuite = "paare.jsonl"\n'
        "[memorisation]\nsamples = 2\nprefix_tokens = 4\ncontinuation_tokens = 4\n",
        encoding="utf-8",
    )
    audit = tmp_path / "audit"
    result = invoke("audit", "run", bundle.parent, "--out", audit, "--config", config)
    assert result.exit_code == 0, result.output
    report = _report(audit)
    assert report["bias"]["all"]["n"] == 2
    assert _sources(report) == [("finetuning", ["chats.jsonl"], 18)]
    assert report["memorisation"]["samples"] == 2

    bare = tmp_path / "bare"  # a bundle that holds no training documents at all
    shutil.copytree(bundle, bare)
    shutil.rmtree(bare / "training-data" / "finetuning")
    assert model_folder(bare, None, None).training_files == ()
    audit = tmp_path / "bare-audit"
    alone = invoke("audit", "memorisation", bare, "--out", audit, "--samples", "1")
    assert alone.exit_code == 2, alone.output  # the suite alone would check nothing: refused
    assert "Trainingsdokumente von bare sind nicht bekannt" in " ".join(alone.output.split())
    memorisation = tmp_path / "memorisation.toml"
    memorisation.write_text('suites = ["memorisation"]\n[memorisation]\nsamples = 1\n', "utf-8")
    result = invoke("audit", "run", bare, "--out", audit, "--config", memorisation)
    assert result.exit_code == 0, result.output  # among the suites of a run: said not checked
    assert _report(audit)["memorisation"]["not_run"] == "training_unknown"
    german = (audit / "report.de.md").read_text(encoding="utf-8")
    assert "Nicht geprüft: die Trainingsdaten des Modells sind unbekannt (--training-data)." in (
        german
    )
    assert "- Trainingsdaten (Memorisierung, Überschneidung): unbekannt (--training-data)" in (
        german
    )
    english = (audit / "report.en.md").read_text(encoding="utf-8")
    assert "Not checked: the model's training documents are not known (--training-data)." in (
        english
    )
    assert "not checked: not checked" not in english.lower() + german.lower()


def test_plain_text_and_chat_fine_tuning_data_are_read_alike_in_a_folder_and_a_bundle(
    tmp_path: Path,
) -> None:
    folder, bundle = tmp_path / "ft", tmp_path / "bundle"
    for data in (folder / "data", bundle / "training-data" / "finetuning"):
        (data / "texte" / "amt").mkdir(parents=True)
        (data / "texte" / "bescheid.md").write_text("# Bescheid\n\nText A", encoding="utf-8")
        (data / "texte" / "amt" / "hinweis.TXT").write_text("Text B", encoding="utf-8")
        (data / "texte" / "bild.png").write_bytes(b"\x89PNG")
        (data / "validation").mkdir()  # held out: never trained on
        (data / "validation" / "probe.md").write_text("zurückgehalten", encoding="utf-8")
    (folder / "finetune.json").write_text("{}", encoding="utf-8")
    found = fine_tune_data(folder)
    assert found is not None
    from_folder = [(d["id"], d["text"]) for d in iter_documents(finetuning_files(found))]
    from_bundle = [
        (d["id"], d["text"]) for d in iter_documents(training_files(bundle / "training-data"))
    ]
    expected = [("amt/hinweis.TXT", "Text B"), ("bescheid.md", "# Bescheid\n\nText A")]
    assert from_folder == from_bundle == expected

    records = [
        {
            "messages": [
                {"role": "user", "content": "Frage?"},
                {"role": "assistant", "content": "Ja."},
            ]
        },
        {"prompt": "Frage:", "completion": " Antwort."},
        {"instruction": "Fasse zusammen.", "input": "Langer Text", "output": "Kurz."},
        {"text": "Ein Dokument.", "id": "doc-1"},
    ]
    packed = tmp_path / "beispiele.jsonl.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    documents = list(iter_documents(training_files(packed)))
    assert [d["text"] for d in documents] == [
        "Frage?\n\nJa.",
        "Frage: Antwort.",
        "Fasse zusammen.\n\nLanger TextKurz.",
        "Ein Dokument.",
    ]
    assert [d["id"] for d in documents] == [
        "beispiele.jsonl.gz:1",
        "beispiele.jsonl.gz:2",
        "beispiele.jsonl.gz:3",
        "doc-1",
    ]


def test_a_record_with_several_formats_is_checked_by_what_the_fine_tune_trained_on() -> None:
    """`finetune` trains on a record's chat before its `text` (`parse_record`): memorisation
    must check the same words."""
    from gemeingut.audit.finetuning_data import record_text
    from gemeingut.model.finetune_data import parse_record

    chat = [{"role": "user", "content": "Frage?"}, {"role": "assistant", "content": "Ja."}]
    record = {"text": "Zusammenfassung", "messages": chat}
    assert parse_record(record, "x").kind == "chat"
    assert record_text(record, "x") == "Frage?\n\nJa."
    pair = {"text": "Zusammenfassung", "prompt": "Frage:", "completion": " Antwort."}
    assert record_text(pair, "x") == "Frage: Antwort."


def test_a_folder_of_texts_named_as_training_data_is_read(tmp_path: Path) -> None:
    """`--training-data` on a folder of .txt/.md files (what `finetune --data` takes) reads them,
    not the error that it holds no .txt or .md files."""
    (tmp_path / "amt").mkdir()
    (tmp_path / "brief.txt").write_text("Text A", encoding="utf-8")
    (tmp_path / "amt" / "hinweis.md").write_text("Text B", encoding="utf-8")
    documents = [(d["id"], d["text"]) for d in iter_documents(training_files(tmp_path))]
    assert documents == [("amt/hinweis.md", "Text B"), ("brief.txt", "Text A")]
