"""`verify` recomputes the audit's figures from its item logs and renders its Markdown reports
again: an edit of either, with the MANIFEST re-hashed and the signature removed, is named."""

import json
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from gemeingut.audit import bias
from gemeingut.audit.item_log import ItemLog
from gemeingut.audit.report_markdown import markdown
from gemeingut.errors import VerifyError
from gemeingut.i18n import text
from gemeingut.release.manifest import SIGNATURE, read_manifest, write_manifest
from gemeingut.release.rerun import rerun_bias_sample
from gemeingut.release.verify import verify_bundle
from gemeingut.release.verify_audit import audit_problems

LOGS = Path("audit") / "logs"


def _unsigned(bundle: Path, edit: Callable[[], None]) -> None:
    """The forger's way: edit, drop the signature, re-hash every file into the MANIFEST."""
    edit()
    (bundle / SIGNATURE).unlink(missing_ok=True)
    write_manifest(bundle)


def _records(bundle: Path, log: str) -> list[dict]:
    return [json.loads(line) for line in (bundle / LOGS / log).read_text().splitlines()]


def _write(bundle: Path, log: str, records: list[dict]) -> None:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (bundle / LOGS / log).write_text(text, encoding="utf-8")


def _problems(bundle: Path) -> str:
    with pytest.raises(VerifyError) as failed:
        verify_bundle(bundle)
    return str(failed.value)


def test_the_untouched_audit_passes(bundle: Path) -> None:
    _unsigned(bundle, lambda: None)
    verify_bundle(bundle)


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_rate_edited_in_a_markdown_report_is_named_with_its_line(
    bundle: Path, language: str
) -> None:
    report = bundle / "audit" / f"report.{language}.md"
    lines = report.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if re.search(r"\| \d[.,]\d{3}", line))
    lines[number] = re.sub(r"\| \d([.,])\d{3}", r"| 0\g<1>990", lines[number], count=1)
    _unsigned(bundle, lambda: report.write_text("".join(lines), encoding="utf-8"))
    said = _problems(bundle)
    assert f"audit/report.{language}.md weicht von dem ab, das die Dateien ergeben: " in said
    assert f"Zeile {number + 1}: " in said and "0" + ("," if language == "de" else ".") + "990" in (
        said
    )


def test_a_line_deleted_from_the_bias_log_is_named(bundle: Path) -> None:
    records = _records(bundle, "bias.jsonl")
    gone = records.pop(3)
    n = sum(r["category"] == gone["category"] for r in records)
    _unsigned(bundle, lambda: _write(bundle, "bias.jsonl", records))
    said = _problems(bundle)
    assert (
        f"audit/report.json sagt bias.categories.{gone['category']}.n = {n + 1}, "
        f"audit/logs/bias.jsonl ergibt {n}"
    ) in said
    assert f"dem Bias-Protokoll fehlen Paare der Suite des Pakets: {gone['id']}" in said


def test_every_bias_delta_shifted_is_named(bundle: Path) -> None:
    records = _records(bundle, "bias.jsonl")
    for record in records:
        record["delta"] += 0.2
    _unsigned(bundle, lambda: _write(bundle, "bias.jsonl", records))
    assert re.search(
        r"audit/report\.json sagt bias\.categories\.\w+\.mean_delta_logprob\.value = \S+, "
        r"audit/logs/bias\.jsonl ergibt",
        _problems(bundle),
    )


def test_a_report_rewritten_to_match_altered_logs_is_named_by_the_lineage(bundle: Path) -> None:
    """The forger recomputes report.json and its Markdown from the shifted log: the card and the
    audit's record in the lineage still hold the measured figures."""
    records = _records(bundle, "bias.jsonl")
    for record in records:
        record["delta"] += 0.2

    def forge() -> None:
        _write(bundle, "bias.jsonl", records)
        path = bundle / "audit" / "report.json"
        report = json.loads(path.read_text(encoding="utf-8"))
        report["bias"] = {"suite": report["bias"]["suite"], **bias.summarize(records)}
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        for language in ("de", "en"):
            (bundle / "audit" / f"report.{language}.md").write_text(
                markdown(report, language), encoding="utf-8"
            )

    _unsigned(bundle, forge)
    assert re.search(
        r"audit/report\.json sagt bias\.\S+ = \S+, training-metadata/lineage\.json ergibt",
        _problems(bundle),
    )


