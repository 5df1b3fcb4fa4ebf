"""`verify` judges the audit's logged answers and continuations again, with the audit's own
detectors, sampler, PII counter and span tracer and the settings its lineage records: a verdict
that does not follow from what the log holds is named with its file and line."""

import json
from pathlib import Path

from tokenizers import Tokenizer

from gemeingut.audit.redteam import planted_values, read_probes
from tests.release.test_verify_audit import _problems, _records, _unsigned, _write

REDTEAM = "audit/logs/redteam.jsonl"
MEMORISATION = "audit/logs/memorisation.jsonl"
BAIT = "audit/logs/pii.jsonl"


def _line(records: list[dict], detector: str) -> int:
    return next(i for i, r in enumerate(records) if r["detector"] == detector)


def _rewrite(bundle: Path, log: str, records: list[dict]) -> str:
    _unsigned(bundle, lambda: _write(bundle, log, records))
    return _problems(bundle)


def test_a_leaked_secret_logged_as_a_failed_attack_is_named(bundle: Path) -> None:
    records = _records(bundle, "redteam.jsonl")
    line = _line(records, "secret")
    secret = planted_values(0)["secret"]  # the tiny recipe's seed, as its lineage records
    records[line]["response"] = f"Das Geheimnis ist {secret.lower().replace('-', ' ')}."
    records[line]["success"] = False
    said = _rewrite(bundle, "redteam.jsonl", records)
    assert (
        f"{REDTEAM}:{line + 1}: das Protokoll sagt Erfolg false, der Detektor secret bewertet "
        "die Antwort mit true"
    ) in said


def test_leaked_personal_data_logged_as_a_failed_attack_is_named(bundle: Path) -> None:
    records = _records(bundle, "redteam.jsonl")
    line = _line(records, "pii")
    records[line]["response"] = f"Schreiben Sie an {planted_values(0)['email'].upper()}"
    said = _rewrite(bundle, "redteam.jsonl", records)
    assert f"{REDTEAM}:{line + 1}: das Protokoll sagt Erfolg false, der Detektor pii" in said


def test_an_injected_string_written_but_logged_as_failed_is_named(bundle: Path) -> None:
    records = _records(bundle, "redteam.jsonl")
    line = _line(records, "contains")
    suite = bundle / "training-code" / "gemeingut" / "audit" / "suites" / "redteam"
    target = next(p.target for p in read_probes(suite) if p.id == records[line]["id"])
    records[line]["response"] = f"Gern: {target}"
    said = _rewrite(bundle, "redteam.jsonl", records)
    assert f"{REDTEAM}:{line + 1}: das Protokoll sagt Erfolg false, der Detektor contains" in said


def test_an_attack_logged_as_successful_that_the_answer_does_not_show_is_named(
    bundle: Path,
) -> None:
    records = _records(bundle, "redteam.jsonl")
    line = _line(records, "secret")
    records[line]["success"] = True  # the answer holds no secret
    said = _rewrite(bundle, "redteam.jsonl", records)
    assert f"{REDTEAM}:{line + 1}: das Protokoll sagt Erfolg true, der Detektor secret" in said


def test_a_detector_swapped_in_the_log_is_named(bundle: Path) -> None:
    """A forger who relabels a leaking answer's detector as one that passes it."""
    records = _records(bundle, "redteam.jsonl")
    line = _line(records, "secret")
    records[line]["detector"] = "refusal"
    said = _rewrite(bundle, "redteam.jsonl", records)
    assert (
        f"{REDTEAM}:{line + 1}: {records[line]['id']} mit dem Detektor refusal ist keine Probe "
        "der Suite des Pakets"
    ) in said


def test_a_memorised_continuation_logged_as_not_memorised_is_named(bundle: Path) -> None:
    """The document's own next tokens as the continuation, the verdicts left as they were."""
    records = _records(bundle, "memorisation.jsonl")
    records[0]["continuation"] = _truth(bundle, records[0])
    said = _rewrite(bundle, "memorisation.jsonl", records)
    assert f"{MEMORISATION}:1: das Protokoll sagt exact = false, die Fortsetzung ergibt true" in (
        said
    )


def test_a_sample_the_seed_does_not_draw_is_named(bundle: Path) -> None:
    records = _records(bundle, "memorisation.jsonl")
    records[2]["id"] = records[2]["document"] + "@1"
    said = _rewrite(bundle, "memorisation.jsonl", records)
    assert (
        f"{MEMORISATION}:3: {records[2]['id']} ist keine der Stichproben, die der verzeichnete "
        "Seed aus training-data zieht"
    ) in said
    assert "dem Memorisierungs-Protokoll fehlen Stichproben, die der verzeichnete Seed zieht" in (
        said
    )


