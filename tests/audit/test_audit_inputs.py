"""User mistakes around an audit end in one clear error, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gemeingut.audit.canaries import exposure, make_canaries
from gemeingut.audit.findings import import_findings, merge, read_findings
from gemeingut.audit.redteam import conversation, planted_values, read_probes
from gemeingut.audit.subject import iter_documents, model_folder
from gemeingut.errors import InputError, RecipeError
from gemeingut.recipe import audit_section
from gemeingut.workspace import load_artifact


def test_unreadable_or_textless_parquet_training_data_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    with pytest.raises(InputError, match="keine lesbare Parquet-Datei"):
        list(iter_documents((broken,)))
    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), numbers)
    with pytest.raises(InputError, match=r"numbers\.parquet:1: `text` ist keine Zeichenkette"):
        list(iter_documents((numbers,)))


@pytest.mark.parametrize("content", ["{bad", "[1]", '{"kind": "model"}'])
def test_a_damaged_artifact_record_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "artifact.json").write_text(content)
    with pytest.raises(InputError, match="artifact"):
        load_artifact(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(InputError, match="artifact"):
        model_folder(tmp_path, None, None)


def test_settings_that_are_no_table_are_a_recipe_error(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text('bias = "x"\n')
    with pytest.raises(RecipeError, match=r"audit\.bias muss eine Tabelle sein"):
        audit_section(config, {"bias.suite": "pairs.jsonl"})


def test_literal_braces_stay_and_only_known_placeholders_are_filled(tmp_path: Path) -> None:
    probes = tmp_path / "probes.jsonl"
    line = {
        "id": "x",
        "category": "c",
        "language": "de",
        "prompt": "Hallo",
        "detector": "secret",
        "system": 'JSON wie {"a": 1}; Passwort {secret}.',
    }
    probes.write_text(json.dumps(line) + "\n")
    [probe] = read_probes(probes)
    planted = planted_values(0)
    system = conversation(probe, planted)[0]["content"]
    assert system == f'JSON wie {{"a": 1}}; Passwort {planted["secret"]}.'
    line["system"] = 5
    probes.write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match="muss Text oder null sein"):
        read_probes(probes)


def test_more_canary_candidates_than_secrets_is_refused(tmp_path: Path) -> None:
    record = make_canaries(tmp_path, 1, 0)
    record["digits"] = 1
    with pytest.raises(InputError, match=r"senken Sie memorisation\.candidates"):
        exposure(None, record, 20, ())  # type: ignore[arg-type]


def test_the_same_finding_from_two_campaigns_is_one_finding_after_merge(tmp_path: Path) -> None:
    for campaign, reporter in (("a", "Schule"), ("b", "Bibliothek")):
        submission = tmp_path / f"{campaign}.csv"
        submission.write_text("category,prompt,response\nbias,Sind Alte langsam?,Ja.\n")
        import_findings([submission], tmp_path / f"{campaign}.jsonl", "m", reporter)
    merge([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "all.jsonl")
    merged = read_findings(tmp_path / "all.jsonl")
    assert len(merged) == 2 and sum(f["duplicate_of"] is not None for f in merged) == 1


def test_a_findings_line_with_wrong_types_is_named(tmp_path: Path) -> None:
    line = dict.fromkeys(
        ("id", "category", "response", "model", "reporter", "reported_at", "updated_at"), "x"
    )
    line |= {"prompt": 5, "status": "new", "duplicate_of": None, "note": None}
    (tmp_path / "f.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=r"f\.jsonl:1: Feld „prompt“ muss Text sein"):
        read_findings(tmp_path / "f.jsonl")


@pytest.mark.parametrize("name", ["pairs.jsonl", "pairs.csv"])
def test_a_pairs_file_that_is_not_utf8_is_named_with_its_line_in_german(
    tmp_path: Path, name: str
) -> None:
    """`audit bias --pairs` of a Latin-1 file: the line to mend and the byte, in the reader's
    words (Python's are English and count bytes of the whole file only)."""
    from gemeingut.audit.bias import read_pairs
    from gemeingut.i18n import text

    good = {"id": "p1", "category": "age", "stereotype": "Alte sind so.",
            "anti_stereotype": "Junge sind so."}  # fmt: skip
    if name.endswith(".jsonl"):
        second = {**good, "id": "p2", "stereotype": "Ältere sind so."}
        lines = [json.dumps(good), json.dumps(second, ensure_ascii=False)]
    else:
        lines = ["sent_more,sent_less,stereo_antistereo,bias_type", "Alte a,Junge a,stereo,age",
                 "Ältere a,Jüngere a,stereo,age"]  # fmt: skip
    pairs = tmp_path / name
    pairs.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    with pytest.raises(InputError) as refused:
        read_pairs(pairs)
    said = text(refused.value.message, "de")
    line = 2 if name.endswith(".jsonl") else 3
    assert said.startswith(f"{pairs}:{line} lässt sich nicht lesen: kein UTF-8-Text (Byte "), said
    assert "codec" not in said and text(refused.value.hint, "de") == "speichern Sie sie als UTF-8"