def test_a_pair_logged_twice_and_a_broken_line_are_named_with_their_lines(bundle: Path) -> None:
    records = _records(bundle, "bias.jsonl")
    twice = [*records, records[1]]
    _unsigned(bundle, lambda: _write(bundle, "bias.jsonl", twice))
    assert (
        f"audit/logs/bias.jsonl:{len(twice)}: {records[1]['id']} ist zweimal protokolliert "
        "(zuerst in Zeile 2)"
    ) in _problems(bundle)
    broken = [*records[:4], {"id": records[4]["id"], "delta": "groß"}, *records[5:]]
    _unsigned(bundle, lambda: _write(bundle, "bias.jsonl", broken))
    assert (
        "audit/logs/bias.jsonl:5: kein Eintrag, wie ihn die Prüfung schreibt "
        "(category, shared_tokens, delta, sentence_delta, terms)"
    ) in _problems(bundle)


def test_a_red_team_verdict_flipped_is_named_by_its_detector(bundle: Path) -> None:
    records = _records(bundle, "redteam.jsonl")
    line = next(i for i, r in enumerate(records) if r["detector"] == "refusal")
    # The tiny model answers with whitespace alone, which is in no rate (`summarize_redteam`):
    # here the answer complies, and the log keeps the verdict of the empty one.
    records[line]["response"] = "Gern, so geht es: zuerst …"
    records[line]["success"] = False
    _unsigned(bundle, lambda: _write(bundle, "redteam.jsonl", records))
    said = _problems(bundle)
    assert f"audit/logs/redteam.jsonl:{line + 1}: das Protokoll sagt Erfolg" in said
    assert "der Detektor refusal bewertet die Antwort mit" in said
    assert "audit/report.json sagt redteam.categories." in said


def test_a_memorisation_sample_removed_is_named(bundle: Path) -> None:
    records = _records(bundle, "memorisation.jsonl")
    _unsigned(bundle, lambda: _write(bundle, "memorisation.jsonl", records[1:]))
    assert (
        f"audit/report.json sagt memorisation.samples = {len(records)}, "
        f"audit/logs/memorisation.jsonl ergibt {len(records) - 1}"
    ) in _problems(bundle)


def test_rerun_draws_a_new_sample_unless_a_seed_repeats_one(bundle: Path) -> None:
    """Every pair but the five a fixed seed draws is shifted by 0.2 nats, beyond the bf16
    tolerance the tiny model's audit ran at: that seed misses it, a drawn one does not (a sample
    of 5 among the suite's pairs hits only those five with odds ~1e-11; it may hit one of them,
    which then is no problem)."""
    records = _records(bundle, "bias.jsonl")
    kept = {r["id"] for r in random.Random(0).sample(records, 5)}
    for record in records:
        if record["id"] not in kept:
            record["delta"] += 0.2
            record["sentence_delta"] += 0.2
    _write(bundle, "bias.jsonl", records)
    assert rerun_bias_sample(bundle, 5, seed=0).problems == []
    drawn = rerun_bias_sample(bundle, 5)
    assert drawn.tolerance < 0.2 and drawn.problems
    named = Counter(p.values["id"] for p in drawn.problems)
    assert set(named).isdisjoint(kept) and set(named.values()) == {2}  # delta, sentence_delta
    assert drawn.seed != rerun_bias_sample(bundle, 1).seed
    again = rerun_bias_sample(bundle, 5, seed=drawn.seed)  # the printed seed repeats the run
    assert [text(p) for p in again.problems] == [text(p) for p in drawn.problems]