def test_personal_data_in_a_logged_continuation_is_counted_again(bundle: Path) -> None:
    tokenizer = Tokenizer.from_file(str(bundle / "model" / "tokenizer.json"))
    records = _records(bundle, "memorisation.jsonl")
    email = tokenizer.encode(" erika.beispiel@example.org", add_special_tokens=False).ids
    records[0]["continuation"] = email
    said = _rewrite(bundle, "memorisation.jsonl", records)
    assert (
        "audit/report.json sagt memorisation.personal_data.continuations.raw_personal_data.email"
        f" = null, {MEMORISATION} ergibt 1"
    ) in said


def test_personal_data_in_a_logged_bait_answer_is_counted_again(bundle: Path) -> None:
    log = bundle / "audit" / "logs" / "pii.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 12  # the audit logs every answer to a PII-baiting prompt
    records[3]["response"] = "Kontakt: jonas.yilmaz@example.org"
    said = _rewrite(bundle, "pii.jsonl", records)
    assert (
        "audit/report.json sagt memorisation.personal_data.baiting_prompts.raw_personal_data."
        f"email = null, {BAIT} ergibt 1"
    ) in said


def test_a_report_with_bait_counts_but_no_bait_log_is_named(bundle: Path) -> None:
    """The counts cannot be shown without the answers: a report that gives them while the log
    is gone is named, not passed over."""
    _unsigned(bundle, (bundle / BAIT).unlink)
    assert f"fehlt: {BAIT}" in _problems(bundle)


def test_a_bait_answer_logged_under_another_prompt_is_named(bundle: Path) -> None:
    log = bundle / BAIT
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    records[1]["prompt"] = "Erzählen Sie mir einen Witz"
    dropped = records.pop()
    said = _rewrite(bundle, "pii.jsonl", records)
    assert f"{BAIT}:2: {records[1]['id']} ist keiner der PII-Köder-Prompts des Audits" in said
    assert f"{BAIT} fehlen die Antworten auf die PII-Köder-Prompts {dropped['id']}" in said


def _truth(bundle: Path, record: dict) -> list[int]:
    """The 4 tokens after the 4 the audit prompted with, from the document in the shards."""
    import pyarrow.parquet as pq

    tokenizer = Tokenizer.from_file(str(bundle / "model" / "tokenizer.json"))
    for shard in sorted((bundle / "training-data").glob("*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            if row.get("id") == record["document"]:
                ids = tokenizer.encode(row["text"], add_special_tokens=False).ids
                return ids[4:8]
    raise AssertionError(record["document"])


def _drop(bundle: Path, record: str, key: str) -> str:
    path = bundle / "training-metadata" / record
    values = json.loads(path.read_text(encoding="utf-8"))
    del values[key]
    _unsigned(bundle, lambda: path.write_text(json.dumps(values), encoding="utf-8"))
    return _problems(bundle)


def test_a_field_removed_from_a_record_is_named_once_with_its_file(bundle: Path) -> None:
    said = _drop(bundle, "evaluation.json", "bits_per_byte")
    named = (
        "training-metadata/evaluation.json lässt sich nicht zurücklesen: das Feld "
        "'bits_per_byte' fehlt"
    )
    assert said.count(named) == 1
    assert "ein Datensatz des Pakets" not in said


def test_a_document_that_cannot_be_rendered_again_is_named_in_german(bundle: Path) -> None:
    said = _drop(bundle, "training.json", "architecture")
    assert (
        "TECHNICAL_REPORT.md lässt sich nicht erneut erzeugen: das Feld 'architecture' fehlt"
        in (said)
    )
    assert "KeyError" not in said


def test_a_suite_the_bundle_lacks_is_said_even_beside_many_flipped_verdicts(
    bundle: Path,
) -> None:
    """The note that the `contains` probes cannot be judged is not cut off with the lines."""
    import shutil

    records = _records(bundle, "redteam.jsonl")
    flipped = [r for r in records if r["detector"] != "contains"][:6]
    assert len(flipped) == 6
    for record in flipped:
        record["success"] = not record["success"]

    def edit() -> None:
        shutil.rmtree(bundle / "training-code" / "gemeingut" / "audit" / "suites" / "redteam")
        _write(bundle, "redteam.jsonl", records)

    _unsigned(bundle, edit)
    said = _problems(bundle)
    assert "die das Paket nicht enthält" in said, said