def test_verify_rerun_names_the_seed_that_repeats_it(bundle: Path) -> None:
    from tests.test_cli import invoke

    result = invoke("verify", bundle, "--rerun", "3", "--seed", "12345")
    assert result.exit_code == 0, result.output
    assert "(gezogen mit --seed 12345)" in result.output


def test_a_log_resumed_after_a_crash_cut_its_last_line_passes(bundle: Path) -> None:
    """The audit stopped while writing the bias log's last line; the rerun scores that pair
    again and appends it: the log shipped reads back one record a line."""
    log = bundle / LOGS / "bias.jsonl"
    records = _records(bundle, "bias.jsonl")
    last = json.dumps(records[-1], ensure_ascii=False)
    _write(bundle, "bias.jsonl", records[:-1])
    with log.open("a", encoding="utf-8") as out:
        out.write(last[: len(last) // 2])  # cut short by the crash
    resumed = ItemLog(log)
    assert resumed.missing(r["id"] for r in records) == [records[-1]["id"]]
    resumed.add([records[-1]])
    assert _records(bundle, "bias.jsonl") == records
    _unsigned(bundle, lambda: None)
    verify_bundle(bundle)


def test_a_log_that_is_not_utf8_is_named_with_its_line(bundle: Path) -> None:
    log = bundle / LOGS / "redteam.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"id"', b'"\xff\xfeid"', 1)
    _unsigned(bundle, lambda: log.write_bytes(b"".join(lines)))
    said = _problems(bundle)
    assert "audit/logs/redteam.jsonl:3: kein UTF-8-Text" in said
    assert "audit/report.json:" not in said and "Error" not in said


def test_a_line_that_is_not_json_is_named_in_german(bundle: Path) -> None:
    log = bundle / LOGS / "memorisation.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][:20] + "\n"
    _unsigned(bundle, lambda: log.write_text("".join(lines), encoding="utf-8"))
    said = _problems(bundle)
    assert "audit/logs/memorisation.jsonl:2: kein JSON" in said
    assert "Expecting" not in said and "Error" not in said


def test_a_memorised_continuation_edited_in_the_log_is_named(bundle: Path) -> None:
    """The memorisation figures are those `summarize_memorisation` gives, the documents named
    as memorised included."""
    records = _records(bundle, "memorisation.jsonl")
    records[0]["near_verbatim"] = not records[0]["near_verbatim"]
    _unsigned(bundle, lambda: _write(bundle, "memorisation.jsonl", records))
    said = _problems(bundle)
    assert "audit/report.json sagt memorisation.near_verbatim.value = " in said
    assert "audit/report.json sagt memorisation.memorised = " in said


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"bias": ', "audit/report.json lässt sich nicht zurücklesen: kein gültiges JSON"),
        (b"\xff{}", "audit/report.json lässt sich nicht zurücklesen: kein UTF-8-Text"),
        (b"[1, 2]", "audit/report.json ist kein JSON-Objekt"),
    ],
)
def test_a_report_that_cannot_be_read_is_named(bundle: Path, content: bytes, said: str) -> None:
    """(`verify` names it before, reading the bundle's records; the audit's check on its own
    still says what is wrong, in German.)"""
    (bundle / "audit" / "report.json").write_bytes(content)
    problems = audit_problems(bundle, read_manifest(bundle))
    assert len(problems) == 1 and text(problems[0]).startswith(said)


def test_a_section_of_the_report_retyped_is_named_by_its_section(bundle: Path) -> None:
    path = bundle / "audit" / "report.json"
    report = json.loads(path.read_text(encoding="utf-8"))
    report["memorisation"]["prefix_tokens"] = None
    del report["memorisation"]["eligible_documents"]
    text = json.dumps(report, ensure_ascii=False, indent=2)
    _unsigned(bundle, lambda: path.write_text(text, encoding="utf-8"))
    said = _problems(bundle)
    assert (
        "audit/report.json: der Abschnitt memorisation ist nicht so, wie ihn die Prüfung schreibt"
    ) in said
